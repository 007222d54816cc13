"""特困供养 (special hardship support), centralized and dispersed: DOMAIN.md §3."""

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
    DEMOCRATIC_REVIEW,
    ENROLLMENT,
    PUBLIC_NOTICE,
    SELF_CARE_ITEMS,
    SURVEY,
    TOWNSHIP_REVIEW,
    VERIFICATION,
    CalcLine,
    Calculation,
    Eligibility,
    HouseholdFacts,
    MemberFacts,
    ParameterSpec,
    Policy,
    Standards,
    StepSpec,
    round_money,
)
from minzheng.programs.policies.common import (
    REQUIRED,
    ZERO,
    Recalculator,
    number_text,
    per_capita_income,
    procedure_parameters,
    sources,
    yuan_text,
)

# S2 (特困人员认定办法): township opinion within 15 WD, 7-day notice, county decides in 15 WD.
TEKUN_STEPS = (
    StepSpec(ACCEPTANCE, StepLevel.TOWNSHIP, 3),
    StepSpec(AUTHORIZATION, StepLevel.TOWNSHIP, 3),
    StepSpec(SURVEY, StepLevel.TOWNSHIP, 10),
    StepSpec(VERIFICATION, StepLevel.COUNTY, 10),
    StepSpec(DEMOCRATIC_REVIEW, StepLevel.VILLAGE, 5, optional=True),
    StepSpec(TOWNSHIP_REVIEW, StepLevel.TOWNSHIP, 15),
    StepSpec(PUBLIC_NOTICE, StepLevel.TOWNSHIP, 7, calendar_days=True),
    StepSpec(COUNTY_APPROVAL, StepLevel.COUNTY, 15),
    StepSpec(DECISION, StepLevel.COUNTY, 3, auto=True),
    StepSpec(ENROLLMENT, StepLevel.COUNTY, 0, auto=True),
)


CARE_LEVELS: dict[str, str] = {
    "self_care": "具备生活自理能力",
    "partial": "部分丧失生活自理能力",
    "full": "完全丧失生活自理能力",
}
FINANCIAL_ASSETS = ("deposit", "securities", "insurance")

PARAMETERS: dict[str, ParameterSpec] = {
    "basic_living_standard": ParameterSpec("基本生活标准(每人每月)", "元"),
    **{
        f"care_standard_{code}": ParameterSpec(f"照料护理标准:{label}(每人每月)", "元")
        for code, label in CARE_LEVELS.items()
    },
    "centralized_care_multiplier": ParameterSpec(
        "集中供养照料护理标准系数", "倍", required=False, default=Decimal(1)
    ),
    "dibao_standard": ParameterSpec("认定收入上限(当地低保标准)", "元"),
    "asset_financial_limit": ParameterSpec("金融资产上限(不设则不审查)", "元", required=False),
    "funeral_grant": ParameterSpec("丧葬补助", "元"),
    "rounding_unit": ParameterSpec(
        "供养金额取整单位(0.01=分,1=元)", "元", required=False, default=Decimal("0.01")
    ),
    **procedure_parameters(TEKUN_STEPS),
}
AMOUNT_PARAMETERS = (
    "basic_living_standard",
    *(f"care_standard_{code}" for code in CARE_LEVELS),
    "centralized_care_multiplier",
    "rounding_unit",
)

NO_APPLICANT = "申请人不在家庭成员中或已死亡"
NO_DECLARATION = "尚未申报经济状况,无法核算收入"
HAS_WORK_CAPACITY = "申请人{age}岁,未满60周岁且已满16周岁,也无重度残疾,具有劳动能力"
INCOME_TOO_HIGH = "申请人月收入{income}元,不低于当地低保标准{standard}元"
ASSETS_TOO_HIGH = "金融资产{value}元,超过特困人员认定上限{limit}元"
SUPPORTER_UNKNOWN = "尚未核实是否有具备履行能力的法定赡养、抚养、扶养义务人"
HAS_SUPPORTER = "有具备履行能力的法定赡养、抚养、扶养义务人"
ORPHAN_CHOSEN = "已领取孤儿基本生活费的未成年人不认定为特困人员"
CARE_LEVEL_MISSING = "尚未评估生活自理能力"
NOT_A_BOOLEAN = "请选择是或否"
UNKNOWN_ITEM = "未知的自理能力评估项目:{item}"


