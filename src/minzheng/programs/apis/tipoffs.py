"""Tip-offs and complaints (举报投诉): registered with their source, linked to a household or a
case, assigned, and closed with what the investigation found (optionally opening a review)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, RegionCodeFilterField, paginated_response, request_user
from minzheng.core.models import User
from minzheng.core.regions import prefix_q
from minzheng.programs.apis.base import (
    CodeField,
    Reviewers,
    TipOffReaders,
    case_errors,
    case_in_scope,
    household_in_scope,
    region_in_scope,
    user_in_scope,
)
from minzheng.programs.models import TipOff
from minzheng.programs.services import tipoffs as services


class TipOffSerializer(serializers.Serializer[TipOff]):
    id = serializers.IntegerField()
    source = CodeField(TipOff.Source)  # type: ignore[assignment]
    reporter_name = serializers.CharField(help_text="举报人")
    reporter_contact = serializers.CharField(help_text="联系方式")
    content = serializers.CharField(help_text="举报内容")
    region_code = serializers.CharField(help_text="涉及区划代码")
    household_id = serializers.IntegerField(allow_null=True)
    case_id = serializers.IntegerField(allow_null=True)
    case_number = serializers.CharField(source="case.number", allow_null=True)
    assignee = serializers.CharField(
        source="assignee.username", allow_null=True, help_text="承办人用户名"
    )
    due_on = serializers.DateField(help_text="办理时限")
    due_provisional = serializers.BooleanField()
    status = CodeField(TipOff.Status)
    investigation = serializers.CharField(help_text="核查情况")
    outcome = CodeField(TipOff.Outcome, allow_blank=True)
    review_id = serializers.IntegerField(allow_null=True, help_text="转入的复核任务")
    registered_by = serializers.CharField(source="registered_by.username")
    registered_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


def _tipoffs(user: User) -> QuerySet[TipOff]:
    return services.tipoff_list(user=user).select_related("registered_by")


def tipoff_response(request: Request, pk: int, *, code: int = 200) -> Response:
    user = request_user(request)
    services.tipoff_get(user=user, pk=pk)  # 404 outside the scope
    return Response(TipOffSerializer(_tipoffs(user).get(pk=pk)).data, status=code)


class TipOffListApi(APIView):
    permission_classes = [TipOffReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=TipOff.Status.choices, required=False)
        region_code = RegionCodeFilterField(help_text="涉及区划代码或前缀")

    OutputSerializer = TipOffSerializer

    @extend_schema(
        summary="举报投诉列表",
        description="管辖范围内的举报投诉,待核查的按办理时限在前。",
        parameters=[FilterSerializer],
        responses={200: TipOffSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        tipoffs = _tipoffs(request_user(request))
        if f.get("status"):
            tipoffs = tipoffs.filter(status=f["status"])
        if f.get("region_code"):
            tipoffs = tipoffs.filter(prefix_q("region_code", f["region_code"]))
        return paginated_response(
            request=request, view=self, queryset=tipoffs, serializer_class=self.OutputSerializer
        )


class TipOffCreateApi(APIView):
    permission_classes = [Reviewers]

    class InputSerializer(serializers.Serializer[Any]):
        source = CodeField(TipOff.Source)  # type: ignore[assignment]
        content = serializers.CharField(allow_blank=True, help_text="举报内容(必填)")
        region_code = serializers.CharField(max_length=12, help_text="涉及区划代码(12位)")
        reporter_name = serializers.CharField(
            max_length=50, required=False, default="", allow_blank=True, help_text="举报人,可匿名"
        )
        reporter_contact = serializers.CharField(
            max_length=50, required=False, default="", allow_blank=True
        )
        household = serializers.IntegerField(
            required=False, allow_null=True, default=None, help_text="涉及的家庭编号"
        )
        case = serializers.IntegerField(
            required=False, allow_null=True, default=None, help_text="涉及的案件编号"
        )
        assignee = serializers.IntegerField(
            required=False, allow_null=True, default=None, help_text="承办人(用户编号)"
        )

    @extend_schema(
        summary="登记举报投诉",
        description="登记来源、举报人和内容,可关联家庭或案件并指定承办人;办理时限10个工作日。",
        request=InputSerializer,
        responses={201: TipOffSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = dict(data.validated_data)
        region_in_scope(actor, f["region_code"])
        if f["household"] is not None:
            f["household"] = household_in_scope(actor, f["household"], "household")
        if f["case"] is not None:
            f["case"] = case_in_scope(actor, f["case"], "case")
        if f["assignee"] is not None:
            f["assignee"] = user_in_scope(actor, f["assignee"], "assignee")
        with case_errors():
            tipoff = services.tipoff_register(actor=actor, **f)
        return tipoff_response(request, tipoff.pk, code=status.HTTP_201_CREATED)


class TipOffCloseApi(APIView):
    permission_classes = [Reviewers]

    class InputSerializer(serializers.Serializer[Any]):
        investigation = serializers.CharField(allow_blank=True, help_text="核查情况(必填)")
        outcome = CodeField(TipOff.Outcome)
        open_review = serializers.BooleanField(
            default=False, help_text="转入复核:为所涉在保案件生成复核任务"
        )

    @extend_schema(
        summary="办结举报投诉",
        description="填写核查情况和结论;可同时为所涉在保案件生成复核任务。",
        request=InputSerializer,
        responses={200: TipOffSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        tipoff = services.tipoff_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with case_errors():
            services.tipoff_close(actor=actor, tipoff=tipoff, **data.validated_data)
        return tipoff_response(request, pk)


class TipOffAssignApi(APIView):
    permission_classes = [Reviewers]

    class InputSerializer(serializers.Serializer[Any]):
        assignee = serializers.IntegerField(help_text="承办人(用户编号)")
        reason = serializers.CharField(required=False, default="", allow_blank=True)

    @extend_schema(
        summary="指定举报投诉承办人",
        description="承办人应为负责该地区的乡镇(街道)或县(区)民政经办人员。",
        request=InputSerializer,
        responses={200: TipOffSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        tipoff = services.tipoff_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignee = user_in_scope(actor, data.validated_data["assignee"], "assignee")
        with case_errors():
            services.tipoff_assign(
                actor=actor,
                tipoff=tipoff,
                assignee=assignee,
                reason=data.validated_data["reason"],
            )
        return tipoff_response(request, pk)
