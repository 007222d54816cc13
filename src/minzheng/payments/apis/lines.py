"""Payment lines after the bank: the reissue queue of failed payments and their reissue once the
household's account is corrected; the recovery ledger (追回台账) of overpayments and the record
of money recovered."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, RegionCodeFilterField, paginated_response, request_user
from minzheng.core.models import User
from minzheng.core.regions import prefix_q
from minzheng.core.scope import scoped
from minzheng.payments.apis.base import (
    PayrollOperators,
    PayrollReaders,
    fund_account_in_scope,
    money,
    payment_errors,
)
from minzheng.payments.apis.serializers import (
    BankFileSerializer,
    PaymentHistorySerializer,
    ReissueLineSerializer,
)
from minzheng.payments.models import LineStatus, PaymentLine
from minzheng.payments.services import bank

LINES_NOT_IN_QUEUE = "编号为{pks}的明细不在失败重发队列中或不在您的管辖范围内"
LINE_IDS_REQUIRED = "请选择要重新发放的明细"
RECOVERY_STATUSES = [(LineStatus.TO_RECOVER, "待追回"), (LineStatus.RECOVERED, "已追回")]


def lines_in_scope(user: User) -> QuerySet[PaymentLine]:
    return scoped(PaymentLine.objects.all(), user).select_related("person", "run")


class ReissueQueueApi(APIView):
    permission_classes = [PayrollReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        region_code = RegionCodeFilterField(help_text="所在村(社区)区划代码或前缀")

    OutputSerializer = ReissueLineSerializer

    @extend_schema(
        summary="失败重发队列",
        description="银行回盘为失败的明细,最新的在前;account_fixed 表示家庭银行账户已更正。",
        parameters=[FilterSerializer],
        responses={200: ReissueLineSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        lines = bank.reissue_queue(request_user(request)).select_related("person", "run")
        prefix = filters.validated_data.get("region_code")
        if prefix:
            lines = lines.filter(prefix_q("region_code", prefix))
        return paginated_response(
            request=request, view=self, queryset=lines, serializer_class=self.OutputSerializer
        )


class ReissueApi(APIView):
    permission_classes = [PayrollOperators]

    class InputSerializer(serializers.Serializer[Any]):
        line_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            help_text="要重新发放的明细编号(须在失败重发队列中,且家庭账户已更正)",
        )

        def validate_line_ids(self, value: list[int]) -> list[int]:
            if not value:
                raise ValidationError(LINE_IDS_REQUIRED)
            return list(dict.fromkeys(value))

    @extend_schema(
        summary="失败重发",
        description=(
            "账户已更正的失败明细重新报送: 按批次和银行生成重发文件,明细变为已报送,"
            "专户记重发支出。账户未更正的明细不予重发。"
        ),
        request=InputSerializer,
        responses={201: BankFileSerializer(many=True)},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data["line_ids"]
        lines = list(bank.reissue_queue(actor).filter(pk__in=wanted).order_by("pk"))
        missing = sorted(set(wanted) - {line.pk for line in lines})
        if missing:
            pks = "、".join(str(pk) for pk in missing)
            raise ValidationError({"line_ids": [LINES_NOT_IN_QUEUE.format(pks=pks)]})
        with payment_errors():
            files = bank.reissue(actor=actor, lines=lines)
        out = BankFileSerializer(files, many=True)  # type: ignore[arg-type]
        return Response(out.data, status=status.HTTP_201_CREATED)


class RecoveryListApi(APIView):
    permission_classes = [PayrollReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(
            choices=RECOVERY_STATUSES,
            required=False,
            default=LineStatus.TO_RECOVER,
            help_text="to_recover 待追回(默认);recovered 已追回",
        )
        region_code = RegionCodeFilterField(help_text="所在村(社区)区划代码或前缀")

    OutputSerializer = PaymentHistorySerializer

    @extend_schema(
        summary="追回台账",
        description="多发待追回(或已追回)的明细,按月份倒序。",
        parameters=[FilterSerializer],
        responses={200: PaymentHistorySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        lines = lines_in_scope(request_user(request)).filter(status=f["status"])
        if f.get("region_code"):
            lines = lines.filter(prefix_q("region_code", f["region_code"]))
        return paginated_response(
            request=request,
            view=self,
            queryset=lines.order_by("-month", "-id"),
            serializer_class=self.OutputSerializer,
        )


class RecoveryRecordApi(APIView):
    permission_classes = [PayrollOperators]

    class InputSerializer(serializers.Serializer[Any]):
        receipt = serializers.CharField(max_length=100, help_text="缴款收据号")
        recovered_on = serializers.DateField(help_text="追回日期")
        fund_account = serializers.IntegerField(help_text="追回资金入账的专户编号")
        amount = money(
            required=False,
            allow_null=True,
            default=None,
            help_text="追回金额(元),默认为应追回的全额",
        )

    @extend_schema(
        summary="登记追回",
        description="待追回的明细已收回款项: 明细记为已追回,款项记入专户。",
        request=InputSerializer,
        responses={200: PaymentHistorySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        line = get_object_or_404(lines_in_scope(actor), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        account = fund_account_in_scope(actor, f["fund_account"])
        with payment_errors():
            bank.recovery_record(
                actor=actor,
                line=line,
                receipt=f["receipt"],
                recovered_on=f["recovered_on"],
                fund_account=account,
                amount=f["amount"],
            )
        line = lines_in_scope(actor).get(pk=pk)
        return Response(PaymentHistorySerializer(line, context={"request": request}).data)
