"""The case flow: acceptance at the one window (or online, completed at the window), each step
done by the role and level its program assigns, the public notice with its objections, the
approval (or refusal) with the recusal rule, and enrollment.

Two users completing the same step at the same moment: the case row is locked for the step, the
step is closed with a conditional update, and the second user gets CaseConflict (HTTP 409)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from minzheng.core.models import Role, User
from minzheng.core.scope import require_in_scope
from minzheng.programs.deadlines import (
    Deadline,
    add_months,
    calendar_deadline,
    first_of_next_month,
    working_deadline,
)
from minzheng.programs.models import (
    OPEN_STATUSES,
    PAYING_STATUSES,
    BenefitPeriod,
    Case,
    CaseMember,
    CaseStatus,
    Channel,
    Grant,
    Objection,
    Step,
    StepLevel,
    StepStatus,
)
from minzheng.programs.permissions import (
    CASE_ACCEPTORS,
    ONLINE_APPLICANTS,
    roles_for_step,
)
from minzheng.programs.policies import POLICIES, policy_for
from minzheng.programs.policies.base import (
    ACCEPTANCE,
    AUTHORIZATION,
    COUNTY_APPROVAL,
    DECISION,
    DEMOCRATIC_REVIEW,
    ENROLLMENT,
    PUBLIC_NOTICE,
    SURVEY,
    TOWNSHIP_REVIEW,
    VERIFICATION,
    Policy,
    Standards,
    StepSpec,
    care_level_from_failed_items,
    step_label,
)
from minzheng.programs.services.benefits import (
    benefit_period_set,
    calculation_store,
    case_calculate,
    case_eligibility,
    case_standards_or_none,
)
from minzheng.programs.services.errors import CaseConflict, CaseError
from minzheng.programs.services.events import case_audit
from minzheng.registry.models import Household, Membership, Person

PROGRAM_UNKNOWN = "请选择救助项目"
APPLICANT_NOT_MEMBER = "申请人{name}不是该家庭的现有成员"
DUPLICATE_APPLICATION = "该家庭已有{program}案件{number}正在办理或在保,不能重复申请"
NOT_ALLOWED = "您的角色不能办理此事项"
CASE_NOT_OPEN = "案件已{status},不能再办理"
STEP_NOT_OPEN = "该案件当前不在“{step}”环节"
STEP_DONE_BY_OTHER = "“{step}”环节已由{user}于{at}办理完毕,请刷新页面查看"
AUTHORIZATION_UNSIGNED = "请确认申请家庭成员已签署家庭经济状况核对授权书"
SURVEY_NEEDS_TWO = "入户调查应由2名以上工作人员进行,请填写全部调查人员"
SURVEY_NEEDS_DATE = "请填写入户调查日期"
SURVEY_DATE_FUTURE = "调查日期不能晚于今天"
DATE_INVALID = "日期格式不正确,应为YYYY-MM-DD"
VERIFICATION_RESULT = "请选择核对结果"
VOTES_INCONSISTENT = (
    "出席人数、赞成票和反对票不一致:赞成与反对票之和不能超过出席人数,出席人数不能超过应到人数"
)
OPINION_REQUIRED = "请选择审核意见"
REASON_REQUIRED = "不同意时必须写明理由"
NOTICE_NOT_ENDED = "公示期至{ends_on}届满,期满后才能结束公示"
OBJECTIONS_OPEN = "尚有{n}条公示异议未处理完毕,处理后才能继续"
RELATED_USER_MUST_RECUSE = "您已登记为该家庭成员的近亲属(近亲属备案),应当回避,不能审批此案件"
NOT_ELIGIBLE = "不符合条件,不能批准:{reasons}"
WITHDRAW_REASON_REQUIRED = "请填写撤回原因"
OBJECTION_CONTENT_REQUIRED = "请填写异议内容"
OBJECTION_NOT_DURING_NOTICE = "只有公示期间才能登记异议"
OBJECTION_RESOLVED = "该异议已处理"
OBJECTION_OUTCOME_REQUIRED = "请选择处理结果并填写调查情况"
DETAILS_INVALID = "项目信息不完整"

APPROVE, REFUSE = "approve", "refuse"
# Program families: one household cannot hold two open or paying cases of the same family.
FAMILY = {"dibao_urban": "dibao", "dibao_rural": "dibao"}
NUMBER_PREFIX = {
    "dibao_urban": "CSDB",
    "dibao_rural": "NCDB",
    "tekun": "TK",
    "temporary_emergency": "LSJN",
    "temporary_expense": "LSZC",
}


def _today() -> datetime.date:
    return timezone.localdate()


def _require_role(actor: User, roles: set[Role] | set[str]) -> None:
    if actor.role not in roles:
        raise CaseError(NOT_ALLOWED)


def _flag(standards: Standards | None, name: str) -> bool:
    return bool(standards and standards.flag(name))


def _step_days(spec: StepSpec, standards: Standards | None) -> int:
    """The step's period: the national default unless the region set `deadline_<step>`."""
    if standards is None:
        return spec.deadline_days
    return int(standards.get_or(f"deadline_{spec.code}", Decimal(spec.deadline_days)))


