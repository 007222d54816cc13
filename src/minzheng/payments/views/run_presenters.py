"""What the run pages show, prepared: rows of the run list and of the lines, the run's way
through the bureau as steps, its villages, its audit events, and the check report (审核报告) -
totals by township and by line kind, the changes against last month by reason with their sample
rows. The report is the JSON that payroll.check_report_build writes (Decimals as strings); it
is only read here, and what a report of an older shape lacks is left out rather than failing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from minzheng.core.models import AuditEvent, User
from minzheng.payments import selectors
from minzheng.payments.models import LineKind, PaymentLine, PayrollRun, RunStatus
from minzheng.programs.policies import program_label
from minzheng.programs.views.presenters import event_rows, user_name
from minzheng.registry import selectors as registry_selectors

# The reasons of a change against last month, in the order the page lists them.
CHANGE_REASONS = [
    ("new", _("新增")),
    ("increased", _("增发")),
    ("decreased", _("减发")),
    ("stopped", _("停发")),
]
KIND_LABELS = dict(LineKind.choices)
# Keys of the run's audit events that core.audit has no label for.
EVENT_LABELS = {"month": _("发放月份"), "program": _("救助项目"), "reason": _("原因")}


def money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


@dataclass
class Total:
    label: str
    count: int
    persons: int | None
    amount: Decimal | None


@dataclass
class Sample:
    case_id: int | None
    region_code: str
    number: str
    name: str
    region: str
    before: Decimal | None
    after: Decimal | None
    reason: str


@dataclass
class Change:
    code: str
    label: str
    count: int
    amount: Decimal | None
    samples: list[Sample] = field(default_factory=list)


@dataclass
class ReportView:
    previous_month: str
    previous_runs: list[str]
    by_township: list[Total]
    by_kind: list[Total]
    changes: list[Change]
    unchanged: int


def _totals(rows: list[dict[str, Any]], kinds: bool = False) -> list[Total]:
    out = []
    for row in rows:
        code = str(row.get("kind" if kinds else "code") or "")
        # A kind is named in the reader's language (the stored report holds the Chinese label).
        label = (KIND_LABELS.get(code) or row.get("label")) if kinds else row.get("name")
        out.append(
            Total(
                label=str(label or code),
                count=int(row.get("lines") or row.get("count") or 0),
                persons=row.get("persons"),
                amount=money(row.get("amount")),
            )
        )
    return out


def _samples(rows: list[dict[str, Any]], names: dict[str, str]) -> list[Sample]:
    return [
        Sample(
            case_id=row.get("case_id"),
            region_code=str(row.get("region_code") or ""),
            number=str(row.get("case") or ""),
            name=str(row.get("name") or ""),
            region=names.get(str(row.get("region_code") or ""), str(row.get("region_code") or "")),
            before=money(row.get("before")),
            after=money(row.get("after")),
            reason=str(row.get("reason") or ""),
        )
        for row in rows
    ]


def check_report_view(report: dict[str, Any], scope_prefix: str = "") -> ReportView:
    """The report as a user whose scope is `scope_prefix` reads it: the run's totals, the
    townships and sample rows of the user's region only."""
    changes = report.get("changes")
    changes = changes if isinstance(changes, dict) else {}
    codes = {
        str(s.get("region_code") or "")
        for code, _label in CHANGE_REASONS
        for s in _dicts((changes.get(code) or {}).get("samples"))
    }
    names = registry_selectors.region_names(codes)
    shown = []
    for code, label in CHANGE_REASONS:
        figures = changes.get(code)
        figures = figures if isinstance(figures, dict) else {}
        shown.append(
            Change(
                code=code,
                label=str(label),
                count=int(figures.get("count") or 0),
                amount=money(figures.get("amount")),
                samples=[
                    s
                    for s in _samples(_dicts(figures.get("samples")), names)
                    if s.region_code.startswith(scope_prefix)
                ],
            )
        )
    unchanged = changes.get("unchanged")
    return ReportView(
        previous_month=str(report.get("previous_month") or ""),
        previous_runs=[str(n) for n in report.get("previous_runs") or []],
        by_township=_totals(
            [
                r
                for r in _dicts(report.get("by_township"))
                if str(r.get("code")).startswith(scope_prefix)
            ]
        ),
        by_kind=_totals(_dicts(report.get("by_kind")), kinds=True),
        changes=shown,
        unchanged=int(unchanged.get("count") or 0) if isinstance(unchanged, dict) else 0,
    )


