"""Match runs (比对批次): the list, the start (the run works in the background; `percent` and
`stage` show how far it got), a run with its counts per rule, the cancel, and the summary of
hits per rule and township with the confirmed and dismissed rates; and the dashboard figures."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import (
    Pagination,
    RegionCodeFilterField,
    paginated_response,
    request_user,
)
from minzheng.core.regions import prefix_q
from minzheng.matching import selectors
from minzheng.matching.apis.base import (
    MatchOperators,
    MatchReaders,
    matching_errors,
    state_conflicts,
)
from minzheng.matching.apis.serializers import (
    MatchFiguresSerializer,
    MatchRunDetailSerializer,
    MatchRunSerializer,
    MatchRunSummarySerializer,
    engine_field,
    rule_field,
)
from minzheng.matching.errors import MatchingConflict, MatchingError
from minzheng.matching.models import MatchRun, RunStatus
from minzheng.matching.services import runs as services
from minzheng.programs.apis.base import CodeField

LIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


def run_for(request: Request, pk: int) -> MatchRun:
    """The run of the URL (404 outside the caller's scope)."""
    return get_object_or_404(selectors.runs_for(request_user(request)), pk=pk)


def run_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    run = get_object_or_404(
        selectors.runs_for(request_user(request)).select_related("created_by"), pk=pk
    )
    return Response(MatchRunDetailSerializer(run).data, status=code)


class MatchRunListApi(APIView):
    permission_classes = [MatchReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        status = CodeField(RunStatus, name="MatchRunStatus", required=False)
        engine = engine_field(required=False)
        region_code = RegionCodeFilterField(help_text="比对区划代码或前缀")

    OutputSerializer = MatchRunSerializer

    @extend_schema(
        summary="比对批次列表",
        description="管辖范围内(及覆盖本辖区)的比对批次,按发起时间倒序。",
        parameters=[FilterSerializer],
        responses={200: MatchRunSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        runs = selectors.runs_for(request_user(request)).select_related("created_by")
        if f.get("status"):
            runs = runs.filter(status=f["status"])
        if f.get("engine"):
            runs = runs.filter(engine=f["engine"])
        if f.get("region_code"):
            runs = runs.filter(prefix_q("region_code", f["region_code"]))
        return paginated_response(
            request=request, view=self, queryset=runs, serializer_class=self.OutputSerializer
        )


class MatchRunStartApi(APIView):
    permission_classes = [MatchOperators]

    class InputSerializer(serializers.Serializer[Any]):
        engine = engine_field(required=False, default="duckdb")
        rules = serializers.ListField(
            child=rule_field(),
            required=False,
            allow_empty=False,
            help_text="参加比对的规则代码;不填为本县启用的全部规则",
        )
        as_of = serializers.DateField(required=False, help_text="比对基准日;不填为今天")

    @extend_schema(
        summary="发起信息比对",
        description=(
            "以您所在县(区)的在保名册和在用的比对数据,按所选规则在后台比对(进度见 percent、"
            "stage)。没有可以运行的规则(缺少数据)时不予发起;本县已有排队或进行中的比对时"
            "返回409。"
        ),
        request=InputSerializer,
        responses={202: MatchRunDetailSerializer, 409: None},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        with matching_errors(), state_conflicts():
            run = services.run_start(
                actor=request_user(request),
                engine=f["engine"],
                rules=f.get("rules"),
                as_of=f.get("as_of"),
            )
        return run_response(request, run.pk, code=status.HTTP_202_ACCEPTED)


class MatchRunDetailApi(APIView):
    permission_classes = [MatchReaders]

    @extend_schema(
        summary="比对批次详情",
        description="比对批次的状态、进度、所用规则和数据,以及各规则的命中数、新增疑点数和耗时。",
        responses={200: MatchRunDetailSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        return run_response(request, pk)


class MatchRunCancelApi(APIView):
    permission_classes = [MatchOperators]

    @extend_schema(
        summary="取消信息比对",
        description="取消排队中的比对;进行中的比对在下一阶段开始前停止。已结束的比对返回409。",
        request=None,
        responses={200: MatchRunDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        run = run_for(request, pk)
        with matching_errors():
            try:
                services.run_cancel(actor=request_user(request), run=run)
            except MatchingError as e:
                # A run no longer queued or running: its state changed under the caller.
                if MatchRun.objects.filter(pk=pk, status__in=LIVE).exists():
                    raise
                raise MatchingConflict(e.message) from None
        return run_response(request, pk)


class MatchRunSummaryApi(APIView):
    permission_classes = [MatchReaders]

    @extend_schema(
        summary="比对结果汇总",
        description=(
            "比对批次按规则、按乡镇(街道)的命中数(只含您管辖的乡镇),各规则待核实、属实、"
            "不属实的疑点数及属实率、不属实率。"
        ),
        responses={200: MatchRunSummarySerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        run = run_for(request, pk)
        summary = selectors.run_summary(run, request_user(request))
        return Response(MatchRunSummarySerializer(summary).data)


class MatchFiguresApi(APIView):
    permission_classes = [MatchReaders]

    class FilterSerializer(serializers.Serializer[Any]):
        year = serializers.IntegerField(
            required=False, min_value=2000, max_value=2100, help_text="年度;不填为今年"
        )

    @extend_schema(
        summary="信息比对统计",
        description=(
            "管辖范围内的信息比对统计: 比对批次,按规则、乡镇的疑点发现、属实、不属实、待核实数,"
            "漏保转介数,因比对暂停或终止的案件数。"
        ),
        parameters=[FilterSerializer],
        responses={200: MatchFiguresSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        year = filters.validated_data.get("year")
        figures = selectors.matching_figures(request_user(request), year=year)
        return Response(MatchFiguresSerializer(figures).data)
