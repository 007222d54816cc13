"""Working a flag (核实疑点): confirm it with the action it calls for, or dismiss it with the
reason. A flag with a review is concluded through the review (the review's outcome is the
flag's); a death confirmed is recorded in the registry (the case engine then does what a death
does); a death dismissed resumes the payment the run suspended; a candidate confirmed says
the person was referred for enrolment.

A review of a flag completed on the case page concludes the flag too (flag_review_completed,
called by the receiver of programs.signals.review_completed)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from minzheng.core.audit import audit_record
from minzheng.core.models import User
from minzheng.core.scope import require_in_scope
from minzheng.matching.errors import MatchingConflict, MatchingError
from minzheng.matching.models import FlagStatus, MatchFlag, RuleAction
from minzheng.matching.permissions import FLAG_WORKERS
from minzheng.matching.rules import RULES
from minzheng.programs.models import Case, CaseStatus, Review, ReviewOutcome
from minzheng.programs.services.errors import CaseConflict, CaseError

REFERRED = "referred"  # a 漏保 candidate referred for enrolment (建议纳入)
CONFIRM_OUTCOMES = (ReviewOutcome.ADJUST, ReviewOutcome.SUSPEND, ReviewOutcome.TERMINATE)
DEATH_KINDS = ("death", "cremation")

FLAG_NOT_ALLOWED = "只有乡镇(街道)和县(区)民政经办人员可以核实比对疑点"
FLAG_REASON_REQUIRED = "请填写核实情况"
FLAG_OUTCOME_INVALID = "请选择处理结果:调整金额、暂停发放或终止保障"
FLAG_CANDIDATE_OUTCOME = "疑似漏保人员核实属实的处理结果为“建议纳入”"
FLAG_ALREADY_WORKED = "该疑点已由{user}于{at}核实为“{status}”,请刷新页面查看"
DEATH_NOT_RECORDED = "未能登记死亡:{message}"
DEATH_RECORD_REASON = "信息比对核实:{summary}"
RESUME_REASON = "信息比对疑点核实不属实,恢复发放:{reason}"


def _require_worker(actor: User, flag: MatchFlag) -> None:
    if actor.role not in FLAG_WORKERS:
        raise PermissionDenied(FLAG_NOT_ALLOWED)
    require_in_scope(actor, flag.region_code)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise MatchingError({"reason": [FLAG_REASON_REQUIRED]})
    return reason


@contextmanager
def _as_matching_errors() -> Iterator[None]:
    """The case engine's and the registry's refusals, as a flag's page shows them."""
    try:
        yield
    except CaseConflict as e:
        raise MatchingConflict(e.message) from e
    except MatchingError:
        raise
    except CaseError as e:
        raise MatchingError(e.errors) from e
    except ValidationError as e:
        messages = [str(m) for m in e.messages]
        raise MatchingError({"outcome": messages}) from e


def _claim(flag: MatchFlag, actor: User | None, status: str, outcome: str, reason: str) -> None:
    """Conclude the flag unless someone else did first (MatchingConflict)."""
    done = MatchFlag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(
        status=status,
        outcome=outcome,
        outcome_reason=reason,
        worked_by=actor,
        worked_at=timezone.now(),
    )
    flag.refresh_from_db()
    if not done:
        who = flag.worked_by
        by = (who.full_name or who.username) if who else "系统"
        at = timezone.localtime(flag.worked_at) if flag.worked_at else None
        raise MatchingConflict(
            FLAG_ALREADY_WORKED.format(
                user=by, at=f"{at:%m月%d日%H:%M}" if at else "", status=flag.get_status_display()
            )
        )


def _audit(flag: MatchFlag, actor: User | None, action: str, reason: str, **changes: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="MatchFlag",
        object_id=flag.pk,
        region_code=flag.region_code,
        changes={"rule": flag.rule, "status": [FlagStatus.OPEN, flag.status], **changes},
        reason=reason,
    )


def _open_review(flag: MatchFlag) -> Review | None:
    if flag.review_id is None:
        return None
    return Review.objects.filter(pk=flag.review_id, status=Review.Status.OPEN).first()


def _is_death(flag: MatchFlag) -> bool:
    rule = RULES.get(flag.rule)
    return rule is not None and rule.dataset_kind in DEATH_KINDS


def _death_date(flag: MatchFlag) -> datetime.date | None:
    raw = (flag.evidence or {}).get("death_date")
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


def _record_death(actor: User, flag: MatchFlag) -> None:
    """The registry's death (ending the person's membership, else the person's death date):
    it sends person_died, and the case engine suspends, reviews and grants what a death calls
    for."""
    from minzheng.registry.models import LeaveReason, Membership, Person
    from minzheng.registry.services import member_remove, person_update

    day = _death_date(flag)
    if day is None:
        return
    person = Person.objects.get(pk=flag.person_id)
    if person.death_date is not None:
        return
    reason = DEATH_RECORD_REASON.format(summary=flag.summary)
    membership = Membership.objects.filter(person=person, valid_to__isnull=True).first()
    try:
        if membership is not None and day > membership.valid_from:
            member_remove(
                actor=actor,
                membership=membership,
                valid_to=day,
                leave_reason=LeaveReason.DEATH,
                reason=reason,
            )
        else:
            person_update(actor=actor, person=person, data={"death_date": day}, reason=reason)
    except ValidationError as e:
        message = ";".join(str(m) for m in e.messages)
        raise MatchingError({"outcome": [DEATH_NOT_RECORDED.format(message=message)]}) from e


