"""Flags (疑点) to work: the list of the caller's scope with its filters, a flag with its
evidence, and its verification - confirmed with the action it calls for, or dismissed with
the reason (a flag worked meanwhile answers 409)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, F, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, RegionCodeFilterField, paginated_response, request_user
from minzheng.core.regions import prefix_q
from minzheng.matching import selectors
from minzheng.matching.apis.base import FlagWorkers, MatchReaders, matching_errors
from minzheng.matching.apis.serializers import (
    MatchFlagDetailSerializer,
    MatchFlagSerializer,
    rule_field,
)
from minzheng.matching.models import FlagStatus, MatchFlag, RuleAction
from minzheng.matching.services import flags as services
from minzheng.programs.apis.base import CodeField
from minzheng.programs.models import ReviewOutcome

CONFIRM_OUTCOMES = [
    (ReviewOutcome.ADJUST.value, str(ReviewOutcome.ADJUST.label)),
    (ReviewOutcome.SUSPEND.value, str(ReviewOutcome.SUSPEND.label)),
    (ReviewOutcome.TERMINATE.value, str(ReviewOutcome.TERMINATE.label)),
    ("referred", "已转介纳入(疑似漏保)"),
]


# The flags to work first, by their deadline.
OPEN_FIRST = Case(When(status=FlagStatus.OPEN, then=Value(0)), default=Value(1))


def flags_of(request: Request) -> QuerySet[MatchFlag]:
    return selectors.flags_for(request_user(request)).select_related("worked_by")


def flag_for(request: Request, pk: int) -> MatchFlag:
    """The flag of the URL (404 outside the caller's scope)."""
    return get_object_or_404(flags_of(request), pk=pk)


def flag_response(request: Request, pk: int) -> Response:
    flag = flag_for(request, pk)
    return Response(MatchFlagDetailSerializer(flag, context={"request": request}).data)


class MatchFlagListApi(APIView):
    permission_classes = [MatchReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        rule = rule_field(required=False)
        status = CodeField(FlagStatus, required=False)
        action = CodeField(RuleAction, required=False)
        run = serializers.IntegerField(required=False, help_text="发现疑点的比对批次")
        region_code = RegionCodeFilterField(help_text="所在村(社区)区划代码或前缀")
        overdue = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="true: 只列待核实且超过核实时限的;false: 只列未超期的",
        )

    OutputSerializer = MatchFlagSerializer

    @extend_schema(
        summary="比对疑点列表",
        description="管辖范围内的比对疑点,待核实的在前、按核实时限排列。",
        parameters=[FilterSerializer],
        responses={200: MatchFlagSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        flags = flags_of(request)
        for key in ("rule", "status", "action"):
            if f.get(key):
                flags = flags.filter(**{key: f[key]})
        if f.get("run"):
            flags = flags.filter(run_id=f["run"])
        if f.get("region_code"):
            flags = flags.filter(prefix_q("region_code", f["region_code"]))
        if f.get("overdue") is not None:
            late = {"status": FlagStatus.OPEN, "due_on__lt": timezone.localdate()}
            flags = flags.filter(**late) if f["overdue"] else flags.exclude(**late)
        flags = flags.order_by(OPEN_FIRST, F("due_on").asc(nulls_last=True), "id")
        return paginated_response(
            request=request, view=self, queryset=flags, serializer_class=self.OutputSerializer
        )


class MatchFlagDetailApi(APIView):
    permission_classes = [MatchReaders]

    @extend_schema(
        summary="比对疑点详情",
        description="疑点的规则、对象、核实时限和比对依据(比对数据中的那一行和规则算出的数字)。",
        responses={200: MatchFlagDetailSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        return flag_response(request, pk)


class MatchFlagConfirmApi(APIView):
    permission_classes = [FlagWorkers]

    class InputSerializer(serializers.Serializer[Any]):
        outcome = CodeField(
            CONFIRM_OUTCOMES,
            name="FlagConfirmOutcome",
            help_text="处理: 在保案件为 adjust/suspend/terminate,疑似漏保为 referred",
        )
        reason = serializers.CharField(help_text="核实属实的情况和处理理由")
        findings = serializers.CharField(
            required=False, default="", allow_blank=True, help_text="核实经过(入户、查询等)"
        )

    @extend_schema(
        summary="疑点核实属实",
        description=(
            "核实属实并处理: 调整金额、暂停发放或终止保障(经由复核任务),疑似漏保转介纳入;"
            "疑点已被他人核实时返回409。"
        ),
        request=InputSerializer,
        responses={200: MatchFlagDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        flag = flag_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with matching_errors():
            services.flag_confirm(actor=request_user(request), flag=flag, **data.validated_data)
        return flag_response(request, pk)


class MatchFlagDismissApi(APIView):
    permission_classes = [FlagWorkers]

    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(help_text="不属实的理由(非同一人、车辆已转让、收入已申报等)")

    @extend_schema(
        summary="疑点核实不属实",
        description=(
            "核实不属实: 复核以继续保障结束,比对暂停的发放恢复;同一依据不再提示。"
            "疑点已被他人核实时返回409。"
        ),
        request=InputSerializer,
        responses={200: MatchFlagDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        flag = flag_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with matching_errors():
            services.flag_dismiss(
                actor=request_user(request), flag=flag, reason=data.validated_data["reason"]
            )
        return flag_response(request, pk)
