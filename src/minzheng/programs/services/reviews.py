"""动态管理 (DOMAIN.md §2.7, §3): periodic and triggered reviews of enrolled cases and what
they conclude (continue, adjust, suspend, terminate), gradual exit (渐退期) when income from
work lifts a household above the standard, resumption, and what a death does to a case.

Every change of a case's status goes through an optimistic lock on `Case.version` (a second
writer gets CaseConflict). A change of amount is a benefit period from the month after the
decision (payroll reads the entitlement of a month from the periods), so a month already
paid is never changed here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from minzheng.core.models import User
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.core.scope import OUT_OF_SCOPE, require_in_scope, scoped
from minzheng.programs.deadlines import (
    add_months,
    calendar_deadline,
    first_of_next_month,
    working_deadline,
)
from minzheng.programs.models import (
    PAYING_STATUSES,
    BenefitPeriod,
    Case,
    CaseMember,
    CaseStatus,
    Grant,
    Review,
    ReviewKind,
    ReviewOutcome,
)
from minzheng.programs.permissions import CASE_READERS, REVIEWERS
from minzheng.programs.policies import policy_for
from minzheng.programs.policies.base import Calculation, MissingStandard
from minzheng.programs.services import benefits
from minzheng.programs.services.errors import CaseConflict, CaseError
from minzheng.programs.services.events import case_audit
from minzheng.programs.signals import review_completed
from minzheng.registry.models import Declaration, IncomeKind, Person

REVIEW_NOT_ALLOWED = "只有乡镇(街道)和县(区)民政经办人员可以办理复核"
REVIEW_KIND_INVALID = "请选择复核类型"
REVIEW_REASON_MISSING = "请填写复核原因"
REVIEW_CASE_NOT_ENROLLED = "案件{number}当前为“{status}”,不在保障中,不能复核"
REVIEW_ALREADY_DONE = "该复核已由{user}于{at}完成,请刷新页面查看"
REVIEW_OUTCOME_INVALID = "请选择复核结论"
REVIEW_OUTCOME_REASON_REQUIRED = "调整金额、暂停发放或终止保障必须写明理由"
REVIEW_OUTCOME_NOT_FOR_STATUS = "案件当前为“{status}”,不能“{outcome}”"
REVIEW_ADJUST_TO_ZERO = (
    "重新核算后月保障金额为0元,且不属于因务工收入增加的渐退情形,请选择“终止保障”并写明理由"
)
REVIEW_CALCULATION_FAILED = "无法重新核算保障金额:{message}"
RESUME_NOT_SUSPENDED = "只有“暂停发放”的案件可以恢复发放"
RESUME_REASON_REQUIRED = "请填写恢复发放的理由"
RESUME_NO_AMOUNT = "该案件没有暂停前的保障金额,请通过复核“调整金额”重新核定"
EXIT_GRACE_REASON = (
    "家庭务工收入增加,月人均收入超过保障标准,"
    "{start:%Y年%m月}起进入渐退期,保障金额不变,至{until:%Y年%m月}止"
)
EXIT_GRACE_END_REASON = "渐退期于{until:%Y年%m月}届满,终止保障"
REVIEWS_CLOSED_BY_TERMINATION = "案件已终止保障(见复核{review})"
DEATH_SOLE_REVIEW_REASON = (
    "保障对象{name}于{day:%Y年%m月%d日}死亡,已自{month:%Y年%m月}起暂停发放,请复核后终止保障"
)
DEATH_MEMBER_REVIEW_REASON = "家庭成员{name}于{day:%Y年%m月%d日}死亡,请在3个月内复核保障人数和金额"
DEATH_SUSPEND_REASON = "保障对象{name}于{day:%Y年%m月%d日}死亡,自{month:%Y年%m月}起暂停发放"
FUNERAL_GRANT_MISSING = "未能发放丧葬补助({message}),设置标准后请在案件中补发"
FUNERAL_NOT_TEKUN = "只有特困供养人员死亡可以发放丧葬补助"
FUNERAL_ALREADY_GRANTED = "该案件已于{day}发放丧葬补助"
FUNERAL_PERSON_ALIVE = "{name}尚未登记死亡,不能发放丧葬补助"

# Triggered reviews (tip-offs, data matching) are due in this many working days.
REVIEW_DUE_DAYS = 15
# Periodic reviews are generated this many days before they fall due.
REVIEW_LOOKAHEAD_DAYS = 30
# DOMAIN.md §2.7: a member's death is reviewed within 3 months.
DEATH_REVIEW_MONTHS = 3
# 渐退期: in principle at most 6 months (standard exit_grace_months).
DEFAULT_EXIT_GRACE_MONTHS = 6
# 特困 termination: 7-day notice before payment stops (S2 §24-27).
TEKUN_TERMINATION_NOTICE_DAYS = 7
REVIEWABLE_STATUSES = (*PAYING_STATUSES, CaseStatus.SUSPENDED)
# The statuses a case may be in for each outcome.
OUTCOME_STATUSES: dict[str, tuple[str, ...]] = {
    ReviewOutcome.CONTINUE: REVIEWABLE_STATUSES,
    ReviewOutcome.ADJUST: PAYING_STATUSES,
    ReviewOutcome.SUSPEND: PAYING_STATUSES,
    ReviewOutcome.TERMINATE: REVIEWABLE_STATUSES,
}
WORK_INCOME = (IncomeKind.WAGES, IncomeKind.BUSINESS)
ZERO = Decimal("0.00")


def _today() -> datetime.date:
    return timezone.localdate()


def _require_reviewer(actor: User) -> None:
    if actor.role not in REVIEWERS:
        raise PermissionDenied(REVIEW_NOT_ALLOWED)


def case_update(case: Case, **fields: Any) -> None:
    """Write `fields` of the case if nobody changed it since it was read (Case.version), else
    raise CaseConflict; the instance follows."""
    done = Case.objects.filter(pk=case.pk, version=case.version).update(
        version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    if not done:
        raise CaseConflict()
    for name, value in fields.items():
        setattr(case, name, value)
    case.version += 1


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("household").get(pk=case.pk)


# --- creating reviews -------------------------------------------------------------------------


def _new_review(
    case: Case,
    actor: User | None,
    *,
    kind: str,
    reason: str,
    due_on: datetime.date,
    provisional: bool = False,
    evidence: dict[str, Any] | None = None,
) -> Review:
    review = Review.objects.create(
        case=case,
        kind=kind,
        reason=reason,
        due_on=due_on,
        due_provisional=provisional,
        evidence=evidence or {},
    )
    case_audit(case, actor, "review.create", reason, review=review.pk, kind=kind, due_on=due_on)
    return review


@transaction.atomic
def review_create(
    *,
    actor: User | None,
    case: Case,
    kind: str,
    reason: str,
    evidence: dict[str, Any] | None = None,
    due_days: int = REVIEW_DUE_DAYS,
    due_on: datetime.date | None = None,
    as_of: datetime.date | None = None,
) -> Review:
    """A review of an enrolled (paying or suspended) case, triggered by a tip-off, data
    matching, a death or a clerk; due in `due_days` working days (or on `due_on`). `actor` is
    None when the system opens it."""
    if actor is not None:
        _require_reviewer(actor)
        require_in_scope(actor, case.region_code)
    errors: dict[str, list[str]] = {}
    if kind not in ReviewKind.values:
        errors["kind"] = [REVIEW_KIND_INVALID]
    if not reason.strip():
        errors["reason"] = [REVIEW_REASON_MISSING]
    if case.status not in REVIEWABLE_STATUSES:
        status = CaseStatus(case.status).label
        errors["case"] = [REVIEW_CASE_NOT_ENROLLED.format(number=case, status=status)]
    if errors:
        raise CaseError(errors)
    provisional = False
    if due_on is None:
        deadline = working_deadline(as_of or _today(), due_days)
        due_on, provisional = deadline.due_on, deadline.provisional
    return _new_review(
        case,
        actor,
        kind=kind,
        reason=reason.strip(),
        due_on=due_on,
        provisional=provisional,
        evidence=evidence,
    )


def _review_date(case: Case) -> datetime.date | None:
    if case.next_review_on is not None:
        return case.next_review_on
    if case.start_month is not None:
        return add_months(case.start_month, case.review_frequency_months)
    return None


@transaction.atomic
def reviews_generate_due(*, as_of: datetime.date, region_code: str | None = None) -> int:
    """Open a periodic review for every paying case whose review falls due within 30 days of
    `as_of` and that has no open review. Running it again opens nothing new. Returns the number
    of reviews opened."""
    horizon = as_of + datetime.timedelta(days=REVIEW_LOOKAHEAD_DAYS)
    open_review = Review.objects.filter(case=OuterRef("pk"), status=Review.Status.OPEN)
    cases = (
        Case.objects.select_for_update()
        .filter(status__in=PAYING_STATUSES)
        .filter(
            Q(next_review_on__lte=horizon)
            | Q(next_review_on__isnull=True, start_month__isnull=False)
        )
        .filter(~Exists(open_review))
        .order_by("id")
    )
    if region_code:
        cases = cases.filter(prefix_q("region_code", code_prefix(region_code)))
    opened = 0
    for case in cases:
        due_on = _review_date(case)
        if due_on is None or due_on > horizon:
            continue
        months = case.review_frequency_months
        reason = f"定期复核(每{months}个月),应于{due_on:%Y年%m月%d日}前完成"
        _new_review(case, None, kind=ReviewKind.PERIODIC, reason=reason, due_on=due_on)
        opened += 1
    return opened


# --- completing reviews -----------------------------------------------------------------------


@dataclass
class _Conclusion:
    """What an outcome did, written onto the review."""

    new_amount: Decimal | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def _check_outcome(outcome: str, outcome_reason: str) -> None:
    if outcome not in ReviewOutcome.values:
        raise CaseError({"outcome": [REVIEW_OUTCOME_INVALID]})
    if outcome != ReviewOutcome.CONTINUE and not outcome_reason.strip():
        raise CaseError({"outcome_reason": [REVIEW_OUTCOME_REASON_REQUIRED]})


def _claim(review: Review, actor: User, *, outcome: str, reason: str, findings: str) -> None:
    """Mark the review done unless someone else did first (the second user gets a conflict)."""
    done = Review.objects.filter(pk=review.pk, status=Review.Status.OPEN).update(
        status=Review.Status.DONE,
        outcome=outcome,
        outcome_reason=reason,
        findings=findings,
        completed_by=actor,
        completed_at=timezone.now(),
    )
    if not done:
        review.refresh_from_db()
        who = review.completed_by
        by = (who.full_name or who.username) if who else "系统"
        at = timezone.localtime(review.completed_at) if review.completed_at else None
        raise CaseConflict(
            REVIEW_ALREADY_DONE.format(user=by, at=f"{at:%m月%d日%H:%M}" if at else "")
        )


def _require_status(case: Case, outcome: str, allowed: tuple[str, ...]) -> None:
    if case.status not in allowed:
        raise CaseError(
            {
                "outcome": [
                    REVIEW_OUTCOME_NOT_FOR_STATUS.format(
                        status=CaseStatus(case.status).label,
                        outcome=ReviewOutcome(outcome).label,
                    )
                ]
            }
        )


@transaction.atomic
def review_complete(
    *,
    actor: User,
    review: Review,
    outcome: str,
    outcome_reason: str,
    findings: str = "",
    as_of: datetime.date | None = None,
    income_from_work: bool | None = None,
) -> Review:
    """Conclude a review. continue: the next periodic review moves on by the case's frequency;
    adjust: the benefit is worked out again from the household's newest declaration and paid
    from next month (or, when income from work lifts it to nothing, 渐退期); suspend and
    terminate stop payment from next month. `income_from_work` overrides what the declarations
    say about the rise in income (None: compare the newest declaration with the one before)."""
    _require_reviewer(actor)
    require_in_scope(actor, review.case.region_code)
    _check_outcome(outcome, outcome_reason)
    as_of = as_of or _today()
    reason = outcome_reason.strip()
    case = _lock(review.case)
    _require_status(case, outcome, OUTCOME_STATUSES[outcome])
    _claim(review, actor, outcome=outcome, reason=reason, findings=findings.strip())
    review.refresh_from_db()
    if outcome == ReviewOutcome.CONTINUE:
        conclusion = _Conclusion()
    elif outcome == ReviewOutcome.ADJUST:
        conclusion = _adjust(case, actor, reason, as_of, income_from_work)
    elif outcome == ReviewOutcome.SUSPEND:
        note = {"review": review.pk}
        conclusion = _suspend(case, actor, reason, first_of_next_month(as_of), note)
    else:
        conclusion = _terminate(case, actor, reason, as_of, review)
    if outcome in (ReviewOutcome.CONTINUE, ReviewOutcome.ADJUST):
        _push_next_review(case, review, as_of)
    review.new_amount = conclusion.new_amount
    review.evidence = {**review.evidence, **conclusion.evidence}
    review.save(update_fields=["new_amount", "evidence"])
    case_audit(
        case,
        actor,
        "review.complete",
        reason,
        review=review.pk,
        kind=review.kind,
        outcome=outcome,
        amount=conclusion.new_amount,
    )
    review_completed.send(sender=Review, actor=actor, review=review, outcome=outcome)
    return review


def _push_next_review(case: Case, review: Review, as_of: datetime.date) -> None:
    """A periodic review done moves the next one on by the case's frequency (from the date it
    was due, so the rhythm holds; from today when that is already past)."""
    if review.kind != ReviewKind.PERIODIC:
        return
    months = case.review_frequency_months
    after = add_months(case.next_review_on or as_of, months)
    if after <= as_of:
        after = add_months(as_of, months)
    before = case.next_review_on
    case_update(case, next_review_on=after)
    review.evidence = {**review.evidence, "next_review_on": [str(before), after.isoformat()]}


def _calculate(case: Case, as_of: datetime.date) -> Calculation:
    try:
        return benefits.case_calculate(case=case, as_of=as_of)
    except MissingStandard as e:
        raise CaseError({"outcome": [REVIEW_CALCULATION_FAILED.format(message=e.message)]}) from e


def _adjust(
    case: Case, actor: User, reason: str, as_of: datetime.date, income_from_work: bool | None
) -> _Conclusion:
    calculation = _calculate(case, as_of)
    from_month = first_of_next_month(as_of)
    evidence: dict[str, Any] = {"calculation": calculation.as_json()}
    if calculation.amount <= 0:
        from_work = (
            _income_rose_from_work(case, as_of) if income_from_work is None else income_from_work
        )
        months = _exit_grace_months(case, from_month)
        above = _income_above_standard(case, calculation, as_of)
        if not (from_work and above and months > 0 and _has_gradual_exit(case)):
            raise CaseError({"outcome": [REVIEW_ADJUST_TO_ZERO]})
        if case.status != CaseStatus.EXIT_GRACE:
            _enter_exit_grace(case, actor, calculation, from_month, months)
        return _Conclusion(new_amount=case.monthly_amount, evidence=evidence)
    fields = benefits.calculation_store(case, calculation)
    updates: dict[str, Any] = {name: getattr(case, name) for name in fields}
    if case.status == CaseStatus.EXIT_GRACE:
        updates.update(status=CaseStatus.ACTIVE, exit_grace_until=None)
    case_update(case, **updates)
    if benefits.amount_for_month(case, from_month) != calculation.amount:
        benefits.benefit_period_set(
            case=case,
            valid_from=from_month,
            amount=calculation.amount,
            reason=BenefitPeriod.Reason.REVIEW,
            calculation=calculation.as_json(),
            actor=actor,
        )
    return _Conclusion(new_amount=calculation.amount, evidence=evidence)


def _has_gradual_exit(case: Case) -> bool:
    """渐退 is a 低保 rule; a policy may say otherwise with a `gradual_exit` attribute."""
    policy = policy_for(case.program)
    return bool(getattr(policy, "gradual_exit", case.program.startswith("dibao")))


def _exit_grace_months(case: Case, day: datetime.date) -> int:
    standards = benefits.case_standards_or_none(case, day)
    default = Decimal(DEFAULT_EXIT_GRACE_MONTHS)
    return int(standards.get_or("exit_grace_months", default) if standards else default)


def _income_above_standard(case: Case, calculation: Calculation, day: datetime.date) -> bool:
    """Whether the amount is nothing because per-capita income reached the standard (and not,
    say, because of assets). True when the calculation does not tell."""
    pci = calculation.inputs.get("per_capita_income")
    standards = benefits.case_standards_or_none(case, day)
    if pci is None or standards is None or "monthly_standard" not in standards.values:
        return True
    return Decimal(str(pci)) >= standards.get("monthly_standard")


def _work_income(declaration: Declaration) -> Decimal:
    return sum((i.monthly_amount for i in declaration.incomes.all() if i.kind in WORK_INCOME), ZERO)


def _income_rose_from_work(case: Case, as_of: datetime.date) -> bool:
    """Whether the newest declaration shows more income from work (wages, business) than the
    one before it (or any, when there is no earlier one)."""
    declarations = list(
        Declaration.objects.filter(household_id=case.household_id, declared_on__lte=as_of)
        .prefetch_related("incomes")
        .order_by("-declared_on", "-id")[:2]
    )
    if not declarations:
        return False
    before = _work_income(declarations[1]) if len(declarations) > 1 else ZERO
    return _work_income(declarations[0]) > before


def _enter_exit_grace(
    case: Case, actor: User, calculation: Calculation, from_month: datetime.date, months: int
) -> None:
    """渐退期: the amount is kept for `months` months from `from_month`; `exit_grace_until` is
    the last of them, after which `exit_grace_expire` terminates the case."""
    until = add_months(from_month, months - 1)
    before = case.status
    case_update(case, status=CaseStatus.EXIT_GRACE, exit_grace_until=until)
    reason = EXIT_GRACE_REASON.format(start=from_month, until=until)
    benefits.benefit_period_set(
        case=case,
        valid_from=from_month,
        amount=case.monthly_amount,
        reason=BenefitPeriod.Reason.EXIT_GRACE,
        calculation={"exit_grace_until": until.isoformat(), "recalculated": calculation.as_json()},
        actor=actor,
    )
    case_audit(
        case,
        actor,
        "case.exit_grace",
        reason,
        status=[before, CaseStatus.EXIT_GRACE],
        exit_grace_until=[None, until],
        from_month=from_month,
    )


def _stop_payment(
    case: Case, actor: User | None, from_month: datetime.date, reason: str, note: dict[str, Any]
) -> None:
    """Nothing is paid from `from_month` on: a zero period then, and every later period
    already set (a standard change recorded ahead) zeroed as well."""
    later = BenefitPeriod.objects.filter(case=case, valid_from__gt=from_month, monthly_amount__gt=0)
    for valid_from in [from_month, *later.values_list("valid_from", flat=True)]:
        benefits.benefit_period_set(
            case=case,
            valid_from=valid_from,
            amount=ZERO,
            reason=reason,
            calculation=note,
            actor=actor,
        )


def _suspend(
    case: Case, actor: User | None, reason: str, from_month: datetime.date, note: dict[str, Any]
) -> _Conclusion:
    before = case.status
    case_update(case, status=CaseStatus.SUSPENDED)
    _stop_payment(case, actor, from_month, BenefitPeriod.Reason.SUSPENSION, note)
    case_audit(
        case,
        actor,
        "case.suspend",
        reason,
        status=[before, CaseStatus.SUSPENDED],
        from_month=from_month,
    )
    return _Conclusion(new_amount=ZERO)


def _last_paid_month(case: Case, this_month: datetime.date) -> datetime.date:
    """This month for a paying case; for a suspended one the month before payment stopped."""
    if case.status in PAYING_STATUSES:
        return this_month
    stopped = (
        BenefitPeriod.objects.filter(case=case, valid_from__lte=first_of_next_month(this_month))
        .order_by("-valid_from", "-id")
        .first()
    )
    if stopped is not None and stopped.monthly_amount == 0 and stopped.valid_from <= this_month:
        return add_months(stopped.valid_from, -1)
    return this_month


def _terminate(
    case: Case, actor: User | None, reason: str, as_of: datetime.date, review: Review | None
) -> _Conclusion:
    this_month = as_of.replace(day=1)
    end_month = _last_paid_month(case, this_month)
    before = case.status
    case_update(case, status=CaseStatus.TERMINATED, end_month=end_month)
    note: dict[str, Any] = {"review": review.pk if review else None}
    evidence: dict[str, Any] = {}
    if case.program == "tekun":
        notice = calendar_deadline(as_of, TEKUN_TERMINATION_NOTICE_DAYS)
        evidence["termination_notice"] = {
            "posted_on": as_of.isoformat(),
            "ends_on": notice.due_on.isoformat(),
            "provisional": notice.provisional,
        }
    _stop_payment(
        case, actor, first_of_next_month(this_month), BenefitPeriod.Reason.TERMINATION, note
    )
    _close_other_reviews(case, actor, review)
    case_audit(
        case,
        actor,
        "case.terminate",
        reason,
        status=[before, CaseStatus.TERMINATED],
        end_month=[None, end_month],
        **evidence,
    )
    return _Conclusion(new_amount=ZERO, evidence=evidence)


def _close_other_reviews(case: Case, actor: User | None, review: Review | None) -> None:
    others = Review.objects.filter(case=case, status=Review.Status.OPEN)
    if review is not None:
        others = others.exclude(pk=review.pk)
    label = review.pk if review else "-"
    closed = list(others)
    others.update(
        status=Review.Status.DONE,
        outcome=ReviewOutcome.TERMINATE,
        outcome_reason=REVIEWS_CLOSED_BY_TERMINATION.format(review=label),
        completed_by=actor,
        completed_at=timezone.now(),
    )
    # The apps waiting on these reviews (a data-matching flag) hear that they ended too.
    for other in closed:
        other.refresh_from_db()
        review_completed.send(
            sender=Review, actor=actor, review=other, outcome=ReviewOutcome.TERMINATE
        )


@transaction.atomic
def exit_grace_expire(*, as_of: datetime.date) -> int:
    """Terminate the cases whose 渐退期 ended before the month of `as_of` (run on the first of
    each month, before payroll). Returns how many."""
    ended = Case.objects.select_for_update().filter(
        status=CaseStatus.EXIT_GRACE, exit_grace_until__lt=as_of.replace(day=1)
    )
    count = 0
    for case in ended.order_by("id"):
        until = case.exit_grace_until
        assert until is not None
        before = case.status
        case_update(case, status=CaseStatus.TERMINATED, end_month=until)
        reason = EXIT_GRACE_END_REASON.format(until=until)
        _stop_payment(case, None, first_of_next_month(until), BenefitPeriod.Reason.TERMINATION, {})
        _close_other_reviews(case, None, None)
        case_audit(
            case,
            None,
            "case.terminate",
            reason,
            status=[before, CaseStatus.TERMINATED],
            end_month=[None, until],
        )
        count += 1
    return count


@transaction.atomic
def case_resume(
    *, actor: User, case: Case, reason: str, as_of: datetime.date | None = None
) -> Case:
    """Pay a suspended case again from next month, at the amount it had before (in 渐退期
    again if that has not ended)."""
    _require_reviewer(actor)
    require_in_scope(actor, case.region_code)
    case = _lock(case)
    if case.status != CaseStatus.SUSPENDED:
        raise CaseError(RESUME_NOT_SUSPENDED)
    if not reason.strip():
        raise CaseError({"reason": [RESUME_REASON_REQUIRED]})
    last = (
        BenefitPeriod.objects.filter(case=case, monthly_amount__gt=0)
        .order_by("-valid_from", "-id")
        .first()
    )
    # Suspended before its first month was paid: the approval period was overwritten with
    # 0, so the approved amount is the one to restore.
    amount, calculation = (
        (last.monthly_amount, last.calculation) if last else (case.monthly_amount, case.calculation)
    )
    if amount <= 0:
        raise CaseError(RESUME_NO_AMOUNT)
    from_month = first_of_next_month(as_of or _today())
    grace = case.exit_grace_until is not None and case.exit_grace_until >= from_month
    status = CaseStatus.EXIT_GRACE if grace else CaseStatus.ACTIVE
    case_update(case, status=status)
    benefits.benefit_period_set(
        case=case,
        valid_from=from_month,
        amount=amount,
        reason=BenefitPeriod.Reason.RESUMPTION,
        calculation=calculation,
        actor=actor,
    )
    case_audit(
        case,
        actor,
        "case.resume",
        reason.strip(),
        status=[CaseStatus.SUSPENDED, status],
        amount=amount,
        from_month=from_month,
    )
    return case


# --- death ------------------------------------------------------------------------------------


@dataclass
class DeathOutcome:
    """What recording a death did to the person's cases."""

    suspended: list[Case] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # in Chinese, for the clerk


