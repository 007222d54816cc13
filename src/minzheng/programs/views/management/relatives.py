"""近亲属备案: the register (searched by the relative's name or ID number or the worker's name,
current filings first), the form that files a relative found by ID number within the scope,
and a filing's page with the household's cases it marked and the form that revokes it."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from minzheng.core.exports import xlsx_response
from minzheng.core.models import User
from minzheng.programs import selectors
from minzheng.programs.management_forms import (
    RelativeFilingForm,
    RelativeFilterForm,
    RelativeRevokeForm,
)
from minzheng.programs.models import RelativeFiling
from minzheng.programs.permissions import RELATIVE_FILERS
from minzheng.programs.services import relatives as relative_services
from minzheng.programs.services.errors import CaseError
from minzheng.programs.views.common import add_case_errors, may, today
from minzheng.programs.views.management.common import (
    cell,
    export_rows,
    object_events,
    relative_filer,
    relative_reader,
)
from minzheng.programs.views.presenters import case_rows, user_name
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user, paginate, render_page

FILING_CREATED = "已登记{name}为{staff}的近亲属"
FILING_FLAGGED = "已登记{name}为{staff}的近亲属,{n}个在办或在保案件已标记回避"
FILING_REVOKED = "已撤销{name}的近亲属备案(撤销日期{day})"

RELATIVE_HEADERS = [
    "近亲属",
    "身份证号码",
    "亲属关系",
    "工作人员",
    "工作人员账号",
    "人员类别",
    "职务",
    "备案区划",
    "备案日期",
    "撤销日期",
    "备注",
    "登记人",
]


@dataclass
class FilingRow:
    filing: RelativeFiling
    id_display: str
    region_name: str
    in_force: bool


def filing_rows(
    user: User, filings: Sequence[RelativeFiling], day: datetime.date
) -> list[FilingRow]:
    names = registry_selectors.region_names(f.region_code for f in filings)
    return [
        FilingRow(
            filing=f,
            id_display=registry_selectors.display_id_number(user, f.person.id_number),
            region_name=names.get(f.region_code, f.region_code),
            in_force=f.valid_to is None or f.valid_to > day,
        )
        for f in filings
    ]


def _filter_data(request: HttpRequest) -> Any:
    """The register opens on the filings in force; 状态“全部” shows the revoked ones too."""
    data = request.GET.copy()
    if "valid" not in data:
        data["valid"] = "current"
    return data


def _filtered(
    request: HttpRequest, user: User
) -> tuple[RelativeFilterForm, QuerySet[RelativeFiling]]:
    form = RelativeFilterForm(_filter_data(request))
    form.is_valid()
    c = form.cleaned_data
    filings = relative_services.relative_filing_list(user=user, q=c.get("q", ""))
    in_force = Q(valid_to__isnull=True) | Q(valid_to__gt=today())
    if c.get("valid") == "current":
        filings = filings.filter(in_force)
    elif c.get("valid") == "revoked":
        filings = filings.exclude(in_force)
    return form, filings.select_related("filed_by")


@relative_reader
def relative_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form, filings = _filtered(request, user)
    page = paginate(request, filings)
    context = {
        "form": form,
        "page": page,
        "rows": filing_rows(user, list(page.object_list), today()),
        "may_file": may(user, RELATIVE_FILERS),
    }
    return render_page(request, "programs/management/relative_list.html", "results", context)


def _export_rows(
    user: User, day: datetime.date, filings: list[RelativeFiling]
) -> Iterator[list[Any]]:
    for row in filing_rows(user, filings, day):
        f = row.filing
        yield [
            f.person.name,
            row.id_display,
            f.get_relation_display(),
            f.staff_name,
            f.staff_user.username if f.staff_user else "",
            f.get_staff_kind_display(),
            f.staff_position,
            row.region_name,
            cell(f.valid_from),
            cell(f.valid_to),
            f.note,
            user_name(f.filed_by),
        ]


@relative_reader
def relative_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    _form, filings = _filtered(request, user)
    day = today()
    return xlsx_response(
        filename=f"近亲属备案-{day:%Y%m%d}.xlsx",
        headers=RELATIVE_HEADERS,
        rows=export_rows(filings, lambda batch: _export_rows(user, day, batch)),
    )


@relative_filer
def relative_create(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    form = RelativeFilingForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            filing = relative_services.relative_filing_create(actor=user, **form.service_kwargs())
        except CaseError as e:
            add_case_errors(form, e, {"person": "id_number"})
        else:
            household = registry_selectors.household_of(filing.person)
            flagged = selectors.case_list(user=user).filter(household=household, relative_flag=True)
            n = flagged.count() if household else 0
            name, staff = filing.person.name, filing.staff_name
            message = FILING_FLAGGED if n else FILING_CREATED
            messages.success(request, message.format(name=name, staff=staff, n=n))
            return redirect("programs_mgmt:relative_detail", pk=filing.pk)
    return render(request, "programs/management/relative_form.html", {"form": form})


def _detail_context(
    user: User, filing: RelativeFiling, revoke_form: RelativeRevokeForm | None = None
) -> dict[str, Any]:
    day = today()
    household = registry_selectors.household_of(filing.person)
    cases = selectors.case_list(user=user).filter(household=household) if household else None
    revocable = filing.valid_to is None and may(user, RELATIVE_FILERS)
    return {
        "filing": filing,
        "row": filing_rows(user, [filing], day)[0],
        "household": household,
        "household_in_scope": household is not None
        and household.region_code.startswith(user.scope_prefix),
        "cases": case_rows(user, cases) if cases is not None else [],
        "revoke_form": (revoke_form or RelativeRevokeForm()) if revocable else None,
        "events": object_events("relative_filing", filing.pk),
    }


@relative_reader
def relative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    filing = relative_services.relative_filing_get(user=user, pk=pk)
    context = _detail_context(user, filing)
    return render(request, "programs/management/relative_detail.html", context)


@relative_filer
@require_POST
def relative_revoke(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    filing = relative_services.relative_filing_get(user=user, pk=pk)
    form = RelativeRevokeForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        try:
            relative_services.relative_filing_revoke(
                actor=user, filing=filing, valid_to=c["valid_to"], reason=c.get("reason", "")
            )
        except CaseError as e:
            add_case_errors(form, e)
        else:
            day = f"{c['valid_to']:%Y-%m-%d}"
            messages.success(request, FILING_REVOKED.format(name=filing.person.name, day=day))
            return redirect("programs_mgmt:relative_detail", pk=pk)
    context = _detail_context(user, filing, revoke_form=form)
    return render(request, "programs/management/relative_detail.html", context)
