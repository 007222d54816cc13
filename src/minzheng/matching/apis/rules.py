"""The rule catalogue with each rule's settings in the caller's county (on/off, threshold,
deadline), and their editing."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import request_user
from minzheng.matching.apis.base import MatchReaders, RuleEditors, county_of, matching_errors
from minzheng.matching.apis.serializers import MatchRuleSerializer
from minzheng.matching.models import MatchRule
from minzheng.matching.rules import RULES, Rule
from minzheng.matching.services import rule_settings as services

RULE_NOT_FOUND = "没有代码为{code}的比对规则"


def rule_row(rule: Rule, settings: MatchRule) -> dict[str, Any]:
    """A rule with its effective settings (the county's row, else the default row, else the
    rule's defaults)."""
    threshold = settings.threshold if settings.threshold is not None else rule.default_threshold
    return {
        "code": rule.code,
        "label": str(rule.label),
        "dataset_kind": rule.dataset_kind,
        "method": rule.method,
        "action": rule.action,
        "meaning": str(rule.meaning),
        "enabled": settings.enabled,
        "threshold": threshold,
        "default_threshold": rule.default_threshold,
        "due_days": settings.due_days or rule.default_due_days,
        "default_due_days": rule.default_due_days,
        "note": settings.note,
        "customized": bool(settings.pk and settings.region_code),
        "updated_at": settings.updated_at if settings.pk else None,
    }


def rule_for(code: str) -> Rule:
    rule = RULES.get(code)
    if rule is None:
        raise Http404(RULE_NOT_FOUND.format(code=code))
    return rule


class MatchRuleListApi(APIView):
    permission_classes = [MatchReaders]

    @extend_schema(
        summary="比对规则",
        description=(
            "全部比对规则: 比对什么数据、怎样比对、命中意味着什么,以及在您所在县(区)的设置"
            "(是否启用、阈值、核实时限)。全部,不分页。"
        ),
        responses={200: MatchRuleSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        county = county_of(request_user(request))
        rows = [
            rule_row(rule, services.rule_settings(code, county)) for code, rule in RULES.items()
        ]
        return Response(MatchRuleSerializer(rows, many=True).data)


class MatchRuleUpdateApi(APIView):
    permission_classes = [RuleEditors]

    class InputSerializer(serializers.Serializer[Any]):
        enabled = serializers.BooleanField(required=False, help_text="是否启用")
        threshold = serializers.DecimalField(
            max_digits=6,
            decimal_places=2,
            required=False,
            allow_null=True,
            help_text="阈值(模糊比对为匹配权重);空为恢复默认",
        )
        due_days = serializers.IntegerField(
            required=False, allow_null=True, help_text="核实时限(工作日,1至90);空为恢复默认"
        )
        note = serializers.CharField(
            max_length=200, required=False, allow_blank=True, help_text="说明"
        )

    @extend_schema(
        summary="修改比对规则设置",
        description="修改规则在您所在县(区)的设置;未给出的项保持不变。",
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, description="规则代码")],
        request=InputSerializer,
        responses={200: MatchRuleSerializer},
    )
    def patch(self, request: Request, code: str) -> Response:
        actor = request_user(request)
        rule = rule_for(code)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        county = county_of(actor)
        current = services.rule_settings(code, county)
        with matching_errors():
            services.rule_update(
                actor=actor,
                code=code,
                enabled=f.get("enabled", current.enabled),
                threshold=f.get("threshold", current.threshold),
                due_days=f.get("due_days", current.due_days),
                note=f.get("note", current.note),
            )
        return Response(
            MatchRuleSerializer(rule_row(rule, services.rule_settings(code, county))).data
        )