def _has_funeral_grant(case: Case) -> bool:
    return case.program == "tekun" or "funeral_grant" in policy_for(case.program).parameters


def _is_sole_member(case: Case, person: Person) -> bool:
    """Whether the person is the one the case supports: no other living counted member, or the
    applicant of a support program (特困) that pays a funeral grant."""
    if _has_funeral_grant(case) and case.applicant_id == person.pk:
        return True
    others = (
        CaseMember.objects.filter(case=case, counted=True, person__death_date__isnull=True)
        .exclude(person=person)
        .exists()
    )
    return not others


@transaction.atomic
def person_death_recorded(
    *, actor: User, person: Person, death_date: datetime.date
) -> DeathOutcome:
    """Call when the registry records a death. Cases supporting only this person (or the
    特困 person) are suspended from the month after death and, for 特困, the funeral grant is
    made; every affected case gets a death review due within 3 months of the death. Running it
    again changes nothing. The registry has checked the actor's scope; the person's cases may
    lie elsewhere and are handled anyway."""
    result = DeathOutcome()
    counted = CaseMember.objects.filter(person=person, counted=True).values("case_id")
    cases = (
        Case.objects.select_for_update()
        .filter(Q(applicant=person) | Q(pk__in=counted))
        .filter(status__in=REVIEWABLE_STATUSES)
        .order_by("id")
    )
    for case in cases:
        _death_case(case, actor, person, death_date, result)
    return result


