"""Payroll run pages: the list of runs (filtered, paged, exportable), starting a run, the run's
page - its way through the bureau drawn as a progress line, the progress bar while the lines
are generated, totals, the check report, the meeting record, the fund account, the bank files
and the actions of the user's role - the actions themselves, and the run's lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from minzheng.core.exports import xlsx_response
from minzheng.core.models import User
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.core.scope import in_scope
from minzheng.payments import selectors
from minzheng.payments.forms import (
    ApprovalForm,
    CancelForm,
    LineFilterForm,
    RunFilterForm,
    RunStartForm,
    VersionForm,
    payable_accounts,
)
from minzheng.payments.models import (
    EDITABLE_RUN_STATUSES,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.permissions import (
    FUND_READERS,
    PAYROLL_APPROVERS,
    PAYROLL_OPERATORS,
    PAYROLL_READERS,
)
from minzheng.payments.services import approval, bank, funds, payroll
from minzheng.payments.services.errors import NON_FIELD, PaymentConflict, PaymentError
from minzheng.payments.views.run_presenters import (
    check_report_view,
    line_rows,
    run_events,
    run_rows,
    status_tag,
    village_rows,
    workflow,
)
from minzheng.programs.policies import POLICIES, program_label
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user, paginate, render_page, requires

CONFLICT_STATUS = 409
RUN_STARTED = "已发起发放批次{number},正在生成发放明细"
RUN_CHECKED = "发放批次已审核通过"
RUN_APPROVED = "已登记集体审批"
RUN_LOCKED = "发放批次已锁定,支出已记入专户"
RUN_SENT = "已生成银行文件并报送({count}个文件)"
RUN_REGENERATING = "正在重新生成发放明细"
RUN_RESUMING = "已重新排队,发放明细将从中断处继续生成"
RUN_CANCELLED = "发放批次已作废"
EXPORT = "xlsx"
RUN_HEADERS = [
    "批次编号",
    "救助项目",
    "发放区划",
    "发放月份",
    "状态",
    "明细笔数",
    "发放人数",
    "明细合计(元)",
    "应付银行金额(元)",
    "待追回金额(元)",
    "创建人",
    "创建时间",
]
LINE_HEADERS = [
    "所在村(社区)",
    "姓名",
    "身份证号码",
    "救助项目",
    "所属月份",
    "类别",
    "金额(元)",
    "发放状态",
    "户名",
    "开户银行",
    "银行账号",
    "说明",
    "失败原因",
    "到账日期",
]
payroll_reader = requires(PAYROLL_READERS)
payroll_operator = requires(PAYROLL_OPERATORS)
payroll_approver = requires(PAYROLL_APPROVERS)


def may(user: User, roles: set[Any]) -> bool:
    return user.role in roles


def wants_export(request: HttpRequest) -> bool:
    return request.GET.get("export") == EXPORT


def add_payment_errors(form: forms.BaseForm, error: PaymentError) -> list[str]:
    """Put a PaymentError's messages under the fields it names; the rest are returned (the page
    shows them above the actions)."""
    rest: list[str] = []
    for key, texts in error.errors.items():
        if key != NON_FIELD and key in form.fields and not form.fields[key].widget.is_hidden:
            for text in texts:
                form.add_error(key, text)
        else:
            rest.extend(texts)
    return rest


# --- the list ---------------------------------------------------------------------------------


def _export_runs(runs: QuerySet[PayrollRun]) -> Iterator[Sequence[Any]]:
    for row in run_rows(list(runs)):
        r = row.run
        yield [
            r.number,
            row.program,
            row.region_name,
            f"{r.month:%Y-%m}",
            r.get_status_display(),
            r.line_count,
            r.beneficiary_count,
            r.total_amount,
            r.payable_amount,
            r.recovery_amount,
            row.created_by,
            timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
        ]


@payroll_reader
def run_list(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    form = RunFilterForm(request.GET)
    runs = form.filter(selectors.run_list(user).select_related("created_by"))
    if wants_export(request):
        return xlsx_response(
            filename=f"发放批次-{timezone.localdate():%Y%m%d}.xlsx",
            headers=RUN_HEADERS,
            rows=_export_runs(runs),
        )
    page = paginate(request, runs)
    context = {
        "form": form,
        "page": page,
        "rows": run_rows(list(page.object_list)),
        "may_start": may(user, PAYROLL_OPERATORS),
    }
    return render_page(request, "payments/run_list.html", "results", context)


# --- starting a run ---------------------------------------------------------------------------


@payroll_operator
def run_start(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    form = RunStartForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            run = payroll.run_start(
                actor=user,
                program=c["program"],
                region_code=c["region_code"],
                month=c["month"],
                background=True,
            )
        except PaymentError as e:
            for text in add_payment_errors(form, e):
                form.add_error(None, text)
        else:
            messages.success(request, RUN_STARTED.format(number=run.number))
            return redirect(reverse("payments:run_detail", args=[run.pk]))
    return render(request, "payments/run_start.html", {"form": form})


# --- the run's page ---------------------------------------------------------------------------


def _report(run: PayrollRun) -> dict[str, Any] | None:
    """The stored check report once checked; for a draft, the report as it would be now."""
    if run.check_report:
        return dict(run.check_report)
    if run.status == RunStatus.DRAFT:
        return payroll.check_report_build(run)
    return None


def _fund(user: User, run: PayrollRun) -> dict[str, Any] | None:
    account = run.fund_account
    if account is None:
        return None
    shown: dict[str, Any] = {"account": account, "figures": may(user, FUND_READERS)}
    if shown["figures"]:
        shown["balance"] = funds.fund_balance(account)
        shown["available"] = funds.fund_available(account, excluding=run)
    return shown


def _action_forms(user: User, run: PayrollRun) -> dict[str, forms.Form]:
    """The forms of the actions the user's role may take on the run in its status."""
    initial = {"version": run.version}
    out: dict[str, forms.Form] = {}
    operator = may(user, PAYROLL_OPERATORS)
    if operator and run.status == RunStatus.DRAFT:
        out["check"] = VersionForm(initial=initial)
    if operator and run.status in (RunStatus.DRAFT, RunStatus.CHECKED):
        out["regenerate"] = VersionForm(initial=initial)
    if operator and run.status == RunStatus.GENERATING:
        out["resume"] = VersionForm(initial=initial)
    if may(user, PAYROLL_APPROVERS) and run.status == RunStatus.CHECKED:
        out["approve"] = _approval_form(user, run, initial=initial)
    if operator and run.status == RunStatus.APPROVED:
        out["lock"] = VersionForm(initial=initial)
    if operator and run.status == RunStatus.LOCKED:
        out["send"] = VersionForm(initial=initial)
    if operator and run.status in (*EDITABLE_RUN_STATUSES, RunStatus.APPROVED):
        out["cancel"] = CancelForm(initial=initial)
    return out