def no_work_capacity(member: MemberFacts) -> bool:
    """三无 test 1 (S2§5): 60 or over, under 16, or a grade 1-3 intellectual or mental, grade
    1-2 physical or grade 1 visual disability (multiple disabilities as the severest)."""
    if member.age >= 60 or member.age < 16:
        return True
    grade = member.disability_grade
    if grade is None:
        return False
    category = member.disability_category
    if category in ("intellectual", "mental", "multiple"):
        return grade <= 3 if category != "multiple" else grade <= 2
    if category == "physical":
        return grade <= 2
    if category == "visual":
        return grade == 1
    return False


def tekun_amount(
    basic: Decimal, care: Decimal, multiplier: Decimal, centralized: bool, rounding_unit: Decimal
) -> Decimal:
    """Basic living standard plus the care standard of the person's care level, the care
    standard raised by the multiplier in a care home (集中供养), rounded to the unit."""
    return round_money(basic + care * (multiplier if centralized else Decimal(1)), rounding_unit)


def funeral_grant(standards: Standards) -> Calculation:
    """丧葬补助 on a supported person's death (S3§15): the local lump sum."""
    amount = round_money(standards.get("funeral_grant"), Decimal("0.01"))
    return Calculation(
        amount,
        [CalcLine("丧葬补助", "按当地特困人员丧葬补助标准一次性发放", f"{yuan_text(amount)} 元")],
        sources(standards, ["funeral_grant"]),
    )


def _applicant(facts: HouseholdFacts) -> MemberFacts | None:
    for m in facts.members:
        if m.person_id == facts.applicant_id and m.is_alive:
            return m
    return None


def _care(standards: Standards, care_level: str) -> Decimal:
    if care_level not in CARE_LEVELS:
        return ZERO
    return standards.get(f"care_standard_{care_level}")


