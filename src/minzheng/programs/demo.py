"""The demo county's assistance cases, for `minzheng demo`: the standards, and on the demo
households the cases a county bureau would have on its books.

Shares come from the bureau's own figures, scaled to the demo (../shared/seeds/000: 裕安区's
year summary counts 4,005 urban and 15,410 rural 低保 households, 1.6-1.75 persons each, and
10,968 五保/特困 persons, 39% of them in care homes; 低保 has shrunk since, so the demo takes
about 4% of households and 0.6% of persons):

- active 低保 (urban in communities coded 1xx, rural in villages 2xx) on households whose
  declaration makes them eligible, enrolled month by month over the registry's years, each with
  its BenefitPeriod from its start month;
- 特困 persons (elderly or severely disabled, in households without an able member), most
  supported at home, some in a care home;
- 临时救助 grants of the past year (急难型 paid first, 支出型);
- cases in progress at every step (the inbox and the overdue page have work; the demo village
  陶洪村 has cases under public notice, so its notice list prints), a few refused and
  terminated ones, and close-relative filings that mark cases.

Everything is written set-based, not through the per-case services, but as those services
would have written it: every step row with its dates and data, the case's status, amounts and
worked calculation (from the program's policy over the household's declaration), the benefit
periods, grants and the audit events. Amounts are computed from the household's current
declaration: for a case enrolled before it, that declaration is the one of its latest periodic
review, recorded as a review that continued the benefit."""

from __future__ import annotations

import datetime
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from minzheng.core.models import Region, Role, User
from minzheng.core.workdays import CalendarUnknownYear, is_working_day
from minzheng.programs.deadlines import Deadline, add_months, first_of_next_month
from minzheng.programs.models import (
    BenefitPeriod,
    Case,
    CaseMember,
    CaseStatus,
    Channel,
    Grant,
    Review,
    ReviewKind,
    ReviewOutcome,
    Step,
    StepLevel,
    StepStatus,
    SupportMode,
)
from minzheng.programs.policies import POLICIES, policy_for
from minzheng.programs.policies.base import (
    ACCEPTANCE,
    AUTHORIZATION,
    COUNTY_APPROVAL,
    DECISION,
    ENROLLMENT,
    PUBLIC_NOTICE,
    SELF_CARE_ITEMS,
    SURVEY,
    TOWNSHIP_REVIEW,
    VERIFICATION,
    AssetFacts,
    Calculation,
    HouseholdFacts,
    MemberFacts,
    Policy,
    Standards,
    StepSpec,
)
from minzheng.programs.services.cases import NUMBER_PREFIX
from minzheng.registry.bulk import AUDIT_COLUMNS, reserve_ids, write_rows
from minzheng.registry.models import (
    COUNTED_INCOME,
    DEDUCTIONS,
    AssetItem,
    Declaration,
    Household,
    IncomeItem,
    Membership,
)

DEMO_REASON = "演示数据"
DEMO_VILLAGE = "341503100201"  # 陶洪村: the demo village assistant's village (registry demo)

# The bureau's figures (seed 000) and what the demo takes of them.
BUREAU_TEKUN = {"centralized": 4256, "dispersed": 6712}
DIBAO_HOUSEHOLD_SHARE = 0.04
TEKUN_PERSON_SHARE = 0.006
CENTRALIZED_SHARE = BUREAU_TEKUN["centralized"] / sum(BUREAU_TEKUN.values())  # ~0.39
TEMPORARY_HOUSEHOLD_SHARE = 0.005  # grants of the past year
IN_PROGRESS_PER_3000 = 40
REFUSED_SHARE = 0.001
TERMINATED_SHARE = 0.001

STAFF_NAMES = (
    "王建华",
    "李志刚",
    "刘敏",
    "赵磊",
    "孙丽娟",
    "周强",
    "吴静",
    "郑伟",
    "陈晓燕",
    "黄涛",
)
SURVEY_FINDINGS = (
    "家庭成员身体状况与申请一致,居住条件简陋,无大额财产",
    "家中主要劳动力患病,收入来源少,与邻居走访情况一致",
    "老人独居,子女无赡养能力,生活困难属实",
    "家庭收入以务农为主,收入低,与申报情况基本一致",
)
REASONS = {
    "dibao": ("家庭成员患病,收入低,生活困难", "主要劳动力残疾,无稳定收入", "因病致贫"),
    "tekun": ("无劳动能力、无生活来源、无法定赡养义务人", "年老体弱,无人赡养"),
}
EMERGENCY_DESCRIPTIONS = {
    "accident": "家庭成员遭遇交通事故,医疗费用支出大",
    "fire": "住房失火,生活用品损毁",
    "illness": "突发重病住院,家庭无力承担",
    "disaster": "暴雨致房屋受损",
}
EXPENSE_DESCRIPTIONS = {
    "medical": "家庭成员长期住院治疗,自付医疗费用高",
    "education": "子女就读大学,学费生活费支出大",
    "rehabilitation": "残疾儿童康复训练费用",
}
TERMINATION_REASONS = (
    "户主书面申请自愿退出最低生活保障(子女已承担赡养义务)",
    "经复核,家庭成员已稳定就业,本人书面申请退出",
)
# Who decides and signs: step level -> role of the demo user attributed (when one exists).
LEVEL_ROLE: dict[str, str] = {
    StepLevel.VILLAGE: Role.VILLAGE_ASSISTANT,
    StepLevel.TOWNSHIP: Role.TOWNSHIP_CLERK,
    StepLevel.COUNTY: Role.COUNTY_OFFICER,
}
RELATIVE_RELATIONS = ("spouse", "parent", "sibling", "child")
ONE_DAY = datetime.timedelta(days=1)


@dataclass
class DemoCasesResult:
    standards: int = 0
    dibao: int = 0
    tekun: int = 0
    temporary: int = 0
    in_progress: int = 0
    refused: int = 0
    terminated: int = 0
    relatives: int = 0
    benefit_periods: int = 0
    steps: int = 0
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return "已有救助案件,跳过演示案件"
        return (
            f"已生成救助案件:在保低保 {self.dibao} 户、特困供养 {self.tekun} 人、"
            f"临时救助 {self.temporary} 件、办理中 {self.in_progress} 件、"
            f"不予批准 {self.refused} 件、已终止 {self.terminated} 件;"
            f"近亲属备案 {self.relatives} 人;救助标准 {self.standards} 项"
        )


