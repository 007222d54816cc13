"""Person pages: the search a clerk types into (live, paged, exportable), a person's record,
and the create and edit forms."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from minzheng.core.exports import xlsx_response
from minzheng.core.scope import REGISTRY_EDITORS, can, in_scope
from minzheng.registry import exports, selectors, services
from minzheng.registry.forms import PersonEditForm, PersonForm
from minzheng.registry.views.common import (
    FormErrors,
    current_user,
    editor,
    errors_to,
    next_url,
    paginate,
    reader,
    render_page,
)
from minzheng.registry.views.history import history_entries
from minzheng.registry.views.presenters import person_fields, person_rows

PERSON_SAVED = "已保存{name}的信息"
PERSON_CREATED = "已登记居民{name}"


@reader
def person_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    q = request.GET.get("q", "").strip()
    page = paginate(request, selectors.person_search(user=user, q=q))
    context = {
        "q": q,
        "page": page,
        "rows": person_rows(user, page.object_list),
        "can_edit": can(user, REGISTRY_EDITORS),
    }
    return render_page(request, "registry/person_list.html", "results", context)


@reader
def person_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    q = request.GET.get("q", "").strip()
    persons = selectors.person_search(user=user, q=q)
    return xlsx_response(
        filename=f"居民名单-{timezone.localdate():%Y%m%d}.xlsx",
        headers=exports.PERSON_HEADERS,
        rows=exports.person_rows(user, persons),
    )


@reader
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    person = selectors.person_get(user=user, pk=pk)
    memberships = list(selectors.person_memberships(person=person))
    current = next((m for m in memberships if m.valid_to is None), None)
    context = {
        "person": person,
        "fields": person_fields(user, person),
        "current": current,
        "memberships": memberships,
        "visible_households": {
            m.household_id for m in memberships if in_scope(user, m.household.region_code)
        },
        "history": history_entries(user, selectors.person_history(person=person)[:100]),
        "can_edit": can(user, REGISTRY_EDITORS),
    }
    return render(request, "registry/person_detail.html", context)


@editor
def person_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = PersonForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(), errors_to(form):
                person = services.person_create(actor=user, data=form.service_data())
        except FormErrors:
            pass
        else:
            messages.success(request, PERSON_CREATED.format(name=person.name))
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/person_form.html", {"form": form, "person": None})


@editor
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    person = selectors.person_get(user=user, pk=pk)
    form = PersonEditForm(request.POST or None, user=user, person=person)
    back = next_url(request, reverse("registry:person_detail", args=[person.pk]))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(), errors_to(form):
                services.person_update(
                    actor=user,
                    person=person,
                    data=form.service_data(),
                    reason=form.cleaned_data["reason"],
                )
        except FormErrors:
            person.refresh_from_db()
        else:
            messages.success(request, PERSON_SAVED.format(name=person.name))
            return redirect(back)
    context = {"form": form, "person": person, "next": back}
    return render(request, "registry/person_form.html", context)
