"""Payroll runs: the list, the start (generation runs in the background; the run's `percent`
shows how far it got), a run with its totals, check report and meeting record, its lines, and
each step of its way: check, collective approval, lock, send to the banks, regenerate, cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import (
    Pagination,
    RegionCodeFilterField,
    paginated_response,
    request_user,
)
from minzheng.core.regions import RegionCodeError, normalize_code, prefix_q
from minzheng.payments import selectors
from minzheng.payments.apis.base import (
    MonthField,
    PayrollApprovers,
    PayrollOperators,
    PayrollReaders,
    fund_account_in_scope,
    payment_errors,
    version_field,
    whole_run,
)
from minzheng.payments.apis.serializers import (
    PaymentLineSerializer,
    RunDetailSerializer,
    RunSerializer,
)
from minzheng.payments.models import BankFile, LineKind, LineStatus, PayrollRun, RunStatus
from minzheng.payments.services import approval, bank, payroll
from minzheng.programs.apis.base import program_field, region_in_scope


def run_for(request: Request, pk: int) -> PayrollRun:
    """The run of the URL (404 outside the caller's scope)."""
    return selectors.run_get(request_user(request), pk)


def run_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    """The run read back through the selector, with its bank files (none for a user whose
    scope covers only part of the run)."""
    user = request_user(request)
    runs = selectors.run_list(user).select_related(
        "checked_by", "approved_by", "locked_by", "sent_by", "created_by"
    )
    run = get_object_or_404(runs, pk=pk)
    files = BankFile.objects.select_related("created_by").order_by("id")
    if not whole_run(user, run):
        files = files.none()
    prefetch_related_objects([run], Prefetch("bank_files", queryset=files))
    return Response(RunDetailSerializer(run, context={"request": request}).data, status=code)


class RunListApi(APIView):
    permission_classes = [PayrollReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        program = serializers.ChoiceField(
            choices=program_field().choices, required=False, help_text="救助项目代码"
        )
        month = MonthField(required=False, help_text="发放月份,如2026-11")
        status = serializers.ChoiceField(choices=RunStatus.choices, required=False)
        region_code = RegionCodeFilterField(help_text="发放区划代码或前缀")

    OutputSerializer = RunSerializer

    @extend_schema(
        summary="发放批次列表",
        description="管辖范围内(及覆盖本辖区)的发放批次,按月份倒序。",
        parameters=[FilterSerializer],
        responses={200: RunSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        runs = selectors.run_list(request_user(request))
        if f.get("program"):
            runs = runs.filter(program=f["program"])
        if f.get("month"):
            runs = runs.filter(month=f["month"])
        if f.get("status"):
            runs = runs.filter(status=f["status"])
        if f.get("region_code"):
            runs = runs.filter(prefix_q("region_code", f["region_code"]))
        return paginated_response(
            request=request, view=self, queryset=runs, serializer_class=self.OutputSerializer
        )


class RunStartApi(APIView):
    permission_classes = [PayrollOperators]

    class InputSerializer(serializers.Serializer[Any]):
        program = program_field()
        region_code = serializers.CharField(max_length=12, help_text="县(区)或乡镇(街道)区划代码")
        month = MonthField(help_text="发放月份,如2026-11")

    @extend_schema(
        summary="发起发放批次",
        description=(
            "发起某项目、某区划、某月的发放批次,后台生成发放明细(进度见批次的 percent)。"
            "同一项目、区划、月份已有批次时返回该批次(200),不会重复生成。"
        ),
        request=InputSerializer,
        responses={201: RunDetailSerializer, 200: RunDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        try:
            region_code = normalize_code(f["region_code"])
        except RegionCodeError as e:
            raise ValidationError({"region_code": [str(e)]}) from None
        region_in_scope(actor, region_code)
        existed = (
            PayrollRun.objects.filter(
                program=f["program"], region_code=region_code, month=f["month"]
            )
            .exclude(status=RunStatus.CANCELLED)
            .exists()
        )
        with payment_errors():
            run = payroll.run_start(
                actor=actor,
                program=f["program"],
                region_code=region_code,
                month=f["month"],
                background=True,
            )
        return run_response(request, run.pk, code=200 if existed else status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    permission_classes = [PayrollReaders]

    @extend_schema(
        summary="发放批次详情",
        description="批次的状态、生成进度、合计、审核报告、集体审批记录、支付专户和银行文件。",
        responses={200: RunDetailSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        return run_response(request, pk)


class RunLinesApi(APIView):
    permission_classes = [PayrollReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        region_code = RegionCodeFilterField(help_text="所在村(社区)区划代码或前缀")
        kind = serializers.ChoiceField(choices=LineKind.choices, required=False)
        status = serializers.ChoiceField(choices=LineStatus.choices, required=False)

    OutputSerializer = PaymentLineSerializer

    @extend_schema(
        summary="发放明细",
        description="批次中您管辖范围内的发放明细,按村(社区)排列。",
        parameters=[FilterSerializer],
        responses={200: PaymentLineSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        run = run_for(request, pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        lines = selectors.run_lines(user, run)
        if f.get("region_code"):
            lines = lines.filter(prefix_q("region_code", f["region_code"]))
        if f.get("kind"):
            lines = lines.filter(kind=f["kind"])
        if f.get("status"):
            lines = lines.filter(status=f["status"])
        return paginated_response(
            request=request, view=self, queryset=lines, serializer_class=self.OutputSerializer
        )


class RunVersionSerializer(serializers.Serializer[Any]):
    version = version_field()


class _RunStepApi(APIView):
    """A step of a run that takes nothing but the run's version as the user read it (a stale
    one answers 409): the subclass names the service and documents the step."""

    permission_classes = [PayrollOperators]
    InputSerializer = RunVersionSerializer
    step: Callable[..., Any]

    def post(self, request: Request, pk: int) -> Response:
        run = run_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with payment_errors():
            type(self).step(
                actor=request_user(request), run=run, version=data.validated_data["version"]
            )
        return run_response(request, pk)


@extend_schema_view(
    post=extend_schema(
        summary="审核发放批次",
        description="待审核的批次经审核: 生成审核报告(合计、与上月相比的变化),批次变为已审核。",
        request=RunVersionSerializer,
        responses={200: RunDetailSerializer, 409: None},
    )
)
class RunCheckApi(_RunStepApi):
    step = staticmethod(approval.run_check)


class RunApproveApi(APIView):
    permission_classes = [PayrollApprovers]

    class InputSerializer(serializers.Serializer[Any]):
        version = version_field()
        meeting_date = serializers.DateField(help_text="集体研究的会议日期")
        attendees = serializers.CharField(help_text="参会人员(至少两人)")
        decision = serializers.CharField(help_text="会议决定")
        fund_account = serializers.IntegerField(help_text="支付专户编号,可用余额须足够")

    @extend_schema(
        summary="登记集体审批",
        description=(
            "登记已审核批次的集体研究记录(会议日期、参会人员、会议决定)并指定支付专户;"
            "专户可用余额不足时不予审批。"
        ),
        request=InputSerializer,
        responses={200: RunDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        run = run_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        account = fund_account_in_scope(actor, f["fund_account"])
        with payment_errors():
            approval.run_approve(
                actor=actor,
                run=run,
                meeting_date=f["meeting_date"],
                attendees=f["attendees"],
                decision=f["decision"],
                fund_account=account,
                version=f["version"],
            )
        return run_response(request, pk)


@extend_schema_view(
    post=extend_schema(
        summary="锁定发放批次",
        description=(
            "锁定已审批的批次: 抄录各户银行账户(无账户的明细不发放),在支付专户记支出,明细不再变动。"
        ),
        request=RunVersionSerializer,
        responses={200: RunDetailSerializer, 409: None},
    )
)
class RunLockApi(_RunStepApi):
    step = staticmethod(approval.run_lock)


@extend_schema_view(
    post=extend_schema(
        summary="生成银行文件并报送",
        description=(
            "已锁定的批次按银行生成批量文件(各银行的模板),明细变为已报送;再次报送返回同样的文件。"
        ),
        request=RunVersionSerializer,
        responses={200: RunDetailSerializer, 409: None},
    )
)
class RunSendApi(_RunStepApi):
    step = staticmethod(bank.run_send)


@extend_schema_view(
    post=extend_schema(
        summary="重新生成发放明细",
        description="待审核或已审核的批次删除明细后重新生成(案件有变化时)。",
        request=RunVersionSerializer,
        responses={200: RunDetailSerializer, 409: None},
    )
)
class RunRegenerateApi(_RunStepApi):
    step = staticmethod(payroll.run_regenerate)


class RunCancelApi(APIView):
    permission_classes = [PayrollOperators]

    class InputSerializer(serializers.Serializer[Any]):
        version = version_field()
        reason = serializers.CharField(max_length=200, help_text="作废原因")

    @extend_schema(
        summary="作废发放批次",
        description="未锁定的批次可以作废,明细随之删除,批次保留为已作废。",
        request=InputSerializer,
        responses={200: RunDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        run = run_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        with payment_errors():
            payroll.run_cancel(
                actor=request_user(request), run=run, reason=f["reason"], version=f["version"]
            )
        return run_response(request, pk)