def _deadline(spec: StepSpec, start: datetime.date, standards: Standards | None) -> Deadline:
    days = _step_days(spec, standards)
    if spec.calendar_days:
        return calendar_deadline(start, days)
    return working_deadline(start, days)


def _is_related(case: Case, day: datetime.date) -> bool:
    from minzheng.programs.services.relatives import relative_filings_for_household

    return bool(relative_filings_for_household(household=case.household, day=day))


def _actor_is_related(actor: User, case: Case, day: datetime.date) -> bool:
    from minzheng.programs.services.relatives import user_is_related

    return bool(user_is_related(user=actor, household=case.household, day=day))


# --- acceptance -------------------------------------------------------------------------------


def _check_application(
    *, actor: User, household: Household, applicant: Person, program: str
) -> Policy:
    if program not in POLICIES:
        raise CaseError({"program": [PROGRAM_UNKNOWN]})
    require_in_scope(actor, household.region_code)
    is_member = Membership.objects.filter(
        household=household, person=applicant, valid_to__isnull=True
    ).exists()
    if not is_member:
        raise CaseError({"applicant": [APPLICANT_NOT_MEMBER.format(name=applicant.name)]})
    family = FAMILY.get(program, program)
    same = [code for code, fam in FAMILY.items() if fam == family] or [program]
    clash = Case.objects.filter(
        program__in=same, status__in=[*OPEN_STATUSES, *PAYING_STATUSES, CaseStatus.SUSPENDED]
    )
    clash = (
        clash.filter(applicant=applicant)
        if program == "tekun"
        else clash.filter(household=household)
    )
    existing = clash.first()
    if existing is not None:
        raise CaseError(
            DUPLICATE_APPLICATION.format(
                program=POLICIES[existing.program].label, number=existing.number
            )
        )
    return policy_for(program)


def _new_case(
    *,
    actor: User,
    household: Household,
    applicant: Person,
    program: str,
    channel: str,
    status: str,
    reason: str,
    details: dict[str, Any] | None,
    is_single_person: bool,
    support_mode: str,
    care_level: str,
    exclusions: dict[int, str] | None,
) -> Case:
    policy = _check_application(
        actor=actor, household=household, applicant=applicant, program=program
    )
    details = dict(details or {})
    errors = policy.validate_details(details)
    if errors:
        raise CaseError(errors)
    if not care_level and isinstance(details.get("self_care_failed"), list):
        care_level = care_level_from_failed_items(len(details["self_care_failed"]))
    case = Case.objects.create(
        program=program,
        household=household,
        applicant=applicant,
        region_code=household.region_code,
        channel=channel,
        status=status,
        reason=reason,
        details=details,
        is_single_person=is_single_person,
        support_mode=support_mode,
        care_level=care_level,
        created_by=actor,
    )
    prefix = NUMBER_PREFIX.get(program, program[:4].upper())
    case.number = f"{prefix}{case.region_code[:6]}{_today():%Y}{case.pk:07d}"
    case.relative_flag = _is_related(case, _today())
    case.save(update_fields=["number", "relative_flag"])
    _members_create(case, exclusions or {})
    _steps_create(case, policy)
    return case


def _members_create(case: Case, exclusions: dict[int, str]) -> None:
    memberships = Membership.objects.filter(household=case.household, valid_to__isnull=True)
    rows = []
    for m in memberships:
        reason = exclusions.get(m.person_id, "")
        if case.is_single_person and m.person_id != case.applicant_id:
            reason = reason or "single_person"
        rows.append(
            CaseMember(
                case=case,
                person_id=m.person_id,
                relationship=m.relationship,
                counted=not reason,
                exclusion_reason=reason,
            )
        )
    CaseMember.objects.bulk_create(rows)