# --- the households as the policies see them --------------------------------------------------


@dataclass
class _Member:
    person_id: int
    name: str
    relationship: str
    birth_date: datetime.date
    sex: str
    labour_capacity: str
    disability_category: str
    disability_grade: int | None
    serious_illness: str
    death_date: datetime.date | None

    def age_on(self, day: datetime.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@dataclass
class _Household:
    pk: int
    region_code: str
    urban: bool
    members: list[_Member] = field(default_factory=list)
    declared_on: datetime.date | None = None
    income: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    deductions: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    assets: list[AssetFacts] = field(default_factory=list)

    @property
    def living(self) -> list[_Member]:
        return [m for m in self.members if m.death_date is None]

    def facts(
        self,
        as_of: datetime.date,
        *,
        applicant_id: int,
        support_mode: str = "",
        care_level: str = "",
        details: dict[str, Any] | None = None,
    ) -> HouseholdFacts:
        """What programs.selectors.case_facts would gather for a case of this household."""
        members = tuple(
            MemberFacts(
                person_id=m.person_id,
                name=m.name,
                relationship=m.relationship,
                age=m.age_on(as_of),
                sex=m.sex,
                counted=True,
                exclusion_reason="",
                labour_capacity=m.labour_capacity,
                disability_category=m.disability_category,
                disability_grade=m.disability_grade,
                serious_illness=m.serious_illness,
                is_alive=True,
                monthly_income=self.income.get(m.person_id, Decimal("0.00")),
                monthly_deductions=self.deductions.get(m.person_id, Decimal("0.00")),
            )
            for m in self.living
        )
        return HouseholdFacts(
            as_of=as_of,
            region_code=self.region_code,
            is_urban=self.urban,
            members=members,
            assets=tuple(self.assets),
            has_declaration=self.declared_on is not None,
            applicant_id=applicant_id,
            support_mode=support_mode,
            care_level=care_level,
            details=dict(details or {}),
        )


def _load_households(county: str) -> list[_Household]:
    """The county's households with their current members and newest declaration, in a few
    queries."""
    urban = {
        code: ur.startswith("1")
        for code, ur in Region.objects.filter(
            code__startswith=county, level=Region.Level.VILLAGE
        ).values_list("code", "urban_rural_code")
    }
    households = {
        pk: _Household(pk, code, urban.get(code, False))
        for pk, code in Household.objects.filter(region_code__startswith=county)
        .order_by("pk")
        .values_list("pk", "region_code")
    }
    members = (
        Membership.objects.filter(household__region_code__startswith=county, valid_to__isnull=True)
        .order_by("household_id", "valid_from", "id")
        .values_list(
            "household_id",
            "person_id",
            "relationship",
            "person__name",
            "person__birth_date",
            "person__sex",
            "person__labour_capacity",
            "person__disability_category",
            "person__disability_grade",
            "person__serious_illness",
            "person__death_date",
        )
    )
    for row in members.iterator(chunk_size=5000):
        household = households.get(row[0])
        if household is not None:
            household.members.append(
                _Member(
                    person_id=row[1],
                    relationship=row[2],
                    name=row[3],
                    birth_date=row[4],
                    sex=row[5],
                    labour_capacity=row[6],
                    disability_category=row[7],
                    disability_grade=row[8],
                    serious_illness=row[9],
                    death_date=row[10],
                )
            )
    newest: dict[int, tuple[datetime.date, int]] = {}
    for did, hid, declared_on in (
        Declaration.objects.filter(household__region_code__startswith=county)
        .order_by("household_id", "declared_on", "id")
        .values_list("id", "household_id", "declared_on")
    ):
        newest[hid] = (declared_on, did)  # the last one per household wins
    by_declaration = {did: hid for hid, (_, did) in newest.items()}
    for hid, (declared_on, _) in newest.items():
        if hid in households:
            households[hid].declared_on = declared_on
    ids = list(by_declaration)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for did, pid, kind, amount in IncomeItem.objects.filter(
            declaration_id__in=chunk
        ).values_list("declaration_id", "person_id", "kind", "monthly_amount"):
            h = households.get(by_declaration[did])
            if h is None:
                continue
            if kind in COUNTED_INCOME:
                h.income[pid] += amount
            elif kind in DEDUCTIONS:
                h.deductions[pid] += amount
        for did, kind, value, area, description in AssetItem.objects.filter(
            declaration_id__in=chunk
        ).values_list("declaration_id", "kind", "value", "area", "description"):
            h = households.get(by_declaration[did])
            if h is not None:
                h.assets.append(AssetFacts(kind, value, area, description))
    return [h for h in households.values() if h.living]


# --- dates ------------------------------------------------------------------------------------


# Day -> working day (None: a year the calendar does not know). The demo looks at the same
# few thousand days over and over; core.workdays would look each up in the cache every time.
_DAYS: dict[datetime.date, bool | None] = {}


def _known_working(day: datetime.date) -> bool | None:
    if day not in _DAYS:
        try:
            _DAYS[day] = is_working_day(day)
        except CalendarUnknownYear:
            _DAYS[day] = None
    return _DAYS[day]


def _working(day: datetime.date) -> bool:
    known = _known_working(day)
    return day.weekday() < 5 if known is None else known


def working_deadline(start: datetime.date, days: int) -> Deadline:
    """As programs.deadlines.working_deadline (Monday to Friday, provisional, when the span
    reaches a year the calendar does not know), from the demo's day table."""
    day, n = start, days
    while n:
        day += ONE_DAY
        known = _known_working(day)
        if known is None:
            return _weekday_deadline(start, days)
        n -= known
    return Deadline(day)


def _weekday_deadline(start: datetime.date, days: int) -> Deadline:
    day = start
    while days:
        day += ONE_DAY
        days -= day.weekday() < 5
    return Deadline(day, provisional=True)


def calendar_deadline(start: datetime.date, days: int) -> Deadline:
    """As programs.deadlines.calendar_deadline, from the demo's day table."""
    day = start + datetime.timedelta(days=days)
    while True:
        known = _known_working(day)
        if known is None:
            end = start + datetime.timedelta(days=days)
            while end.weekday() >= 5:
                end += ONE_DAY
            return Deadline(end, provisional=True)
        if known:
            return Deadline(day)
        day += ONE_DAY


def _working_on_or_before(day: datetime.date) -> datetime.date:
    while not _working(day):
        day -= ONE_DAY
    return day


def _working_days_before(day: datetime.date, n: int) -> datetime.date:
    while n > 0:
        day -= ONE_DAY
        if _working(day):
            n -= 1
    return day


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    """A time in office hours on `day`, in the bureau's time zone."""
    minutes = rng.randint(8 * 60 + 30, 17 * 60)
    naive = datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60))
    return timezone.make_aware(naive)


