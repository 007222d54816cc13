"""举报投诉: the register form (source, reporter, content, the household found by a member's ID
number or name, or the case by its number, the region and who handles it), the list (open ones
first by deadline, overdue flagged) and the tip-off's page with its investigation and the form
that closes it — optionally opening a review of the case it is about."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from minzheng.core.exports import xlsx_response
from minzheng.core.models import AuditEvent, User
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.programs.management_forms import (
    TipOffAssignForm,
    TipOffCloseForm,
    TipOffFilterForm,
    TipOffForm,
)
from minzheng.programs.models import TipOff
from minzheng.programs.permissions import REVIEWERS
from minzheng.programs.services import tipoffs as tipoff_services
from minzheng.programs.services.errors import CaseError
from minzheng.programs.views.common import add_case_errors, may, today
from minzheng.programs.views.management.common import (
    cell,
    export_rows,
    late,
    reviewer,
    tipoff_reader,
)
from minzheng.programs.views.presenters import EventRow, Fact, event_rows, user_name
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user, is_fragment, paginate, render_page

TIPOFF_REGISTERED = "已登记举报投诉,办理时限{day}"
TIPOFF_CLOSED = "已办结举报投诉"
TIPOFF_CLOSED_REVIEW = "已办结举报投诉,并为案件{number}生成复核任务"
TIPOFF_ASSIGNED = "已指定承办人:{name}"
CONTENT_EXCERPT = 40
# How a tip-off's audit events name what changed (the linked household, case and review are
# on the page already).
EVENT_LABELS: dict[str, Any] = {
    "source": _("来源"),
    "assignee": _("承办人"),
    "due_on": _("办理时限"),
    "outcome": _("核查结论"),
}
EVENT_CHOICES: dict[str, dict[str, str]] = {
    "source": {k: str(v) for k, v in TipOff.Source.choices},
    "outcome": {k: str(v) for k, v in TipOff.Outcome.choices},
}

TIPOFF_HEADERS = [
    "登记时间",
    "来源",
    "举报人",
    "联系方式",
    "举报内容",
    "涉及家庭",
    "涉及案件",
    "涉及区划",
    "承办人",
    "办理时限",
    "超期工作日",
    "状态",
    "核查结论",
    "核查情况",
    "办结时间",
]


def _event_value(key: str, value: Any) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_event_value(key, value[0])} → {_event_value(key, value[1])}"
    if value in (None, ""):
        return "—"
    return EVENT_CHOICES.get(key, {}).get(str(value), str(value))


def tipoff_events(tipoff: TipOff) -> list[EventRow]:
    """The tip-off's audit events, what changed named as the page names it."""
    events = AuditEvent.objects.filter(object_type="tipoff", object_id=str(tipoff.pk))
    events_list = list(events.select_related("actor").order_by("at", "id"))
    rows = event_rows(events_list)
    for row, event in zip(rows, events_list, strict=True):
        row.changes = [
            Fact(str(label), _event_value(key, (event.changes or {})[key]))
            for key, label in EVENT_LABELS.items()
            if (event.changes or {}).get(key) not in (None, "", [])
        ]
    return rows


@dataclass
class TipOffRow:
    tipoff: TipOff
    region_name: str
    household: str
    excerpt: str
    assignee: str
    overdue: int
    overdue_provisional: bool


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CONTENT_EXCERPT else text[:CONTENT_EXCERPT] + "…"


def tipoff_rows(tipoffs: Sequence[TipOff], day: datetime.date) -> list[TipOffRow]:
    names = registry_selectors.region_names(t.region_code for t in tipoffs)
    rows = []
    for t in tipoffs:
        overdue, provisional = late(t.due_on, day, t.status == TipOff.Status.OPEN)
        head = t.household.head if t.household else None
        rows.append(
            TipOffRow(
                tipoff=t,
                region_name=names.get(t.region_code, t.region_code),
                household=str(_("%(name)s户") % {"name": head.name}) if head else "",
                excerpt=_excerpt(t.content),
                assignee=user_name(t.assignee),
                overdue=overdue,
                overdue_provisional=provisional,
            )
        )
    return rows


def _filtered(request: HttpRequest, user: User) -> tuple[TipOffFilterForm, QuerySet[TipOff]]:
    form = TipOffFilterForm(request.GET, user=user)
    form.is_valid()
    c = form.cleaned_data
    tipoffs = tipoff_services.tipoff_list(user=user, status=c.get("status") or None)
    if c.get("region"):
        tipoffs = tipoffs.filter(prefix_q("region_code", code_prefix(c["region"])))
    if c.get("overdue"):
        tipoffs = tipoffs.filter(status=TipOff.Status.OPEN, due_on__lt=today())
    return form, tipoffs


@tipoff_reader
def tipoff_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    day = today()
    form, tipoffs = _filtered(request, user)
    page = paginate(request, tipoffs)
    open_ones = tipoff_services.tipoff_list(user=user, status=TipOff.Status.OPEN)
    context = {
        "form": form,
        "page": page,
        "rows": tipoff_rows(list(page.object_list), day),
        "open_count": open_ones.count(),
        "overdue_count": open_ones.filter(due_on__lt=day).count(),
        "may_handle": may(user, REVIEWERS),
        "day": day,
    }
    return render_page(request, "programs/management/tipoff_list.html", "results", context)