def _steps_create(case: Case, policy: Policy) -> None:
    standards = case_standards_or_none(case, _today())
    delegated = _flag(standards, "delegated_approval") and not case.relative_flag
    steps = []
    for seq, spec in enumerate(policy.steps):
        level = spec.level
        if spec.code == COUNTY_APPROVAL and delegated:
            level = StepLevel.TOWNSHIP
        skipped = spec.optional and not _flag(standards, f"require_{spec.code}")
        steps.append(
            Step(
                case=case,
                code=spec.code,
                seq=seq,
                level=level,
                status=StepStatus.SKIPPED if skipped else StepStatus.WAITING,
            )
        )
    Step.objects.bulk_create(steps)
    days = policy.case_deadline_days_delegated if delegated else policy.case_deadline_days
    if standards is not None:
        days = int(standards.get_or("deadline_case", Decimal(days)))
    deadline = working_deadline(_today(), days)
    case.due_on, case.due_provisional = deadline.due_on, deadline.provisional
    case.save(update_fields=["due_on", "due_provisional"])


@transaction.atomic
def case_apply_online(
    *,
    actor: User,
    household: Household,
    applicant: Person,
    program: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    is_single_person: bool = False,
    support_mode: str = "",
    care_level: str = "",
) -> Case:
    """An application made online (by the household, or by the village assistant on its
    behalf): it waits for the township window to accept it."""
    _require_role(actor, ONLINE_APPLICANTS)
    case = _new_case(
        actor=actor,
        household=household,
        applicant=applicant,
        program=program,
        channel=Channel.ONLINE,
        status=CaseStatus.SUBMITTED,
        reason=reason,
        details=details,
        is_single_person=is_single_person,
        support_mode=support_mode,
        care_level=care_level,
        exclusions=None,
    )
    _open_step(case, case.steps.get(code=ACCEPTANCE), _today())
    case_audit(case, actor, "case.apply_online", program=program, number=case.number)
    return case


@transaction.atomic
def case_accept(
    *,
    actor: User,
    household: Household,
    applicant: Person,
    program: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    is_single_person: bool = False,
    support_mode: str = "",
    care_level: str = "",
    exclusions: dict[int, str] | None = None,
) -> Case:
    """一门受理: the township window takes the application with everything it needs and the
    case moves to its next step at once."""
    _require_role(actor, CASE_ACCEPTORS)
    case = _new_case(
        actor=actor,
        household=household,
        applicant=applicant,
        program=program,
        channel=Channel.WINDOW,
        status=CaseStatus.IN_PROGRESS,
        reason=reason,
        details=details,
        is_single_person=is_single_person,
        support_mode=support_mode,
        care_level=care_level,
        exclusions=exclusions,
    )
    case_audit(case, actor, "case.accept", program=program, number=case.number)
    step = case.steps.get(code=ACCEPTANCE)
    _open_step(case, step, _today())
    _close_step(case, step, actor, outcome="", data={}, note="")
    Case.objects.filter(pk=case.pk).update(accepted_at=timezone.now())
    _advance(case, step, actor)
    return case


@transaction.atomic
def case_accept_online(
    *, actor: User, case: Case, exclusions: dict[int, str] | None = None
) -> Case:
    """The window completes an online application: it becomes a case in progress."""
    if exclusions:
        case_members_set(actor=actor, case=case, exclusions=exclusions)
    step_complete(actor=actor, case=case, code=ACCEPTANCE)
    case.refresh_from_db()
    return case


@transaction.atomic
def case_members_set(*, actor: User, case: Case, exclusions: dict[int, str]) -> Case:
    """Record which members are not counted (共同生活家庭成员认定) and why."""
    case = _lock(case, actor)
    _require_role(actor, CASE_ACCEPTORS | {Role.COUNTY_OFFICER})
    changed = {}
    for member in case.members.all():
        reason = exclusions.get(member.person_id, "")
        if case.is_single_person and member.person_id != case.applicant_id:
            reason = reason or "single_person"
        if member.exclusion_reason != reason:
            changed[str(member.person_id)] = [member.exclusion_reason, reason]
            member.exclusion_reason, member.counted = reason, not reason
            member.save(update_fields=["exclusion_reason", "counted"])
    case_audit(case, actor, "case.members_set", members=changed)
    return case


