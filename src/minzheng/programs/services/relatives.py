"""近亲属备案 (DOMAIN.md §1): the register of close relatives of bureau staff, township staff and
village cadres. A filing marks the relative's household's open and paying cases (relative_flag),
which then go to the county and may not be approved by the related worker; `user_is_related`
is what the case flow asks before it lets a user approve.

Writes (`relative_filing_create`, `relative_filing_revoke`) and the reads the case flow and the
register page need live together here, as the register is small."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from minzheng.core.audit import audit_record
from minzheng.core.models import Region, User
from minzheng.core.regions import code_prefix
from minzheng.core.scope import OUT_OF_SCOPE, require_in_scope, scoped
from minzheng.programs.models import OPEN_STATUSES, PAYING_STATUSES, Case, RelativeFiling
from minzheng.programs.permissions import CASE_READERS, RELATIVE_FILERS
from minzheng.programs.services.errors import CaseError
from minzheng.programs.services.events import case_audit
from minzheng.registry.models import Household, Membership, Person
from minzheng.registry.selectors import household_of

RELATIVE_FILE_NOT_ALLOWED = "只有乡镇(街道)经办人员和县(区)民政局工作人员可以办理近亲属备案"
RELATIVE_STAFF_NAME_REQUIRED = "请填写工作人员姓名"
RELATIVE_STAFF_KIND_INVALID = "请选择工作人员类别"
RELATIVE_RELATION_INVALID = "请选择亲属关系"
RELATIVE_REGION_UNKNOWN = "区划代码“{code}”不存在"
RELATIVE_FILED_IN_FUTURE = "备案日期不能晚于今天"
RELATIVE_DUPLICATE = "{name}已作为{staff}的近亲属备案(备案日期{day}),无需重复备案"
RELATIVE_ALREADY_REVOKED = "该备案已于{day}撤销"
RELATIVE_REVOKE_BEFORE_FILING = "撤销日期不能早于备案日期{day}"
RELATIVE_REVOKE_REASON_REQUIRED = "请填写撤销原因"
RELATIVE_FLAG_REASON = "近亲属备案:{name}为{staff}({kind})的{relation}"

FLAGGED_STATUSES = (*OPEN_STATUSES, *PAYING_STATUSES)


def _require_filer(actor: User) -> None:
    if actor.role not in RELATIVE_FILERS:
        raise PermissionDenied(RELATIVE_FILE_NOT_ALLOWED)


def _check_filing(
    *,
    staff_name: str,
    staff_kind: str,
    relation: str,
    region_code: str,
    valid_from: datetime.date,
) -> None:
    errors: dict[str, list[str]] = {}
    if not staff_name.strip():
        errors["staff_name"] = [RELATIVE_STAFF_NAME_REQUIRED]
    if staff_kind not in RelativeFiling.StaffKind.values:
        errors["staff_kind"] = [RELATIVE_STAFF_KIND_INVALID]
    if relation not in RelativeFiling.Relation.values:
        errors["relation"] = [RELATIVE_RELATION_INVALID]
    if not Region.objects.filter(code=region_code).exists():
        errors["region_code"] = [RELATIVE_REGION_UNKNOWN.format(code=region_code)]
    if valid_from > timezone.localdate():
        errors["valid_from"] = [RELATIVE_FILED_IN_FUTURE]
    if errors:
        raise CaseError(errors)


def _valid_on(day: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


def _check_duplicate(person: Person, staff_name: str, staff_user: User | None) -> None:
    same_staff = Q(staff_user=staff_user) if staff_user else Q(staff_name=staff_name.strip())
    existing = (
        RelativeFiling.objects.filter(person=person, valid_to__isnull=True)
        .filter(same_staff)
        .first()
    )
    if existing is not None:
        message = RELATIVE_DUPLICATE.format(
            name=person.name, staff=existing.staff_name, day=existing.valid_from
        )
        raise CaseError({"person": [message]})


@transaction.atomic
def relative_filing_create(
    *,
    actor: User,
    person: Person,
    staff_name: str,
    staff_kind: str,
    relation: str,
    region_code: str,
    valid_from: datetime.date,
    staff_user: User | None = None,
    staff_position: str = "",
    note: str = "",
) -> RelativeFiling:
    """File `person` as a close relative of a worker of `region_code` (the worker's unit), and
    mark the open and paying cases of the person's current household."""
    _require_filer(actor)
    require_in_scope(actor, region_code)
    _check_filing(
        staff_name=staff_name,
        staff_kind=staff_kind,
        relation=relation,
        region_code=region_code,
        valid_from=valid_from,
    )
    _check_duplicate(person, staff_name, staff_user)
    filing = RelativeFiling.objects.create(
        person=person,
        staff_name=staff_name.strip(),
        staff_user=staff_user,
        staff_kind=staff_kind,
        staff_position=staff_position.strip(),
        relation=relation,
        region_code=region_code,
        valid_from=valid_from,
        note=note.strip(),
        filed_by=actor,
    )
    audit_record(
        actor=actor,
        action="relative.file",
        object_type="relative_filing",
        object_id=filing.pk,
        region_code=region_code,
        changes=_filing_changes(filing),
    )
    _flag_cases(actor, filing)
    return filing


def _filing_changes(filing: RelativeFiling) -> dict[str, Any]:
    return {
        "person": [None, filing.person.id_number],
        "staff_name": [None, filing.staff_name],
        "staff_user": [None, filing.staff_user_id],
        "staff_kind": [None, filing.staff_kind],
        "relation": [None, filing.relation],
        "valid_from": [None, filing.valid_from],
    }


def _flag_cases(actor: User, filing: RelativeFiling) -> list[Case]:
    """Mark the open and paying cases of the relative's current household."""
    household = household_of(filing.person)
    if household is None:
        return []
    cases = list(
        Case.objects.select_for_update()
        .filter(household=household, status__in=FLAGGED_STATUSES, relative_flag=False)
        .order_by("id")
    )
    if not cases:
        return []
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        relative_flag=True, version=F("version") + 1, updated_at=timezone.now()
    )
    reason = RELATIVE_FLAG_REASON.format(
        name=filing.person.name,
        staff=filing.staff_name,
        kind=filing.get_staff_kind_display(),
        relation=filing.get_relation_display(),
    )
    for case in cases:
        case.relative_flag = True
        case.version += 1
        case_audit(
            case,
            actor,
            "case.relative_flag",
            reason,
            relative_flag=[False, True],
            relative_filing=[None, filing.pk],
        )
    return cases


