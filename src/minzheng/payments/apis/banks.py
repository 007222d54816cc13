"""The banks: a run's batch files, one file and its bytes, the import of the bank's return file
and what it applied or refused, and the banks' file templates (configuration)."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, paginated_response, request_user
from minzheng.core.models import User
from minzheng.core.scope import scoped
from minzheng.payments import selectors
from minzheng.payments.apis.base import (
    BankTemplateEditors,
    PayrollOperators,
    PayrollReaders,
    bank_file_for,
    payment_errors,
    whole_run,
)
from minzheng.payments.apis.runs import run_for
from minzheng.payments.apis.serializers import (
    BankFileSerializer,
    BankReturnSerializer,
    BankTemplateSerializer,
    ColumnSerializer,
)
from minzheng.payments.models import BankReturn, BankTemplate
from minzheng.payments.services import bank
from minzheng.programs.apis.base import CodeField, region_in_scope

RETURN_FILE_MAX_BYTES = 50 * 1024 * 1024
RETURN_FILE_TOO_LARGE = "回盘文件不能超过50MB"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bank_returns(user: User) -> QuerySet[BankReturn]:
    """The returns of the bank files the user may see (runs whose region the scope covers)."""
    runs = scoped(selectors.run_list(user), user)
    return BankReturn.objects.filter(bank_file__run__in=runs).select_related(
        "bank_file", "created_by"
    )


def bank_templates(user: User) -> QuerySet[BankTemplate]:
    return scoped(BankTemplate.objects.all(), user)


class RunBankFilesApi(APIView):
    permission_classes = [PayrollReaders]

    @extend_schema(
        summary="批次的银行文件",
        description=(
            "批次报送银行的批量文件(每家银行一个,另有失败重发的文件),按生成先后。"
            "银行文件含整个批次的账户:管辖范围只覆盖批次一部分的用户(如乡镇看县级批次)看不到。"
        ),
        responses={200: BankFileSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        run = run_for(request, pk)
        files = run.bank_files.select_related("created_by").order_by("id")
        if not whole_run(request_user(request), run):
            files = files.none()
        return Response(BankFileSerializer(files, many=True).data)  # type: ignore[arg-type]


class BankFileDetailApi(APIView):
    permission_classes = [PayrollReaders]

    @extend_schema(
        summary="银行文件详情",
        description="银行批量文件的笔数、金额合计、状态和下载地址。",
        responses={200: BankFileSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        bank_file = bank_file_for(request_user(request), pk)
        return Response(BankFileSerializer(bank_file).data)


class BankFileDownloadApi(APIView):
    permission_classes = [PayrollReaders]

    @extend_schema(
        summary="下载银行文件",
        description="以附件形式返回报送银行的文件(CSV按银行要求的编码,或XLSX),与报送时一字不差。",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        bank_file = bank_file_for(request_user(request), pk)
        content = bytes(bank_file.content)
        if bank_file.file_name.lower().endswith(".xlsx"):
            content_type = XLSX
        elif bank_file.file_name.lower().endswith((".csv", ".txt")):
            content_type = f"text/csv; charset={bank_file.template.encoding}"
        else:
            content_type = (
                mimetypes.guess_type(bank_file.file_name)[0] or "application/octet-stream"
            )
        response = HttpResponse(content, content_type=content_type)
        disposition = content_disposition_header(as_attachment=True, filename=bank_file.file_name)
        response["Content-Disposition"] = disposition or "attachment"
        response["Content-Length"] = str(len(content))
        return response


class BankReturnCreateApi(APIView):
    permission_classes = [PayrollOperators]
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(help_text="银行的回盘文件(CSV,UTF-8或GBK;或XLSX)")

        def validate_file(self, value: Any) -> Any:
            if value.size > RETURN_FILE_MAX_BYTES:
                raise ValidationError(RETURN_FILE_TOO_LARGE)
            return value

    @extend_schema(
        summary="导入银行回盘",
        description=(
            "multipart/form-data 上传银行的回盘文件: 成功的明细记为已到账,失败的记失败原因并"
            "转入重发队列、资金退回专户;账号不在文件中、金额不符、重复的行列入 problems,"
            "不作处理。全部明细都有结果后批次变为已对账。"
        ),
        request={"multipart/form-data": InputSerializer},
        responses={201: BankReturnSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        bank_file = bank_file_for(actor, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        with payment_errors():
            result = bank.bank_return_import(
                actor=actor, bank_file=bank_file, content=upload.read(), file_name=upload.name
            )
        result = bank_returns(actor).get(pk=result.pk)
        return Response(BankReturnSerializer(result).data, status=status.HTTP_201_CREATED)


class BankReturnDetailApi(APIView):
    permission_classes = [PayrollReaders]

    @extend_schema(
        summary="银行回盘详情",
        description="一次回盘导入的成功、失败笔数和金额,以及未处理的行及原因。",
        responses={200: BankReturnSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        result = get_object_or_404(bank_returns(request_user(request)), pk=pk)
        return Response(BankReturnSerializer(result).data)


# -- templates -------------------------------------------------------------------------------


class TemplateFieldsSerializer(serializers.Serializer[Any]):
    bank_name = serializers.CharField(max_length=100, help_text="银行名称,与家庭的开户银行一致")
    file_format = CodeField(BankTemplate.Format, name="BankFileFormat", default="csv")
    encoding = CodeField(BankTemplate.Encoding, name="BankFileEncoding", default="gbk")
    delimiter = serializers.CharField(
        max_length=2, default=",", trim_whitespace=False, help_text="分隔符(CSV)"
    )
    columns = ColumnSerializer(many=True, help_text="批量文件的列,按顺序")
    return_columns = serializers.DictField(
        child=serializers.CharField(max_length=40),
        help_text="回盘文件的列: {内容: 列标题},内容为 account_number、amount、result 等",
    )
    success_values = serializers.ListField(
        child=serializers.CharField(max_length=20), help_text="表示成功的处理结果,如“成功”"
    )
    remark_template = serializers.CharField(
        max_length=100,
        default="{year}年{month}月{program}",
        help_text="摘要模板,可用 {year} {month} {program}",
    )


def template_save(
    request: Request, *, region_code: str, template: BankTemplate | None = None
) -> BankTemplate:
    actor = request_user(request)
    data = TemplateFieldsSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    f = data.validated_data
    with payment_errors():
        return bank.bank_template_save(
            actor=actor,
            region_code=region_code,
            bank_name=f["bank_name"],
            file_format=f["file_format"],
            encoding=f["encoding"],
            delimiter=f["delimiter"],
            columns=[dict(c) for c in f["columns"]],
            return_columns=dict(f["return_columns"]),
            success_values=list(f["success_values"]),
            remark_template=f["remark_template"],
            template=template,
        )


class BankTemplateListApi(APIView):
    permission_classes = [BankTemplateEditors]
    pagination_class = Pagination

    OutputSerializer = BankTemplateSerializer

    @extend_schema(
        summary="银行文件模板列表",
        description="管辖范围内各银行的批量文件和回盘文件格式。没有模板的银行使用通用格式。",
        responses={200: BankTemplateSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            request=request,
            view=self,
            queryset=bank_templates(request_user(request)),
            serializer_class=self.OutputSerializer,
        )


class BankTemplateCreateApi(APIView):
    permission_classes = [BankTemplateEditors]

    class InputSerializer(TemplateFieldsSerializer):
        region_code = serializers.CharField(max_length=12, help_text="所属县(区)区划代码")

    @extend_schema(
        summary="新建银行文件模板",
        description="为某县(区)的一家银行设置批量文件的列、编码和回盘文件的列。",
        request=InputSerializer,
        responses={201: BankTemplateSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        region_code = region_in_scope(actor, data.validated_data["region_code"])
        template = template_save(request, region_code=region_code)
        return Response(BankTemplateSerializer(template).data, status=status.HTTP_201_CREATED)


class BankTemplateDetailApi(APIView):
    permission_classes = [BankTemplateEditors]

    @extend_schema(
        summary="银行文件模板详情",
        responses={200: BankTemplateSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        template = get_object_or_404(bank_templates(request_user(request)), pk=pk)
        return Response(BankTemplateSerializer(template).data)


class BankTemplateUpdateApi(APIView):
    permission_classes = [BankTemplateEditors]

    InputSerializer = TemplateFieldsSerializer

    @extend_schema(
        summary="修改银行文件模板",
        description="整体替换模板的设置(所属区划不变);已生成的银行文件不受影响。",
        request=TemplateFieldsSerializer,
        responses={200: BankTemplateSerializer},
    )
    def put(self, request: Request, pk: int) -> Response:
        template = get_object_or_404(bank_templates(request_user(request)), pk=pk)
        template = template_save(request, region_code=template.region_code, template=template)
        return Response(BankTemplateSerializer(template).data)
