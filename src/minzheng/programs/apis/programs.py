"""The programs the engine runs (POLICIES): their steps with level and deadline, and the policy
numbers (standards) each reads."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.programs.apis.base import CaseReaders, CodeField, program_field
from minzheng.programs.models import StepLevel
from minzheng.programs.policies import POLICIES
from minzheng.programs.policies.base import Policy, step_label

PROGRAM_KINDS = [("monthly", "按月发放"), ("one_off", "一次性发放")]


class ProgramStepSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="环节代码")
    label = serializers.SerializerMethodField(help_text="环节名称")  # type: ignore[assignment]
    level = CodeField(StepLevel)
    deadline_days = serializers.IntegerField(help_text="全国默认办理时限(天),可由标准覆盖")
    calendar_days = serializers.BooleanField(help_text="时限按自然日计算(否则为工作日)")
    optional = serializers.BooleanField(help_text="可选环节:本地标准要求时才办理")
    auto = serializers.BooleanField(help_text="由系统自动完成")

    def get_label(self, spec: Any) -> str:
        return step_label(spec.code)


class ProgramParameterSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="参数代码,即救助标准的 parameter")
    label = serializers.CharField()  # type: ignore[assignment]
    unit = serializers.CharField()
    required = serializers.BooleanField(help_text="必须设置")  # type: ignore[assignment]
    default = serializers.DecimalField(
        max_digits=14, decimal_places=4, allow_null=True, help_text="未设置时的默认值"
    )


class ProgramSerializer(serializers.Serializer[Any]):
    code = program_field()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = CodeField(PROGRAM_KINDS, name="ProgramKind")
    payment_first = serializers.BooleanField(help_text="先行救助")
    case_deadline_days = serializers.IntegerField(help_text="办结时限(工作日)")
    case_deadline_days_delegated = serializers.IntegerField(
        help_text="审批权下放乡镇时的办结时限(工作日)"
    )
    steps = ProgramStepSerializer(many=True)
    parameters = serializers.SerializerMethodField(help_text="该项目使用的救助标准参数")

    @extend_schema_field(ProgramParameterSerializer(many=True))
    def get_parameters(self, policy: Policy) -> Any:
        rows = [{"name": name, **vars(spec)} for name, spec in policy.parameters.items()]
        return ProgramParameterSerializer(rows, many=True).data


class ProgramListApi(APIView):
    permission_classes = [CaseReaders]

    OutputSerializer = ProgramSerializer

    @extend_schema(
        summary="救助项目",
        description="系统运行的救助项目及其办理环节和救助标准参数(全部,不分页)。",
        responses={200: ProgramSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        policies = [policy() for policy in POLICIES.values()]
        return Response(self.OutputSerializer(policies, many=True).data)