# --- the run's pages -----------------------------------------------------------------------

# The run's way through the bureau: (label, the status in which this step is the open one,
# the run's attributes recording who did it and when).
WORKFLOW: list[tuple[Any, str, str, str]] = [
    (_("生成"), RunStatus.GENERATING, "created_by", "generated_at"),
    (_("审核"), RunStatus.DRAFT, "checked_by", "checked_at"),
    (_("集体审批"), RunStatus.CHECKED, "approved_by", "approved_at"),
    (_("锁定"), RunStatus.APPROVED, "locked_by", "locked_at"),
    (_("报送银行"), RunStatus.LOCKED, "sent_by", "sent_at"),
    (_("对账"), RunStatus.SENT, "", "reconciled_at"),
]
ORDER = [s for _label, s, _by, _at in WORKFLOW] + [RunStatus.RECONCILED]


def status_tag(status: str) -> str:
    if status in (RunStatus.SENT, RunStatus.RECONCILED):
        return "ok"
    if status == RunStatus.CANCELLED:
        return "warn"
    if status == RunStatus.GENERATING:
        return "soon"
    return "info"


@dataclass
class RunRow:
    run: PayrollRun
    program: str
    region_name: str
    tag: str
    created_by: str


def run_rows(runs: Sequence[PayrollRun]) -> list[RunRow]:
    names = registry_selectors.region_names(r.region_code for r in runs)
    return [
        RunRow(
            run=r,
            program=program_label(r.program),
            region_name=names.get(r.region_code, r.region_code),
            tag=status_tag(r.status),
            created_by=user_name(r.created_by),
        )
        for r in runs
    ]


@dataclass
class WorkflowStep:
    label: str
    state: str  # done, current, waiting
    by: str
    at: Any


def workflow(run: PayrollRun) -> list[WorkflowStep]:
    reached = ORDER.index(run.status) if run.status in ORDER else -1
    steps = []
    for i, (label, _status, by, at) in enumerate(WORKFLOW):
        if run.status == RunStatus.CANCELLED:
            state = "done" if getattr(run, at) else "waiting"
        else:
            state = "done" if i < reached else "current" if i == reached else "waiting"
        actor = getattr(run, by) if by and state == "done" else None
        steps.append(WorkflowStep(str(label), state, user_name(actor), getattr(run, at)))
    return steps


@dataclass
class VillageRow:
    code: str
    name: str
    count: int
    amount: Decimal


def village_rows(user: User, run: PayrollRun) -> list[VillageRow]:
    totals = (
        selectors.run_lines(user, run)
        .order_by()
        .values("region_code")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by("region_code")
    )
    rows = list(totals)
    names = registry_selectors.region_names(r["region_code"] for r in rows)
    return [
        VillageRow(
            r["region_code"],
            names.get(r["region_code"], r["region_code"]),
            r["n"],
            r["amount"] or Decimal("0.00"),
        )
        for r in rows
    ]


def _readable(changes: dict[str, Any]) -> dict[str, Any]:
    """Statuses by their Chinese names, months as YYYY-MM (the rest as recorded)."""
    labels = dict(RunStatus.choices)
    out = dict(changes)
    for key, value in changes.items():
        values = value if isinstance(value, list) else [value]
        if key == "status":
            values = [str(labels.get(v, v)) for v in values]
        elif key == "month":
            values = [str(v)[:7] if v else v for v in values]
        else:
            continue
        out[key] = values if isinstance(value, list) else values[0]
    return out


def run_events(run: PayrollRun) -> list[Any]:
    """The run's audit events, oldest first, as the case page shows a case's."""
    events = list(
        AuditEvent.objects.filter(object_type="payroll_run", object_id=str(run.pk))
        .select_related("actor")
        .order_by("at", "id")
    )
    for e in events:
        e.changes = _readable(e.changes or {})
    rows = event_rows(events)
    for row in rows:
        for fact in row.changes:
            fact.label = str(EVENT_LABELS.get(fact.label, fact.label))
    return rows


@dataclass
class LineRow:
    line: PaymentLine
    region_name: str
    id_number: str


def line_rows(user: User, lines: Sequence[PaymentLine], names: dict[str, str]) -> list[LineRow]:
    return [
        LineRow(
            line=line,
            region_name=names.get(line.region_code, line.region_code),
            id_number=registry_selectors.display_id_number(user, line.person.id_number),
        )
        for line in lines
    ]
