"""The work lists: the caller's inbox of open steps (overdue first) and the open and overdue
steps per township of the caller's scope."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, paginated_response, request_user
from minzheng.programs import selectors
from minzheng.programs.apis.base import CaseReaders, StepWorkers
from minzheng.programs.apis.serializers import InboxStepSerializer


class InboxListApi(APIView):
    permission_classes = [StepWorkers]
    pagination_class = Pagination

    OutputSerializer = InboxStepSerializer

    @extend_schema(
        summary="待办环节",
        description="当前用户可以办理的待办环节,办理时限最早(超期)的在前。",
        responses={200: InboxStepSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        steps = selectors.inbox_steps(user=request_user(request))
        return paginated_response(
            request=request, view=self, queryset=steps, serializer_class=self.OutputSerializer
        )


class OverdueRowSerializer(serializers.Serializer[Any]):
    township_code = serializers.CharField(help_text="乡镇(街道)区划代码")
    township_name = serializers.CharField()
    open_steps = serializers.IntegerField(help_text="待办环节数")
    overdue_steps = serializers.IntegerField(help_text="其中超期环节数")


class OverdueListApi(APIView):
    permission_classes = [CaseReaders]
    pagination_class = Pagination

    OutputSerializer = OverdueRowSerializer

    @extend_schema(
        summary="各乡镇超期环节",
        description="管辖范围内各乡镇(街道)的待办和超期环节数,超期最多的在前。",
        responses={200: OverdueRowSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = selectors.overdue_by_township(user=request_user(request), day=timezone.localdate())
        return paginated_response(
            request=request, view=self, queryset=rows, serializer_class=self.OutputSerializer
        )
