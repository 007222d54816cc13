"""Households: list, create, read as of a date, edit, and the dated membership changes."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import (
    AuditEventSerializer,
    Conflict,
    Pagination,
    RegionCodeFilterField,
    errors_renamed,
    paginated_response,
    request_user,
)
from minzheng.core.regions import prefix_q
from minzheng.core.scope import OUT_OF_SCOPE, scoped
from minzheng.registry import selectors, services
from minzheng.registry.apis.base import (
    HEAD_REQUIRED,
    MEMBERSHIP_ENDED,
    PERSON_REQUIRED,
    RegistryEditors,
    RegistryReaders,
    context_for,
    person_in_scope,
    require_reason,
)
from minzheng.registry.apis.serializers import (
    HouseholdDetailSerializer,
    HouseholdFieldsSerializer,
    HouseholdSerializer,
    MembershipSerializer,
    NewPersonSerializer,
)
from minzheng.registry.models import (
    JoinReason,
    LeaveReason,
    Relationship,
)


def _household_response(
    request: Request, pk: int, *, as_of: datetime.date | None = None, code: int = 200
) -> Response:
    """The household read back through the selector (fresh members after a change)."""
    household = selectors.household_get(user=request_user(request), pk=pk)
    out = HouseholdDetailSerializer(household, context=context_for(request, as_of=as_of))
    return Response(out.data, status=code)


class HouseholdListApi(APIView):
    permission_classes = [RegistryReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        region_code = RegionCodeFilterField(help_text="家庭所在区划代码或前缀")
        q = serializers.CharField(
            required=False, allow_blank=True, help_text="户主或现有成员的号码、姓名、拼音、手机号"
        )

    @extend_schema(
        summary="家庭列表",
        parameters=[FilterSerializer],
        responses={200: HouseholdSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        households = selectors.household_filter(user=request_user(request), q=f.get("q", ""))
        if f.get("region_code"):
            households = households.filter(prefix_q("region_code", f["region_code"]))
        return paginated_response(
            request=request, view=self, queryset=households, serializer_class=HouseholdSerializer
        )


class HouseholdCreateApi(APIView):
    permission_classes = [RegistryEditors]

    class InputSerializer(HouseholdFieldsSerializer):
        head_id = serializers.IntegerField(required=False, help_text="已登记居民作户主")
        head = NewPersonSerializer(required=False, help_text="或同时登记的新居民作户主")
        valid_from = serializers.DateField(required=False, help_text="建档日期,默认今天")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("head_id" in attrs) == ("head" in attrs):
                raise ValidationError({"head_id": [HEAD_REQUIRED]})
            return attrs

    @extend_schema(
        summary="新建家庭",
        description="户主可以是已登记的居民(head_id),也可以同时登记(head)。",
        request=InputSerializer,
        responses={201: HouseholdDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        with transaction.atomic():
            if "head_id" in f:
                head = person_in_scope(actor, f["head_id"], "head_id")
            else:
                new = {"region_code": f["region_code"], **f["head"]}
                with errors_renamed(under="head"):
                    head = services.person_create(actor=actor, data=new)
            with errors_renamed({"head": "head_id" if "head_id" in f else "head"}):
                household = services.household_create(
                    actor=actor, head=head, data=f, valid_from=f.get("valid_from")
                )
        return _household_response(request, household.pk, code=status.HTTP_201_CREATED)


class HouseholdDetailApi(APIView):
    permission_classes = [RegistryReaders]

    class FilterSerializer(serializers.Serializer[Any]):
        as_of = serializers.DateField(required=False, help_text="查看某日的家庭成员,默认今天")

    @extend_schema(
        summary="家庭详情",
        description="家庭信息和成员;as_of=YYYY-MM-DD 查看某一天的成员。",
        parameters=[FilterSerializer],
        responses={200: HouseholdDetailSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return _household_response(request, pk, as_of=filters.validated_data.get("as_of"))


class HouseholdUpdateApi(APIView):
    permission_classes = [RegistryEditors]

    class InputSerializer(HouseholdFieldsSerializer):
        reason = serializers.CharField(help_text="修改原因(必填,记入审计)")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            return require_reason(attrs)

    @extend_schema(
        summary="修改家庭信息",
        description="住址、所在村(社区)、银行账户;成员变动请用成员接口。",
        request=InputSerializer,
        responses={200: HouseholdDetailSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        household = selectors.household_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        reason = changes.pop("reason")
        services.household_update(actor=actor, household=household, data=changes, reason=reason)
        return _household_response(request, pk)


class HouseholdMemberAddApi(APIView):
    permission_classes = [RegistryEditors]

    class InputSerializer(serializers.Serializer[Any]):
        person_id = serializers.IntegerField(required=False, help_text="已登记的居民")
        person = NewPersonSerializer(required=False, help_text="或同时登记的新居民(如新生儿)")
        relationship = serializers.ChoiceField(choices=Relationship.choices)
        valid_from = serializers.DateField(help_text="加入日期")
        join_reason = serializers.ChoiceField(choices=JoinReason.choices, default="other")
        reason = serializers.CharField(required=False, default="", allow_blank=True)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("person_id" in attrs) == ("person" in attrs):
                raise ValidationError({"person_id": [PERSON_REQUIRED]})
            return attrs

    @extend_schema(
        summary="增加家庭成员",
        description="出生、婚入、迁入等;一个人同一时间只能属于一个家庭。",
        request=InputSerializer,
        responses={201: MembershipSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        household = selectors.household_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        with transaction.atomic():
            if "person_id" in f:
                person = person_in_scope(actor, f["person_id"], "person_id")
            else:
                with errors_renamed(under="person"):
                    new = {"region_code": household.region_code, **f["person"]}
                    person = services.person_create(actor=actor, data=new)
            with errors_renamed({"person": "person_id" if "person_id" in f else "person"}):
                membership = services.member_add(
                    actor=actor,
                    household=household,
                    person=person,
                    relationship=f["relationship"],
                    valid_from=f["valid_from"],
                    join_reason=f["join_reason"],
                    reason=f["reason"],
                )
        out = MembershipSerializer(membership, context=context_for(request))
        return Response(out.data, status=status.HTTP_201_CREATED)


class HouseholdMemberEndApi(APIView):
    permission_classes = [RegistryEditors]

    class InputSerializer(serializers.Serializer[Any]):
        valid_to = serializers.DateField(help_text="离开日期(死亡、婚出、迁出之日)")
        leave_reason = serializers.ChoiceField(choices=LeaveReason.choices)
        reason = serializers.CharField(required=False, default="", allow_blank=True)

    @extend_schema(
        summary="成员离开家庭",
        description="按日期结束成员关系;死亡同时记录死亡日期。已离开的成员再次提交返回409。",
        request=InputSerializer,
        responses={200: MembershipSerializer, 409: None},
    )
    def post(self, request: Request, pk: int, membership_id: int) -> Response:
        actor = request_user(request)
        household = selectors.household_get(user=actor, pk=pk)
        membership = next((m for m in household.memberships.all() if m.pk == membership_id), None)
        if membership is None:
            raise Http404(OUT_OF_SCOPE)
        if membership.valid_to is not None:
            raise Conflict(MEMBERSHIP_ENDED.format(day=membership.valid_to))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_remove(
            actor=actor, membership=membership, **data.validated_data
        )
        return Response(MembershipSerializer(membership, context=context_for(request)).data)


class HouseholdHeadChangeApi(APIView):
    permission_classes = [RegistryEditors]

    class InputSerializer(serializers.Serializer[Any]):
        head_id = serializers.IntegerField(help_text="新户主(须为本户现有成员)的居民编号")
        reason = serializers.CharField(required=False, default="", allow_blank=True)

    @extend_schema(
        summary="变更户主",
        description="原户主与新户主的关系改为“其他”,可再行修改。",
        request=InputSerializer,
        responses={200: HouseholdDetailSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        household = selectors.household_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        head_id = data.validated_data["head_id"]
        new_head = next(
            (m.person for m in household.memberships.all() if m.person_id == head_id), None
        )
        if new_head is None:
            raise ValidationError({"head_id": [services.HEAD_MUST_BE_MEMBER]})
        with errors_renamed({"head": "head_id"}):
            services.household_head_change(
                actor=actor,
                household=household,
                new_head=new_head,
                reason=data.validated_data["reason"],
            )
        return _household_response(request, pk)


class HouseholdHistoryApi(APIView):
    permission_classes = [RegistryReaders]
    pagination_class = Pagination

    @extend_schema(
        summary="家庭变更记录",
        description="家庭及其成员记录的审计事件,最新的在前。",
        responses={200: AuditEventSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        household = selectors.household_get(user=actor, pk=pk)
        events = scoped(selectors.household_history(household=household), actor)
        return paginated_response(
            request=request, view=self, queryset=events, serializer_class=AuditEventSerializer
        )
