"""What the case pages show, prepared in Python: steps with their Chinese names and how far
past their deadline they are, case rows with masked numbers and region names, a step's record
(who surveyed, the votes ...) as label and value, and the case's audit events as a clerk reads
them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.core.audit import CHANGE_LABELS, action_label
from minzheng.core.models import AuditEvent, Role, User
from minzheng.programs import pdf
from minzheng.programs.models import (
    Case,
    CaseDocument,
    CaseMember,
    CaseStatus,
    ReviewKind,
    ReviewOutcome,
    Step,
    StepLevel,
    StepStatus,
    TipOff,
)
from minzheng.programs.permissions import roles_for_step
from minzheng.programs.policies import POLICIES, program_label
from minzheng.programs.policies.base import SELF_CARE_LABELS, step_label
from minzheng.programs.selectors import TimelineEntry
from minzheng.programs.views.common import overdue_days
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.models import Relationship

EMPTY = "—"
OUTCOME_LABELS: dict[str, Any] = {
    "approve": _("同意"),
    "refuse": _("不同意"),
    "pass": _("符合条件"),
    "fail": _("不符合条件"),
    "enrolled": _("已纳入保障"),
    "upheld": _("异议成立"),
    "dismissed": _("异议不成立"),
    **dict(ReviewOutcome.choices),
    **dict(TipOff.Outcome.choices),
}
KIND_LABELS: dict[str, Any] = dict(ReviewKind.choices)
DATA_LABELS: dict[str, Any] = {
    "signed": _("核对授权书"),
    "surveyors": _("调查人员"),
    "visited_on": _("调查日期"),
    "findings": _("调查情况"),
    "self_care_failed": _("不能自主完成的项目"),
    "report_number": _("核对报告编号"),
    "summary": _("核对情况"),
    "eligible_voters": _("应到人数"),
    "attendees": _("实到人数"),
    "votes_for": _("赞成票"),
    "votes_against": _("反对票"),
    "opinion": _("评议意见"),
    "starts_on": _("公示开始"),
    "ends_on": _("公示截止"),
    "letter": _("决定书"),
}
EVENT_LABELS: dict[str, Any] = {"program": _("救助项目"), "number": _("案件编号")}
LETTERS = {"approval": _("审批决定书"), "refusal": _("不予批准决定书")}
# Shown in a step's record already (as the note or the outcome), or kept for the engine only.
DATA_HIDDEN = {"findings", "summary", "opinion"}


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome)) if outcome else ""


def user_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.full_name or user.username


@dataclass
class StepRow:
    """An open step in a list (the inbox, the overdue list)."""

    step: Step
    case: Case
    label: str
    program: str
    region_name: str
    overdue: int
    overdue_provisional: bool


def step_rows(steps: Iterable[Step], day: datetime.date) -> list[StepRow]:
    steps = list(steps)
    names = registry_selectors.region_names(s.case.region_code for s in steps)
    rows = []
    for s in steps:
        late, provisional = overdue_days(s.due_on, day)
        rows.append(
            StepRow(
                step=s,
                case=s.case,
                label=step_label(s.code),
                program=program_label(s.case.program),
                region_name=names.get(s.case.region_code, s.case.region_code),
                overdue=late,
                overdue_provisional=provisional,
            )
        )
    # overdue first, the longest overdue at the top; then by deadline
    return sorted(rows, key=lambda r: (-r.overdue, r.step.due_on or datetime.date.max))


@dataclass
class CaseRow:
    case: Case
    program: str
    applicant_id: str
    region_name: str
    step: str
    amount: str


def case_amount(case: Case) -> str:
    """The monthly amount of a monthly program, the one-off amount of a grant."""
    policy = POLICIES.get(case.program)
    if policy is not None and policy.kind == "one_off":
        return f"{case.one_off_amount:,.2f}" if case.one_off_amount is not None else ""
    return f"{case.monthly_amount:,.2f}" if case.monthly_amount else ""


def case_rows(user: User, cases: Iterable[Case]) -> list[CaseRow]:
    cases = list(cases)
    names = registry_selectors.region_names(c.region_code for c in cases)
    return [
        CaseRow(
            case=c,
            program=program_label(c.program),
            applicant_id=registry_selectors.display_id_number(user, c.applicant.id_number),
            region_name=names.get(c.region_code, c.region_code),
            step=step_label(c.current_step) if c.current_step else "",
            amount=case_amount(c),
        )
        for c in cases
    ]


@dataclass
class Fact:
    label: str
    value: str


def _value_text(key: str, value: Any) -> str:
    if value in (None, "", []):
        return EMPTY
    if key == "signed":
        return str(_("已签署") if value else _("未签署"))
    if key == "surveyors" and isinstance(value, list):
        return "、".join(str(v) for v in value)
    if key == "self_care_failed" and isinstance(value, list):
        return "、".join(str(SELF_CARE_LABELS.get(str(v), v)) for v in value) or EMPTY
    if key == "letter":
        return str(LETTERS.get(str(value), value))
    return str(value)


def step_facts(step: Step) -> list[Fact]:
    """A done step's record, label and value, in the order the form asks them."""
    data: dict[str, Any] = step.data or {}
    facts = [
        Fact(str(DATA_LABELS[k]), _value_text(k, data[k]))
        for k in DATA_LABELS
        if k in data and k not in DATA_HIDDEN
    ]
    if step.code == "survey" and "self_care_failed" in data and not data["self_care_failed"]:
        facts = [f for f in facts if f.label != str(DATA_LABELS["self_care_failed"])]
        facts.append(Fact(str(_("生活自理能力")), str(_("六项均能自主完成"))))
    return facts