def _approval_form(user: User, run: PayrollRun, data: Any = None, **kwargs: Any) -> ApprovalForm:
    available = {a.pk: funds.fund_available(a, excluding=run) for a in payable_accounts(user, run)}
    return ApprovalForm(data, user=user, run=run, available=available, **kwargs)


def _detail_context(
    user: User,
    run: PayrollRun,
    *,
    bound: dict[str, forms.Form] | None = None,
    refused: Sequence[str] = (),
    conflict: str = "",
) -> dict[str, Any]:
    action_forms = _action_forms(user, run)
    action_forms.update(bound or {})
    whole_run = in_scope(user, run.region_code)
    files = list(run.bank_files.prefetch_related("returns").order_by("id")) if whole_run else []
    names = registry_selectors.region_names([run.region_code])
    report = None if run.is_generating else _report(run)
    return {
        "run": run,
        "program": program_label(run.program),
        "region_name": names.get(run.region_code, run.region_code),
        "tag": status_tag(run.status),
        "workflow": workflow(run),
        "report": check_report_view(report, user.scope_prefix) if report else None,
        # One-off grants are paid once: there is no "last month" to compare them with.
        "one_off": getattr(POLICIES.get(run.program), "kind", "") == "one_off",
        "report_is_preview": bool(report) and not run.check_report,
        "fund": _fund(user, run),
        "bank_files": files,
        "villages": [] if run.is_generating else village_rows(user, run),
        "forms": action_forms,
        "refused": refused,
        "conflict": conflict,
        "may_operate": may(user, PAYROLL_OPERATORS),
        "events": run_events(run),
        "problem_lines": 0
        if run.is_generating
        else selectors.run_lines(user, run)
        .filter(status__in=[LineStatus.NO_ACCOUNT, LineStatus.FAILED, LineStatus.TO_RECOVER])
        .count(),
    }


