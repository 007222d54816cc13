"""Membership changes of a household: a member joins (a registered person or one registered
here), a member leaves (death, marriage, moving out), the head changes."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from minzheng.core.models import User
from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.registry import selectors, services
from minzheng.registry.forms import HeadChangeForm, MemberAddForm, MemberRemoveForm, PersonForm
from minzheng.registry.models import Household, Membership, Person
from minzheng.registry.views.common import FormErrors, current_user, editor, errors_to

MEMBER_ADDED = "{name}已加入本户"
MEMBER_REMOVED = "{name}已于{day}离开本户"
HEAD_CHANGED = "户主已变更为{name}"


def _add_member(
    user: User, household: Household, form: MemberAddForm, person_form: PersonForm
) -> Membership | None:
    """Register the person (when new) and add the membership together, or neither."""
    try:
        with transaction.atomic():
            person: Person | None = form.cleaned_data["person"]
            if person is None:
                with errors_to(person_form):
                    person = services.person_create(actor=user, data=person_form.service_data())
            with errors_to(form, {"person": "id_number"}):
                return services.member_add(
                    actor=user,
                    household=household,
                    person=person,
                    relationship=form.cleaned_data["relationship"],
                    valid_from=form.cleaned_data["valid_from"],
                    join_reason=form.cleaned_data["join_reason"],
                    reason=form.cleaned_data["reason"],
                )
    except FormErrors:
        return None


@editor
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = selectors.household_get(user=user, pk=pk)
    data = request.POST or None
    form = MemberAddForm(data, user=user)
    new_person = request.POST.get("mode") == "new"
    person_form = PersonForm(
        data if new_person else None,
        user=user,
        prefix="person",
        initial={"region_code": household.region_code},
    )
    if request.method == "POST" and form.is_valid() and (not new_person or person_form.is_valid()):
        membership = _add_member(user, household, form, person_form)
        if membership is not None:
            messages.success(request, MEMBER_ADDED.format(name=membership.person.name))
            return redirect("registry:household_detail", pk=household.pk)
    context = {"form": form, "person_form": person_form, "household": household}
    return render(request, "registry/member_add.html", context)


@editor
def member_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    user = current_user(request)
    household = selectors.household_get(user=user, pk=pk)
    membership = next((m for m in household.memberships.all() if m.pk == membership_pk), None)
    if membership is None:
        raise Http404(OUT_OF_SCOPE)
    form = MemberRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(), errors_to(form):
                services.member_remove(
                    actor=user,
                    membership=membership,
                    valid_to=form.cleaned_data["valid_to"],
                    leave_reason=form.cleaned_data["leave_reason"],
                    reason=form.cleaned_data["reason"],
                )
        except FormErrors:
            membership.refresh_from_db()
        else:
            day = form.cleaned_data["valid_to"]
            messages.success(request, MEMBER_REMOVED.format(name=membership.person.name, day=day))
            return redirect("registry:household_detail", pk=household.pk)
    context = {"form": form, "household": household, "membership": membership}
    return render(request, "registry/member_remove.html", context)


@editor
def head_change(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = selectors.household_get(user=user, pk=pk)
    members = [
        m.person
        for m in household.memberships.all()
        if m.valid_to is None and m.person_id != household.head_id
    ]
    form = HeadChangeForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        new_head = form.cleaned_data["new_head"]
        try:
            with transaction.atomic(), errors_to(form, {"head": "new_head"}):
                services.household_head_change(
                    actor=user,
                    household=household,
                    new_head=new_head,
                    reason=form.cleaned_data["reason"],
                )
        except FormErrors:
            household.refresh_from_db()
        else:
            messages.success(request, HEAD_CHANGED.format(name=new_head.name))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/head_change.html", {"form": form, "household": household})