@dataclass
class TimelineStep:
    step: Step
    label: str
    level: str
    status: str
    outcome: str
    by: str
    at: datetime.datetime | None
    facts: list[Fact] = field(default_factory=list)
    overdue: int = 0
    overdue_provisional: bool = False
    current: bool = False
    documents: list[CaseDocument] = field(default_factory=list)


def timeline(steps: Iterable[Step], day: datetime.date) -> list[TimelineStep]:
    out = []
    for s in steps:
        late, provisional = (
            overdue_days(s.due_on, day) if s.status == StepStatus.OPEN else (0, False)
        )
        round_text = _("(第%(n)d轮)") % {"n": s.round} if s.round > 1 else ""
        out.append(
            TimelineStep(
                step=s,
                label=f"{step_label(s.code)}{round_text}",
                level=str(StepLevel(s.level).label) if s.level in StepLevel.values else s.level,
                status=s.get_status_display(),
                outcome=outcome_label(s.outcome),
                by=user_name(s.completed_by),
                at=timezone.localtime(s.completed_at) if s.completed_at else None,
                facts=step_facts(s) if s.status == StepStatus.DONE else [],
                overdue=late,
                overdue_provisional=provisional,
                current=s.status == StepStatus.OPEN,
            )
        )
    return out


def attach_documents(entries: list[TimelineStep], documents: Iterable[CaseDocument]) -> None:
    """Each step of the timeline with the documents uploaded for it."""
    by_step: dict[int, list[CaseDocument]] = {}
    for d in documents:
        if d.step_id is not None:
            by_step.setdefault(d.step_id, []).append(d)
    for entry in entries:
        entry.documents = by_step.get(entry.step.pk, [])


@dataclass
class DocumentRow:
    document: CaseDocument
    step: str  # the name of the step it was uploaded for, "" for none


def document_rows(
    entries: Iterable[TimelineStep], documents: Iterable[CaseDocument]
) -> list[DocumentRow]:
    labels = {e.step.pk: e.label for e in entries}
    return [DocumentRow(d, labels.get(d.step_id or 0, "")) for d in documents]


# Steps a document may be filed under: those being worked or done (not the ones to come).
DOCUMENT_STEP_STATUSES = (StepStatus.OPEN, StepStatus.DONE)


def document_step_choices(steps: Iterable[Step]) -> list[tuple[int, str]]:
    """(step id, its name) for the upload form, in the timeline's order."""
    out = []
    for s in steps:
        if s.status not in DOCUMENT_STEP_STATUSES:
            continue
        round_text = _("(第%(n)d轮)") % {"n": s.round} if s.round > 1 else ""
        out.append((s.pk, f"{step_label(s.code)}{round_text}"))
    return out


# --- printable documents ----------------------------------------------------------------------

LETTER_LABELS: dict[str, Any] = {
    "approval": _("审批确认通知书"),
    "refusal": _("不予批准通知书"),
    "termination": _("终止保障通知书"),
}
# A decision letter is printed once the case is decided (paying, refused, ended).
LETTER_STATUSES = (
    CaseStatus.ACTIVE,
    CaseStatus.EXIT_GRACE,
    CaseStatus.SUSPENDED,
    CaseStatus.CLOSED,
    CaseStatus.REFUSED,
    CaseStatus.TERMINATED,
)