def _export_rows(day: datetime.date, tipoffs: list[TipOff]) -> Iterator[list[Any]]:
    for row in tipoff_rows(tipoffs, day):
        t = row.tipoff
        yield [
            cell(t.registered_at),
            t.get_source_display(),
            t.reporter_name,
            t.reporter_contact,
            t.content,
            row.household,
            t.case.number if t.case else "",
            row.region_name,
            row.assignee,
            cell(t.due_on),
            row.overdue or "",
            t.get_status_display(),
            t.get_outcome_display() if t.outcome else "",
            t.investigation,
            cell(t.closed_at),
        ]


@tipoff_reader
def tipoff_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    _form, tipoffs = _filtered(request, user)
    day = today()
    return xlsx_response(
        filename=f"举报投诉-{day:%Y%m%d}.xlsx",
        headers=TIPOFF_HEADERS,
        rows=export_rows(tipoffs, lambda batch: _export_rows(day, batch)),
    )


@reviewer
def tipoff_create(request: HttpRequest) -> HttpResponseBase:
    """登记举报投诉. An htmx request with `household_q` answers the households it finds, to
    choose from (the page works without it: several matches are offered after submitting)."""
    user = current_user(request)
    if request.method != "POST":
        q = request.GET.get("household_q", "")
        form = TipOffForm(user=user, initial={"household_q": q}, search_url=request.path)
        template = "programs/management/tipoff_form.html"
        if is_fragment(request):
            template += "#households"
        return render(request, template, {"form": form})
    form = TipOffForm(request.POST, user=user, search_url=request.path)
    if form.is_valid():
        try:
            tipoff = tipoff_services.tipoff_register(actor=user, **form.service_kwargs())
        except CaseError as e:
            add_case_errors(form, e, {"case": "case_number", "household": "household_q"})
        else:
            messages.success(request, TIPOFF_REGISTERED.format(day=tipoff.due_on))
            return redirect("programs_mgmt:tipoff_detail", pk=tipoff.pk)
    return render(request, "programs/management/tipoff_form.html", {"form": form})


def _detail_context(
    user: User,
    tipoff: TipOff,
    *,
    close_form: TipOffCloseForm | None = None,
    assign_form: TipOffAssignForm | None = None,
) -> dict[str, Any]:
    day = today()
    is_open = tipoff.status == TipOff.Status.OPEN
    handles = is_open and may(user, REVIEWERS)
    row = tipoff_rows([tipoff], day)[0]
    household = tipoff.household
    return {
        "tipoff": tipoff,
        "row": row,
        "household_in_scope": household is not None
        and household.region_code.startswith(user.scope_prefix),
        "close_form": (close_form or TipOffCloseForm()) if handles else None,
        "assign_form": (
            assign_form
            or TipOffAssignForm(
                user=user, initial={"assignee": tipoff.assignee_id} if tipoff.assignee_id else {}
            )
        )
        if handles
        else None,
        "events": tipoff_events(tipoff),
        "day": day,
    }


@tipoff_reader
def tipoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    tipoff = tipoff_services.tipoff_get(user=user, pk=pk)
    context = _detail_context(user, tipoff)
    return render(request, "programs/management/tipoff_detail.html", context)


@reviewer
@require_POST
def tipoff_close(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    tipoff = tipoff_services.tipoff_get(user=user, pk=pk)
    form = TipOffCloseForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        try:
            closed = tipoff_services.tipoff_close(
                actor=user,
                tipoff=tipoff,
                investigation=c.get("investigation", ""),
                outcome=c.get("outcome", ""),
                open_review=bool(c.get("open_review")),
            )
        except CaseError as e:
            add_case_errors(form, e)
        else:
            if closed.review is not None:
                number = closed.review.case.number
                messages.success(request, TIPOFF_CLOSED_REVIEW.format(number=number))
            else:
                messages.success(request, TIPOFF_CLOSED)
            return redirect("programs_mgmt:tipoff_detail", pk=pk)
    context = _detail_context(user, tipoff, close_form=form)
    return render(request, "programs/management/tipoff_detail.html", context)


@reviewer
@require_POST
def tipoff_assign(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    tipoff = tipoff_services.tipoff_get(user=user, pk=pk)
    form = TipOffAssignForm(request.POST, user=user)
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            tipoff_services.tipoff_assign(actor=user, tipoff=tipoff, assignee=assignee)
        except CaseError as e:
            add_case_errors(form, e)
        else:
            messages.success(request, TIPOFF_ASSIGNED.format(name=user_name(assignee)))
            return redirect("programs_mgmt:tipoff_detail", pk=pk)
    context = _detail_context(user, tipoff, assign_form=form)
    return render(request, "programs/management/tipoff_detail.html", context)
