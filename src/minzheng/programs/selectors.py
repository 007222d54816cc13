"""Reads of the case engine, always scoped to the user's region."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from minzheng.core.models import AuditEvent, Region, User
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.core.scope import OUT_OF_SCOPE, scoped
from minzheng.programs.models import (
    BenefitPeriod,
    Case,
    CaseMember,
    Step,
    StepLevel,
    StepStatus,
)
from minzheng.programs.permissions import LEVEL_ROLES, roles_for_step
from minzheng.programs.policies.base import AssetFacts, HouseholdFacts, MemberFacts
from minzheng.registry.models import (
    COUNTED_INCOME,
    DEDUCTIONS,
    Declaration,
    Household,
    Membership,
)

ZERO = Decimal("0.00")


def township_code(region_code: str) -> str:
    return region_code[:9] + "000"


def county_code(region_code: str) -> str:
    return region_code[:6] + "000000"


def latest_declaration(household: Household, as_of: datetime.date) -> Declaration | None:
    return (
        Declaration.objects.filter(household=household, declared_on__lte=as_of)
        .prefetch_related("incomes", "assets")
        .order_by("-declared_on", "-id")
        .first()
    )


def case_facts(case: Case, as_of: datetime.date) -> HouseholdFacts:
    """The household as the case counts it on `as_of`: its members (with the case's
    exclusions), their counted income and deductions from the newest declaration, and the
    declared assets."""
    memberships = list(
        Membership.objects.select_related("person")
        .filter(household_id=case.household_id, valid_from__lte=as_of)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
    )
    case_members = {m.person_id: m for m in CaseMember.objects.filter(case=case)}
    declaration = latest_declaration(case.household, as_of)
    income: dict[int, Decimal] = defaultdict(lambda: ZERO)
    deductions: dict[int, Decimal] = defaultdict(lambda: ZERO)
    assets: list[AssetFacts] = []
    if declaration is not None:
        for item in declaration.incomes.all():
            if item.kind in COUNTED_INCOME:
                income[item.person_id] += item.monthly_amount
            elif item.kind in DEDUCTIONS:
                deductions[item.person_id] += item.monthly_amount
        assets = [
            AssetFacts(kind=a.kind, value=a.value, area=a.area, description=a.description)
            for a in declaration.assets.all()
        ]
    members = []
    for m in memberships:
        p = m.person
        cm = case_members.get(p.pk)
        counted = cm.counted if cm else True
        if case.is_single_person and p.pk != case.applicant_id:
            counted = False
        members.append(
            MemberFacts(
                person_id=p.pk,
                name=p.name,
                relationship=m.relationship,
                age=p.age_on(as_of),
                sex=p.sex,
                counted=counted,
                exclusion_reason=cm.exclusion_reason if cm else "",
                labour_capacity=p.labour_capacity,
                disability_category=p.disability_category,
                disability_grade=p.disability_grade,
                serious_illness=p.serious_illness,
                is_alive=p.death_date is None or p.death_date > as_of,
                monthly_income=income[p.pk],
                monthly_deductions=deductions[p.pk],
            )
        )
    region = Region.objects.filter(code=case.region_code).first()
    return HouseholdFacts(
        as_of=as_of,
        region_code=case.region_code,
        is_urban=bool(region and region.is_urban),
        members=tuple(members),
        assets=tuple(assets),
        has_declaration=declaration is not None,
        is_single_person=case.is_single_person,
        applicant_id=case.applicant_id,
        support_mode=case.support_mode,
        care_level=case.care_level,
        details=dict(case.details),
    )


def case_get(*, user: User, pk: int) -> Case:
    case = (
        scoped(Case.objects.select_related("household", "applicant", "decided_by"), user)
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404(OUT_OF_SCOPE)
    return case


def case_list(
    *,
    user: User,
    program: str = "",
    status: str = "",
    region_code: str = "",
    q: str = "",
) -> QuerySet[Case]:
    cases = scoped(Case.objects.select_related("applicant", "household"), user)
    if program:
        cases = cases.filter(program=program)
    if status:
        cases = cases.filter(status=status)
    if region_code:
        cases = cases.filter(prefix_q("region_code", code_prefix(region_code)))
    if q:
        q = q.strip()
        cases = cases.filter(
            Q(number__startswith=q.upper())
            | Q(applicant__name__startswith=q)
            | Q(applicant__id_number=q.upper())
        )
    return cases.order_by("-created_at", "-id")


def _step_level_filter(user: User) -> Q:
    """Steps of the levels this user's role works, within the user's scope."""
    levels = [level for level, roles in LEVEL_ROLES.items() if user.role in roles]
    q = Q(level__in=levels)
    # The delegated approval is a township leader's step only.
    if user.role not in roles_for_step("county_approval", StepLevel.TOWNSHIP):
        q &= ~Q(code="county_approval", level=StepLevel.TOWNSHIP)
    return q


def inbox_steps(*, user: User) -> QuerySet[Step]:
    """The open steps this user may work, overdue (earliest deadline) first."""
    steps = Step.objects.select_related("case", "case__applicant").filter(
        _step_level_filter(user), status=StepStatus.OPEN
    )
    steps = steps.filter(prefix_q("case__region_code", user.scope_prefix))
    return steps.order_by("due_on", "case_id")


@dataclass
class OverdueRow:
    township_code: str
    township_name: str
    open_steps: int
    overdue_steps: int


def overdue_by_township(*, user: User, day: datetime.date) -> list[OverdueRow]:
    """Open and overdue steps per township of the user's scope, the worst first."""
    steps = Step.objects.filter(status=StepStatus.OPEN).filter(
        prefix_q("case__region_code", user.scope_prefix)
    )
    rows = steps.values_list("case__region_code", "due_on")
    open_n: dict[str, int] = defaultdict(int)
    overdue_n: dict[str, int] = defaultdict(int)
    for region_code, due_on in rows.iterator():
        t = township_code(region_code)
        open_n[t] += 1
        if due_on is not None and due_on < day:
            overdue_n[t] += 1
    names = dict(Region.objects.filter(code__in=list(open_n)).values_list("code", "name"))
    out = [OverdueRow(t, names.get(t, t), open_n[t], overdue_n[t]) for t in open_n]
    return sorted(out, key=lambda r: (-r.overdue_steps, -r.open_steps, r.township_code))


