"""A household's income and asset declaration: one form with a row per income (member, kind,
monthly amount) and per asset."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from minzheng.core.models import User
from minzheng.registry import selectors, services
from minzheng.registry.forms import AssetFormSet, DeclarationForm, IncomeFormSet
from minzheng.registry.models import Declaration, Household
from minzheng.registry.views.common import current_user, editor

DECLARATION_CREATED = "已保存{day}的经济状况申报"
ITEM_KEY = re.compile(r"^(incomes|assets)\[(\d+)\]\.(\w+)$")


def _filled(formset: forms.BaseFormSet[Any]) -> list[forms.Form]:
    """The rows the clerk filled in (blank extra rows are left out)."""
    return [f for f in formset.forms if f.has_changed() and f.cleaned_data]


def _place_errors(
    error: ValidationError,
    form: DeclarationForm,
    rows: dict[str, list[forms.Form]],
) -> None:
    """A service error `incomes[2].monthly_amount` goes under that field of the third filled
    income row; anything else on the declaration form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, messages_ in error.error_dict.items():
        match = ITEM_KEY.match(key)
        if match and int(match[2]) < len(rows[match[1]]):
            row = rows[match[1]][int(match[2])]
            row.add_error(match[3] if match[3] in row.fields else None, messages_)
        else:
            form.add_error(key if key in form.fields else None, messages_)


def _save(
    user: User,
    household: Household,
    form: DeclarationForm,
    incomes: forms.BaseFormSet[Any],
    assets: forms.BaseFormSet[Any],
) -> Declaration | None:
    rows = {"incomes": _filled(incomes), "assets": _filled(assets)}
    try:
        with transaction.atomic():
            return services.declaration_create(
                actor=user,
                household=household,
                declared_on=form.cleaned_data["declared_on"],
                reference_months=form.cleaned_data["reference_months"],
                incomes=[dict(f.cleaned_data) for f in rows["incomes"]],
                assets=[
                    {**f.cleaned_data, "area": f.cleaned_data.get("area") or None}
                    for f in rows["assets"]
                ],
                note=form.cleaned_data["note"],
            )
    except ValidationError as e:
        _place_errors(e, form, rows)
        return None


@editor
def declaration_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = selectors.household_get(user=user, pk=pk)
    members = [m.person for m in household.memberships.all() if m.valid_to is None]
    data = request.POST or None
    form = DeclarationForm(data)
    incomes = IncomeFormSet(data, prefix="incomes", form_kwargs={"members": members})
    assets = AssetFormSet(data, prefix="assets", form_kwargs={"members": members})
    if request.method == "POST" and all([form.is_valid(), incomes.is_valid(), assets.is_valid()]):
        declaration = _save(user, household, form, incomes, assets)
        if declaration is not None:
            messages.success(
                request, DECLARATION_CREATED.format(day=declaration.declared_on.isoformat())
            )
            return redirect("registry:household_detail", pk=household.pk)
    context = {"form": form, "incomes": incomes, "assets": assets, "household": household}
    return render(request, "registry/declaration_form.html", context)
