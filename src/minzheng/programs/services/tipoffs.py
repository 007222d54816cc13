"""举报投诉: tip-offs and complaints about a household or a case, registered with their source
and the reporter's contact, assigned to a clerk, due in working days, investigated and closed
with an outcome that may open a review of the case (Review kind tip_off, linked back)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from minzheng.core.audit import audit_record
from minzheng.core.models import Region, User
from minzheng.core.regions import code_prefix
from minzheng.core.scope import OUT_OF_SCOPE, in_scope, require_in_scope, scoped
from minzheng.programs.deadlines import working_deadline
from minzheng.programs.models import Case, Review, ReviewKind, TipOff
from minzheng.programs.permissions import CASE_READERS, REVIEWERS
from minzheng.programs.services.errors import CaseError
from minzheng.programs.services.reviews import REVIEWABLE_STATUSES, review_create
from minzheng.registry.models import Household

TIPOFF_NOT_ALLOWED = "只有乡镇(街道)和县(区)民政经办人员可以办理举报投诉"
TIPOFF_SOURCE_INVALID = "请选择举报来源"
TIPOFF_CONTENT_REQUIRED = "请填写举报内容"
TIPOFF_REGION_UNKNOWN = "区划代码“{code}”不存在"
TIPOFF_CASE_OTHER_HOUSEHOLD = "所选案件不属于所选家庭"
TIPOFF_NOT_IN_REGION = "所选家庭或案件不在“涉及区划”内"
TIPOFF_ASSIGNEE_INVALID = "承办人应为负责该地区的乡镇(街道)或县(区)民政经办人员"
TIPOFF_CLOSED = "该举报投诉已于{day}办结"
TIPOFF_INVESTIGATION_REQUIRED = "请填写核查情况"
TIPOFF_OUTCOME_INVALID = "请选择核查结论"
TIPOFF_NO_CASE_TO_REVIEW = "该举报未关联在保案件,不能转入复核"
TIPOFF_REVIEW_REASON = "举报投诉核查{outcome}:{content}"

# Working days to investigate and answer; no national number is set (local practice, like
# the 12345 hotline's, is 10 working days).
TIPOFF_DUE_DAYS = 10


def _require_handler(actor: User) -> None:
    if actor.role not in REVIEWERS:
        raise PermissionDenied(TIPOFF_NOT_ALLOWED)


def _audit(tipoff: TipOff, actor: User, action: str, reason: str = "", **changes: object) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="tipoff",
        object_id=tipoff.pk,
        region_code=tipoff.region_code,
        changes=changes,
        reason=reason,
    )


def _check_assignee(assignee: User | None, region_code: str) -> None:
    if assignee is None:
        return
    if (
        assignee.role not in REVIEWERS
        or not in_scope(assignee, region_code)
        or not assignee.is_active
    ):
        raise CaseError({"assignee": [TIPOFF_ASSIGNEE_INVALID]})


def _check_links(region_code: str, household: Household | None, case: Case | None) -> None:
    if case is not None and household is not None and case.household_id != household.pk:
        raise CaseError({"case": [TIPOFF_CASE_OTHER_HOUSEHOLD]})
    prefix = code_prefix(region_code)
    for linked in (household, case):
        if linked is not None and not linked.region_code.startswith(prefix):
            raise CaseError({"region_code": [TIPOFF_NOT_IN_REGION]})


@transaction.atomic
def tipoff_register(
    *,
    actor: User,
    source: str,
    content: str,
    region_code: str,
    reporter_name: str = "",
    reporter_contact: str = "",
    household: Household | None = None,
    case: Case | None = None,
    assignee: User | None = None,
    as_of: datetime.date | None = None,
) -> TipOff:
    """Register a tip-off about `region_code` (and the household or case it names), due in
    10 working days (marked provisional when the holidays of that year are not known yet)."""
    _require_handler(actor)
    require_in_scope(actor, region_code)
    errors: dict[str, list[str]] = {}
    if source not in TipOff.Source.values:
        errors["source"] = [TIPOFF_SOURCE_INVALID]
    if not content.strip():
        errors["content"] = [TIPOFF_CONTENT_REQUIRED]
    if not Region.objects.filter(code=region_code).exists():
        errors["region_code"] = [TIPOFF_REGION_UNKNOWN.format(code=region_code)]
    if errors:
        raise CaseError(errors)
    _check_links(region_code, household, case)
    _check_assignee(assignee, region_code)
    if case is not None and household is None:
        household = case.household
    deadline = working_deadline(as_of or timezone.localdate(), TIPOFF_DUE_DAYS)
    tipoff = TipOff.objects.create(
        source=source,
        content=content.strip(),
        region_code=region_code,
        reporter_name=reporter_name.strip(),
        reporter_contact=reporter_contact.strip(),
        household=household,
        case=case,
        assignee=assignee,
        due_on=deadline.due_on,
        due_provisional=deadline.provisional,
        registered_by=actor,
    )
    _audit(
        tipoff,
        actor,
        "tipoff.register",
        source=source,
        household=household.pk if household else None,
        case=case.pk if case else None,
        assignee=assignee.username if assignee else None,
        due_on=deadline.due_on,
    )
    return tipoff


def _require_open(tipoff: TipOff) -> None:
    if tipoff.status != TipOff.Status.OPEN:
        day = timezone.localdate(tipoff.closed_at) if tipoff.closed_at else ""
        raise CaseError(TIPOFF_CLOSED.format(day=day))


@transaction.atomic
def tipoff_assign(*, actor: User, tipoff: TipOff, assignee: User, reason: str = "") -> TipOff:
    _require_handler(actor)
    require_in_scope(actor, tipoff.region_code)
    tipoff = TipOff.objects.select_for_update().get(pk=tipoff.pk)
    _require_open(tipoff)
    _check_assignee(assignee, tipoff.region_code)
    before = tipoff.assignee.username if tipoff.assignee else None
    tipoff.assignee = assignee
    tipoff.save(update_fields=["assignee"])
    _audit(tipoff, actor, "tipoff.assign", reason.strip(), assignee=[before, assignee.username])
    return tipoff


def _case_to_review(tipoff: TipOff) -> Case:
    """The case the tip-off is about, or the household's enrolled case."""
    if tipoff.case is not None and tipoff.case.status in REVIEWABLE_STATUSES:
        return tipoff.case
    if tipoff.case is None and tipoff.household_id is not None:
        case = (
            Case.objects.filter(household_id=tipoff.household_id, status__in=REVIEWABLE_STATUSES)
            .order_by("-start_month", "-id")
            .first()
        )
        if case is not None:
            return case
    raise CaseError({"open_review": [TIPOFF_NO_CASE_TO_REVIEW]})


