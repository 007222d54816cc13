"""Fund accounts (专户): the list with balances, a new account, one account with its balance
and available balance, an entry booked by hand (allocation, adjustment), and the statement of a
period."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, paginated_response, request_user
from minzheng.payments import selectors
from minzheng.payments.apis.base import FundKeepers, FundReaders, money, payment_errors
from minzheng.payments.apis.serializers import (
    FundAccountDetailSerializer,
    FundAccountSerializer,
    FundEntrySerializer,
    StatementSerializer,
)
from minzheng.payments.models import FundAccount, FundEntry, FundSource
from minzheng.payments.services import funds
from minzheng.programs.apis.base import CodeField, program_field, region_in_scope

PERIOD_REVERSED = "截止日期不能早于起始日期"
MANUAL_KINDS = [
    (str(kind), str(kind.label)) for kind in (FundEntry.Kind.ALLOCATION, FundEntry.Kind.ADJUSTMENT)
]


class FundAccountRowSerializer(FundAccountSerializer):
    balance = serializers.SerializerMethodField(help_text="余额(元)")

    @extend_schema_field(money())
    def get_balance(self, account: FundAccount) -> str:
        return f"{funds.fund_balance(account):.2f}"


def account_response(account: FundAccount, *, code: int = status.HTTP_200_OK) -> Response:
    account.balance = funds.fund_balance(account)  # type: ignore[attr-defined]
    account.available = funds.fund_available(account)  # type: ignore[attr-defined]
    return Response(FundAccountDetailSerializer(account).data, status=code)


class FundAccountListApi(APIView):
    permission_classes = [FundReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        source = serializers.ChoiceField(  # type: ignore[assignment]
            choices=FundSource.choices, required=False
        )
        program = serializers.ChoiceField(
            choices=program_field().choices, required=False, help_text="适用项目(含通用专户)"
        )
        is_active = serializers.BooleanField(required=False, allow_null=True, default=None)

    OutputSerializer = FundAccountRowSerializer

    @extend_schema(
        summary="资金专户列表",
        description="管辖范围内的资金专户及其余额。",
        parameters=[FilterSerializer],
        responses={200: FundAccountRowSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        accounts = selectors.fund_accounts(request_user(request)).select_related("created_by")
        if f.get("source"):
            accounts = accounts.filter(source=f["source"])
        if f.get("program"):
            accounts = accounts.filter(program__in=[f["program"], ""])
        if f.get("is_active") is not None:
            accounts = accounts.filter(is_active=f["is_active"])
        return paginated_response(
            request=request, view=self, queryset=accounts, serializer_class=self.OutputSerializer
        )


class FundAccountCreateApi(APIView):
    permission_classes = [FundKeepers]

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=100, help_text="账户名称,县内唯一")
        source = CodeField(FundSource)  # type: ignore[assignment]
        region_code = serializers.CharField(max_length=12, help_text="所属县(区)区划代码")
        program = program_field(
            required=False, default="", allow_blank=True, help_text="适用项目,空为各项目通用"
        )
        bank_name = serializers.CharField(
            max_length=100, required=False, default="", allow_blank=True, help_text="开户银行"
        )
        account_number = serializers.CharField(
            max_length=40, required=False, default="", allow_blank=True, help_text="账号"
        )
        note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    @extend_schema(
        summary="新建资金专户",
        description="为县(区)设立某一资金来源(中央、省、市、县级)的专户,可限定救助项目。",
        request=InputSerializer,
        responses={201: FundAccountDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        region_in_scope(actor, f["region_code"])
        with payment_errors():
            account = funds.fund_account_create(actor=actor, **f)
        account = selectors.fund_accounts(actor).select_related("created_by").get(pk=account.pk)
        return account_response(account, code=status.HTTP_201_CREATED)


class FundAccountDetailApi(APIView):
    permission_classes = [FundReaders]

    @extend_schema(
        summary="资金专户详情",
        description="专户及其余额、可用余额(余额减去已审批尚未锁定的批次应付金额)。",
        responses={200: FundAccountDetailSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        return account_response(selectors.fund_account_get(request_user(request), pk))


class FundEntryCreateApi(APIView):
    permission_classes = [FundKeepers]

    class InputSerializer(serializers.Serializer[Any]):
        kind = CodeField(
            MANUAL_KINDS,
            name="FundEntryManualKind",
            help_text="allocation 资金拨入(金额为正,须填文号);adjustment 调账(可为负,须填摘要)",
        )
        amount = money(help_text="金额(元)")
        entry_date = serializers.DateField(help_text="记账日期")
        document_number = serializers.CharField(
            max_length=100, required=False, default="", allow_blank=True, help_text="文号/凭证号"
        )
        note = serializers.CharField(
            max_length=200, required=False, default="", allow_blank=True, help_text="摘要"
        )

    @extend_schema(
        summary="专户记账",
        description="登记资金拨入或调账;其他收支(发放、退回、追回)由相应业务自动记账。",
        request=InputSerializer,
        responses={201: FundEntrySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        account = selectors.fund_account_get(actor, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with payment_errors():
            entry = funds.fund_entry_add(actor=actor, account=account, **data.validated_data)
        entry = FundEntry.objects.select_related("created_by").get(pk=entry.pk)
        return Response(FundEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class StatementFilterSerializer(serializers.Serializer[Any]):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (`from` is a Python keyword, hence get_fields)."""

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="起始日期,默认本年1月1日")
        fields["to"] = serializers.DateField(required=False, help_text="截止日期,默认今天")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = timezone.localdate()
        date_to = attrs.get("to") or today
        date_from = attrs.get("from") or datetime.date(date_to.year, 1, 1)
        if date_to < date_from:
            raise ValidationError({"to": [PERIOD_REVERSED]})
        return {"from": date_from, "to": date_to}


class FundStatementApi(APIView):
    permission_classes = [FundReaders]

    @extend_schema(
        summary="专户对账单",
        description="一个期间的期初余额、逐笔收支及余额、按类别合计和期末余额。",
        parameters=[StatementFilterSerializer],
        responses={200: StatementSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        account = selectors.fund_account_get(request_user(request), pk)
        filters = StatementFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        period = filters.validated_data
        statement = funds.fund_statement(account, period["from"], period["to"])
        return Response(StatementSerializer(statement).data)
