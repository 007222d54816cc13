"""How the case engine's records read in the API (shared by several endpoints). Money is a
decimal string in yuan, dates ISO 8601, enums their code identifiers; identity numbers are
masked as the caller's role requires (registry's PersonBriefSerializer)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minzheng.programs.apis.base import CodeField, program_field
from minzheng.programs.models import (
    BenefitPeriod,
    CareLevel,
    Case,
    CaseStatus,
    Channel,
    ExclusionReason,
    Grant,
    Objection,
    Review,
    ReviewKind,
    ReviewOutcome,
    Step,
    StepLevel,
    StepStatus,
    SupportMode,
)
from minzheng.programs.policies import POLICIES
from minzheng.programs.policies.base import step_label
from minzheng.registry.apis.serializers import PersonBriefSerializer


def _money(**kwargs: Any) -> serializers.DecimalField:
    kwargs.setdefault("help_text", "金额(元)")
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


def _username(source: str, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.username", allow_null=True, **kwargs)


class CalculationLineSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(help_text="项目,如“低保标准”")  # type: ignore[assignment]
    formula = serializers.CharField(help_text="算式")
    value = serializers.CharField(help_text="结果,带单位")


class CalculationSerializer(serializers.Serializer[Any]):
    """A worked calculation as the clerk reads it (Calculation.as_json())."""

    amount = _money(help_text="计算结果(元)")
    lines = CalculationLineSerializer(many=True, help_text="计算过程,逐行")
    standards = serializers.DictField(
        child=serializers.CharField(), help_text="用到的标准: {参数: 来源(区划代码 生效日期)}"
    )
    inputs = serializers.DictField(help_text="计算依据: 月人均收入、保障人数、分类施保人数")


class CaseBriefSerializer(serializers.Serializer[Case]):
    """A case as a row of another list (inbox, reviews)."""

    id = serializers.IntegerField()
    number = serializers.CharField(help_text="案件编号")
    program = program_field()
    status = CodeField(CaseStatus)
    region_code = serializers.CharField(help_text="所在村(社区)区划代码")
    applicant_name = serializers.CharField(source="applicant.name", help_text="申请人姓名")


class CaseSerializer(serializers.Serializer[Case]):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="案件编号")
    program = program_field()
    program_label = serializers.SerializerMethodField(help_text="救助项目名称")
    status = CodeField(CaseStatus)
    current_step = serializers.CharField(help_text="当前环节代码,办结后为空")
    channel = CodeField(Channel)
    region_code = serializers.CharField(help_text="所在村(社区)区划代码")
    household_id = serializers.IntegerField()
    applicant = PersonBriefSerializer()
    monthly_amount = _money(help_text="月保障金额(元)")
    one_off_amount = _money(allow_null=True, help_text="一次性救助金额(元),月度项目为空")
    relative_flag = serializers.BooleanField(help_text="涉及近亲属备案")
    due_on = serializers.DateField(allow_null=True, help_text="办结时限")
    due_provisional = serializers.BooleanField(help_text="时限为预估(节假日未公布)")
    accepted_at = serializers.DateTimeField(allow_null=True, help_text="受理时间")
    created_at = serializers.DateTimeField()
    version = serializers.IntegerField(help_text="版本号,办理环节时可带上以防并发修改")

    def get_program_label(self, case: Case) -> str:
        policy = POLICIES.get(case.program)
        return policy.label if policy else case.program


class StepSerializer(serializers.Serializer[Step]):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="环节代码,如 survey")
    label = serializers.SerializerMethodField(help_text="环节名称")  # type: ignore[assignment]
    round = serializers.IntegerField(help_text="轮次(异议成立后重办为第2轮)")
    seq = serializers.IntegerField(help_text="顺序")
    level = CodeField(StepLevel)
    status = CodeField(StepStatus)
    opened_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(allow_null=True, help_text="办理时限")
    due_provisional = serializers.BooleanField()
    overdue = serializers.SerializerMethodField(help_text="已超过办理时限")
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = _username("completed_by", help_text="办理人用户名")
    outcome = serializers.CharField(help_text="办理结果,如 approve、refuse、pass、fail")
    data = serializers.DictField(help_text="办理记录(调查人员、票数、公示期等)")  # type: ignore[assignment]
    note = serializers.CharField(help_text="意见")

    def get_label(self, step: Step) -> str:
        return step_label(step.code)

    def get_overdue(self, step: Step) -> bool:
        return step.is_overdue_on(timezone.localdate())


class InboxStepSerializer(StepSerializer):
    case = CaseBriefSerializer()


class CaseMemberSerializer(serializers.Serializer[Any]):
    person = PersonBriefSerializer()
    relationship = serializers.CharField(help_text="与户主关系代码")
    counted = serializers.BooleanField(help_text="计入保障")
    exclusion_reason = CodeField(ExclusionReason, allow_blank=True)
    extra_category = serializers.CharField(help_text="分类施保类别,空为无")


class BenefitPeriodSerializer(serializers.Serializer[BenefitPeriod]):
    id = serializers.IntegerField()
    valid_from = serializers.DateField(help_text="起始月份(当月1日)")
    monthly_amount = _money(help_text="月保障金额(元)")
    reason = CodeField(BenefitPeriod.Reason)
    calculation = serializers.DictField(help_text="计算过程")
    created_at = serializers.DateTimeField()


class GrantSerializer(serializers.Serializer[Grant]):
    id = serializers.IntegerField()
    kind = CodeField(Grant.Kind)
    amount = _money()
    granted_on = serializers.DateField(help_text="发放日期")
    paid_first = serializers.BooleanField(help_text="先行救助")
    calculation = serializers.DictField(help_text="计算过程")
    created_at = serializers.DateTimeField()


class ObjectionSerializer(serializers.Serializer[Objection]):
    id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    step_id = serializers.IntegerField(help_text="所在公示环节")
    raised_by_name = serializers.CharField(help_text="异议人")
    raised_by_contact = serializers.CharField(help_text="联系方式")
    content = serializers.CharField(help_text="异议内容")
    registered_by = _username("registered_by", help_text="登记人用户名")
    registered_at = serializers.DateTimeField()
    investigation = serializers.CharField(help_text="调查情况")
    outcome = CodeField(Objection.Outcome, allow_blank=True)
    resolved_by = _username("resolved_by", help_text="处理人用户名")
    resolved_at = serializers.DateTimeField(allow_null=True)


class CaseDetailSerializer(CaseSerializer):
    reason = serializers.CharField(help_text="申请理由")
    details = serializers.DictField(help_text="项目信息(各项目自定)")
    is_single_person = serializers.BooleanField(help_text="单人保")
    support_mode = CodeField(SupportMode, allow_blank=True)
    care_level = CodeField(CareLevel, allow_blank=True)
    per_capita_income = _money(allow_null=True, help_text="家庭月人均收入(元)")
    counted_members = serializers.IntegerField(help_text="保障人数")
    extra_members = serializers.DictField(
        child=serializers.IntegerField(), help_text="分类施保人数: {类别: 人数}"
    )
    calculation = serializers.SerializerMethodField(help_text="最近一次核算的计算过程")
    decision = serializers.CharField(help_text="审批结果: approve 同意, refuse 不予批准")
    decision_reason = serializers.CharField(help_text="审批意见")
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = _username("decided_by", help_text="审批人用户名")
    start_month = serializers.DateField(allow_null=True, help_text="起始发放月份")
    end_month = serializers.DateField(allow_null=True, help_text="停发月份")
    exit_grace_until = serializers.DateField(allow_null=True, help_text="渐退期截止月份")
    review_frequency_months = serializers.IntegerField(help_text="复核周期(月)")
    next_review_on = serializers.DateField(allow_null=True, help_text="下次复核日期")
    steps = StepSerializer(many=True, source="steps.all")
    members = CaseMemberSerializer(many=True, source="members.all")
    benefit_periods = BenefitPeriodSerializer(many=True, source="benefit_periods.all")
    grants = GrantSerializer(many=True, source="grants.all")
    objections = ObjectionSerializer(many=True, source="objections.all")

    @extend_schema_field(CalculationSerializer(allow_null=True))
    def get_calculation(self, case: Case) -> Any:
        return CalculationSerializer(case.calculation).data if case.calculation else None


class ReviewSerializer(serializers.Serializer[Review]):
    id = serializers.IntegerField()
    case = CaseBriefSerializer()
    kind = CodeField(ReviewKind)
    reason = serializers.CharField(help_text="复核原因")
    status = CodeField(Review.Status)
    due_on = serializers.DateField(help_text="复核时限")
    due_provisional = serializers.BooleanField()
    evidence = serializers.DictField(help_text="依据")
    findings = serializers.CharField(help_text="复核情况")
    outcome = CodeField(ReviewOutcome, allow_blank=True)
    outcome_reason = serializers.CharField(help_text="结论理由")
    new_amount = _money(allow_null=True, help_text="复核后月保障金额(元)")
    completed_by = _username("completed_by", help_text="复核人用户名")
    completed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