@transaction.atomic
def relative_filing_revoke(
    *, actor: User, filing: RelativeFiling, valid_to: datetime.date, reason: str
) -> RelativeFiling:
    """End a filing (the worker left, the relation ended). Cases already marked stay marked:
    the mark records that the case was handled under recusal."""
    _require_filer(actor)
    require_in_scope(actor, filing.region_code)
    errors: dict[str, list[str]] = {}
    if filing.valid_to is not None:
        errors["valid_to"] = [RELATIVE_ALREADY_REVOKED.format(day=filing.valid_to)]
    elif valid_to < filing.valid_from:
        errors["valid_to"] = [RELATIVE_REVOKE_BEFORE_FILING.format(day=filing.valid_from)]
    if not reason.strip():
        errors["reason"] = [RELATIVE_REVOKE_REASON_REQUIRED]
    if errors:
        raise CaseError(errors)
    filing.valid_to = valid_to
    filing.save(update_fields=["valid_to"])
    audit_record(
        actor=actor,
        action="relative.revoke",
        object_type="relative_filing",
        object_id=filing.pk,
        region_code=filing.region_code,
        changes={"valid_to": [None, valid_to]},
        reason=reason.strip(),
    )
    return filing


# Reads ----------------------------------------------------------------------------------------


def relative_filings_for_household(
    *, household: Household, day: datetime.date
) -> list[RelativeFiling]:
    """The filings in force on `day` of the persons who belong to `household` on `day`."""
    persons = Membership.objects.filter(household=household).filter(_valid_on(day))
    return list(
        RelativeFiling.objects.select_related("person", "staff_user")
        .filter(person_id__in=persons.values("person_id"))
        .filter(_valid_on(day))
        .order_by("valid_from", "id")
    )


def relative_filing_list(*, user: User, q: str = "") -> QuerySet[RelativeFiling]:
    """The register as `user` may see it (filings of the user's region and below), searched by
    the relative's name or ID number or the worker's name."""
    if user.role not in CASE_READERS:
        return RelativeFiling.objects.none()
    filings = scoped(RelativeFiling.objects.select_related("person", "staff_user"), user)
    q = q.strip()
    if q:
        filings = filings.filter(
            Q(person__name__contains=q) | Q(person__id_number=q.upper()) | Q(staff_name=q)
        )
    return filings.order_by("-valid_from", "-id")


def relative_filing_get(*, user: User, pk: int) -> RelativeFiling:
    filing = relative_filing_list(user=user).filter(pk=pk).first()
    if filing is None:
        raise Http404(OUT_OF_SCOPE)
    return filing


def _same_branch(a: str, b: str) -> bool:
    """Whether one region lies beneath the other (or they are the same)."""
    pa, pb = code_prefix(a), code_prefix(b)
    return pa.startswith(pb) or pb.startswith(pa)


def filing_names_user(filing: RelativeFiling, user: User) -> bool:
    """Whether the filing is about this user: by account, or (for a filing without one) by
    name within the same branch of the region tree."""
    if filing.staff_user_id is not None:
        return filing.staff_user_id == user.pk
    name = (user.full_name or "").strip()
    return (
        bool(name)
        and filing.staff_name == name
        and _same_branch(filing.region_code, user.region_id)
    )


def user_is_related(*, user: User, household: Household, day: datetime.date) -> bool:
    """Whether `user` is filed as a close relative's worker of someone in `household` on `day`
    (such a user may not approve the household's case)."""
    return any(
        filing_names_user(f, user)
        for f in relative_filings_for_household(household=household, day=day)
    )