# --- one case, step by step -------------------------------------------------------------------


@dataclass
class _Done:
    """How a step ended: its outcome, data and note."""

    outcome: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass
class _Writer:
    """Collects the rows of all demo cases and writes them set-based."""

    rng: random.Random
    as_of: datetime.date
    users: dict[tuple[str, str], User]
    cases: list[Case] = field(default_factory=list)
    members: list[CaseMember] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    periods: list[BenefitPeriod] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    audit: list[tuple[object, ...]] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)

    # who did it
    def user_for(self, level: str, region_code: str) -> User | None:
        role = LEVEL_ROLE.get(level, Role.COUNTY_OFFICER)
        if level == StepLevel.COUNTY:
            return self.users.get((role, region_code[:6] + "000000"))
        if level == StepLevel.VILLAGE:
            return self.users.get((role, region_code))
        return self.users.get((role, region_code[:9] + "000"))

    def event(
        self,
        case: Case,
        at: datetime.datetime,
        action: str,
        actor: User | None,
        reason: str = "",
        **changes: Any,
    ) -> None:
        row = {
            "at": at,
            "actor_id": actor.pk if actor else None,
            "actor_username": actor.username if actor else "system",
            "actor_role": actor.role if actor else "",
            "actor_region_code": actor.region_id if actor else "",
            "action": action,
            "object_type": "case",
            "object_id": str(case.pk),
            "region_code": case.region_code,
            "changes": json.dumps(changes, ensure_ascii=False, default=str),
            "reason": reason or DEMO_REASON,
        }
        self.audit.append(tuple(row[c] for c in AUDIT_COLUMNS))

    def new_case(
        self,
        *,
        program: str,
        household: _Household,
        applicant: _Member,
        accepted_on: datetime.date,
        **fields: Any,
    ) -> Case:
        pk = self.ids.pop()
        accepted_at = _moment(self.rng, accepted_on)
        case = Case(
            pk=pk,
            number=f"{NUMBER_PREFIX[program]}{household.region_code[:6]}{accepted_on:%Y}{pk:07d}",
            program=program,
            household_id=household.pk,
            applicant_id=applicant.person_id,
            region_code=household.region_code,
            channel=Channel.WINDOW if self.rng.random() < 0.85 else Channel.ONLINE,
            accepted_at=accepted_at,
            **fields,
        )
        policy = policy_for(program)
        deadline = working_deadline(accepted_on, policy.case_deadline_days)
        case.due_on, case.due_provisional = deadline.due_on, deadline.provisional
        self.cases.append(case)
        self.members += [
            CaseMember(case_id=pk, person_id=m.person_id, relationship=m.relationship)
            for m in household.living
        ]
        actor = self.user_for(StepLevel.TOWNSHIP, case.region_code)
        self.event(case, accepted_at, "case.accept", actor, program=program, number=case.number)
        return case

    def step_rows(
        self,
        case: Case,
        policy: Policy,
        *,
        opened: dict[str, datetime.date],
        done: dict[str, tuple[datetime.date, _Done]],
        skipped: Iterable[str] = (),
        levels: Mapping[str, str] | None = None,
    ) -> dict[str, datetime.datetime]:
        """A Step row for each of the program's steps: done (with its dates, outcome and data),
        open (opened, not done), skipped, or waiting. Returns when each done step was done
        (one after the other, also within a day)."""
        skipped = set(skipped)
        times: dict[str, datetime.datetime] = {}
        last = case.accepted_at
        for seq, spec in enumerate(policy.steps):
            level = (levels or {}).get(spec.code, spec.level)
            step = Step(case_id=case.pk, code=spec.code, seq=seq, level=level)
            if spec.code in skipped or (spec.optional and spec.code not in opened):
                step.status = StepStatus.SKIPPED
            elif spec.code in opened:
                day = opened[spec.code]
                deadline = (
                    calendar_deadline(day, spec.deadline_days)
                    if spec.calendar_days
                    else working_deadline(day, spec.deadline_days)
                )
                step.opened_on, step.due_on = day, deadline.due_on
                step.due_provisional = deadline.provisional
                if spec.code == PUBLIC_NOTICE:
                    ends_on = day + datetime.timedelta(days=spec.deadline_days)
                    step.data = {"starts_on": day.isoformat(), "ends_on": ends_on.isoformat()}
                if spec.code in done:
                    finished, how = done[spec.code]
                    actor = self.user_for(level, case.region_code)
                    at = _moment(self.rng, finished)
                    if last is not None and at <= last:
                        at = last + datetime.timedelta(minutes=self.rng.randint(1, 20))
                    last = times[spec.code] = at
                    step.status, step.completed_at, step.completed_by = StepStatus.DONE, at, actor
                    step.outcome, step.note = how.outcome, how.note
                    step.data = {**step.data, **how.data}
                    case.version += 1
                    self.event(
                        case,
                        at,
                        "case.step_complete",
                        actor,
                        how.note,
                        step=spec.code,
                        round=1,
                        outcome=how.outcome,
                    )
                else:
                    step.status = StepStatus.OPEN
                    case.current_step = spec.code
            else:
                step.status = StepStatus.WAITING
            self.steps.append(step)
        return times

    def write(self) -> None:
        Case.objects.bulk_create(self.cases, batch_size=500)
        CaseMember.objects.bulk_create(self.members, batch_size=1000)
        Step.objects.bulk_create(self.steps, batch_size=1000)
        BenefitPeriod.objects.bulk_create(self.periods, batch_size=1000)
        Grant.objects.bulk_create(self.grants, batch_size=1000)
        Review.objects.bulk_create(self.reviews, batch_size=1000)
        self.audit.sort(key=lambda row: cast(datetime.datetime, row[0]))
        write_rows("core_auditevent", AUDIT_COLUMNS, self.audit)


