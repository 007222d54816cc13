"""Standards (救助标准): the effective-dated policy numbers per program and region. Setting one
recalculates the paying cases it changes, from its first month."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, paginated_response, request_user
from minzheng.programs.apis.base import (
    CaseReaders,
    StandardEditors,
    case_errors,
    program_field,
    region_in_scope,
)
from minzheng.programs.models import Standard
from minzheng.programs.services import standards as services


class StandardSerializer(serializers.Serializer[Standard]):
    id = serializers.IntegerField()
    program = program_field()
    parameter = serializers.CharField(help_text="参数代码,见 /programs/ 的 parameters")
    region_code = serializers.CharField(help_text="适用区划(县或乡镇)")
    valid_from = serializers.DateField(help_text="生效日期")
    valid_to = serializers.DateField(allow_null=True, help_text="失效日期,空为长期有效")
    value = serializers.DecimalField(
        max_digits=14, decimal_places=4, help_text="数值:金额为元,比例为小数,倍数、月数为数字"
    )
    note = serializers.CharField(help_text="文件依据")
    created_by = serializers.CharField(source="created_by.username", allow_null=True)
    created_at = serializers.DateTimeField()


class StandardListApi(APIView):
    permission_classes = [CaseReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        program = serializers.ChoiceField(
            choices=program_field().choices, required=False, help_text="救助项目代码"
        )
        parameter = serializers.CharField(required=False, allow_blank=True, help_text="参数代码")

    OutputSerializer = StandardSerializer

    @extend_schema(
        summary="救助标准列表",
        description="本级、上级和下级区划的救助标准,按项目、参数、区划排列,新的在前。",
        parameters=[FilterSerializer],
        responses={200: StandardSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        rows = services.standard_list(
            user=request_user(request),
            program=f.get("program") or None,
            parameter=f.get("parameter") or None,
        )
        return paginated_response(
            request=request, view=self, queryset=rows, serializer_class=self.OutputSerializer
        )


class StandardCreateApi(APIView):
    permission_classes = [StandardEditors]

    class InputSerializer(serializers.Serializer[Any]):
        program = program_field()
        parameter = serializers.CharField(max_length=48, help_text="参数代码")
        region_code = serializers.CharField(max_length=12, help_text="县(区)或乡镇(街道)区划代码")
        valid_from = serializers.DateField(help_text="生效日期")
        valid_to = serializers.DateField(
            required=False, allow_null=True, default=None, help_text="失效日期,可空"
        )
        value = serializers.DecimalField(
            max_digits=14, decimal_places=4, min_value=Decimal("0"), help_text="数值"
        )
        note = serializers.CharField(
            max_length=200, required=False, default="", allow_blank=True, help_text="文件依据"
        )

    @extend_schema(
        summary="设置救助标准",
        description=(
            "自生效日期起适用;同一区划同一生效日期再次设置即替换。影响保障金额的标准会从生效当月"
            "(月中生效的为次月)起重新核算在保案件,并记入审计。"
        ),
        request=InputSerializer,
        responses={201: StandardSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        region_in_scope(actor, data.validated_data["region_code"])
        with case_errors():
            row = services.standard_set(actor=actor, **data.validated_data)
        row = Standard.objects.select_related("created_by").get(pk=row.pk)
        return Response(StandardSerializer(row).data, status=status.HTTP_201_CREATED)