def _death_case(
    case: Case, actor: User, person: Person, death_date: datetime.date, result: DeathOutcome
) -> None:
    from_month = first_of_next_month(death_date)
    sole = _is_sole_member(case, person)
    if sole and case.status in PAYING_STATUSES:
        reason = DEATH_SUSPEND_REASON.format(name=person.name, day=death_date, month=from_month)
        _suspend(case, actor, reason, from_month, {"death": person.pk})
        result.suspended.append(case)
    evidence: dict[str, Any] = {"person": person.pk, "death_date": death_date.isoformat()}
    if sole and _has_funeral_grant(case) and case.applicant_id == person.pk:
        problem = _death_funeral(case, actor, death_date, result)
        if problem:
            evidence["funeral_grant_problem"] = problem
    if _death_review_exists(case, person):
        return
    template = DEATH_SOLE_REVIEW_REASON if sole else DEATH_MEMBER_REVIEW_REASON
    reason = template.format(name=person.name, day=death_date, month=from_month)
    if "funeral_grant_problem" in evidence:
        reason = f"{reason}。{evidence['funeral_grant_problem']}"
    due_on = max(add_months(death_date, DEATH_REVIEW_MONTHS), _today())
    result.reviews.append(
        _new_review(
            case, actor, kind=ReviewKind.DEATH, reason=reason, due_on=due_on, evidence=evidence
        )
    )


