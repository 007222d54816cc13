"""Persons: search, register, read and correct a resident's record."""

from __future__ import annotations

from typing import Any

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
from minzheng.registry import selectors, services
from minzheng.registry.apis.base import (
    RegistryEditors,
    RegistryReaders,
    context_for,
    require_reason,
)
from minzheng.registry.apis.serializers import (
    PersonBriefSerializer,
    PersonDetailSerializer,
    PersonFieldsSerializer,
)
from minzheng.registry.models import (
    HukouType,
)


class PersonListApi(APIView):
    permission_classes = [RegistryReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            help_text="身份证号码(完整或末几位)、姓名、拼音或首字母(zs)、手机号",
        )
        region_code = RegionCodeFilterField(help_text="户籍所在区划代码或前缀")
        hukou_type = serializers.ChoiceField(choices=HukouType.choices, required=False)

    class OutputSerializer(PersonBriefSerializer):
        hukou_type = serializers.ChoiceField(choices=HukouType.choices)
        region_code = serializers.CharField()
        phone = serializers.CharField()

    @extend_schema(
        summary="居民查询",
        description="按身份证号码、姓名、拼音首字母或手机号查询管辖范围内的居民;号码按角色脱敏。",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        persons = selectors.person_search(user=request_user(request), q=f.get("q", ""))
        if f.get("region_code"):
            persons = persons.filter(prefix_q("region_code", f["region_code"]))
        if f.get("hukou_type"):
            persons = persons.filter(hukou_type=f["hukou_type"])
        return paginated_response(
            request=request, view=self, queryset=persons, serializer_class=self.OutputSerializer
        )


class PersonCreateApi(APIView):
    permission_classes = [RegistryEditors]

    class InputSerializer(PersonFieldsSerializer):
        pass

    @extend_schema(
        summary="登记居民",
        description="性别和出生日期由身份证号码得出;号码重复时提示已登记的记录(范围外不透露)。",
        request=InputSerializer,
        responses={201: PersonDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_create(actor=request_user(request), data=data.validated_data)
        out = PersonDetailSerializer(person, context=context_for(request))
        return Response(out.data, status=status.HTTP_201_CREATED)


class PersonDetailApi(APIView):
    permission_classes = [RegistryReaders]

    @extend_schema(summary="居民详情", responses={200: PersonDetailSerializer})
    def get(self, request: Request, pk: int) -> Response:
        person = selectors.person_get(user=request_user(request), pk=pk)
        return Response(PersonDetailSerializer(person, context=context_for(request)).data)


class PersonUpdateApi(APIView):
    permission_classes = [RegistryEditors]

    class InputSerializer(PersonFieldsSerializer):
        reason = serializers.CharField(help_text="修改原因(必填,记入审计)")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            return require_reason(attrs)

    @extend_schema(
        summary="修改居民信息",
        description="只需提交要修改的字段和修改原因。",
        request=InputSerializer,
        responses={200: PersonDetailSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        person = selectors.person_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        reason = changes.pop("reason")
        person = services.person_update(actor=actor, person=person, data=changes, reason=reason)
        return Response(PersonDetailSerializer(person, context=context_for(request)).data)