# --- the timelines ----------------------------------------------------------------------------


def _durations(rng: random.Random, specs: Sequence[StepSpec], late: bool = False) -> list[int]:
    """Working days each step took: mostly within its deadline, now and then over it."""
    out = []
    for spec in specs:
        if spec.code == ACCEPTANCE or spec.auto:
            out.append(0)
        elif spec.calendar_days:
            out.append(spec.deadline_days + 1)  # calendar days: the notice runs its period
        else:
            hi = spec.deadline_days + (3 if late and rng.random() < 0.3 else 0)
            out.append(rng.randint(1, max(hi, 1)))
    return out


def _backwards(
    rng: random.Random, specs: Sequence[StepSpec], last_opened: datetime.date
) -> dict[str, datetime.date]:
    """Opening days of `specs` such that the last one opened on `last_opened` and each took
    a plausible time: the steps before it are worked back from there."""
    durations = _durations(rng, specs[:-1])
    opened = {specs[-1].code: last_opened}
    day = last_opened
    for spec, took in zip(reversed(specs[:-1]), reversed(durations), strict=True):
        if spec.calendar_days:
            day = _working_on_or_before(day - datetime.timedelta(days=took))
        else:
            day = _working_days_before(day, took)
        opened[spec.code] = day
    return opened


def _survey_done(rng: random.Random, day: datetime.date, **extra: Any) -> _Done:
    surveyors = rng.sample(STAFF_NAMES, 2)
    return _Done(
        data={
            "surveyors": surveyors,
            "visited_on": day.isoformat(),
            "findings": rng.choice(SURVEY_FINDINGS),
            **extra,
        }
    )


def _outcome_of(
    rng: random.Random, code: str, day: datetime.date, decision: str, note: str, **survey: Any
) -> _Done:
    if code == AUTHORIZATION:
        return _Done(data={"signed": True})
    if code == SURVEY:
        return _survey_done(rng, day, **survey)
    if code == VERIFICATION:
        return _Done(outcome="pass" if decision != "refuse" else "fail")
    if code in (TOWNSHIP_REVIEW, COUNTY_APPROVAL):
        return _Done(outcome=decision, note=note)
    if code == DECISION:
        return _Done(
            outcome=decision, data={"letter": "approval" if decision == "approve" else "refusal"}
        )
    if code == ENROLLMENT:
        return _Done(outcome="enrolled")
    return _Done()


# --- the generator ----------------------------------------------------------------------------