# --- steps ------------------------------------------------------------------------------------


def _lock(case: Case, actor: User, version: int | None = None) -> Case:
    """Lock the case row for this transaction (the second of two simultaneous users waits
    here and then finds the step done)."""
    require_in_scope(actor, case.region_code)
    locked = Case.objects.select_for_update().select_related("household").get(pk=case.pk)
    if version is not None and locked.version != version:
        raise CaseConflict()
    return locked


def _open_step(case: Case, step: Step, day: datetime.date) -> None:
    policy = policy_for(case.program)
    spec = policy.step(step.code)
    standards = case_standards_or_none(case, day)
    deadline = _deadline(spec, day, standards)
    step.status, step.opened_on = StepStatus.OPEN, day
    step.due_on, step.due_provisional = deadline.due_on, deadline.provisional
    if step.code == COUNTY_APPROVAL and case.relative_flag:
        step.level = StepLevel.COUNTY  # a relative filed meanwhile: the county decides
    if step.code == PUBLIC_NOTICE:
        ends_on = day + datetime.timedelta(days=_step_days(spec, standards))
        step.data = {**step.data, "starts_on": day.isoformat(), "ends_on": ends_on.isoformat()}
        # The notice is closed on the first working day after its last day.
        closing = working_deadline(ends_on, 1)
        step.due_on, step.due_provisional = closing.due_on, closing.provisional
    step.save()
    Case.objects.filter(pk=case.pk).update(current_step=step.code)
    case.current_step = step.code


def _done_by_other(step: Step) -> CaseConflict:
    """The conflict of a step already done: who did it, and when."""
    by = step.completed_by
    name = (by.full_name or by.username) if by else ""
    at = timezone.localtime(step.completed_at).strftime("%H:%M") if step.completed_at else ""
    return CaseConflict(STEP_DONE_BY_OTHER.format(step=step_label(step.code), user=name, at=at))


def _close_step(
    case: Case, step: Step, actor: User | None, *, outcome: str, data: dict[str, Any], note: str
) -> None:
    done = Step.objects.filter(pk=step.pk, status=StepStatus.OPEN).update(
        status=StepStatus.DONE,
        completed_at=timezone.now(),
        completed_by=actor,
        outcome=outcome,
        data={**step.data, **data},
        note=note,
    )
    if not done:
        step.refresh_from_db()
        raise _done_by_other(step)
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    case.version += 1
    step.refresh_from_db()
    case_audit(
        case,
        actor,
        "case.step_complete",
        reason=note,
        step=step.code,
        round=step.round,
        outcome=outcome,
    )


def _next_waiting(case: Case, after: Step) -> Step | None:
    return (
        case.steps.filter(status=StepStatus.WAITING, seq__gt=after.seq)
        .order_by("seq", "round")
        .first()
    )


def _advance(case: Case, done: Step, actor: User | None) -> None:
    """Open the step after `done`; auto steps are done by the engine on the spot; a case whose
    steps are all done is finished."""
    nxt = _next_waiting(case, done)
    if nxt is None:
        _finish(case, actor)
        return
    _open_step(case, nxt, _today())
    if policy_for(case.program).step(nxt.code).auto:
        _auto_step(case, nxt, actor)


def _auto_step(case: Case, step: Step, actor: User | None) -> None:
    if step.code == DECISION:
        letter = "approval" if case.decision == APPROVE else "refusal"
        _close_step(case, step, actor, outcome=case.decision, data={"letter": letter}, note="")
    elif step.code == ENROLLMENT:
        _enroll(case, actor)
        _close_step(case, step, actor, outcome="enrolled", data={}, note="")
    _advance(case, step, actor)


def _finish(case: Case, actor: User | None) -> None:
    policy = policy_for(case.program)
    if case.decision == REFUSE:
        status = CaseStatus.REFUSED
    elif policy.kind == "one_off":
        status = CaseStatus.CLOSED
    else:
        status = CaseStatus.ACTIVE
    Case.objects.filter(pk=case.pk).update(status=status, current_step="")
    case.status, case.current_step = status, ""
    if status == CaseStatus.CLOSED:
        case_audit(case, actor, "case.close")


