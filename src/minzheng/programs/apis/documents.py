"""Case documents (申请材料): the list of a case's documents, an upload (type and size checked
by extension and content), and the download of one."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, paginated_response, request_user, roles_required
from minzheng.programs.apis.base import CaseReaders, CodeField, case_errors, case_for
from minzheng.programs.models import CaseDocument, DocumentKind
from minzheng.programs.services import documents as services

DocumentUploaders = roles_required(services.DOCUMENT_UPLOADERS, "DocumentUploaders")


class DocumentSerializer(serializers.Serializer[CaseDocument]):
    id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    step_id = serializers.IntegerField(allow_null=True, help_text="所属办理环节")
    step_code = serializers.CharField(source="step.code", allow_null=True)
    kind = CodeField(DocumentKind)
    original_name = serializers.CharField(help_text="上传时的文件名")
    size = serializers.IntegerField(help_text="大小(字节)")
    content_type = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField()
    file_url = serializers.SerializerMethodField(help_text="下载地址")

    def get_file_url(self, document: CaseDocument) -> str:
        return reverse("api-document-file", kwargs={"pk": document.pk})


class DocumentListApi(APIView):
    permission_classes = [CaseReaders]
    pagination_class = Pagination

    OutputSerializer = DocumentSerializer

    @extend_schema(
        summary="案件材料列表",
        description="案件的申请材料,按上传先后。",
        responses={200: DocumentSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        case = case_for(request, pk)
        documents = services.document_list(user=request_user(request), case=case)
        return paginated_response(
            request=request, view=self, queryset=documents, serializer_class=self.OutputSerializer
        )


class DocumentCreateApi(APIView):
    permission_classes = [DocumentUploaders]
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        kind = CodeField(DocumentKind)
        file = serializers.FileField(
            help_text="PDF、图片(JPG/PNG)或Office文档,不含宏,大小不超过上限(默认10MB)"
        )
        step = serializers.IntegerField(
            required=False, allow_null=True, default=None, help_text="所属办理环节(环节编号)"
        )

    @extend_schema(
        summary="上传案件材料",
        description="multipart/form-data 上传;按扩展名和文件内容检查类型,检查大小。",
        request={"multipart/form-data": InputSerializer},
        responses={201: DocumentSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        case = case_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        step = None
        if f["step"] is not None:
            step = case.steps.filter(pk=f["step"]).first()
            if step is None:
                raise ValidationError({"step": [services.DOCUMENT_STEP_OTHER_CASE]})
        with case_errors():
            document = services.document_upload(
                actor=actor, case=case, kind=f["kind"], uploaded_file=f["file"], step=step
            )
        document = services.document_list(user=actor, case=case).get(pk=document.pk)
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentFileApi(APIView):
    permission_classes = [CaseReaders]

    @extend_schema(
        summary="下载案件材料",
        description="以附件形式返回上传的文件。",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        document = services.document_open(user=request_user(request), pk=pk)
        return FileResponse(
            document.file,
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )
