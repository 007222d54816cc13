"""Reviews of enrolled cases (动态管理): the list of open and done reviews, and their
conclusion (continue, adjust, suspend, terminate)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, RegionCodeFilterField, paginated_response, request_user
from minzheng.core.regions import prefix_q
from minzheng.programs.apis.base import (
    CaseReaders,
    CodeField,
    Reviewers,
    case_errors,
    case_for,
    case_in_scope,
)
from minzheng.programs.apis.cases import case_response
from minzheng.programs.apis.serializers import (
    CaseDetailSerializer,
    GrantSerializer,
    ReviewSerializer,
)
from minzheng.programs.models import Review, ReviewKind, ReviewOutcome
from minzheng.programs.services import reviews as services


class ReviewListApi(APIView):
    permission_classes = [CaseReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=Review.Status.choices, required=False)
        kind = serializers.ChoiceField(choices=ReviewKind.choices, required=False)
        region_code = RegionCodeFilterField(help_text="案件所在区划代码或前缀")

    OutputSerializer = ReviewSerializer

    @extend_schema(
        summary="复核任务列表",
        description="管辖范围内案件的定期复核和触发复核,复核时限最早的在前。",
        parameters=[FilterSerializer],
        responses={200: ReviewSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        reviews = services.review_list(
            user=request_user(request), status=f.get("status"), kind=f.get("kind")
        )
        if f.get("region_code"):
            reviews = reviews.filter(prefix_q("case__region_code", f["region_code"]))
        return paginated_response(
            request=request, view=self, queryset=reviews, serializer_class=self.OutputSerializer
        )


class ReviewCompleteApi(APIView):
    permission_classes = [Reviewers]

    class InputSerializer(serializers.Serializer[Any]):
        outcome = CodeField(ReviewOutcome)
        outcome_reason = serializers.CharField(
            required=False,
            default="",
            allow_blank=True,
            help_text="结论理由;调整金额、暂停发放、终止保障时必填",
        )
        findings = serializers.CharField(
            required=False, default="", allow_blank=True, help_text="复核情况"
        )
        income_from_work = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="收入增加是否来自务工(决定是否进入渐退期);不填则比较最近两次申报",
        )

    @extend_schema(
        summary="完成复核",
        description=(
            "继续保障、调整金额(按最新申报重新核算,次月起执行)、暂停发放或终止保障;"
            "复核已被他人完成时返回409。"
        ),
        request=InputSerializer,
        responses={200: ReviewSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        review = services.review_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with case_errors():
            services.review_complete(actor=actor, review=review, **data.validated_data)
        review = services.review_get(user=actor, pk=pk)
        return Response(ReviewSerializer(review).data)


class ReviewCreateApi(APIView):
    permission_classes = [Reviewers]

    class InputSerializer(serializers.Serializer[Any]):
        case = serializers.IntegerField(help_text="在保(或暂停发放)的案件编号")
        kind = CodeField(ReviewKind)
        reason = serializers.CharField(allow_blank=True, help_text="复核原因(必填)")
        evidence = serializers.DictField(required=False, default=dict, help_text="依据")

    @extend_schema(
        summary="发起复核",
        description="对在保案件发起复核(举报、信息比对、收入变化等),办理时限15个工作日。",
        request=InputSerializer,
        responses={201: ReviewSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = dict(data.validated_data)
        f["case"] = case_in_scope(actor, f["case"], "case")
        with case_errors():
            review = services.review_create(actor=actor, **f)
        out = ReviewSerializer(services.review_get(user=actor, pk=review.pk))
        return Response(out.data, status=status.HTTP_201_CREATED)


class CaseResumeApi(APIView):
    permission_classes = [Reviewers]

    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(allow_blank=True, help_text="恢复发放的理由(必填)")

    @extend_schema(
        summary="恢复发放",
        description="暂停发放的案件自次月起按暂停前的金额恢复发放(渐退期未满的继续渐退)。",
        request=InputSerializer,
        responses={200: CaseDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with case_errors():
            services.case_resume(
                actor=request_user(request), case=case, reason=data.validated_data["reason"]
            )
        return case_response(request, pk)


class FuneralGrantCreateApi(APIView):
    permission_classes = [Reviewers]

    @extend_schema(
        summary="发放丧葬补助",
        description="特困供养人员死亡后补发丧葬补助(登记死亡时因标准未设置而未能发放的)。",
        request=None,
        responses={201: GrantSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_for(request, pk)
        with case_errors():
            grant = services.funeral_grant_create(actor=request_user(request), case=case)
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)