@dataclass
class _Demo:
    rng: random.Random
    as_of: datetime.date
    county: str
    standards: dict[str, Standards]
    writer: _Writer
    result: DemoCasesResult
    founded: datetime.date
    used: set[int] = field(default_factory=set)  # households with a case

    def calculate(self, program: str, facts: HouseholdFacts) -> Calculation:
        return policy_for(program).benefit(facts=facts, standards=self.standards[program])

    @staticmethod
    def store(case: Case, calculation: Calculation) -> None:
        """As services.benefits.calculation_store and the amount the policy gave."""
        inputs = calculation.inputs
        case.calculation = calculation.as_json()
        if "per_capita_income" in inputs:
            case.per_capita_income = Decimal(str(inputs["per_capita_income"]))
        case.counted_members = int(inputs.get("counted_members", 0))
        case.extra_members = dict(inputs.get("extra_members", {}))
        if policy_for(case.program).kind == "one_off":
            case.one_off_amount = calculation.amount
        else:
            case.monthly_amount = calculation.amount

    # 低保 and 特困 enrolled over the registry's years
    def _approval_day(self) -> datetime.date:
        """A working day on which a case now paying was approved: any month since the
        registry was set up (the first two months apart) until last month."""
        first = add_months(self.founded, 2)
        months = (self.as_of.year - first.year) * 12 + self.as_of.month - first.month
        month = add_months(first, self.rng.randint(0, max(months - 1, 0)))
        day = month.replace(day=self.rng.randint(3, 26))
        return _working_on_or_before(min(day, self.as_of - 20 * ONE_DAY))

    def enrolled(
        self,
        program: str,
        household: _Household,
        applicant: _Member,
        *,
        facts: HouseholdFacts,
        calculation: Calculation,
        approved_on: datetime.date | None = None,
        **fields: Any,
    ) -> Case:
        policy = policy_for(program)
        approved_on = approved_on or self._approval_day()
        specs = [s for s in policy.steps if not s.optional]
        upto = [s for s in specs if not s.auto]
        opened = _backwards(self.rng, upto, _working_days_before(approved_on, 3))
        accepted_on = opened[ACCEPTANCE]
        case = self.writer.new_case(
            program=program,
            household=household,
            applicant=applicant,
            accepted_on=accepted_on,
            status=CaseStatus.ACTIVE,
            reason=self.rng.choice(REASONS["tekun" if program == "tekun" else "dibao"]),
            **fields,
        )
        self.store(case, calculation)
        done = self._done_through(case, policy, opened, approved_on, "approve", "同意")
        for spec in policy.steps:
            if spec.auto:
                opened[spec.code] = approved_on
                done[spec.code] = (
                    approved_on,
                    _outcome_of(self.rng, spec.code, approved_on, "approve", ""),
                )
        times = self.writer.step_rows(case, policy, opened=opened, done=done)
        self._decide(case, times[COUNTY_APPROVAL], "approve", "同意")
        start = first_of_next_month(approved_on)
        months = policy.review_months(facts=facts, standards=self.standards[program])
        case.start_month, case.review_frequency_months = start, months
        # reviewed since on the newest declaration, which the amount is computed from
        reviewed = household.declared_on
        if reviewed is not None and reviewed > approved_on + 30 * ONE_DAY:
            self._review_continue(case, reviewed)
            case.next_review_on = add_months(reviewed, months)
        else:
            case.next_review_on = add_months(start, months)
        self._period(
            case, start, case.monthly_amount, BenefitPeriod.Reason.APPROVAL, times[ENROLLMENT]
        )
        return case

    def _done_through(
        self,
        case: Case,
        policy: Policy,
        opened: dict[str, datetime.date],
        last_done: datetime.date,
        decision: str,
        note: str,
        **survey: Any,
    ) -> dict[str, tuple[datetime.date, _Done]]:
        """Every step in `opened` done: each on the day the next one opened, the last on
        `last_done`."""
        codes = [s.code for s in policy.steps if s.code in opened]
        done = {}
        for i, code in enumerate(codes):
            finished = opened[codes[i + 1]] if i + 1 < len(codes) else last_done
            if code == ACCEPTANCE:
                finished = opened[code]
            done[code] = (finished, _outcome_of(self.rng, code, finished, decision, note, **survey))
        return done

    def _decide(self, case: Case, at: datetime.datetime, decision: str, note: str) -> None:
        decider = self.writer.user_for(StepLevel.COUNTY, case.region_code)
        case.decision, case.decision_reason, case.decided_at = decision, note, at
        case.decided_by = decider
        amount = case.one_off_amount if case.one_off_amount is not None else case.monthly_amount
        action = "case.approve" if decision == "approve" else "case.refuse"
        self.writer.event(case, at, action, decider, note, amount=str(amount))

    def _period(
        self,
        case: Case,
        start: datetime.date,
        amount: Decimal,
        reason: str,
        at: datetime.datetime,
        calculation: dict[str, Any] | None = None,
        before: Decimal = Decimal("0.00"),
    ) -> None:
        self.writer.periods.append(
            BenefitPeriod(
                case_id=case.pk,
                valid_from=start,
                monthly_amount=amount,
                reason=reason,
                calculation=case.calculation if calculation is None else calculation,
            )
        )
        if reason == BenefitPeriod.Reason.APPROVAL:
            self.writer.event(case, at, "case.enroll", None, amount=str(amount), from_month=start)
        self.writer.event(
            case,
            at,
            "case.benefit_change",
            None,
            str(BenefitPeriod.Reason(reason).label),
            amount=[str(before), str(amount)],
            from_month=start.isoformat(),
        )
        self.result.benefit_periods += 1

    def _review_continue(self, case: Case, day: datetime.date) -> None:
        actor = self.writer.user_for(StepLevel.TOWNSHIP, case.region_code)
        at = _moment(self.rng, day)
        self.writer.reviews.append(
            Review(
                case_id=case.pk,
                kind=ReviewKind.PERIODIC,
                reason=f"定期复核(每{case.review_frequency_months}个月)",
                status=Review.Status.DONE,
                due_on=day,
                findings="家庭人口、收入和财产状况与申报一致",
                outcome=ReviewOutcome.CONTINUE,
                outcome_reason="仍符合条件,继续保障",
                completed_by=actor,
                completed_at=at,
            )
        )
        self.writer.event(case, at, "review.complete", actor, outcome="continue")

    # selections
    def dibao(self, households: list[_Household], target: int) -> list[tuple[_Household, Any]]:
        """Eligible households (income under the standard, assets within the limits) with
        their worked calculation, shuffled; `target` of them."""
        found = []
        for h in households:
            if h.pk in self.used or h.declared_on is None:
                continue
            program = "dibao_urban" if h.urban else "dibao_rural"
            facts = h.facts(self.as_of, applicant_id=h.living[0].person_id)
            calculation = self.calculate(program, facts)
            if calculation.amount > 0:
                found.append((h, (program, facts, calculation)))
        self.rng.shuffle(found)
        return found[:target]

    def tekun_candidates(self, households: list[_Household]) -> list[tuple[_Household, _Member]]:
        """Persons of 三无: old (60+) or severely disabled, in a household with no member able to
        support them, whose income is under the 低保 standard."""
        from minzheng.programs.policies.tekun import no_work_capacity

        out = []
        for h in households:
            if h.pk in self.used or h.declared_on is None:
                continue
            facts = h.facts(self.as_of, applicant_id=0)
            if not all(no_work_capacity(m) for m in facts.members):
                continue
            out += [
                (h, m)
                for m in h.living
                if m.age_on(self.as_of) >= 60 or (m.disability_grade or 9) <= 2
            ]
        self.rng.shuffle(out)
        return out

    def tekun_case(self, h: _Household, person: _Member) -> Case | None:
        centralized = self.rng.random() < CENTRALIZED_SHARE
        weights = (0.25, 0.45, 0.30) if centralized else (0.6, 0.3, 0.1)
        level = self.rng.choices(("self_care", "partial", "full"), weights)[0]
        failed_n = {
            "self_care": 0,
            "partial": self.rng.randint(1, 3),
            "full": self.rng.randint(4, 6),
        }
        failed = self.rng.sample(SELF_CARE_ITEMS, failed_n[level])
        details = {"has_able_supporter": False, "self_care_failed": failed}
        mode = SupportMode.CENTRALIZED if centralized else SupportMode.DISPERSED
        facts = h.facts(
            self.as_of,
            applicant_id=person.person_id,
            support_mode=mode,
            care_level=level,
            details=details,
        )
        policy = policy_for("tekun")
        if not policy.eligibility(facts=facts, standards=self.standards["tekun"]).eligible:
            return None
        calculation = self.calculate("tekun", facts)
        return self.enrolled(
            "tekun",
            h,
            person,
            facts=facts,
            calculation=calculation,
            details=details,
            support_mode=mode,
            care_level=level,
            is_single_person=False,
        )

    def temporary(self, h: _Household, *, expense: bool) -> Case | None:
        emergency = not expense
        program = "temporary_emergency" if emergency else "temporary_expense"
        tier = self.rng.choices(("minor", "ordinary", "severe"), (0.35, 0.45, 0.2))[0]
        if emergency:
            cause = self.rng.choice(list(EMERGENCY_DESCRIPTIONS))
            details: dict[str, Any] = {
                "hardship": tier,
                "emergency_cause": cause,
                "emergency_description": EMERGENCY_DESCRIPTIONS[cause],
            }
        else:
            kind = self.rng.choice(list(EXPENSE_DESCRIPTIONS))
            details = {
                "hardship": tier,
                "rigid_expense": str(self.rng.randrange(8000, 60000, 500)),
                "expense_kind": kind,
            }
        facts = h.facts(self.as_of, applicant_id=h.living[0].person_id, details=details)
        calculation = self.calculate(program, facts)
        if calculation.amount <= 0:
            return None
        policy = policy_for(program)
        granted_on = _working_on_or_before(self.as_of - self.rng.randint(20, 360) * ONE_DAY)
        specs = [s for s in policy.steps if not s.optional and not s.auto]
        # 先行救助: the survey comes after the money
        before = [s for s in specs if not (emergency and s.code == SURVEY)]
        opened = _backwards(self.rng, before, _working_days_before(granted_on, 1))
        case = self.writer.new_case(
            program=program,
            household=h,
            applicant=h.living[0],
            accepted_on=opened[ACCEPTANCE],
            status=CaseStatus.CLOSED,
            reason=str(details.get("emergency_description") or details.get("expense_kind")),
            details=details,
        )
        self.store(case, calculation)
        township = self._township_decides(case, program)
        done = self._done_through(case, policy, opened, granted_on, "approve", "同意")
        for spec in policy.steps:
            if spec.auto:
                opened[spec.code] = granted_on
                done[spec.code] = (
                    granted_on,
                    _outcome_of(self.rng, spec.code, granted_on, "approve", ""),
                )
        if emergency:
            surveyed = working_deadline(granted_on, self.rng.randint(2, 8)).due_on
            opened[SURVEY] = granted_on
            done[SURVEY] = (surveyed, _survey_done(self.rng, surveyed))
        levels = {COUNTY_APPROVAL: StepLevel.TOWNSHIP} if township else {}
        times = self.writer.step_rows(case, policy, opened=opened, done=done, levels=levels)
        self._decide(case, times[COUNTY_APPROVAL], "approve", "同意")
        if township:
            case.decided_by = self.writer.user_for(StepLevel.TOWNSHIP, case.region_code)
        self._grant(case, times[ENROLLMENT], paid_first=policy.payment_first)
        self.writer.event(case, max(times.values()), "case.close", None)
        return case

    def _township_decides(self, case: Case, program: str) -> bool:
        """One-off aid within the township's cap is approved by the township (乡镇审批)."""
        cap = self.standards[program].get_or("township_approval_cap", Decimal(0))
        return case.one_off_amount is not None and case.one_off_amount <= cap

    def _grant(self, case: Case, at: datetime.datetime, *, paid_first: bool) -> None:
        amount = case.one_off_amount or Decimal("0.00")
        self.writer.grants.append(
            Grant(
                case_id=case.pk,
                kind=Grant.Kind.TEMPORARY,
                amount=amount,
                granted_on=timezone.localdate(at),
                paid_first=paid_first,
                calculation=case.calculation,
            )
        )
        self.writer.event(case, at, "case.grant", None, amount=str(amount))

    def in_progress(
        self, h: _Household, program: str, code: str, opened_on: datetime.date
    ) -> Case | None:
        """A case whose step `code` opened on `opened_on` and waits to be done; None when the
        household would not have come this far (its amount is worked out after the data
        check, and a 特困 applicant must pass the 三无 test by then)."""
        policy = policy_for(program)
        details: dict[str, Any] = {}
        mode = level = ""
        applicant = h.living[0]
        if program == "tekun":
            applicant = max(h.living, key=lambda m: m.age_on(self.as_of))
            level = self.rng.choice(("self_care", "partial"))
            mode = SupportMode.DISPERSED
            failed = self.rng.sample(SELF_CARE_ITEMS, 0 if level == "self_care" else 2)
            details = {"has_able_supporter": False, "self_care_failed": failed}
        elif program.startswith("temporary"):
            details = {
                "hardship": "ordinary",
                "rigid_expense": "24000",
                "expense_kind": "medical",
                "emergency_cause": "illness",
                "emergency_description": EMERGENCY_DESCRIPTIONS["illness"],
            }
        specs = [s for s in policy.steps if not s.optional and not s.auto]
        emergency_survey = program == "temporary_emergency" and code == SURVEY
        if emergency_survey:  # paid first: everything up to the money is done
            chain = [s for s in specs if s.code != SURVEY]
            paid_on = _working_days_before(opened_on, 0)
            opened = _backwards(self.rng, chain, _working_days_before(paid_on, 1))
        else:
            chain = specs[: [s.code for s in specs].index(code) + 1]
            opened = _backwards(self.rng, chain, opened_on)
        facts = h.facts(
            self.as_of,
            applicant_id=applicant.person_id,
            support_mode=mode,
            care_level=level,
            details=details,
        )
        calculation = None
        if emergency_survey or VERIFICATION in [s.code for s in chain[:-1]]:
            calculation = self.calculate(program, facts)
            if calculation.amount <= 0:
                return None
        case = self.writer.new_case(
            program=program,
            household=h,
            applicant=applicant,
            accepted_on=opened[ACCEPTANCE],
            status=CaseStatus.IN_PROGRESS,
            reason=self.rng.choice(REASONS["tekun" if program == "tekun" else "dibao"]),
            details=details,
            support_mode=mode,
            care_level=level,
        )
        if calculation is not None:  # the amount is worked out once the data check is back
            self.store(case, calculation)
        if emergency_survey:
            done = self._done_through(case, policy, opened, paid_on, "approve", "同意")
            for spec in policy.steps:
                if spec.auto:
                    opened[spec.code] = paid_on
                    done[spec.code] = (
                        paid_on,
                        _outcome_of(self.rng, spec.code, paid_on, "approve", ""),
                    )
            opened[SURVEY] = opened_on
            township = self._township_decides(case, program)
            levels = {COUNTY_APPROVAL: StepLevel.TOWNSHIP} if township else {}
            times = self.writer.step_rows(case, policy, opened=opened, done=done, levels=levels)
            self._decide(case, times[COUNTY_APPROVAL], "approve", "同意")
            self._grant(case, times[ENROLLMENT], paid_first=True)
            return case
        before = dict(opened)
        del before[code]
        done = self._done_through(case, policy, before, opened_on, "approve", "同意")
        self.writer.step_rows(case, policy, opened=opened, done=done)
        return case

    def refused(self, h: _Household) -> Case | None:
        """A 低保 application the township refused after the data check (income too high)."""
        program = "dibao_urban" if h.urban else "dibao_rural"
        policy = policy_for(program)
        facts = h.facts(self.as_of, applicant_id=h.living[0].person_id)
        eligibility = policy.eligibility(facts=facts, standards=self.standards[program])
        if eligibility.eligible:
            return None
        note = "经审核,不符合最低生活保障条件:" + ";".join(eligibility.reasons)
        decided_on = _working_on_or_before(self.as_of - self.rng.randint(15, 300) * ONE_DAY)
        codes = (ACCEPTANCE, AUTHORIZATION, SURVEY, VERIFICATION, TOWNSHIP_REVIEW)
        specs = [s for s in policy.steps if s.code in codes]
        opened = _backwards(self.rng, specs, _working_days_before(decided_on, 2))
        case = self.writer.new_case(
            program=program,
            household=h,
            applicant=h.living[0],
            accepted_on=opened[ACCEPTANCE],
            status=CaseStatus.REFUSED,
            reason=self.rng.choice(REASONS["dibao"]),
        )
        self.store(case, self.calculate(program, facts))
        done = self._done_through(case, policy, opened, decided_on, "refuse", note)
        opened[DECISION] = decided_on
        done[DECISION] = (decided_on, _outcome_of(self.rng, DECISION, decided_on, "refuse", ""))
        later = (PUBLIC_NOTICE, COUNTY_APPROVAL, ENROLLMENT)
        times = self.writer.step_rows(case, policy, opened=opened, done=done, skipped=later)
        self._decide(case, times[TOWNSHIP_REVIEW], "refuse", note)
        case.decided_by = self.writer.user_for(StepLevel.TOWNSHIP, case.region_code)
        return case

    def terminate(self, case: Case) -> bool:
        """A paying case ended at a review (as services.reviews does it); False when it has
        been paying too briefly."""
        if case.start_month is None:
            return False
        reviewed = [
            timezone.localdate(r.completed_at)
            for r in self.writer.reviews
            if r.case_id == case.pk and r.completed_at is not None
        ]
        after = max([case.start_month, *reviewed])
        span = (self.as_of - after).days
        if span < 10:
            return False
        day = _working_on_or_before(after + self.rng.randint(5, min(span, 400) - 1) * ONE_DAY)
        if day <= after:
            return False
        reason = self.rng.choice(TERMINATION_REASONS)
        actor = self.writer.user_for(StepLevel.TOWNSHIP, case.region_code)
        at = _moment(self.rng, day)
        review = Review(
            case_id=case.pk,
            kind=ReviewKind.OTHER,
            reason="本人申请退出",
            status=Review.Status.DONE,
            due_on=day,
            outcome=ReviewOutcome.TERMINATE,
            outcome_reason=reason,
            completed_by=actor,
            completed_at=at,
        )
        self.writer.reviews.append(review)
        this_month = day.replace(day=1)
        case.status, case.end_month, case.next_review_on = CaseStatus.TERMINATED, this_month, None
        self._period(
            case,
            first_of_next_month(this_month),
            Decimal("0.00"),
            BenefitPeriod.Reason.TERMINATION,
            at,
            calculation={"review": None},
            before=case.monthly_amount,
        )
        self.writer.event(
            case,
            at,
            "case.terminate",
            actor,
            reason,
            status=[CaseStatus.ACTIVE, CaseStatus.TERMINATED],
            end_month=[None, this_month.isoformat()],
        )
        return True


