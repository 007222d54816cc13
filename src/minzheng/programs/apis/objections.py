"""Objections raised during a public notice (公示异议): registered against the case, then
investigated and resolved; an upheld one sends the case back to a new survey."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import request_user
from minzheng.core.scope import OUT_OF_SCOPE, scoped
from minzheng.programs.apis.base import (
    CodeField,
    ObjectionRegistrars,
    ObjectionResolvers,
    case_errors,
    case_for,
)
from minzheng.programs.apis.serializers import ObjectionSerializer
from minzheng.programs.models import Objection
from minzheng.programs.services import cases as services


def objection_response(request: Request, pk: int, *, code: int = 200) -> Response:
    objection = _objection_get(request, pk)
    return Response(ObjectionSerializer(objection).data, status=code)


def _objection_get(request: Request, pk: int) -> Objection:
    objections = Objection.objects.select_related("case", "registered_by", "resolved_by")
    objection = scoped(objections, request_user(request), "case__region_code").filter(pk=pk).first()
    if objection is None:
        raise Http404(OUT_OF_SCOPE)
    return objection


class ObjectionCreateApi(APIView):
    permission_classes = [ObjectionRegistrars]

    class InputSerializer(serializers.Serializer[Any]):
        content = serializers.CharField(allow_blank=True, help_text="异议内容(必填)")
        raised_by_name = serializers.CharField(
            max_length=50, required=False, default="", allow_blank=True, help_text="异议人,可匿名"
        )
        raised_by_contact = serializers.CharField(
            max_length=50, required=False, default="", allow_blank=True, help_text="联系方式"
        )

    @extend_schema(
        summary="登记公示异议",
        description="公示期间登记群众异议;异议处理完毕前案件不能结束公示,也不能审批。",
        request=InputSerializer,
        responses={201: ObjectionSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with case_errors():
            objection = services.objection_register(
                actor=request_user(request), case=case, **data.validated_data
            )
        return objection_response(request, objection.pk, code=status.HTTP_201_CREATED)


class ObjectionResolveApi(APIView):
    permission_classes = [ObjectionResolvers]

    class InputSerializer(serializers.Serializer[Any]):
        outcome = CodeField(Objection.Outcome)
        investigation = serializers.CharField(allow_blank=True, help_text="调查情况(必填)")

    @extend_schema(
        summary="处理公示异议",
        description=(
            "填写调查情况和处理结果。异议成立的,案件退回重新入户调查、民主评议、乡镇审核并重新公示;"
            "异议已被处理时返回409。"
        ),
        request=InputSerializer,
        responses={200: ObjectionSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        objection = _objection_get(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with case_errors():
            services.objection_resolve(
                actor=request_user(request), objection=objection, **data.validated_data
            )
        return objection_response(request, pk)
