"""Writes to the registry: one function per business action, each in a transaction, each
checking the actor's scope and leaving an audit event. Errors are django ValidationErrors keyed
by field, with Chinese messages, so that forms, the API and imports all show them the same way."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from minzheng.core.audit import audit_record, diff, snapshot
from minzheng.core.idnumbers import IdNumberError, normalize_id_number
from minzheng.core.models import Region, User
from minzheng.core.scope import OUT_OF_SCOPE, in_scope
from minzheng.registry.models import (
    AssetItem,
    Declaration,
    Household,
    IncomeItem,
    JoinReason,
    LeaveReason,
    Membership,
    Person,
    Relationship,
)
from minzheng.registry.signals import person_died

PERSON_DUPLICATE_IN_SCOPE = "身份证号码{id_number}已登记:{name}(户籍地:{region})"
PERSON_DUPLICATE_ELSEWHERE = "该身份证号码已在其他地区登记,请联系县(区)民政局核实后办理迁移"
REGION_UNKNOWN = "区划代码{code}不存在"
REGION_NOT_VILLAGE = "请选择村(社区)一级的区划"
MEMBER_ALREADY_IN_HOUSEHOLD = "{name}已是{head}户的成员,请先办理迁出再加入本户"
MEMBER_NOT_IN_HOUSEHOLD = "{name}在{day}不是本户成员"
MEMBER_LEAVES_BEFORE_JOINING = "离开日期应晚于加入日期{valid_from}"
HEAD_MUST_BE_MEMBER = "户主必须是本户的现有成员"
HEAD_CANNOT_LEAVE = "户主不能直接迁出,请先变更户主"
DEATH_DATE_IN_FUTURE = "死亡日期不能晚于今天"
DEATH_BEFORE_BIRTH = "死亡日期不能早于出生日期"
DISABILITY_GRADE_WITHOUT_CATEGORY = "填写残疾等级时请同时选择残疾类别"
DISABILITY_CATEGORY_WITHOUT_GRADE = "请填写残疾等级(1-4级)"
AMOUNT_INVALID = "金额应为不小于0的数字,最多两位小数"

PERSON_FIELDS = [
    "id_number",
    "name",
    "ethnicity",
    "phone",
    "hukou_type",
    "region_code",
    "marital_status",
    "education",
    "labour_capacity",
    "disability_category",
    "disability_grade",
    "disability_certificate",
    "serious_illness",
    "death_date",
]
HOUSEHOLD_FIELDS = [
    "address",
    "region_code",
    "bank_name",
    "bank_account_name",
    "bank_account_number",
]


def _require_region(actor: User, code: str, field: str = "region_code") -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError({field: REGION_UNKNOWN.format(code=code)})
    if not in_scope(actor, code):
        raise ValidationError({field: OUT_OF_SCOPE})
    return region


def _clean_id_number(raw: str) -> str:
    try:
        return normalize_id_number(raw)
    except IdNumberError as e:
        raise ValidationError({"id_number": e.message}) from None


def person_duplicate_message(*, actor: User, id_number: str, exclude_pk: int | None = None) -> str:
    """The message for a number already registered, naming the record only inside the scope;
    "" when the number is free."""
    others = Person.objects.filter(id_number=id_number)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    other = others.first()
    if other is None:
        return ""
    if in_scope(actor, other.region_code):
        region = Region.objects.filter(code=other.region_code).first()
        return PERSON_DUPLICATE_IN_SCOPE.format(
            id_number=id_number,
            name=other.name,
            region=region.name if region else other.region_code,
        )
    return PERSON_DUPLICATE_ELSEWHERE


def _check_person(person: Person) -> None:
    errors: dict[str, str] = {}
    if person.disability_grade and not person.disability_category:
        errors["disability_category"] = DISABILITY_GRADE_WITHOUT_CATEGORY
    if person.disability_category and not person.disability_grade:
        errors["disability_grade"] = DISABILITY_CATEGORY_WITHOUT_GRADE
    if person.death_date:
        if person.death_date > timezone.localdate():
            errors["death_date"] = DEATH_DATE_IN_FUTURE
        elif person.death_date < person.birth_date:
            errors["death_date"] = DEATH_BEFORE_BIRTH
    if errors:
        raise ValidationError(errors)


def _save_person(person: Person, actor: User) -> None:
    """Derive, validate and save; the unique index is the last word on duplicates (two clerks
    registering the same number at once)."""
    person.derive()
    _check_person(person)
    person.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        msg = person_duplicate_message(
            actor=actor, id_number=person.id_number, exclude_pk=person.pk
        )
        raise ValidationError({"id_number": msg or PERSON_DUPLICATE_ELSEWHERE}) from None


@transaction.atomic
def person_create(*, actor: User, data: dict[str, Any]) -> Person:
    fields = {k: v for k, v in data.items() if k in PERSON_FIELDS}
    fields["id_number"] = _clean_id_number(str(fields.get("id_number", "")))
    _require_region(actor, str(fields.get("region_code", "")))
    dup = person_duplicate_message(actor=actor, id_number=fields["id_number"])
    if dup:
        raise ValidationError({"id_number": dup})
    person = Person(**fields)
    _save_person(person, actor)
    audit_record(
        actor=actor,
        action="person.create",
        object_type="Person",
        object_id=person.pk,
        region_code=person.region_code,
        changes=diff({}, snapshot(person, PERSON_FIELDS)),
    )
    return person


@transaction.atomic
def person_update(*, actor: User, person: Person, data: dict[str, Any], reason: str = "") -> Person:
    if not in_scope(actor, person.region_code):
        raise ValidationError({"region_code": OUT_OF_SCOPE})
    before = snapshot(person, PERSON_FIELDS)
    for k, v in data.items():
        if k in PERSON_FIELDS:
            setattr(person, k, v)
    person.id_number = _clean_id_number(person.id_number)
    if person.region_code != before["region_code"]:
        _require_region(actor, person.region_code)
    if person.id_number != before["id_number"]:
        dup = person_duplicate_message(
            actor=actor, id_number=person.id_number, exclude_pk=person.pk
        )
        if dup:
            raise ValidationError({"id_number": dup})
    _save_person(person, actor)
    changes = diff(before, snapshot(person, PERSON_FIELDS))
    if person.death_date is not None and before["death_date"] is None:
        person_died.send(sender=Person, actor=actor, person=person, death_date=person.death_date)
    if changes:
        audit_record(
            actor=actor,
            action="person.update",
            object_type="Person",
            object_id=person.pk,
            region_code=person.region_code,
            changes=changes,
            reason=reason,
        )
    return person


def _open_membership(person: Person) -> Membership | None:
    return (
        Membership.objects.select_related("household__head")
        .filter(person=person, valid_to__isnull=True)
        .first()
    )


def _household_audit(
    actor: User, household: Household, action: str, changes: dict[str, Any], reason: str = ""
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="Household",
        object_id=household.pk,
        region_code=household.region_code,
        changes=changes,
        reason=reason,
    )


@transaction.atomic
def household_create(
    *, actor: User, head: Person, data: dict[str, Any], valid_from: datetime.date | None = None
) -> Household:
    """A new household with `head` as its first member."""
    fields = {k: v for k, v in data.items() if k in HOUSEHOLD_FIELDS}
    region = _require_region(actor, str(fields.get("region_code", "")))
    if region.level != Region.Level.VILLAGE:
        raise ValidationError({"region_code": REGION_NOT_VILLAGE})
    existing = _open_membership(head)
    if existing:
        raise ValidationError(
            {
                "head": MEMBER_ALREADY_IN_HOUSEHOLD.format(
                    name=head.name,
                    head=existing.household.head.name if existing.household.head else "",
                )
            }
        )
    household = Household(**fields)
    household.full_clean(exclude=["head"])
    household.save()
    Membership.objects.create(
        household=household,
        person=head,
        relationship=Relationship.HEAD,
        valid_from=valid_from or timezone.localdate(),
        join_reason=JoinReason.FOUNDING,
    )
    household.head = head
    household.save(update_fields=["head"])
    _household_audit(
        actor,
        household,
        "household.create",
        diff({}, {**snapshot(household, HOUSEHOLD_FIELDS), "head": head.id_number}),
    )
    return household


@transaction.atomic
def household_update(
    *, actor: User, household: Household, data: dict[str, Any], reason: str = ""
) -> Household:
    if not in_scope(actor, household.region_code):
        raise ValidationError({"region_code": OUT_OF_SCOPE})
    before = snapshot(household, HOUSEHOLD_FIELDS)
    for k, v in data.items():
        if k in HOUSEHOLD_FIELDS:
            setattr(household, k, v)
    if household.region_code != before["region_code"]:
        region = _require_region(actor, household.region_code)
        if region.level != Region.Level.VILLAGE:
            raise ValidationError({"region_code": REGION_NOT_VILLAGE})
    household.full_clean(exclude=["head"])
    household.save()
    changes = diff(before, snapshot(household, HOUSEHOLD_FIELDS))
    if changes:
        _household_audit(actor, household, "household.update", changes, reason)
    return household


@transaction.atomic
def member_add(
    *,
    actor: User,
    household: Household,
    person: Person,
    relationship: str,
    valid_from: datetime.date,
    join_reason: str = JoinReason.OTHER,
    reason: str = "",
) -> Membership:
    if not in_scope(actor, household.region_code):
        raise ValidationError({"household": OUT_OF_SCOPE})
    if relationship == Relationship.HEAD:
        raise ValidationError({"relationship": "变更户主请使用“变更户主”"})
    existing = _open_membership(person)
    if existing:
        head = existing.household.head
        raise ValidationError(
            {
                "person": MEMBER_ALREADY_IN_HOUSEHOLD.format(
                    name=person.name, head=head.name if head else ""
                )
            }
        )
    membership = Membership(
        household=household,
        person=person,
        relationship=relationship,
        valid_from=valid_from,
        join_reason=join_reason,
    )
    membership.full_clean()
    membership.save()
    _household_audit(
        actor,
        household,
        "household.member_add",
        {
            "member": [None, person.id_number],
            "relationship": [None, relationship],
            "valid_from": [None, valid_from.isoformat()],
            "join_reason": [None, join_reason],
        },
        reason,
    )
    return membership


@transaction.atomic
def member_remove(
    *,
    actor: User,
    membership: Membership,
    valid_to: datetime.date,
    leave_reason: str,
    reason: str = "",
) -> Membership:
    """End a membership (death, marriage out, moving out). A death also records the person's
    death date if it was not known."""
    household = membership.household
    if not in_scope(actor, household.region_code):
        raise ValidationError({"household": OUT_OF_SCOPE})
    if membership.valid_to is not None:
        raise ValidationError({"valid_to": f"该成员已于{membership.valid_to}离开本户"})
    if valid_to <= membership.valid_from:
        raise ValidationError(
            {"valid_to": MEMBER_LEAVES_BEFORE_JOINING.format(valid_from=membership.valid_from)}
        )
    if household.head_id == membership.person_id and leave_reason != LeaveReason.DEATH:
        raise ValidationError({"person": HEAD_CANNOT_LEAVE})
    membership.valid_to = valid_to
    membership.leave_reason = leave_reason
    membership.full_clean()
    membership.save(update_fields=["valid_to", "leave_reason"])
    person = membership.person
    if leave_reason == LeaveReason.DEATH and person.death_date is None:
        before = snapshot(person, ["death_date"])
        person.death_date = valid_to
        _check_person(person)
        person.save(update_fields=["death_date", "updated_at"])
        audit_record(
            actor=actor,
            action="person.death",
            object_type="Person",
            object_id=person.pk,
            region_code=person.region_code,
            changes=diff(before, snapshot(person, ["death_date"])),
            reason=reason,
        )
        person_died.send(sender=Person, actor=actor, person=person, death_date=valid_to)
    _household_audit(
        actor,
        household,
        "household.member_remove",
        {
            "member": [person.id_number, None],
            "valid_to": [None, valid_to.isoformat()],
            "leave_reason": [None, leave_reason],
        },
        reason,
    )
    return membership


@transaction.atomic
def household_head_change(
    *, actor: User, household: Household, new_head: Person, reason: str = ""
) -> Household:
    if not in_scope(actor, household.region_code):
        raise ValidationError({"household": OUT_OF_SCOPE})
    today = timezone.localdate()
    current = {m.person_id: m for m in household.memberships.filter(valid_to__isnull=True)}
    if new_head.pk not in current:
        raise ValidationError({"head": HEAD_MUST_BE_MEMBER})
    old_head = household.head
    if old_head and old_head.pk in current:
        current[old_head.pk].relationship = Relationship.OTHER
        current[old_head.pk].save(update_fields=["relationship"])
    current[new_head.pk].relationship = Relationship.HEAD
    current[new_head.pk].save(update_fields=["relationship"])
    household.head = new_head
    household.save(update_fields=["head", "updated_at"])
    _household_audit(
        actor,
        household,
        "household.head_change",
        {
            "head": [old_head.id_number if old_head else None, new_head.id_number],
            "date": [None, today.isoformat()],
        },
        reason,
    )
    return household


def _amount(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: AMOUNT_INVALID}) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: AMOUNT_INVALID})
    return amount


@transaction.atomic
def declaration_create(
    *,
    actor: User,
    household: Household,
    declared_on: datetime.date,
    reference_months: int = 12,
    incomes: list[dict[str, Any]],
    assets: list[dict[str, Any]],
    note: str = "",
) -> Declaration:
    """A dated declaration. Incomes: {person, kind, monthly_amount, note}; assets: {person
    (optional), kind, value, area, registration_number, description}. Every person named must be
    a member of the household on `declared_on`."""
    if not in_scope(actor, household.region_code):
        raise ValidationError({"household": OUT_OF_SCOPE})
    members = {
        m.person_id: m.person
        for m in household.memberships.select_related("person")
        if m.is_current_on(declared_on)
    }
    declaration = Declaration(
        household=household, declared_on=declared_on, reference_months=reference_months, note=note
    )
    declaration.full_clean()
    declaration.save()
    income_rows = []
    for i, item in enumerate(incomes):
        person = item["person"]
        if person.pk not in members:
            raise ValidationError(
                {
                    f"incomes[{i}].person": MEMBER_NOT_IN_HOUSEHOLD.format(
                        name=person.name, day=declared_on
                    )
                }
            )
        row = IncomeItem(
            declaration=declaration,
            person=person,
            kind=item["kind"],
            monthly_amount=_amount(item["monthly_amount"], f"incomes[{i}].monthly_amount"),
            note=item.get("note", ""),
        )
        row.full_clean(exclude=["declaration"])
        income_rows.append(row)
    asset_rows = []
    for i, item in enumerate(assets):
        person = item.get("person")
        if person is not None and person.pk not in members:
            raise ValidationError(
                {
                    f"assets[{i}].person": MEMBER_NOT_IN_HOUSEHOLD.format(
                        name=person.name, day=declared_on
                    )
                }
            )
        area = item.get("area")
        asset = AssetItem(
            declaration=declaration,
            person=person,
            kind=item["kind"],
            value=_amount(item.get("value", 0), f"assets[{i}].value"),
            area=_amount(area, f"assets[{i}].area") if area not in (None, "") else None,
            registration_number=item.get("registration_number", ""),
            description=item.get("description", ""),
        )
        asset.full_clean(exclude=["declaration"])
        asset_rows.append(asset)
    IncomeItem.objects.bulk_create(income_rows)
    AssetItem.objects.bulk_create(asset_rows)
    _household_audit(
        actor,
        household,
        "declaration.create",
        {
            "declaration": [None, declaration.pk],
            "declared_on": [None, declared_on.isoformat()],
            "incomes": [None, len(income_rows)],
            "assets": [None, len(asset_rows)],
        },
    )
    return declaration
