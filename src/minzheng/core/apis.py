"""REST endpoints of the shared kernel: API tokens, the region tree, user accounts and the audit
log. Thin: parse, call a service or a scoped query, render."""

from __future__ import annotations

import math
from typing import Any, NoReturn

from django.contrib.auth import authenticate
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from minzheng.core import selectors
from minzheng.core.api import (
    AuditEventSerializer,
    Pagination,
    RegionCodeFilterField,
    errors_renamed,
    paginated_response,
    request_user,
    roles_required,
)
from minzheng.core.models import Region, Role, User
from minzheng.core.regions import prefix_q
from minzheng.core.scope import AUDIT_READERS, OUT_OF_SCOPE, USER_ADMINS, scoped
from minzheng.core.services.users import user_create, user_set_password, user_update

LOGIN_FAILED = "用户名或密码错误"
LOCKED_OUT = "登录失败次数过多,账号已被暂时锁定,请30分钟后再试或联系系统管理员"
LOGIN_THROTTLED = "登录请求过于频繁,请{wait}秒后再试"

UserAdmins = roles_required(USER_ADMINS, "UserAdmins")
AuditReaders = roles_required(AUDIT_READERS, "AuditReaders")


# -- auth -----------------------------------------------------------------------------------------


class AuthTokenCreateApi(APIView):
    authentication_classes: list[type[Any]] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(label="用户名")
        password = serializers.CharField(
            label="密码", trim_whitespace=False, style={"input_type": "password"}
        )

    class OutputSerializer(serializers.Serializer[Any]):
        token = serializers.CharField(help_text="在请求头中使用: Authorization: Token <token>")
        username = serializers.CharField()
        role = serializers.ChoiceField(choices=Role.choices)
        region_code = serializers.CharField()

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        seconds = max(1, math.ceil(wait or 60))
        exc = Throttled(detail=LOGIN_THROTTLED.format(wait=seconds))
        exc.wait = seconds  # type: ignore[attr-defined]  # for the Retry-After header
        raise exc

    @extend_schema(
        summary="获取访问令牌",
        description="用户名和密码换取令牌。连续失败5次将锁定30分钟;每分钟最多10次请求。",
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Through authenticate(request=...) so that django-axes counts failures and locks out.
        django_request = request._request
        user = authenticate(
            request=django_request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            # Answer in JSON here instead of axes' HTML lockout page.
            django_request.axes_locked_out = False  # type: ignore[attr-defined]
            raise PermissionDenied(LOCKED_OUT)
        if not isinstance(user, User):
            raise ValidationError({"non_field_errors": [LOGIN_FAILED]})
        token, _ = Token.objects.get_or_create(user=user)
        out = {
            "token": token.key,
            "username": user.username,
            "role": user.role,
            "region_code": user.region_id,
        }
        return Response(self.OutputSerializer(out).data)


class AuthTokenDeleteApi(APIView):
    @extend_schema(
        summary="注销令牌", description="删除当前用户的访问令牌。", responses={204: None}
    )
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=request_user(request)).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- regions --------------------------------------------------------------------------------------


class RegionOutputSerializer(serializers.Serializer[Region]):
    code = serializers.CharField(help_text="12位区划代码")
    name = serializers.CharField()
    level = serializers.ChoiceField(
        choices=Region.Level.choices, help_text="1省 2市 3县 4乡镇 5村(社区)"
    )
    parent_code = serializers.CharField(source="parent_id", allow_null=True)
    urban_rural_code = serializers.CharField(help_text="城乡分类代码(村级)")
    is_active = serializers.BooleanField()


class RegionListApi(APIView):
    class FilterSerializer(serializers.Serializer[Any]):
        parent_code = serializers.CharField(required=False, help_text="上级区划代码(12位)")
        level = serializers.ChoiceField(choices=Region.Level.choices, required=False)
        region_code = RegionCodeFilterField()
        q = serializers.CharField(required=False, help_text="名称中包含的文字")

    OutputSerializer = RegionOutputSerializer
    pagination_class = Pagination

    @extend_schema(
        summary="区划列表",
        description="当前用户管辖范围内的区划。",
        parameters=[FilterSerializer],
        responses={200: RegionOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        regions = scoped(Region.objects.all(), request_user(request), field="code")
        if f.get("parent_code"):
            regions = regions.filter(parent_id=f["parent_code"])
        if f.get("level"):
            regions = regions.filter(level=f["level"])
        if f.get("region_code"):
            regions = regions.filter(prefix_q("code", f["region_code"]))
        if f.get("q"):
            regions = regions.filter(name__contains=f["q"])
        return paginated_response(
            request=request,
            view=self,
            queryset=regions.order_by("code"),
            serializer_class=self.OutputSerializer,
        )


class RegionDetailApi(APIView):
    @extend_schema(summary="区划详情", responses={200: RegionOutputSerializer})
    def get(self, request: Request, code: str) -> Response:
        region = selectors.region_get(user=request_user(request), code=code)
        return Response(RegionOutputSerializer(region).data)


# -- users ----------------------------------------------------------------------------------------


REGION_AS_REGION_CODE = {"region": "region_code"}


class UserOutputSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    phone = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    region_code = serializers.CharField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    is_active = serializers.BooleanField()
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()


class UserListApi(APIView):
    permission_classes: list[type[BasePermission]] = [UserAdmins]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        role = serializers.ChoiceField(choices=Role.choices, required=False)
        region_code = RegionCodeFilterField()
        is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
        q = serializers.CharField(required=False, help_text="用户名、姓名或电话中的文字")

    OutputSerializer = UserOutputSerializer

    @extend_schema(
        summary="用户列表",
        description="系统管理员管辖范围内的用户账号。",
        parameters=[FilterSerializer],
        responses={200: UserOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        users = selectors.user_list(
            user=request_user(request),
            role=f.get("role", ""),
            region_prefix=f.get("region_code", ""),
            is_active=f.get("is_active"),
            q=f.get("q", ""),
        )
        return paginated_response(
            request=request,
            view=self,
            queryset=users,
            serializer_class=self.OutputSerializer,
        )


class UserCreateApi(APIView):
    permission_classes: list[type[BasePermission]] = [UserAdmins]

    class InputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
        role = serializers.ChoiceField(choices=Role.choices)
        region_code = serializers.CharField(max_length=12, help_text="所属区划代码(12位)")
        full_name = serializers.CharField(max_length=50, required=False, default="")
        phone = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)

    @extend_schema(
        summary="新建用户",
        description="角色决定所属区划的层级:村(社区)协理员设在村级,乡镇经办人设在乡镇级,等等。",
        request=InputSerializer,
        responses={201: UserOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with errors_renamed(REGION_AS_REGION_CODE):
            user = user_create(actor=request_user(request), **data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailApi(APIView):
    permission_classes: list[type[BasePermission]] = [UserAdmins]

    @extend_schema(summary="用户详情", responses={200: UserOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        user = selectors.user_get(user=request_user(request), pk=pk)
        return Response(UserOutputSerializer(user).data)


class UserUpdateApi(APIView):
    permission_classes: list[type[BasePermission]] = [UserAdmins]

    class InputSerializer(serializers.Serializer[Any]):
        full_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
        phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
        role = serializers.ChoiceField(choices=Role.choices, required=False)
        region_code = serializers.CharField(max_length=12, required=False)
        is_active = serializers.BooleanField(required=False, help_text="停用后无法登录")
        reason = serializers.CharField(required=False, default="", allow_blank=True)

    @extend_schema(
        summary="修改用户",
        description="修改姓名、电话、角色、所属区划或停用账号(不含密码)。",
        request=InputSerializer,
        responses={200: UserOutputSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        user = selectors.user_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        reason = changes.pop("reason", "")
        with errors_renamed(REGION_AS_REGION_CODE):
            user = user_update(actor=actor, user=user, data=changes, reason=reason)
        return Response(UserOutputSerializer(user).data)


class UserSetPasswordApi(APIView):
    permission_classes: list[type[BasePermission]] = [UserAdmins]

    class InputSerializer(serializers.Serializer[Any]):
        password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(
        summary="重设用户密码",
        description="新密码须符合密码规则;用户现有的访问令牌随之作废。",
        request=InputSerializer,
        responses={204: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        user = selectors.user_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_set_password(actor=actor, user=user, password=data.validated_data["password"])
        Token.objects.filter(user=user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- audit events ---------------------------------------------------------------------------------


class AuditEventListApi(APIView):
    permission_classes: list[type[BasePermission]] = [AuditReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        region_code = RegionCodeFilterField(help_text="对象所在区划代码或前缀")
        action = serializers.CharField(required=False, help_text="操作,如 person.update")
        object_type = serializers.CharField(required=False, help_text="对象类型,如 Household")
        object_id = serializers.CharField(required=False)
        actor = serializers.CharField(required=False, help_text="操作人用户名")
        date_from = serializers.DateField(required=False, help_text="起始日期(含)")
        date_to = serializers.DateField(required=False, help_text="截止日期(含)")

    OutputSerializer = AuditEventSerializer

    @extend_schema(
        summary="审计记录查询",
        description="审计人员、县(区)领导和系统管理员可查询管辖范围内的审计记录(只读)。",
        parameters=[FilterSerializer],
        responses={200: AuditEventSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        filters_ = selectors.AuditFilters(
            date_from=f.get("date_from"),
            date_to=f.get("date_to"),
            username=f.get("actor", ""),
            action=f.get("action", ""),
            object_type=f.get("object_type", ""),
            object_id=f.get("object_id", ""),
            region_prefix=f.get("region_code", ""),
        )
        events = selectors.audit_event_list(user=request_user(request), filters=filters_)
        return paginated_response(
            request=request,
            view=self,
            queryset=events,
            serializer_class=self.OutputSerializer,
        )


class AuditEventDetailApi(APIView):
    permission_classes: list[type[BasePermission]] = [AuditReaders]

    @extend_schema(summary="审计记录详情", responses={200: AuditEventSerializer})
    def get(self, request: Request, pk: int) -> Response:
        event = selectors.audit_event_list(user=request_user(request)).filter(pk=pk).first()
        if event is None:
            raise Http404(OUT_OF_SCOPE)
        return Response(AuditEventSerializer(event, context={"request": request}).data)
