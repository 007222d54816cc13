"""API conventions shared by every app: paging, role checks, one URL serving one operation class
per HTTP method, and errors as {"errors": {"field": ["中文说明"]}} with 404 for anything outside
the caller's scope and 409 for a conflicting state change."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from minzheng.core.idnumbers import mask_id_number
from minzheng.core.models import AuditEvent, Role, User
from minzheng.core.regions import code_prefix, normalize_code
from minzheng.core.scope import FULL_ID_VIEWERS, can

ROLE_NOT_ALLOWED = "您的角色无权执行此操作"
NON_FIELD = "non_field_errors"
REGION_CODE_DIGITS = "区划代码只能由数字组成,最多12位"


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


class Conflict(APIException):
    """The object is no longer in the state the request assumed (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "该记录的状态已被他人更改,请刷新后重试"
    default_code = "conflict"


def paginated_response(
    *,
    request: Request,
    view: APIView,
    queryset: QuerySet[Any] | list[Any],
    serializer_class: type[serializers.BaseSerializer[Any]],
    context: dict[str, Any] | None = None,
) -> Response:
    """One page of `queryset` as {"count", "next", "previous", "results"}."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True, context=context or {"request": request})
    return paginator.get_paginated_response(serializer.data)


def roles_required(roles: Iterable[Role], name: str) -> type[BasePermission]:
    """A permission class admitting only the given roles (403 for anyone else)."""
    allowed = set(roles)

    class RolePermission(BasePermission):
        message = ROLE_NOT_ALLOWED

        def has_permission(self, request: Request, view: APIView) -> bool:
            return can(request.user, allowed)  # type: ignore[arg-type]

    RolePermission.__name__ = RolePermission.__qualname__ = name
    return RolePermission


def one_url(*operations: type[APIView]) -> Callable[..., HttpResponseBase]:
    """Serve several operation classes at one URL, each answering its own HTTP method(s), so that
    `GET /persons/` and `POST /persons/` stay two classes (PersonListApi, PersonCreateApi)
    with their own serializers, permissions and throttles."""
    handlers: dict[str, Callable[..., HttpResponseBase]] = {}
    for op in operations:
        view = op.as_view()
        for method in op.http_method_names:
            if method not in ("options", "head") and hasattr(op, method):
                handlers[method] = view
    if "get" in handlers:
        handlers["head"] = handlers["get"]
    fallback = operations[0].as_view()

    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        method = (request.method or "get").lower()
        return handlers.get(method, fallback)(request, *args, **kwargs)

    # What the OpenAPI generator inspects: one view class with every operation's handler.
    attrs: dict[str, Any] = {"operations": {m: op for op in operations for m in _methods(op)}}
    for op in operations:
        for method in _methods(op):
            attrs[method] = getattr(op, method)
    attrs["__module__"] = operations[0].__module__
    cls = type("".join(op.__name__ for op in operations), (_CombinedView,), attrs)
    dispatch.cls = cls  # type: ignore[attr-defined]
    dispatch.initkwargs = {}  # type: ignore[attr-defined]
    dispatch.csrf_exempt = True  # type: ignore[attr-defined]
    return dispatch


def _methods(op: type[APIView]) -> list[str]:
    return [m for m in op.http_method_names if m not in ("options", "head") and hasattr(op, m)]


class _CombinedView(APIView):
    """Schema-only stand-in for a `one_url` endpoint: asks the operation class of the request's
    method for its permissions and paging, so that the schema shows each operation's own."""

    operations: ClassVar[dict[str, type[APIView]]] = {}

    def _operation(self) -> type[APIView] | None:
        request = getattr(self, "request", None)
        return self.operations.get((request.method or "get").lower()) if request else None

    def get_permissions(self) -> list[Any]:
        op = self._operation()
        return list(op().get_permissions() if op else super().get_permissions())

    def get_authenticators(self) -> list[Any]:
        op = self._operation()
        return op().get_authenticators() if op else super().get_authenticators()

    @property
    def pagination_class(self) -> Any:
        return getattr(self._operation(), "pagination_class", None)


def request_user(request: Request) -> User:
    """The authenticated caller (every endpoint but the token one requires authentication)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied()
    return user


def region_prefix(value: str) -> str:
    """A `region_code` filter as a code prefix: a full 2/4/6/9/12-digit code stands for its
    subtree (341503100000 -> 341503100), any other run of digits is taken as a prefix."""
    value = value.strip()
    if not value:
        return ""
    if not value.isdigit() or len(value) > 12:
        raise ValidationError(REGION_CODE_DIGITS)
    if len(value) == 12:
        return code_prefix(value)
    if len(value) in (2, 4, 6, 9):
        return code_prefix(normalize_code(value))
    return value


class RegionCodeFilterField(serializers.CharField):
    """`region_code` query parameter: the subtree of a division, by code or code prefix."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("help_text", "区划代码或代码前缀,返回该区划及其下级的记录")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return region_prefix(super().to_internal_value(data))


ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def mask_ids(value: Any) -> Any:
    """`value` (an audit event's changes) with every 18-digit identity number masked."""
    if isinstance(value, str):
        return ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), value)
    if isinstance(value, list):
        return [mask_ids(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_ids(v) for k, v in value.items()}
    return value


class AuditEventSerializer(serializers.Serializer[AuditEvent]):
    """An audit event; identity numbers inside `changes` are masked for roles that may not see
    them in full (a household's history is shown to village assistants too)."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField(help_text="操作时间")
    actor_username = serializers.CharField(help_text="操作人用户名")
    actor_role = serializers.CharField(help_text="操作人角色")
    actor_region_code = serializers.CharField(help_text="操作人所属区划")
    action = serializers.CharField(help_text="操作,如 household.member_add")
    object_type = serializers.CharField(help_text="对象类型")
    object_id = serializers.CharField(help_text="对象编号")
    region_code = serializers.CharField(help_text="对象所在区划")
    changes = serializers.SerializerMethodField(help_text="变更字段: {字段: [变更前, 变更后]}")
    reason = serializers.CharField(help_text="原因")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_changes(self, event: AuditEvent) -> Any:
        user = self.context["request"].user
        return event.changes if user.role in FULL_ID_VIEWERS else mask_ids(event.changes)


def _flatten(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as flat keys: {"incomes": {1: {"kind": [m]}}} (or
    [{}, {"kind": [m]}]) becomes {"incomes[1].kind": [m]}, the same keys the services use."""
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            if isinstance(key, int):  # a list's items, as DRF reports them: {1: {...}}
                out.update(_flatten(value, f"{prefix}[{key}]"))
                continue
            name = NON_FIELD if key in (NON_FIELD_ERRORS, NON_FIELD) and not prefix else key
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else str(name)))
        return out
    if isinstance(data, list) and any(isinstance(x, dict | list) for x in data):
        out = {}
        for i, item in enumerate(data):
            out.update(_flatten(item, f"{prefix}[{i}]"))
        return out
    messages = data if isinstance(data, list) else [data]
    return {prefix or NON_FIELD: [str(m) for m in messages]}


@contextmanager
def errors_renamed(rename: dict[str, str] | None = None, *, under: str = "") -> Iterator[None]:
    """Re-key a service's field errors to the request's field names: `rename` maps a service's
    key to the API's ({"region": "region_code"}); `under` puts them beneath a nested object of
    the request ({"id_number": [m]} raised while creating the head becomes "head.id_number")."""
    try:
        yield
    except DjangoValidationError as e:
        errors = e.message_dict if hasattr(e, "error_dict") else {NON_FIELD: e.messages}
        renamed: dict[str, list[str]] = {}
        for key, messages in errors.items():
            name = (rename or {}).get(key, key)
            if under:
                name = under if name in (NON_FIELD, NON_FIELD_ERRORS) else f"{under}.{name}"
            renamed[name] = messages
        raise DjangoValidationError(renamed) from None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        response.data = {"errors": _flatten(data)}
    elif isinstance(data, dict) and "detail" in data:
        response.data = {"errors": {"detail": [str(data["detail"])]}}
    return response