def _death_review_exists(case: Case, person: Person) -> bool:
    return Review.objects.filter(
        case=case, kind=ReviewKind.DEATH, evidence__person=person.pk
    ).exists()


def _death_funeral(case: Case, actor: User, death_date: datetime.date, result: DeathOutcome) -> str:
    """Make the funeral grant; what went wrong (in Chinese) when it could not."""
    if Grant.objects.filter(case=case, kind=Grant.Kind.FUNERAL).exists():
        return ""
    try:
        result.grants.append(_funeral_grant(case, actor, death_date))
    except MissingStandard as e:
        problem = FUNERAL_GRANT_MISSING.format(message=e.message.rstrip("。"))
        result.problems.append(problem)
        return problem
    return ""


def _funeral_grant(case: Case, actor: User, death_date: datetime.date) -> Grant:
    standards = benefits.case_standards(case, death_date)
    amount = standards.get("funeral_grant").quantize(Decimal("0.01"))
    source = standards.sources.get("funeral_grant", "")
    grant = Grant.objects.create(
        case=case,
        kind=Grant.Kind.FUNERAL,
        amount=amount,
        granted_on=_today(),
        calculation={
            "amount": str(amount),
            "lines": [{"label": "丧葬补助标准", "formula": "", "value": f"{amount} 元"}],
            "standards": {"funeral_grant": source} if source else {},
            "death_date": death_date.isoformat(),
        },
        created_by=actor,
    )
    case_audit(case, actor, "case.grant", kind=Grant.Kind.FUNERAL, amount=amount)
    return grant


