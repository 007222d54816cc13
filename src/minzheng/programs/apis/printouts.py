"""Printable documents as PDF: a case's decision letter (审批确认通知书, 不予批准通知书,
终止通知书) and a village's public notice list (公示名单)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from minzheng.core.api import request_user
from minzheng.programs import pdf
from minzheng.programs.apis.base import CaseReaders, case_for

PDF = OpenApiResponse(OpenApiTypes.BINARY, description="PDF 文件")


class PdfRenderer(BaseRenderer):
    """Lets a client ask for application/pdf; an error is still written as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()


class PdfUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "pdf_unavailable"


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{filename}"
    return response


class CaseLetterApi(APIView):
    permission_classes = [CaseReaders]
    renderer_classes = [JSONRenderer, PdfRenderer]

    class FilterSerializer(serializers.Serializer[Any]):
        kind = serializers.ChoiceField(
            choices=[(k, k) for k in pdf.LETTER_KINDS],
            required=False,
            help_text="approval 审批确认通知书, refusal 不予批准通知书, termination 终止通知书;"
            "默认按案件的决定",
        )

    @extend_schema(
        summary="决定通知书",
        description="案件的审批确认、不予批准或终止通知书(PDF)。",
        parameters=[FilterSerializer],
        responses={(200, "application/pdf"): PDF, 503: None},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        case = case_for(request, pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        try:
            content = pdf.decision_letter_pdf(
                user=request_user(request), case=case, kind=filters.validated_data.get("kind", "")
            )
        except ValueError as e:
            raise ValidationError({"non_field_errors": [str(e)]}) from None
        except pdf.PdfUnavailable as e:
            raise PdfUnavailable(e.message) from None
        return pdf_response(content, f"{case.number}.pdf")


class PublicNoticeApi(APIView):
    permission_classes = [CaseReaders]
    renderer_classes = [JSONRenderer, PdfRenderer]

    class FilterSerializer(serializers.Serializer[Any]):
        day = serializers.DateField(required=False, help_text="公示名单的日期,默认今天")
        contact_phone = serializers.CharField(
            required=False, default="", allow_blank=True, max_length=30, help_text="监督电话"
        )

    @extend_schema(
        summary="公示名单",
        description="村(社区)某日处于公示期的案件名单(PDF,张贴用):姓名脱敏,只列户人数、金额和项目。",
        parameters=[FilterSerializer],
        responses={(200, "application/pdf"): PDF, 503: None},
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        day: datetime.date = f.get("day") or timezone.localdate()
        try:
            content = pdf.notice_list_pdf(
                user=request_user(request),
                region_code=code,
                day=day,
                contact_phone=f["contact_phone"],
            )
        except pdf.NoticeEmpty as e:
            raise NotFound(str(e)) from None
        except ValueError as e:
            raise ValidationError({"region_code": [str(e)]}) from None
        except pdf.PdfUnavailable as e:
            raise PdfUnavailable(e.message) from None
        return pdf_response(content, f"{code}-{day:%Y%m%d}.pdf")