def overdue_steps(*, user: User, day: datetime.date, township: str = "") -> QuerySet[Step]:
    steps = Step.objects.select_related("case", "case__applicant").filter(
        status=StepStatus.OPEN, due_on__lt=day
    )
    steps = steps.filter(prefix_q("case__region_code", user.scope_prefix))
    if township:
        steps = steps.filter(prefix_q("case__region_code", code_prefix(township)))
    return steps.order_by("due_on", "case_id")


def case_steps(case: Case) -> list[Step]:
    return list(case.steps.select_related("completed_by").order_by("seq", "round", "id"))


def open_step(case: Case, code: str) -> Step | None:
    return case.steps.filter(code=code, status=StepStatus.OPEN).order_by("-round").first()


def case_events(case: Case) -> QuerySet[AuditEvent]:
    """The case's audit events, oldest first: its history as recorded."""
    return AuditEvent.objects.filter(object_type="case", object_id=str(case.pk)).order_by(
        "at", "id"
    )


@dataclass
class TimelineEntry:
    at: datetime.datetime
    action: str
    actor: str
    changes: dict[str, Any]
    reason: str
    case: Case


def household_timeline(*, user: User, household: Household) -> list[TimelineEntry]:
    """Every application, decision, amount change and review of the household's cases, newest
    first: the one page with a household's whole assistance history."""
    cases = {c.pk: c for c in scoped(Case.objects.filter(household=household), user)}
    events = AuditEvent.objects.filter(
        object_type="case", object_id__in=[str(pk) for pk in cases]
    ).order_by("-at", "-id")
    entries = [
        TimelineEntry(
            at=e.at,
            action=e.action,
            actor=e.actor_username,
            changes=e.changes,
            reason=e.reason,
            case=cases[int(e.object_id)],
        )
        for e in events
    ]
    entries += _standard_change_entries(cases)
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _standard_change_entries(cases: dict[int, Case]) -> list[TimelineEntry]:
    """Amount changes written in bulk by a standard change (one audit event for the whole
    county, none per case): read from the benefit periods themselves."""
    out: list[TimelineEntry] = []
    previous: dict[int, Decimal] = {}
    periods = BenefitPeriod.objects.filter(case_id__in=list(cases)).order_by(
        "case_id", "valid_from", "id"
    )
    for p in periods:
        if p.reason == BenefitPeriod.Reason.STANDARD_CHANGE:
            before = previous.get(p.case_id)
            out.append(
                TimelineEntry(
                    at=p.created_at,
                    action="case.benefit_change",
                    actor="",
                    changes={
                        "amount": [
                            str(before) if before is not None else None,
                            str(p.monthly_amount),
                        ],
                        "from_month": p.valid_from.isoformat(),
                    },
                    reason=str(BenefitPeriod.Reason.STANDARD_CHANGE.label),
                    case=cases[p.case_id],
                )
            )
        previous[p.case_id] = p.monthly_amount
    return out


def notice_steps(*, user: User, region_code: str) -> QuerySet[Step]:
    """The cases under public notice in a village (公示中)."""
    return (
        Step.objects.select_related("case", "case__applicant")
        .filter(code="public_notice", status=StepStatus.OPEN)
        .filter(prefix_q("case__region_code", user.scope_prefix))
        .filter(prefix_q("case__region_code", code_prefix(region_code)))
        .order_by("case__program", "case_id")
    )


def case_counts_by_status(*, user: User, program: str = "") -> dict[str, int]:
    cases = scoped(Case.objects.all(), user)
    if program:
        cases = cases.filter(program=program)
    return dict(cases.values("status").annotate(n=Count("id")).values_list("status", "n"))