def _enroll(case: Case, actor: User | None) -> None:
    """纳入保障: monthly programs are paid from the month after approval; one-off programs pay
    their grant now (先行救助 programs before the rest of the file)."""
    policy = policy_for(case.program)
    today = _today()
    if policy.kind == "one_off":
        amount = case.one_off_amount or Decimal("0.00")
        Grant.objects.create(
            case=case,
            kind=Grant.Kind.TEMPORARY,
            amount=amount,
            granted_on=today,
            paid_first=policy.payment_first,
            calculation=case.calculation,
            created_by=actor,
        )
        case_audit(case, actor, "case.grant", amount=str(amount))
        return
    start = first_of_next_month(today)
    standards = case_standards_or_none(case, today)
    facts_months = policy.review_months_stable
    if standards is not None:
        from minzheng.programs.selectors import case_facts

        facts_months = policy.review_months(facts=case_facts(case, today), standards=standards)
    Case.objects.filter(pk=case.pk).update(
        start_month=start,
        review_frequency_months=facts_months,
        next_review_on=add_months(start, facts_months),
    )
    case.start_month = start
    benefit_period_set(
        case=case,
        valid_from=start,
        amount=case.monthly_amount,
        reason=BenefitPeriod.Reason.APPROVAL,
        calculation=case.calculation,
        actor=actor,
    )
    case_audit(case, actor, "case.enroll", amount=str(case.monthly_amount), from_month=start)


def _recalculate(case: Case, day: datetime.date) -> None:
    """Work the benefit out again and keep it on the case (the clerk sees the calculation)."""
    calculation = case_calculate(case=case, as_of=day)
    fields = calculation_store(case, calculation)
    if policy_for(case.program).kind == "one_off":
        case.one_off_amount = calculation.amount
        fields.append("one_off_amount")
    else:
        case.monthly_amount = calculation.amount
        fields.append("monthly_amount")
    case.save(update_fields=fields)


def _validate(
    case: Case, step: Step, actor: User, outcome: str, data: dict[str, Any], note: str
) -> None:
    """The rules of each step before it may be closed."""
    code, today = step.code, _today()
    if code == AUTHORIZATION and not data.get("signed"):
        raise CaseError({"signed": [AUTHORIZATION_UNSIGNED]})
    if code == SURVEY:
        given = data.get("surveyors", [])
        surveyors = [s for s in given if str(s).strip()] if isinstance(given, list) else []
        if len(surveyors) < 2:
            raise CaseError({"surveyors": [SURVEY_NEEDS_TWO]})
        if not data.get("visited_on"):
            raise CaseError({"visited_on": [SURVEY_NEEDS_DATE]})
        try:
            visited_on = datetime.date.fromisoformat(str(data["visited_on"]))
        except ValueError:
            raise CaseError({"visited_on": [DATE_INVALID]}) from None
        if visited_on > today:
            raise CaseError({"visited_on": [SURVEY_DATE_FUTURE]})
    if code == VERIFICATION and outcome not in {"pass", "fail"}:
        raise CaseError({"outcome": [VERIFICATION_RESULT]})
    if code == DEMOCRATIC_REVIEW:
        try:
            eligible, present = int(data["eligible_voters"]), int(data["attendees"])
            yes, no = int(data["votes_for"]), int(data["votes_against"])
        except (KeyError, TypeError, ValueError):
            raise CaseError({"attendees": [VOTES_INCONSISTENT]}) from None
        if min(eligible, present, yes, no) < 0 or yes + no > present or present > eligible:
            raise CaseError({"attendees": [VOTES_INCONSISTENT]})
    if code in {TOWNSHIP_REVIEW, COUNTY_APPROVAL}:
        if outcome not in {APPROVE, REFUSE}:
            raise CaseError({"outcome": [OPINION_REQUIRED]})
        if outcome == REFUSE and not note.strip():
            raise CaseError({"note": [REASON_REQUIRED]})
    if code == PUBLIC_NOTICE:
        ends_on = datetime.date.fromisoformat(step.data["ends_on"])
        if today <= ends_on:
            raise CaseError(NOTICE_NOT_ENDED.format(ends_on=f"{ends_on:%Y年%m月%d日}"))
    if code in {PUBLIC_NOTICE, COUNTY_APPROVAL}:
        n = case.objections.filter(outcome="").count()
        if n:
            raise CaseError(OBJECTIONS_OPEN.format(n=n))
    if code == COUNTY_APPROVAL:
        if case.relative_flag and _actor_is_related(actor, case, today):
            raise CaseError(RELATED_USER_MUST_RECUSE)
        if outcome == APPROVE:
            eligibility = case_eligibility(case=case, as_of=today)
            if not eligibility.eligible:
                raise CaseError(NOT_ELIGIBLE.format(reasons=";".join(eligibility.reasons)))


