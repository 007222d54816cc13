"""近亲属备案: the register of close relatives of bureau staff, township staff and village
cadres; a filing marks the relative's household's cases for recusal."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, paginated_response, request_user
from minzheng.core.models import User
from minzheng.programs.apis.base import (
    CodeField,
    RelativeFilers,
    RelativeReaders,
    case_errors,
    region_in_scope,
    user_in_scope,
)
from minzheng.programs.models import RelativeFiling
from minzheng.programs.services import relatives as services
from minzheng.registry.apis.base import person_in_scope
from minzheng.registry.apis.serializers import PersonBriefSerializer


class RelativeFilingSerializer(serializers.Serializer[RelativeFiling]):
    id = serializers.IntegerField()
    person = PersonBriefSerializer(help_text="近亲属")
    staff_name = serializers.CharField(help_text="工作人员姓名")
    staff_user = serializers.CharField(
        source="staff_user.username", allow_null=True, help_text="工作人员账号(用户名)"
    )
    staff_kind = CodeField(RelativeFiling.StaffKind)
    staff_position = serializers.CharField(help_text="职务")
    relation = CodeField(RelativeFiling.Relation)
    region_code = serializers.CharField(help_text="备案区划(工作人员所在单位)")
    valid_from = serializers.DateField(help_text="备案日期")
    valid_to = serializers.DateField(allow_null=True, help_text="撤销日期,空为有效")
    note = serializers.CharField()
    filed_by = serializers.CharField(source="filed_by.username", help_text="登记人用户名")
    filed_at = serializers.DateTimeField()


def _filings(user: User, q: str = "") -> QuerySet[RelativeFiling]:
    return services.relative_filing_list(user=user, q=q).select_related("filed_by")


def filing_response(request: Request, pk: int, *, code: int = 200) -> Response:
    user = request_user(request)
    services.relative_filing_get(user=user, pk=pk)  # 404 outside the scope
    out = RelativeFilingSerializer(_filings(user).get(pk=pk), context={"request": request})
    return Response(out.data, status=code)


class RelativeFilingListApi(APIView):
    permission_classes = [RelativeReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        q = serializers.CharField(
            required=False, allow_blank=True, help_text="近亲属姓名、身份证号码或工作人员姓名"
        )

    OutputSerializer = RelativeFilingSerializer

    @extend_schema(
        summary="近亲属备案列表",
        description="管辖范围内的近亲属备案,最新的在前。",
        parameters=[FilterSerializer],
        responses={200: RelativeFilingSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        filings = _filings(request_user(request), filters.validated_data.get("q", ""))
        return paginated_response(
            request=request, view=self, queryset=filings, serializer_class=self.OutputSerializer
        )


class RelativeFilingCreateApi(APIView):
    permission_classes = [RelativeFilers]

    class InputSerializer(serializers.Serializer[Any]):
        person = serializers.IntegerField(help_text="近亲属(居民编号)")
        staff_name = serializers.CharField(max_length=50, allow_blank=True)
        staff_kind = CodeField(RelativeFiling.StaffKind)
        relation = CodeField(RelativeFiling.Relation)
        region_code = serializers.CharField(max_length=12, help_text="工作人员所在单位的区划代码")
        valid_from = serializers.DateField(required=False, help_text="备案日期,默认今天")
        staff_user = serializers.IntegerField(
            required=False, allow_null=True, default=None, help_text="工作人员账号(用户编号)"
        )
        staff_position = serializers.CharField(
            max_length=50, required=False, default="", allow_blank=True
        )
        note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    @extend_schema(
        summary="登记近亲属备案",
        description="登记工作人员的近亲属;其家庭在办和在保的案件随即标记,由县级审核且该工作人员须回避。",
        request=InputSerializer,
        responses={201: RelativeFilingSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = dict(data.validated_data)
        region_in_scope(actor, f["region_code"])
        f["person"] = person_in_scope(actor, f["person"], "person")
        if f["staff_user"] is not None:
            f["staff_user"] = user_in_scope(actor, f["staff_user"], "staff_user")
        f.setdefault("valid_from", timezone.localdate())
        with case_errors():
            filing = services.relative_filing_create(actor=actor, **f)
        return filing_response(request, filing.pk, code=status.HTTP_201_CREATED)


class RelativeFilingRevokeApi(APIView):
    permission_classes = [RelativeFilers]

    class InputSerializer(serializers.Serializer[Any]):
        valid_to = serializers.DateField(required=False, help_text="撤销日期,默认今天")
        reason = serializers.CharField(allow_blank=True, help_text="撤销原因(必填)")

    @extend_schema(
        summary="撤销近亲属备案",
        description="工作人员离职或亲属关系终止时撤销;已标记的案件保留标记。",
        request=InputSerializer,
        responses={200: RelativeFilingSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        filing = services.relative_filing_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        with case_errors():
            services.relative_filing_revoke(
                actor=actor,
                filing=filing,
                valid_to=f.get("valid_to") or timezone.localdate(),
                reason=f["reason"],
            )
        return filing_response(request, pk)