def _render_detail(
    request: HttpRequest, user: User, run: PayrollRun, status: int = 200, **kwargs: Any
) -> HttpResponse:
    context = _detail_context(user, run, **kwargs)
    return render(request, "payments/run_detail.html", context, status=status)


@payroll_reader
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    return _render_detail(request, user, selectors.run_get(user, pk))


@payroll_reader
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar while the lines are generated; once done the page reloads itself."""
    user = current_user(request)
    run = selectors.run_get(user, pk)
    if not run.is_generating and request.headers.get("HX-Request") == "true":
        return HttpResponseClientRefresh()
    return render(request, "payments/run_detail.html#progress", {"run": run})


# --- the actions ------------------------------------------------------------------------------

Perform = Callable[[User, PayrollRun, dict[str, Any]], str]


def _act(
    request: HttpRequest, pk: int, key: str, make: Callable[..., forms.Form], perform: Perform
) -> HttpResponseBase:
    """Run one action of the run's page: a stale version or a run moved meanwhile answers 409
    with the fresh page; a rule's refusal shows on the form."""
    user = current_user(request)
    run = selectors.run_get(user, pk)
    form = make(user, run, request.POST)
    refused: list[str] = []
    if form.is_valid():
        try:
            if form.cleaned_data["version"] != run.version:
                raise PaymentConflict()
            done = perform(user, run, form.cleaned_data)
        except PaymentConflict as e:
            run = selectors.run_get(user, pk)
            return _render_detail(request, user, run, status=CONFLICT_STATUS, conflict=e.message)
        except PaymentError as e:
            refused = add_payment_errors(form, e)
            run = selectors.run_get(user, pk)
        else:
            messages.success(request, done)
            return redirect(reverse("payments:run_detail", args=[run.pk]))
    return _render_detail(request, user, run, bound={key: form}, refused=refused)


def _version_form(user: User, run: PayrollRun, data: Any) -> forms.Form:
    return VersionForm(data)


def _check(user: User, run: PayrollRun, c: dict[str, Any]) -> str:
    approval.run_check(actor=user, run=run, version=c["version"])
    return RUN_CHECKED


def _approve(user: User, run: PayrollRun, c: dict[str, Any]) -> str:
    approval.run_approve(
        actor=user,
        run=run,
        meeting_date=c["meeting_date"],
        attendees=c["attendees"],
        decision=c["decision"],
        fund_account=c["fund_account"],
        version=c["version"],
    )
    return RUN_APPROVED


def _lock(user: User, run: PayrollRun, c: dict[str, Any]) -> str:
    approval.run_lock(actor=user, run=run, version=c["version"])
    return RUN_LOCKED


def _send(user: User, run: PayrollRun, c: dict[str, Any]) -> str:
    files = bank.run_send(actor=user, run=run, version=c["version"])
    return RUN_SENT.format(count=len(files))