def _after_step(case: Case, step: Step, actor: User, outcome: str, note: str) -> None:
    """What a closed step changes on the case."""
    today = _today()
    if step.code == ACCEPTANCE and case.status == CaseStatus.SUBMITTED:
        Case.objects.filter(pk=case.pk).update(
            status=CaseStatus.IN_PROGRESS, accepted_at=timezone.now()
        )
        case.status = CaseStatus.IN_PROGRESS
        case_audit(case, actor, "case.accept", program=case.program, number=case.number)
    if step.code == ACCEPTANCE and case.accepted_at is None:
        Case.objects.filter(pk=case.pk).update(accepted_at=timezone.now())
    if step.code == SURVEY and "self_care_failed" in step.data:
        level = care_level_from_failed_items(len(step.data["self_care_failed"]))
        Case.objects.filter(pk=case.pk).update(care_level=level)
        case.care_level = level
    if step.code in {VERIFICATION, TOWNSHIP_REVIEW}:
        _recalculate(case, today)
    if step.code == TOWNSHIP_REVIEW:
        _route_approval(case)
    if step.code == TOWNSHIP_REVIEW and outcome == REFUSE:
        _decide(case, actor, REFUSE, note)
        _skip_after_refusal(case, step)
    if step.code == COUNTY_APPROVAL:
        if outcome == APPROVE:
            _recalculate(case, today)
        _decide(case, actor, outcome, note)
        if outcome == REFUSE:
            _skip_after_refusal(case, step)


def _skip_after_refusal(case: Case, step: Step) -> None:
    """A refusal ends the case: only the decision (the refusal letter) is still done."""
    case.steps.filter(status=StepStatus.WAITING, seq__gt=step.seq).exclude(code=DECISION).update(
        status=StepStatus.SKIPPED
    )


def _route_approval(case: Case) -> None:
    """One-off aid within the township's cap is approved by the township (乡镇审批)."""
    policy = policy_for(case.program)
    if policy.kind != "one_off" or case.relative_flag:
        return
    standards = case_standards_or_none(case, _today())
    if standards is None or case.one_off_amount is None:
        return
    cap = standards.get_or("township_approval_cap", Decimal(0))
    if case.one_off_amount <= cap:
        case.steps.filter(code=COUNTY_APPROVAL, status=StepStatus.WAITING).update(
            level=StepLevel.TOWNSHIP
        )


def _decide(case: Case, actor: User, outcome: str, note: str) -> None:
    Case.objects.filter(pk=case.pk).update(
        decision=outcome, decision_reason=note, decided_at=timezone.now(), decided_by=actor
    )
    case.decision, case.decision_reason = outcome, note
    amount = (
        case.one_off_amount if policy_for(case.program).kind == "one_off" else case.monthly_amount
    )
    action = "case.approve" if outcome == APPROVE else "case.refuse"
    case_audit(case, actor, action, reason=note, amount=str(amount or ""))


@transaction.atomic
def step_complete(
    *,
    actor: User,
    case: Case,
    code: str,
    outcome: str = "",
    data: dict[str, Any] | None = None,
    note: str = "",
    version: int | None = None,
) -> Step:
    """Complete the open step `code` of the case. Raises CaseError when a rule refuses it and
    CaseConflict when someone else completed it (or changed the case) first."""
    case = _lock(case, actor)
    if not case.is_open:
        raise CaseError(CASE_NOT_OPEN.format(status=case.get_status_display()))
    step = case.steps.filter(code=code).order_by("-round").first()
    if step is None or step.status != StepStatus.OPEN:
        if step is not None and step.status == StepStatus.DONE:
            raise _done_by_other(step)
        raise CaseError(STEP_NOT_OPEN.format(step=step_label(code)))
    if actor.role not in roles_for_step(code, step.level):
        raise CaseError(NOT_ALLOWED)
    if version is not None and case.version != version:
        raise CaseConflict()
    data = dict(data or {})
    _validate(case, step, actor, outcome, data, note)
    _close_step(case, step, actor, outcome=outcome, data=data, note=note)
    _after_step(case, step, actor, outcome, note)
    case.refresh_from_db()
    if case.is_open:
        _advance(case, step, actor)
    return step