class Tekun(Policy):
    code: ClassVar[str] = "tekun"
    label: ClassVar[str] = gettext_noop("特困人员救助供养")
    kind: ClassVar[str] = "monthly"
    steps: ClassVar[tuple[StepSpec, ...]] = TEKUN_STEPS
    parameters: ClassVar[dict[str, ParameterSpec]] = PARAMETERS
    # The numbers a monthly amount depends on: changing one recalculates the paying cases.
    amount_parameters: ClassVar[tuple[str, ...]] = AMOUNT_PARAMETERS
    case_deadline_days: ClassVar[int] = 45
    review_months_variable: ClassVar[int] = 12

    def validate_details(self, details: dict[str, Any]) -> dict[str, list[str]]:
        """has_able_supporter (bool, required); self_care_failed (the SELF_CARE_ITEMS the person
        cannot do, base.care_level_from_failed_items gives the care level from them);
        receives_orphan_allowance (bool)."""
        errors: dict[str, list[str]] = {}
        if "has_able_supporter" not in details:
            errors["has_able_supporter"] = [REQUIRED]
        for key in ("has_able_supporter", "receives_orphan_allowance"):
            if key in details and not isinstance(details[key], bool):
                errors[key] = [NOT_A_BOOLEAN]
        failed = details.get("self_care_failed", [])
        if not isinstance(failed, list):
            errors["self_care_failed"] = [UNKNOWN_ITEM.format(item=failed)]
        else:
            bad = [x for x in failed if x not in SELF_CARE_ITEMS]
            if bad:
                errors["self_care_failed"] = [UNKNOWN_ITEM.format(item=x) for x in bad]
        return errors

    def eligibility(self, *, facts: HouseholdFacts, standards: Standards) -> Eligibility:
        """三无 (S2§4-§8): no work capacity, no living means, no able supporter."""
        person = _applicant(facts)
        if person is None:
            return Eligibility(False, [NO_APPLICANT])
        reasons = []
        if not no_work_capacity(person):
            reasons.append(HAS_WORK_CAPACITY.format(age=person.age))
        if not facts.has_declaration:
            reasons.append(NO_DECLARATION)
        else:
            reasons += self._means_reasons(facts, person, standards)
        supporter = facts.details.get("has_able_supporter")
        if supporter is None:
            reasons.append(SUPPORTER_UNKNOWN)
        elif supporter:
            reasons.append(HAS_SUPPORTER)
        if facts.details.get("receives_orphan_allowance") and person.age < 18:
            reasons.append(ORPHAN_CHOSEN)
        if facts.care_level not in CARE_LEVELS:
            reasons.append(CARE_LEVEL_MISSING)
        return Eligibility(not reasons, reasons)

    def _means_reasons(
        self, facts: HouseholdFacts, person: MemberFacts, standards: Standards
    ) -> list[str]:
        reasons = []
        income, _, _, _ = per_capita_income([person])
        standard = standards.get("dibao_standard")
        if income >= standard:
            reasons.append(
                INCOME_TOO_HIGH.format(income=yuan_text(income), standard=yuan_text(standard))
            )
        limit = standards.values.get("asset_financial_limit")
        financial = sum((a.value for a in facts.assets if a.kind in FINANCIAL_ASSETS), ZERO)
        if limit is not None and financial > limit:
            reasons.append(
                ASSETS_TOO_HIGH.format(value=yuan_text(financial), limit=yuan_text(limit))
            )
        return reasons

    def benefit(self, *, facts: HouseholdFacts, standards: Standards) -> Calculation:
        basic = standards.get("basic_living_standard")
        level = facts.care_level
        care = _care(standards, level)
        centralized = facts.support_mode == "centralized"
        multiplier = standards.get_or("centralized_care_multiplier", Decimal(1))
        unit = standards.get_or("rounding_unit", Decimal("0.01"))
        person = _applicant(facts)
        income, _, _, _ = per_capita_income([person] if person else [])
        inputs = {"per_capita_income": str(income), "counted_members": 1, "extra_members": {}}
        used = ["basic_living_standard", "rounding_unit"]
        lines = [CalcLine("基本生活标准", "每人每月", f"{yuan_text(basic)} 元")]
        eligibility = self.eligibility(facts=facts, standards=standards)
        if not eligibility.eligible:
            lines.append(CalcLine("不符合特困供养条件", ";".join(eligibility.reasons), "0.00 元"))
            return Calculation(ZERO, lines, sources(standards, used), inputs)
        used.append(f"care_standard_{level}")
        lines.append(CalcLine("照料护理标准", CARE_LEVELS[level], f"{yuan_text(care)} 元"))
        formula = f"{yuan_text(basic)} + {yuan_text(care)}"
        if centralized and multiplier != 1:
            used.append("centralized_care_multiplier")
            formula = (
                f"{yuan_text(basic)} + {yuan_text(care)} × {number_text(multiplier)}(集中供养)"
            )
        amount = tekun_amount(basic, care, multiplier, centralized, unit)
        if unit != Decimal("0.01"):
            formula += f",按 {number_text(unit)} 元四舍五入"
        lines.append(CalcLine("月供养金额", formula, f"{yuan_text(amount)} 元"))
        return Calculation(amount, lines, sources(standards, used), inputs)

    def recalculator(self, standards: Standards) -> Recalculator:
        """The bulk path of a standard change, from the case's care level and support mode."""
        basic = standards.get("basic_living_standard")
        care = {code: standards.get(f"care_standard_{code}") for code in CARE_LEVELS}
        multiplier = standards.get_or("centralized_care_multiplier", Decimal(1))
        unit = standards.get_or("rounding_unit", Decimal("0.01"))

        def amount(
            pci: Decimal | None, counted: int, extras: dict[str, int], level: str, mode: str
        ) -> Decimal:
            centralized = mode == "centralized"
            return tekun_amount(basic, care.get(level, ZERO), multiplier, centralized, unit)

        return Recalculator(amount, sources(standards, AMOUNT_PARAMETERS))