def _regenerate(user: User, run: PayrollRun, c: dict[str, Any]) -> str:
    payroll.run_regenerate(actor=user, run=run, version=c["version"])
    return RUN_REGENERATING


def _resume(user: User, run: PayrollRun, c: dict[str, Any]) -> str:
    payroll.run_resume(actor=user, run=run)
    return RUN_RESUMING


def _cancel(user: User, run: PayrollRun, c: dict[str, Any]) -> str:
    payroll.run_cancel(actor=user, run=run, reason=c["reason"])
    return RUN_CANCELLED


@payroll_operator
@require_POST
def run_check(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(request, pk, "check", _version_form, _check)


@payroll_approver
@require_POST
def run_approve(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(request, pk, "approve", lambda u, r, d: _approval_form(u, r, d), _approve)


@payroll_operator
@require_POST
def run_lock(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(request, pk, "lock", _version_form, _lock)


@payroll_operator
@require_POST
def run_send(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(request, pk, "send", _version_form, _send)


@payroll_operator
@require_POST
def run_regenerate(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(request, pk, "regenerate", _version_form, _regenerate)


@payroll_operator
@require_POST
def run_resume(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Queue the generation again when its background worker died (it resumes, never doubles)."""
    return _act(request, pk, "resume", _version_form, _resume)


@payroll_operator
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(request, pk, "cancel", lambda u, r, d: CancelForm(d), _cancel)


# --- the run's lines --------------------------------------------------------------------------


def _filtered_lines(
    request: HttpRequest, user: User, run: PayrollRun
) -> tuple[LineFilterForm, QuerySet[PaymentLine]]:
    form = LineFilterForm(request.GET, user=user)
    form.is_valid()
    c = form.cleaned_data
    lines = selectors.run_lines(user, run)
    if c.get("region"):
        lines = lines.filter(prefix_q("region_code", code_prefix(c["region"])))
    if c.get("kind"):
        lines = lines.filter(kind=c["kind"])
    if c.get("status"):
        lines = lines.filter(status=c["status"])
    q = (c.get("q") or "").strip()
    if q:
        if len(q) >= 15 and q[:-1].isdigit():
            lines = lines.filter(person__id_number=q.upper())
        else:
            lines = lines.filter(Q(person__name__contains=q) | Q(account_name__contains=q))
    return form, lines.order_by("region_code", "id")


def _export_lines(
    user: User, lines: QuerySet[PaymentLine], names: dict[str, str]
) -> Iterator[Sequence[Any]]:
    for line in lines.iterator(chunk_size=2000):
        yield [
            names.get(line.region_code, line.region_code),
            line.person.name,
            registry_selectors.display_id_number(user, line.person.id_number),
            program_label(line.program),
            f"{line.month:%Y-%m}",
            line.get_kind_display(),
            line.amount,
            line.get_status_display(),
            line.account_name,
            line.bank_name,
            line.account_number,
            line.note,
            line.failure_reason,
            line.paid_on or "",
        ]


@payroll_reader
def run_lines(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    run = selectors.run_get(user, pk)
    form, lines = _filtered_lines(request, user, run)
    if wants_export(request):
        codes = lines.order_by().values_list("region_code", flat=True).distinct()
        return xlsx_response(
            filename=f"发放明细-{run.number}.xlsx",
            headers=LINE_HEADERS,
            rows=_export_lines(user, lines, registry_selectors.region_names(codes)),
        )
    page = paginate(request, lines)
    names = registry_selectors.region_names(line.region_code for line in page.object_list)
    totals = lines.order_by().aggregate(amount=Sum("amount"))
    context = {
        "run": run,
        "program": program_label(run.program),
        "form": form,
        "page": page,
        "rows": line_rows(user, list(page.object_list), names),
        "total_amount": totals["amount"] or Decimal("0.00"),
    }
    return render_page(request, "payments/run_lines.html", "results", context)