@transaction.atomic
def case_withdraw(*, actor: User, case: Case, reason: str) -> Case:
    """The applicant withdraws (or the window closes an application never completed)."""
    case = _lock(case, actor)
    _require_role(actor, CASE_ACCEPTORS)
    if not case.is_open:
        raise CaseError(CASE_NOT_OPEN.format(status=case.get_status_display()))
    if not reason.strip():
        raise CaseError({"reason": [WITHDRAW_REASON_REQUIRED]})
    case.steps.filter(status__in=[StepStatus.OPEN, StepStatus.WAITING]).update(
        status=StepStatus.CANCELLED
    )
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.WITHDRAWN, current_step="", version=F("version") + 1
    )
    case.refresh_from_db()
    case_audit(case, actor, "case.withdraw", reason=reason)
    return case


# --- public notice objections ------------------------------------------------------------------


@transaction.atomic
def objection_register(
    *,
    actor: User,
    case: Case,
    content: str,
    raised_by_name: str = "",
    raised_by_contact: str = "",
) -> Objection:
    """An objection to a case under public notice: the case waits until it is resolved."""
    case = _lock(case, actor)
    _require_role(actor, roles_for_step(PUBLIC_NOTICE, StepLevel.VILLAGE))
    step = case.steps.filter(code=PUBLIC_NOTICE, status=StepStatus.OPEN).first()
    if step is None:
        raise CaseError(OBJECTION_NOT_DURING_NOTICE)
    if not content.strip():
        raise CaseError({"content": [OBJECTION_CONTENT_REQUIRED]})
    objection = Objection.objects.create(
        case=case,
        step=step,
        content=content.strip(),
        raised_by_name=raised_by_name,
        raised_by_contact=raised_by_contact,
        registered_by=actor,
    )
    case_audit(case, actor, "case.objection_register", reason=content, objection=objection.pk)
    return objection


@transaction.atomic
def objection_resolve(
    *, actor: User, objection: Objection, outcome: str, investigation: str
) -> Objection:
    """Resolve an objection after investigating it. Upheld: the case goes back to a new
    household survey, democratic review and township review, and is noticed again."""
    case = _lock(objection.case, actor)
    _require_role(actor, roles_for_step(TOWNSHIP_REVIEW, StepLevel.TOWNSHIP))
    objection.refresh_from_db()
    if objection.outcome:
        raise CaseConflict(OBJECTION_RESOLVED)
    if outcome not in Objection.Outcome.values or not investigation.strip():
        raise CaseError({"outcome": [OBJECTION_OUTCOME_REQUIRED]})
    objection.outcome, objection.investigation = outcome, investigation.strip()
    objection.resolved_by, objection.resolved_at = actor, timezone.now()
    objection.save(update_fields=["outcome", "investigation", "resolved_by", "resolved_at"])
    case_audit(
        case,
        actor,
        "case.objection_resolve",
        reason=investigation,
        objection=objection.pk,
        outcome=outcome,
    )
    if outcome == Objection.Outcome.UPHELD:
        _return_for_reinvestigation(case, objection.step, actor)
    return objection


def _return_for_reinvestigation(case: Case, notice: Step, actor: User) -> None:
    """异议成立: close the notice and run survey, democratic review, township review and the
    notice again (a new round of each)."""
    Step.objects.filter(pk=notice.pk).update(status=StepStatus.CANCELLED)
    again = [SURVEY, DEMOCRATIC_REVIEW, TOWNSHIP_REVIEW, PUBLIC_NOTICE]
    policy = policy_for(case.program)
    codes = [c for c in policy.step_codes() if c in again]
    first: Step | None = None
    for code in codes:
        last = case.steps.filter(code=code).order_by("-round").first()
        assert last is not None
        step = Step.objects.create(
            case=case, code=code, seq=last.seq, round=last.round + 1, level=last.level
        )
        first = first or step
    if first is not None:
        _open_step(case, first, _today())
    case_audit(case, actor, "case.return", step=first.code if first else "")
