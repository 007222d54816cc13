"""Household pages: the filtered list (paged, exportable), the household page (members on any
date, declarations, history) and the create and edit forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from minzheng.core.exports import xlsx_response
from minzheng.core.models import User
from minzheng.core.scope import REGISTRY_EDITORS, can
from minzheng.registry import exports, selectors, services
from minzheng.registry.forms import (
    HouseholdCreateForm,
    HouseholdEditForm,
    HouseholdFilterForm,
    PersonForm,
)
from minzheng.registry.models import Household, Person
from minzheng.registry.views.common import (
    FormErrors,
    current_user,
    day_param,
    editor,
    errors_to,
    is_fragment,
    paginate,
    reader,
    render_page,
)
from minzheng.registry.views.history import history_entries
from minzheng.registry.views.presenters import declaration_view, household_rows, member_rows

HOUSEHOLD_CREATED = "已建立{name}户"
HOUSEHOLD_SAVED = "已保存家庭信息"
HISTORY_LIMIT = 200


def _filtered(request: HttpRequest, user: User) -> tuple[HouseholdFilterForm, QuerySet[Household]]:
    """The filter form and the households it keeps."""
    form = HouseholdFilterForm(request.GET, user=user)
    form.is_valid()  # a region outside the choices is dropped; the other filter still applies
    region = form.cleaned_data.get("region", "")
    q = form.cleaned_data.get("q", "").strip()
    return form, selectors.household_filter(user=user, region_code=region, q=q)


@reader
def household_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form, households_qs = _filtered(request, user)
    page = paginate(request, households_qs)
    context = {
        "form": form,
        "page": page,
        "rows": household_rows(user, page.object_list),
        "can_edit": can(user, REGISTRY_EDITORS),
    }
    return render_page(request, "registry/household_list.html", "results", context)


@reader
def household_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    _form, households = _filtered(request, user)
    return xlsx_response(
        filename=f"家庭名单-{timezone.localdate():%Y%m%d}.xlsx",
        headers=exports.HOUSEHOLD_HEADERS,
        rows=exports.household_rows(user, households),
    )


@reader
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = selectors.household_get(user=user, pk=pk)
    day = day_param(request, "on")
    memberships = list(household.memberships.all())
    current = selectors.household_members_on(household, day)
    context = {
        "household": household,
        "day": day,
        "is_today": day == timezone.localdate(),
        "members": member_rows(user, current, day),
        "others": member_rows(user, [m for m in memberships if m not in current], day),
        "can_edit": can(user, REGISTRY_EDITORS),
    }
    if not is_fragment(request):  # the members table alone needs none of the rest
        context |= _household_page_context(user, household)
    return render_page(request, "registry/household_detail.html", "members", context)


def _household_page_context(user: User, household: Household) -> dict[str, Any]:
    head = household.head
    names = selectors.region_names([household.region_code])
    declarations = selectors.household_declarations(household=household)
    events = selectors.household_history(household=household)[:HISTORY_LIMIT]
    return {
        "region_name": names.get(household.region_code, ""),
        "head_id": selectors.display_id_number(user, head.id_number) if head else "",
        "bank_account": selectors.display_bank_account(user, household.bank_account_number),
        "declarations": [declaration_view(d) for d in declarations],
        "history": history_entries(user, events),
    }


def _create_household(
    user: User, form: HouseholdCreateForm, head_form: PersonForm
) -> Household | None:
    """Create the head (when new) and the household together, or neither."""
    try:
        with transaction.atomic():
            head: Person | None = form.cleaned_data["head"]
            if head is None:
                with errors_to(head_form):
                    head = services.person_create(actor=user, data=head_form.service_data())
            with errors_to(form, {"head": "head_id_number"}):
                return services.household_create(
                    actor=user,
                    head=head,
                    data=form.service_data(),
                    valid_from=form.cleaned_data["valid_from"],
                )
    except FormErrors:
        return None


@editor
def household_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    data = request.POST or None
    form = HouseholdCreateForm(data, user=user)
    # The new head's form is read only when the clerk chose to register the head here.
    new_head = request.POST.get("mode") == "new"
    head_form = PersonForm(data if new_head else None, user=user, prefix="head")
    if request.method == "POST" and form.is_valid() and (not new_head or head_form.is_valid()):
        household = _create_household(user, form, head_form)
        if household is not None:
            name = household.head.name if household.head else ""
            messages.success(request, HOUSEHOLD_CREATED.format(name=name))
            return redirect("registry:household_detail", pk=household.pk)
    context = {"form": form, "head_form": head_form, "household": None}
    return render(request, "registry/household_form.html", context)


@editor
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = selectors.household_get(user=user, pk=pk)
    form = HouseholdEditForm(request.POST or None, user=user, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(), errors_to(form):
                services.household_update(
                    actor=user,
                    household=household,
                    data=form.service_data(),
                    reason=form.cleaned_data["reason"],
                )
        except FormErrors:
            household.refresh_from_db()
        else:
            messages.success(request, HOUSEHOLD_SAVED)
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/household_form.html", {"form": form, "household": household})