def letter_label(case: Case) -> str:
    """The name of the case's decision letter ("" when the case calls for none yet)."""
    if case.status not in LETTER_STATUSES:
        return ""
    try:
        kind = pdf.letter_kind(case)
    except ValueError:
        return ""
    if kind != "termination" and not case.decision:
        return ""
    return str(LETTER_LABELS[kind])


@dataclass
class NoticeVillage:
    """A village with cases under public notice (the 公示名单 list)."""

    code: str
    name: str
    township: str
    cases: int


def notice_villages(counts: dict[str, int]) -> list[NoticeVillage]:
    names = registry_selectors.region_names([*counts, *(code[:9] + "000" for code in counts)])
    return [
        NoticeVillage(
            code=code,
            name=names.get(code, code),
            township=names.get(code[:9] + "000", ""),
            cases=n,
        )
        for code, n in sorted(counts.items())
    ]


def may_work_step(user: User, step: Step) -> bool:
    return user.role in roles_for_step(step.code, step.level)


def step_workers(step: Step) -> str:
    """Who works the step, for the clerk who may not: "乡镇(街道)经办人、乡镇(街道)分管领导"."""
    roles = roles_for_step(step.code, step.level)
    return "、".join(str(r.label) for r in Role if r in roles)


@dataclass
class EventRow:
    at: datetime.datetime
    who: str
    role: str
    action: str
    changes: list[Fact]
    reason: str


def _change_value(key: str, value: Any) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_change_value(key, value[0])} → {_change_value(key, value[1])}"
    if value in (None, ""):
        return EMPTY
    if key == "step":
        return step_label(str(value))
    if key == "outcome":
        return outcome_label(str(value))
    if key == "program":
        return program_label(str(value))
    if key == "kind" and value in KIND_LABELS:
        return str(KIND_LABELS[value])
    if key == "from_month":
        return str(value)[:7]
    return str(value)


def _event_key_label(key: str) -> str:
    for labels in (CHANGE_LABELS, EVENT_LABELS, DATA_LABELS):
        if key in labels:
            return str(labels[key])
    return key


def change_facts(changes: dict[str, Any]) -> list[Fact]:
    return [
        Fact(_event_key_label(k), _change_value(k, v))
        for k, v in sorted(changes.items())
        if k not in {"round", "objection", "members"} and v not in (None, "", [])
    ]


def event_rows(events: Iterable[AuditEvent]) -> list[EventRow]:
    rows = []
    for e in events:
        changes = change_facts(e.changes or {})
        rows.append(
            EventRow(
                at=timezone.localtime(e.at),
                who=user_name(e.actor) or e.actor_username,
                role=str(Role(e.actor_role).label) if e.actor_role in Role.values else "",
                action=action_label(e.action),
                changes=changes,
                reason=e.reason,
            )
        )
    return rows


@dataclass
class HouseholdEntry:
    at: datetime.datetime
    who: str
    action: str
    case: Case
    program: str
    changes: list[Fact]
    reason: str


def household_entries(entries: Iterable[TimelineEntry]) -> list[HouseholdEntry]:
    return [
        HouseholdEntry(
            at=timezone.localtime(e.at),
            who=e.actor,
            action=action_label(e.action),
            case=e.case,
            program=program_label(e.case.program),
            changes=change_facts(e.changes or {}),
            reason=e.reason,
        )
        for e in entries
    ]


@dataclass
class MemberRow:
    member: CaseMember
    relationship: str
    id_display: str
    exclusion: str


def case_member_rows(user: User, members: Iterable[CaseMember]) -> list[MemberRow]:
    relationships = dict(Relationship.choices)
    return [
        MemberRow(
            member=m,
            relationship=str(relationships.get(m.relationship, m.relationship or EMPTY)),
            id_display=registry_selectors.display_id_number(user, m.person.id_number),
            exclusion=m.get_exclusion_reason_display() if m.exclusion_reason else "",
        )
        for m in members
    ]


SUBMIT_LABELS: dict[str, Any] = {
    "acceptance": _("受理"),
    "authorization": _("确认已授权"),
    "survey": _("提交调查结果"),
    "verification": _("提交核对结果"),
    "democratic_review": _("提交评议结果"),
    "township_review": _("提交审核意见"),
    "county_approval": _("提交审批意见"),
    "public_notice": _("结束公示"),
}


def status_tag(status: str) -> str:
    """The CSS tag class of a case status."""
    if status in (CaseStatus.ACTIVE, CaseStatus.CLOSED):
        return "ok"
    if status in (CaseStatus.REFUSED, CaseStatus.TERMINATED, CaseStatus.SUSPENDED):
        return "warn"
    return ""
