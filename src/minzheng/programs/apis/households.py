"""A household's whole assistance history: every application, decision, amount change and
review of its cases, newest first."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, mask_ids, paginated_response, request_user
from minzheng.core.audit import action_label
from minzheng.core.scope import FULL_ID_VIEWERS
from minzheng.programs import selectors
from minzheng.programs.apis.base import CaseReaders
from minzheng.programs.apis.serializers import CaseBriefSerializer
from minzheng.registry import selectors as registry_selectors


class TimelineEntrySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    action = serializers.CharField(help_text="操作,如 case.approve")
    action_label = serializers.SerializerMethodField(help_text="操作名称")
    actor = serializers.CharField(help_text="操作人用户名")
    changes = serializers.SerializerMethodField(help_text="变更内容")
    reason = serializers.CharField()
    case = CaseBriefSerializer()

    def get_action_label(self, entry: selectors.TimelineEntry) -> str:
        return action_label(entry.action)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_changes(self, entry: selectors.TimelineEntry) -> Any:
        user = self.context["request"].user
        return entry.changes if user.role in FULL_ID_VIEWERS else mask_ids(entry.changes)


class HouseholdCaseHistoryApi(APIView):
    permission_classes = [CaseReaders]
    pagination_class = Pagination

    OutputSerializer = TimelineEntrySerializer

    @extend_schema(
        summary="家庭救助档案",
        description="该家庭全部案件的申请、审批、金额变动和复核记录,最新的在前。",
        responses={200: TimelineEntrySerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        household = registry_selectors.household_get(user=user, pk=pk)
        entries = selectors.household_timeline(user=user, household=household)
        return paginated_response(
            request=request, view=self, queryset=entries, serializer_class=self.OutputSerializer
        )
