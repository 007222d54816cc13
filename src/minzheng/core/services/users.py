"""Creating and changing user accounts. A county creates its 300 village accounts from a script
(`minzheng user create ...`) or in 系统管理 → 用户管理; both come through here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from minzheng.core.audit import audit_record, diff, snapshot
from minzheng.core.models import Region, Role, User
from minzheng.core.scope import OUT_OF_SCOPE, in_scope

USERNAME_TAKEN = "用户名“{username}”已被使用"
ROLE_UNKNOWN = "角色“{role}”不存在,可选:{choices}"
REGION_UNKNOWN = "区划代码{code}不存在"
ROLE_NEEDS_LEVEL = "{role}应设在{level}一级的区划"
PASSWORD_TOO_SHORT = "密码太短,至少需要{min_length}个字符"  # noqa: S105 (a message)

USER_FIELDS = ["username", "full_name", "phone", "role", "region_id", "is_active"]

# The level a role's region must be at (village assistants sit in a village, and so on).
ROLE_LEVELS: dict[str, set[int]] = {
    Role.VILLAGE_ASSISTANT: {Region.Level.VILLAGE},
    Role.TOWNSHIP_CLERK: {Region.Level.TOWNSHIP},
    Role.TOWNSHIP_LEADER: {Region.Level.TOWNSHIP},
    Role.COUNTY_OFFICER: {Region.Level.COUNTY},
    Role.COUNTY_LEADER: {Region.Level.COUNTY},
    Role.AUDITOR: {Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY},
    Role.HOSPITAL_CLERK: {Region.Level.COUNTY},
    Role.SYSTEM_ADMIN: {
        Region.Level.PROVINCE,
        Region.Level.CITY,
        Region.Level.COUNTY,
    },
}
LEVEL_LABELS = {1: "省", 2: "市", 3: "县(区)", 4: "乡镇(街道)", 5: "村(社区)"}


def _check_role_region(role: str, region_code: str, actor: User | None) -> Region:
    if role not in Role.values:
        raise ValidationError(
            {"role": ROLE_UNKNOWN.format(role=role, choices=", ".join(Role.values))}
        )
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError({"region": REGION_UNKNOWN.format(code=region_code)})
    if actor is not None and not in_scope(actor, region.code):
        raise ValidationError({"region": OUT_OF_SCOPE})
    if region.level not in ROLE_LEVELS[role]:
        levels = "或".join(LEVEL_LABELS[lv] for lv in sorted(ROLE_LEVELS[role]))
        raise ValidationError(
            {"region": ROLE_NEEDS_LEVEL.format(role=Role(role).label, level=levels)}
        )
    return region


def _check_password(password: str, user: User) -> None:
    """Django's password validators, with their messages in Chinese: Django 5.2 changed the
    "too short" message's msgid and its zh_Hans catalogue still has the old one, so that
    message alone would come out in English."""
    try:
        validate_password(password, user)
    except ValidationError as e:
        messages = [
            PASSWORD_TOO_SHORT.format(min_length=(err.params or {}).get("min_length", 8))
            if err.code == "password_too_short"
            else err.messages[0]
            for err in e.error_list
        ]
        raise ValidationError({"password": messages}) from None


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    role: str,
    region_code: str,
    password: str,
    full_name: str = "",
    phone: str = "",
) -> User:
    """A new account. `actor` None means the command line run by the server's administrator."""
    region = _check_role_region(role, region_code, actor)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": USERNAME_TAKEN.format(username=username)})
    user = User(
        username=username,
        role=role,
        region=region,
        full_name=full_name,
        phone=phone,
        is_staff=role == Role.SYSTEM_ADMIN,
    )
    _check_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        object_type="User",
        object_id=user.pk,
        region_code=region.code,
        changes=diff({}, snapshot(user, USER_FIELDS)),
    )
    return user


@transaction.atomic
def user_update(*, actor: User | None, user: User, data: dict[str, Any], reason: str = "") -> User:
    """Change name, phone, role, region or active flag (not the password)."""
    if actor is not None and not in_scope(actor, user.region_id):
        raise ValidationError({"region": OUT_OF_SCOPE})
    before = snapshot(user, USER_FIELDS)
    for key in ("full_name", "phone", "role", "is_active"):
        if key in data:
            setattr(user, key, data[key])
    if "region_code" in data:
        user.region_id = data["region_code"]
    _check_role_region(user.role, user.region_id, actor)
    user.is_staff = user.role == Role.SYSTEM_ADMIN
    user.full_clean(exclude=["password"])
    user.save()
    changes = diff(before, snapshot(user, USER_FIELDS))
    if changes:
        audit_record(
            actor=actor,
            action="user.update",
            object_type="User",
            object_id=user.pk,
            region_code=user.region_id,
            changes=changes,
            reason=reason,
        )
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str) -> User:
    if actor is not None and not in_scope(actor, user.region_id):
        raise ValidationError({"region": OUT_OF_SCOPE})
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action="user.set_password",
        object_type="User",
        object_id=user.pk,
        region_code=user.region_id,
        changes={"password": ["***", "***"]},
    )
    return user
