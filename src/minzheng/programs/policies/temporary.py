"""临时救助 (temporary assistance): 急难型 pays first and completes the file after (先行救助);
支出型 runs the full procedure. DOMAIN.md §4."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext_noop

from minzheng.programs.models import StepLevel
from minzheng.programs.policies.base import (
    ACCEPTANCE,
    AUTHORIZATION,
    COUNTY_APPROVAL,
    DECISION,
    ENROLLMENT,
    PUBLIC_NOTICE,
    SURVEY,
    TOWNSHIP_REVIEW,
    VERIFICATION,
    CalcLine,
    Calculation,
    Eligibility,
    HouseholdFacts,
    ParameterSpec,
    Policy,
    Standards,
    StepSpec,
    round_money,
)
from minzheng.programs.policies.common import (
    REQUIRED,
    ZERO,
    counted_members,
    decimal_field,
    number_text,
    per_capita_income,
    procedure_parameters,
    sources,
    yuan_text,
)

# The township approves within its cap (standard township_approval_cap); above it the county.
EMERGENCY_STEPS = (
    StepSpec(ACCEPTANCE, StepLevel.TOWNSHIP, 1),
    StepSpec(TOWNSHIP_REVIEW, StepLevel.TOWNSHIP, 2),
    StepSpec(COUNTY_APPROVAL, StepLevel.COUNTY, 3),
    StepSpec(DECISION, StepLevel.COUNTY, 3, auto=True),
    StepSpec(ENROLLMENT, StepLevel.COUNTY, 0, auto=True),
    # the file is completed after the money went out
    StepSpec(SURVEY, StepLevel.TOWNSHIP, 10),
)
EXPENSE_STEPS = (
    StepSpec(ACCEPTANCE, StepLevel.TOWNSHIP, 3),
    StepSpec(AUTHORIZATION, StepLevel.TOWNSHIP, 3),
    StepSpec(SURVEY, StepLevel.TOWNSHIP, 10),
    StepSpec(VERIFICATION, StepLevel.COUNTY, 10),
    StepSpec(TOWNSHIP_REVIEW, StepLevel.TOWNSHIP, 5),
    StepSpec(PUBLIC_NOTICE, StepLevel.TOWNSHIP, 7, calendar_days=True, optional=True),
    StepSpec(COUNTY_APPROVAL, StepLevel.COUNTY, 10),
    StepSpec(DECISION, StepLevel.COUNTY, 3, auto=True),
    StepSpec(ENROLLMENT, StepLevel.COUNTY, 0, auto=True),
)


# The hardship the township assesses, mildest first; each has the largest multiple of the
# reference standard it may receive (standard multiple_<tier>).
HARDSHIP_TIERS: dict[str, str] = {
    "minor": "困难程度较轻",
    "ordinary": "困难程度一般",
    "severe": "困难程度严重",
    "extreme": "困难程度特别严重(一事一议)",
}
EMERGENCY_CAUSES: dict[str, str] = {
    "accident": "意外事故",
    "fire": "火灾",
    "illness": "突发重大疾病",
    "disaster": "自然灾害",
    "crime": "遭受不法侵害",
    "other": "其他突发事件",
}
EXPENSE_KINDS: dict[str, str] = {
    "medical": "医疗费用",
    "education": "教育费用",
    "rehabilitation": "康复费用",
    "living": "基本生活支出",
}

BASE_PARAMETERS: dict[str, ParameterSpec] = {
    "reference_standard": ParameterSpec("救助基数(当地月低保标准)", "元"),
    **{
        f"multiple_{tier}": ParameterSpec(f"救助倍数上限:{label}", "倍")
        for tier, label in HARDSHIP_TIERS.items()
    },
    "cap_amount": ParameterSpec("单次救助金额上限", "元"),
    "township_approval_cap": ParameterSpec(
        "乡镇审批金额上限(以内由乡镇审批)", "元", required=False, default=Decimal(0)
    ),
    "rounding_unit": ParameterSpec(
        "救助金额取整单位(0.01=分,1=元)", "元", required=False, default=Decimal("0.01")
    ),
}

NO_EMERGENCY_CAUSE = "急难型临时救助须写明突发事件原因"
NO_DECLARATION = "尚未申报家庭经济状况,无法核算收入"
INCOME_TOO_HIGH = "家庭月人均收入{pci}元,不低于支出型救助收入上限{limit}元"
NO_EXPENSE = "支出型临时救助须填写刚性支出金额"
NO_HARDSHIP = "尚未评定困难程度"
UNKNOWN_CHOICE = "未知的选项:{value}"
MULTIPLE_ABOVE_TIER = "评定倍数{multiple}高于该困难程度的上限{limit}倍,按上限计算"


def temporary_amount(
    reference: Decimal, multiple: Decimal, cap: Decimal, rounding_unit: Decimal
) -> Decimal:
    """Reference standard x assessed multiple, at most the cap, rounded, never negative."""
    return round_money(max(min(reference * multiple, cap), ZERO), rounding_unit)


def _choice(
    details: dict[str, Any],
    key: str,
    choices: dict[str, str],
    required: bool,
    errors: dict[str, list[str]],
) -> None:
    value = details.get(key)
    if value in (None, ""):
        if required:
            errors[key] = [REQUIRED]
    elif value not in choices:
        errors[key] = [UNKNOWN_CHOICE.format(value=value)]


class Temporary(Policy):
    kind: ClassVar[str] = "one_off"

    def validate_details(self, details: dict[str, Any]) -> dict[str, list[str]]:
        """hardship (HARDSHIP_TIERS, required); multiple (the assessed multiple, optional: the
        tier's largest when not given)."""
        errors: dict[str, list[str]] = {}
        _choice(details, "hardship", HARDSHIP_TIERS, True, errors)
        decimal_field(details, "multiple", errors)
        return errors

    def _hardship_reasons(self, facts: HouseholdFacts) -> list[str]:
        return [] if facts.details.get("hardship") in HARDSHIP_TIERS else [NO_HARDSHIP]

    def benefit(self, *, facts: HouseholdFacts, standards: Standards) -> Calculation:
        reference = standards.get("reference_standard")
        members = counted_members(facts)
        pci, _, _, n = per_capita_income(members)
        inputs = {"per_capita_income": str(pci), "counted_members": n, "extra_members": {}}
        used = ["reference_standard", "cap_amount", "rounding_unit"]
        lines = [CalcLine("救助基数", "当地月低保标准", f"{yuan_text(reference)} 元")]
        eligibility = self.eligibility(facts=facts, standards=standards)
        if not eligibility.eligible:
            lines.append(CalcLine("不符合救助条件", ";".join(eligibility.reasons), "0.00 元"))
            return Calculation(ZERO, lines, sources(standards, used), inputs)
        tier = str(facts.details["hardship"])
        used.append(f"multiple_{tier}")
        limit = standards.get(f"multiple_{tier}")
        assessed = decimal_field(facts.details, "multiple", {}) or limit
        multiple = min(assessed, limit)
        lines.append(CalcLine("困难程度", HARDSHIP_TIERS[tier], f"最高 {number_text(limit)} 倍"))
        if assessed > limit:
            note = MULTIPLE_ABOVE_TIER.format(
                multiple=number_text(assessed), limit=number_text(limit)
            )
            lines.append(CalcLine("评定倍数", note, f"{number_text(multiple)} 倍"))
        cap = standards.get("cap_amount")
        unit = standards.get_or("rounding_unit", Decimal("0.01"))
        raw = reference * multiple
        lines.append(
            CalcLine(
                "计算金额",
                f"{yuan_text(reference)} × {number_text(multiple)} 倍",
                f"{yuan_text(raw)} 元",
            )
        )
        if raw > cap:
            lines.append(
                CalcLine(
                    "单次救助上限", f"{yuan_text(raw)} 超过上限,按上限发放", f"{yuan_text(cap)} 元"
                )
            )
        amount = temporary_amount(reference, multiple, cap, unit)
        rounded = f"{yuan_text(min(raw, cap))} 按 {number_text(unit)} 元四舍五入"
        lines.append(CalcLine("救助金额", rounded, f"{yuan_text(amount)} 元"))
        return Calculation(amount, lines, sources(standards, used), inputs)


class TemporaryEmergency(Temporary):
    code: ClassVar[str] = "temporary_emergency"
    label: ClassVar[str] = gettext_noop("临时救助(急难型)")
    steps: ClassVar[tuple[StepSpec, ...]] = EMERGENCY_STEPS
    parameters: ClassVar[dict[str, ParameterSpec]] = {
        **BASE_PARAMETERS,
        **procedure_parameters(EMERGENCY_STEPS),
    }
    payment_first: ClassVar[bool] = True
    case_deadline_days: ClassVar[int] = 15
    case_deadline_days_delegated: ClassVar[int] = 15

    def validate_details(self, details: dict[str, Any]) -> dict[str, list[str]]:
        """As Temporary, plus emergency_cause (EMERGENCY_CAUSES, required) and
        emergency_description (free text)."""
        errors = super().validate_details(details)
        _choice(details, "emergency_cause", EMERGENCY_CAUSES, True, errors)
        return errors

    def eligibility(self, *, facts: HouseholdFacts, standards: Standards) -> Eligibility:
        """An emergency (accident, fire, sudden illness ...) happened; no income test: aid is
        given first and where the emergency happens (DOMAIN.md §4)."""
        reasons = self._hardship_reasons(facts)
        if facts.details.get("emergency_cause") not in EMERGENCY_CAUSES:
            reasons.append(NO_EMERGENCY_CAUSE)
        return Eligibility(not reasons, reasons)


class TemporaryExpense(Temporary):
    code: ClassVar[str] = "temporary_expense"
    label: ClassVar[str] = gettext_noop("临时救助(支出型)")
    steps: ClassVar[tuple[StepSpec, ...]] = EXPENSE_STEPS
    parameters: ClassVar[dict[str, ParameterSpec]] = {
        **BASE_PARAMETERS,
        "income_limit": ParameterSpec("家庭月人均收入上限(上年度当地居民人均可支配收入÷12)", "元"),
        **procedure_parameters(EXPENSE_STEPS),
    }

    def validate_details(self, details: dict[str, Any]) -> dict[str, list[str]]:
        """As Temporary, plus rigid_expense (yuan over the past 12 months, required) and
        expense_kind (EXPENSE_KINDS)."""
        errors = super().validate_details(details)
        if (
            decimal_field(details, "rigid_expense", errors) is None
            and "rigid_expense" not in errors
        ):
            errors["rigid_expense"] = [REQUIRED]
        _choice(details, "expense_kind", EXPENSE_KINDS, False, errors)
        return errors

    def eligibility(self, *, facts: HouseholdFacts, standards: Standards) -> Eligibility:
        """Income below last year's local per-capita disposable income and a rigid expense
        (DOMAIN.md §4)."""
        reasons = self._hardship_reasons(facts)
        if not facts.has_declaration:
            reasons.append(NO_DECLARATION)
        else:
            pci, _, _, _ = per_capita_income(counted_members(facts))
            limit = standards.get("income_limit")
            if pci >= limit:
                reasons.append(INCOME_TOO_HIGH.format(pci=yuan_text(pci), limit=yuan_text(limit)))
        if decimal_field(facts.details, "rigid_expense", {}) is None:
            reasons.append(NO_EXPENSE)
        return Eligibility(not reasons, reasons)
