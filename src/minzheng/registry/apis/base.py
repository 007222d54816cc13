"""What every registry endpoint shares: role checks, messages, helpers."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from minzheng.core.api import (
    roles_required,
)
from minzheng.core.models import User
from minzheng.core.scope import REGISTRY_EDITORS, REGISTRY_READERS
from minzheng.registry import selectors
from minzheng.registry.models import (
    Person,
)

PERSON_NOT_FOUND = "编号为{pk}的居民不存在或不在您的管辖范围内"
PERSON_NOT_MEMBER = "编号为{pk}的居民不是本户成员"
HEAD_REQUIRED = "请指定户主:已登记居民的编号(head_id)或新居民的信息(head),二者选一"
PERSON_REQUIRED = "请指定成员:已登记居民的编号(person_id)或新居民的信息(person),二者选一"
REASON_REQUIRED = "请填写修改原因"
MEMBERSHIP_ENDED = "该成员已于{day}离开本户,请刷新后查看"

RegistryReaders = roles_required(REGISTRY_READERS, "RegistryReaders")
RegistryEditors = roles_required(REGISTRY_EDITORS, "RegistryEditors")


def context_for(request: Request, **extra: Any) -> dict[str, Any]:
    return {"request": request, **extra}


def require_reason(attrs: dict[str, Any]) -> dict[str, Any]:
    if not str(attrs.get("reason", "")).strip():
        raise ValidationError({"reason": [REASON_REQUIRED]})
    return attrs


def person_in_scope(user: User, pk: int, field: str) -> Person:
    """A person named in a request body: outside the scope it is a field error, not a 404."""
    try:
        return selectors.person_get(user=user, pk=pk)
    except Http404:
        raise ValidationError({field: [PERSON_NOT_FOUND.format(pk=pk)]}) from None