def _take(pool: list[_Household], used: set[int], village: str) -> _Household | None:
    """The first household of the pool without a case: of `village` when it has one, else of
    its township, else anywhere."""
    free = [h for h in pool if h.pk not in used] if village else pool
    for prefix in (village, village[:9]) if village else ():
        found = next((h for h in free if h.region_code.startswith(prefix)), None)
        if found is not None:
            return found
    return next((h for h in pool if h.pk not in used), None)


def _scale(share: float, n: int, minimum: int = 0) -> int:
    return max(minimum, round(share * n)) if n else 0


def _demo_users(county: str) -> dict[tuple[str, str], User]:
    """The first user of each role and region in the county (the demo accounts)."""
    users: dict[tuple[str, str], User] = {}
    for user in User.objects.filter(region__code__startswith=county, is_active=True).order_by("pk"):
        users.setdefault((user.role, user.region_id), user)
    return users


def _in_progress_plan(
    rng: random.Random, as_of: datetime.date, n: int
) -> list[tuple[str, str, datetime.date, bool]]:
    """(program, current step, day it opened, in the demo village) of `n` cases in progress:
    every step of the 低保 flow, some overdue, three under notice in 陶洪村."""
    # the demo village's notice list prints
    plan = [
        ("dibao", PUBLIC_NOTICE, _working_on_or_before(as_of - i * ONE_DAY), True)
        for i in range(min(3, n))
    ]
    codes = (AUTHORIZATION, SURVEY, VERIFICATION, TOWNSHIP_REVIEW, PUBLIC_NOTICE, COUNTY_APPROVAL)
    extra = [("temporary_emergency", SURVEY), ("temporary_expense", TOWNSHIP_REVIEW)]
    while len(plan) < n:
        if extra and len(plan) % 9 == 4:
            program, code = extra.pop()
        else:
            program = "tekun" if rng.random() < 0.15 else "dibao"
            code = rng.choice(codes)
        late = rng.random() < 0.3  # overdue: opened longer ago than the step's deadline
        days = rng.randint(12, 25) if late else rng.randint(0, 5)
        if code == PUBLIC_NOTICE and not late:
            days = rng.randint(0, 6)
        opened = _working_days_before(as_of, days) if days else _working_on_or_before(as_of)
        plan.append((program, code, opened, len(plan) % 3 == 0))
    return plan