@transaction.atomic
def tipoff_close(
    *,
    actor: User,
    tipoff: TipOff,
    investigation: str,
    outcome: str,
    open_review: bool,
) -> TipOff:
    """Close a tip-off with what the investigation found; with `open_review`, the case it is
    about gets a review (kind tip_off) and the tip-off links to it."""
    _require_handler(actor)
    require_in_scope(actor, tipoff.region_code)
    tipoff = TipOff.objects.select_for_update().get(pk=tipoff.pk)
    _require_open(tipoff)
    errors: dict[str, list[str]] = {}
    if not investigation.strip():
        errors["investigation"] = [TIPOFF_INVESTIGATION_REQUIRED]
    if outcome not in TipOff.Outcome.values:
        errors["outcome"] = [TIPOFF_OUTCOME_INVALID]
    if errors:
        raise CaseError(errors)
    review: Review | None = None
    if open_review:
        case = _case_to_review(tipoff)
        label = TipOff.Outcome(outcome).label
        review = review_create(
            actor=actor,
            case=case,
            kind=ReviewKind.TIP_OFF,
            reason=TIPOFF_REVIEW_REASON.format(outcome=label, content=tipoff.content[:100]),
            evidence={"tipoff": tipoff.pk, "investigation": investigation.strip()},
        )
    tipoff.status = TipOff.Status.CLOSED
    tipoff.investigation = investigation.strip()
    tipoff.outcome = outcome
    tipoff.review = review
    tipoff.closed_at = timezone.now()
    tipoff.save(update_fields=["status", "investigation", "outcome", "review", "closed_at"])
    _audit(
        tipoff,
        actor,
        "tipoff.close",
        outcome=outcome,
        review=review.pk if review else None,
    )
    return tipoff


# --- reads ------------------------------------------------------------------------------------


def tipoff_list(*, user: User, status: str | None = None) -> QuerySet[TipOff]:
    """Tip-offs about the user's region and below, open ones by deadline first."""
    if user.role not in CASE_READERS:
        return TipOff.objects.none()
    tipoffs = scoped(
        TipOff.objects.select_related("household__head", "case", "assignee", "review"), user
    )
    if status:
        tipoffs = tipoffs.filter(status=status)
    return tipoffs.order_by("-status", "due_on", "id")  # open before closed


def tipoff_get(*, user: User, pk: int) -> TipOff:
    tipoff = tipoff_list(user=user).filter(pk=pk).first()
    if tipoff is None:
        raise Http404(OUT_OF_SCOPE)
    return tipoff