def _resume_if_suspended(actor: User, review: Review | None, reason: str) -> None:
    """A dismissed death flag whose case the run suspended: pay again from next month."""
    from minzheng.programs.services.reviews import case_resume
    from minzheng.registry.models import Person

    evidence: dict[str, Any] = (review.evidence or {}) if review is not None else {}
    if review is None or not evidence.get("suspended_from"):
        return
    case = Case.objects.get(pk=review.case_id)
    if case.status != CaseStatus.SUSPENDED:
        return
    # the registry learnt of the death meanwhile: the case engine's suspension stands
    person_id = int(evidence.get("person") or 0)
    if Person.objects.filter(pk=person_id, death_date__isnull=False).exists():
        return
    case_resume(actor=actor, case=case, reason=RESUME_REASON.format(reason=reason))


@transaction.atomic
def flag_confirm(
    *,
    actor: User,
    flag: MatchFlag,
    outcome: str,
    reason: str,
    findings: str = "",
) -> MatchFlag:
    """Confirm: `outcome` is a ReviewOutcome (adjust / suspend / terminate; continue is not a
    confirmation) for a flag with a case, or "referred" for a candidate. MatchingError for a
    missing reason or an outcome the case's status does not allow; MatchingConflict when the
    flag was worked meanwhile; PermissionDenied/404 outside the actor's role or scope."""
    _require_worker(actor, flag)
    reason = _reason(reason)
    if flag.action == RuleAction.CANDIDATE:
        if outcome != REFERRED:
            raise MatchingError({"outcome": [FLAG_CANDIDATE_OUTCOME]})
    elif outcome not in CONFIRM_OUTCOMES:
        raise MatchingError({"outcome": [FLAG_OUTCOME_INVALID]})
    _claim(flag, actor, FlagStatus.CONFIRMED, outcome, reason)
    with _as_matching_errors():
        if _is_death(flag):
            _record_death(actor, flag)
        review = _open_review(flag)
        if review is not None:
            from minzheng.programs.services.reviews import review_complete

            review_complete(
                actor=actor,
                review=review,
                outcome=outcome,
                outcome_reason=reason,
                findings=findings,
            )
    _audit(flag, actor, "matching.flag_confirm", reason, outcome=outcome)
    return flag


@transaction.atomic
def flag_dismiss(*, actor: User, flag: MatchFlag, reason: str) -> MatchFlag:
    """Dismiss (not true: wrong person, vehicle sold, income already declared ...) with the
    reason; the review concludes "continue", a suspension by the run is lifted. The same
    evidence is never flagged again."""
    _require_worker(actor, flag)
    reason = _reason(reason)
    outcome = "" if flag.action == RuleAction.CANDIDATE else ReviewOutcome.CONTINUE.value
    _claim(flag, actor, FlagStatus.DISMISSED, outcome, reason)
    with _as_matching_errors():
        review = _open_review(flag)
        if review is not None:
            from minzheng.programs.services.reviews import review_complete

            review = review_complete(
                actor=actor,
                review=review,
                outcome=ReviewOutcome.CONTINUE,
                outcome_reason=reason,
            )
            _resume_if_suspended(actor, review, reason)
    _audit(flag, actor, "matching.flag_dismiss", reason, outcome=outcome)
    return flag


def flag_review_completed(*, actor: User | None, review: Review, outcome: str) -> MatchFlag | None:
    """A flag's review concluded elsewhere (the case page): the flag follows, confirmed by
    adjust / suspend / terminate, dismissed by continue (lifting the run's suspension). Inside
    review_complete's transaction; a flag already worked is left as it is."""
    flag = MatchFlag.objects.filter(review=review, status=FlagStatus.OPEN).first()
    if flag is None:
        return None
    dismissed = outcome == ReviewOutcome.CONTINUE
    status = FlagStatus.DISMISSED if dismissed else FlagStatus.CONFIRMED
    reason = review.outcome_reason or review.findings or ""
    done = MatchFlag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(
        status=status,
        outcome=outcome,
        outcome_reason=reason,
        worked_by=actor,
        worked_at=timezone.now(),
    )
    if not done:
        return None
    flag.refresh_from_db()
    # A "continue" comes from a person's review; closings by the system are terminations.
    if dismissed and actor is not None:
        _resume_if_suspended(actor, review, reason or str(ReviewOutcome.CONTINUE.label))
    action = "matching.flag_dismiss" if dismissed else "matching.flag_confirm"
    _audit(flag, actor, action, reason, outcome=outcome, review=review.pk)
    return flag