@transaction.atomic
def demo_cases(
    *,
    county_code: str,
    seed: int,
    count_hint: int,
    as_of: datetime.date | None = None,
    relatives: bool = True,
) -> DemoCasesResult:
    """Standards and cases for the demo county `county_code` (6 or 12 digits). `count_hint` is
    about how many households were loaded (0: nothing to do); the shares apply to the
    households the county has. A county that has cases already is left alone."""
    from minzheng.programs.services.standards import standards_for
    from minzheng.programs.standard_defaults import standards_seed

    result = DemoCasesResult()
    _DAYS.clear()  # holidays may have been entered since the last run
    county = county_code[:6]
    county12 = county.ljust(12, "0")
    as_of = as_of or timezone.localdate()
    if count_hint <= 0:
        return result
    if Case.objects.filter(region_code__startswith=county).exists():
        result.skipped = True
        return result
    founded = datetime.date(as_of.year - 5, 1, 1)  # registry.demo_families.founding_date
    result.standards = standards_seed(region_code=county12, valid_from=founded)
    households = _load_households(county)
    if not households:
        return result
    rng = random.Random(f"programs-demo:{seed}")
    standards = {
        program: standards_for(program=program, region_code=county12, day=as_of)
        for program in POLICIES
    }
    users = _demo_users(county)
    writer = _Writer(rng, as_of, users)
    demo = _Demo(rng, as_of, county, standards, writer, result, founded)
    n_households = len(households)
    n_persons = sum(len(h.living) for h in households)
    n_progress = min(200, max(5, round(IN_PROGRESS_PER_3000 * n_households / 3000)))
    n_tekun = _scale(TEKUN_PERSON_SHARE, n_persons, 1)
    n_dibao = _scale(DIBAO_HOUSEHOLD_SHARE, n_households, 1)
    n_temporary = _scale(TEMPORARY_HOUSEHOLD_SHARE, n_households, 2)
    n_refused = _scale(REFUSED_SHARE, n_households, 1)
    n_terminated = _scale(TERMINATED_SHARE, n_households, 1)
    # the primary keys, reserved up front (cases are numbered by them)
    writer.ids = list(
        reversed(
            reserve_ids(
                "programs_case",
                n_progress + n_tekun + n_dibao + n_temporary + n_refused + n_terminated + 10,
            )
        )
    )

    # 特困 first: they are the households without an able member
    tekun_households: set[int] = set()
    for h, person in demo.tekun_candidates(households):
        if result.tekun >= n_tekun:
            break
        if demo.tekun_case(h, person) is not None:
            result.tekun += 1
            tekun_households.add(h.pk)
    demo.used |= tekun_households
    # the demo village keeps a few eligible households for its public notice
    village = [h for h in households if h.region_code == DEMO_VILLAGE]
    kept = {h.pk for h, _ in demo.dibao(village, 3)}
    demo.used |= kept
    chosen = demo.dibao(households, n_dibao + n_terminated)
    paying: list[Case] = []
    for h, (program, facts, calculation) in chosen:
        demo.used.add(h.pk)
        paying.append(demo.enrolled(program, h, h.living[0], facts=facts, calculation=calculation))
    for case in paying:
        if result.terminated >= n_terminated:
            break
        result.terminated += demo.terminate(case)
    result.dibao = len(paying) - result.terminated

    # cases in progress: the demo village first, then anywhere
    demo.used -= kept
    rest = [h for h in households if h.pk not in demo.used]
    rng.shuffle(rest)
    eligible = [h for h, _ in demo.dibao(rest, len(rest))]
    pools = {
        "dibao": eligible,
        "temporary_expense": eligible,
        "tekun": [h for h, _ in demo.tekun_candidates(rest)],
        "temporary_emergency": rest,
    }
    for program, code, opened_on, in_village in _in_progress_plan(rng, as_of, n_progress):
        for _ in range(20):  # households that would not have come this far are passed over
            picked = _take(pools[program], demo.used, DEMO_VILLAGE if in_village else "")
            if picked is None:
                break
            demo.used.add(picked.pk)
            code_program = program
            if program == "dibao":
                code_program = "dibao_urban" if picked.urban else "dibao_rural"
            if demo.in_progress(picked, code_program, code, opened_on) is not None:
                result.in_progress += 1
                break

    # refused applications and one-off aid of the past year
    rejected = [h for h in rest if h.pk not in demo.used and h.declared_on is not None]
    for h in rejected:
        if result.refused >= n_refused:
            break
        if demo.refused(h) is not None:
            demo.used.add(h.pk)
            result.refused += 1
    n_expense = round(n_temporary * 0.4)
    for h in rest:  # 支出型 needs a declared income under the limit, 急难型 anyone
        if result.temporary >= n_temporary:
            break
        expense = result.temporary < n_expense
        if h.pk in demo.used or (expense and h.declared_on is None):
            continue
        if demo.temporary(h, expense=expense) is not None:
            demo.used.add(h.pk)
            result.temporary += 1

    writer.write()
    result.steps = len(writer.steps)
    if relatives:
        result.relatives = _relatives(rng, as_of, county, writer.cases, users)
    return result


