"""Other departments' data: the deliveries of the caller's county, the upload (multipart; the
file is stored and its headings read, the column mapping guessed), the mapping, the validation
(a background job: `percent` shows how far it got), and the rows it refused. The kinds of data
and their columns are listed for integrators."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, paginated_response, request_user
from minzheng.matching import selectors
from minzheng.matching.apis.base import (
    DatasetKeepers,
    DatasetReaders,
    MatchReaders,
    matching_errors,
    state_conflicts,
)
from minzheng.matching.apis.serializers import (
    DatasetKindSerializer,
    DatasetProblemSerializer,
    MatchDatasetDetailSerializer,
    MatchDatasetSerializer,
    kind_field,
)
from minzheng.matching.models import DatasetStatus, ExternalDataset
from minzheng.matching.schemas import SCHEMAS
from minzheng.matching.services import datasets as services
from minzheng.programs.apis.base import CodeField


def dataset_for(request: Request, pk: int) -> ExternalDataset:
    """The dataset of the URL (404 outside the caller's county)."""
    return get_object_or_404(selectors.datasets_for(request_user(request)), pk=pk)


def dataset_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    dataset = get_object_or_404(
        selectors.datasets_for(request_user(request)).select_related("created_by"), pk=pk
    )
    return Response(MatchDatasetDetailSerializer(dataset).data, status=code)


class DatasetKindListApi(APIView):
    permission_classes = [MatchReaders]

    @extend_schema(
        summary="比对数据类别",
        description=(
            "各类外部比对数据(死亡、火化、车辆、不动产、工商、就业参保、养老金、财政供养、残疾人、"
            "住院费用、救助保障名册)及其标准字段: 名称、中文名称、类型、是否必须、常见列标题"
            "(全部,不分页)。"
        ),
        responses={200: DatasetKindSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(DatasetKindSerializer(SCHEMAS.values(), many=True).data)


class MatchDatasetListApi(APIView):
    permission_classes = [DatasetReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        kind = kind_field(required=False)
        status = CodeField(DatasetStatus, required=False)

    OutputSerializer = MatchDatasetSerializer

    @extend_schema(
        summary="比对数据列表",
        description="本县(区)收到的各部门比对数据,按上传时间倒序;已被替代的数据保留。",
        parameters=[FilterSerializer],
        responses={200: MatchDatasetSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        datasets = selectors.datasets_for(request_user(request)).select_related("created_by")
        if f.get("kind"):
            datasets = datasets.filter(kind=f["kind"])
        if f.get("status"):
            datasets = datasets.filter(status=f["status"])
        return paginated_response(
            request=request, view=self, queryset=datasets, serializer_class=self.OutputSerializer
        )


class MatchDatasetUploadApi(APIView):
    permission_classes = [DatasetKeepers]
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        kind = kind_field()
        source = serializers.CharField(  # type: ignore[assignment]
            max_length=100, help_text="提供单位,如 县公安局"
        )
        data_date = serializers.DateField(help_text="数据截止日期")
        note = serializers.CharField(
            max_length=200, required=False, default="", allow_blank=True, help_text="备注"
        )
        file = serializers.FileField(
            help_text="数据文件: CSV(UTF-8或GBK)、XLSX 或 Parquet,第一行为列标题"
        )

    @extend_schema(
        summary="上传比对数据",
        description=(
            "multipart/form-data 上传一个部门的数据文件: 保存文件,读出列标题和前几行,并按常见"
            "列标题猜测字段对应(column_mapping)。之后核对字段对应(mapping)并校验(validate),"
            "校验通过才启用。"
        ),
        request={"multipart/form-data": InputSerializer},
        responses={201: MatchDatasetDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        upload = f["file"]
        with matching_errors():
            dataset = services.dataset_upload(
                actor=actor,
                kind=f["kind"],
                source=f["source"],
                data_date=f["data_date"],
                file=upload,
                file_name=upload.name,
                note=f["note"],
            )
        return dataset_response(request, dataset.pk, code=status.HTTP_201_CREATED)


class MatchDatasetDetailApi(APIView):
    permission_classes = [DatasetReaders]

    @extend_schema(
        summary="比对数据详情",
        description=(
            "一批比对数据的来源、日期、状态、文件的列标题和样例、字段对应、校验进度和校验报告"
            "(按原因的行数和问题行示例)。"
        ),
        responses={200: MatchDatasetDetailSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        return dataset_response(request, pk)


class MatchDatasetMappingApi(APIView):
    permission_classes = [DatasetKeepers]

    class InputSerializer(serializers.Serializer[Any]):
        mapping = serializers.DictField(
            child=serializers.CharField(allow_blank=True),
            help_text='字段对应: {标准字段名: 文件列标题},文件中没有的字段对应为 ""',
        )

    @extend_schema(
        summary="对应比对数据字段",
        description=(
            "把文件的列对应到该类别的标准字段;必须的字段未对应、文件中没有的列标题按字段列出。"
            "校验中或已启用的数据不能再改(409)。"
        ),
        request=InputSerializer,
        responses={200: MatchDatasetDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        dataset = dataset_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with matching_errors(), state_conflicts():
            services.dataset_map(
                actor=request_user(request),
                dataset=dataset,
                mapping=data.validated_data["mapping"],
            )
        return dataset_response(request, pk)


class MatchDatasetValidateApi(APIView):
    permission_classes = [DatasetKeepers]

    @extend_schema(
        summary="校验比对数据",
        description=(
            "按字段对应在后台读取整个文件并校验(身份证号、日期、数字、重复行),进度见 percent。"
            "没有问题行的数据启用,替代同类别的上一批数据;有问题行的数据不予启用,见校验报告。"
        ),
        request=None,
        responses={202: MatchDatasetDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        dataset = dataset_for(request, pk)
        with matching_errors(), state_conflicts():
            services.dataset_validate_enqueue(actor=request_user(request), dataset=dataset)
        return dataset_response(request, pk, code=status.HTTP_202_ACCEPTED)


class MatchDatasetProblemsApi(APIView):
    permission_classes = [DatasetReaders]
    pagination_class = Pagination

    @extend_schema(
        summary="比对数据的问题行",
        description="校验发现的问题行: 行号(与Excel中一致)、字段、原值、问题,按行号排列。",
        responses={200: DatasetProblemSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        dataset = dataset_for(request, pk)
        rows = services.dataset_report_rows(dataset)
        return paginated_response(
            request=request, view=self, queryset=rows, serializer_class=DatasetProblemSerializer
        )