@transaction.atomic
def funeral_grant_create(*, actor: User, case: Case) -> Grant:
    """Make the funeral grant of a 特困 case whose person has died (when recording the death
    could not, e.g. because the standard was not set yet)."""
    _require_reviewer(actor)
    require_in_scope(actor, case.region_code)
    case = _lock(case)
    if not _has_funeral_grant(case):
        raise CaseError(FUNERAL_NOT_TEKUN)
    existing = Grant.objects.filter(case=case, kind=Grant.Kind.FUNERAL).first()
    if existing is not None:
        raise CaseError(FUNERAL_ALREADY_GRANTED.format(day=existing.granted_on))
    applicant = case.applicant
    if applicant.death_date is None:
        raise CaseError(FUNERAL_PERSON_ALIVE.format(name=applicant.name))
    try:
        return _funeral_grant(case, actor, applicant.death_date)
    except MissingStandard as e:
        raise CaseError(e.message) from e


# --- reads ------------------------------------------------------------------------------------


def review_list(
    *, user: User, status: str | None = None, kind: str | None = None
) -> QuerySet[Review]:
    """Reviews of the cases in the user's scope, earliest deadline first."""
    if user.role not in CASE_READERS:
        return Review.objects.none()
    reviews = scoped(
        Review.objects.select_related("case", "case__applicant", "completed_by"),
        user,
        "case__region_code",
    )
    if status:
        reviews = reviews.filter(status=status)
    if kind:
        reviews = reviews.filter(kind=kind)
    return reviews.order_by("due_on", "id")


def review_get(*, user: User, pk: int) -> Review:
    review = review_list(user=user).filter(pk=pk).first()
    if review is None:
        raise Http404(OUT_OF_SCOPE)
    return review


def case_reviews(case: Case) -> QuerySet[Review]:
    return Review.objects.filter(case=case).select_related("completed_by").order_by("-created_at")