def _relatives(
    rng: random.Random,
    as_of: datetime.date,
    county: str,
    cases: list[Case],
    users: dict[tuple[str, str], User],
) -> int:
    """A few close relatives of village cadres and township staff (近亲属备案), filed by the
    county officer through the register's service, which marks their households' cases."""
    from minzheng.programs.services.relatives import relative_filing_create
    from minzheng.registry.models import Person

    officer = users.get((Role.COUNTY_OFFICER, county.ljust(12, "0")))
    if officer is None:
        return 0
    open_cases = [c for c in cases if c.status == CaseStatus.IN_PROGRESS]
    paying = [c for c in cases if c.status == CaseStatus.ACTIVE]
    chosen = open_cases[1::7][:3] + paying[:1]
    filed = 0
    for case in chosen:
        cadre = rng.random() < 0.6
        kind = "village_cadre" if cadre else "township_staff"
        region = case.region_code if cadre else case.region_code[:9] + "000"
        relative_filing_create(
            actor=officer,
            person=Person.objects.get(pk=case.applicant_id),
            staff_name=rng.choice(STAFF_NAMES),
            staff_kind=kind,
            staff_position="村委会委员" if cadre else "民政所工作人员",
            relation=rng.choice(RELATIVE_RELATIONS),
            region_code=region,
            valid_from=as_of - datetime.timedelta(days=rng.randint(400, 900)),
            note=DEMO_REASON,
        )
        filed += 1
    return filed
