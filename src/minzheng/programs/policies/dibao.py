"""低保 (minimum living guarantee), urban and rural: DOMAIN.md §2."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

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
    ZERO,
    Recalculator,
    counted_members,
    number_text,
    per_capita_income,
    procedure_parameters,
    sources,
    yuan_text,
)

# S1 (民发〔2021〕57号): start within 3 WD, county decides within 10 WD of the file, refusal
# letter within 3 WD; the notice runs 7 calendar days.
DIBAO_STEPS = (
    StepSpec(ACCEPTANCE, StepLevel.TOWNSHIP, 3),
    StepSpec(AUTHORIZATION, StepLevel.TOWNSHIP, 3),
    StepSpec(SURVEY, StepLevel.TOWNSHIP, 10),
    StepSpec(VERIFICATION, StepLevel.COUNTY, 10),
    StepSpec(DEMOCRATIC_REVIEW, StepLevel.VILLAGE, 5, optional=True),
    StepSpec(TOWNSHIP_REVIEW, StepLevel.TOWNSHIP, 5),
    StepSpec(PUBLIC_NOTICE, StepLevel.TOWNSHIP, 7, calendar_days=True),
    StepSpec(COUNTY_APPROVAL, StepLevel.COUNTY, 10),
    StepSpec(DECISION, StepLevel.COUNTY, 3, auto=True),
    StepSpec(ENROLLMENT, StepLevel.COUNTY, 0, auto=True),
)


# 分类施保 (DOMAIN.md §2.5): the member categories that get an extra share of the standard, in
# the order that breaks a tie between equal ratios.
EXTRA_CATEGORIES: dict[str, str] = {
    "severely_disabled": "重度残疾人",
    "seriously_ill": "重病患者",
    "elderly": "老年人",
    "minor": "未成年人",
}
FINANCIAL_ASSETS = ("deposit", "securities", "insurance")

PARAMETERS: dict[str, ParameterSpec] = {
    "monthly_standard": ParameterSpec("低保标准(每人每月)", "元"),
    "min_payment": ParameterSpec(
        "最低保障金额(每户每月)", "元", required=False, default=Decimal(0)
    ),
    "rounding_unit": ParameterSpec(
        "保障金额取整单位(0.01=分,1=元)", "元", required=False, default=Decimal("0.01")
    ),
    "elderly_age": ParameterSpec(
        "分类施保:老年人年龄起点", "岁", required=False, default=Decimal(60)
    ),
    "minor_age": ParameterSpec(
        "分类施保:未成年人年龄上限(不含)", "岁", required=False, default=Decimal(18)
    ),
    **{
        f"extra_ratio_{code}": ParameterSpec(
            f"分类施保:{label}增发比例(低保标准的倍数)", "倍", required=False, default=Decimal(0)
        )
        for code, label in EXTRA_CATEGORIES.items()
    },
    "asset_financial_multiple": ParameterSpec("人均金融资产上限(低保标准的倍数)", "倍"),
    "max_vehicles": ParameterSpec("允许拥有的机动车辆数", "辆", required=False, default=Decimal(0)),
    "vehicle_exempt_value": ParameterSpec(
        "不计入限制的车辆价值上限(残疾人代步车、摩托车等)", "元", required=False, default=Decimal(0)
    ),
    "max_houses": ParameterSpec("允许拥有的房产数", "套", required=False, default=Decimal(1)),
    "max_businesses": ParameterSpec("允许的工商登记数", "户", required=False, default=Decimal(0)),
    "exit_grace_months": ParameterSpec("渐退期", "月", required=False, default=Decimal(6)),
    **procedure_parameters(DIBAO_STEPS),
}
AMOUNT_PARAMETERS = (
    "monthly_standard",
    "min_payment",
    "rounding_unit",
    *(f"extra_ratio_{code}" for code in EXTRA_CATEGORIES),
)

NO_DECLARATION = "尚未申报家庭经济状况,无法核算收入"
NO_MEMBERS = "没有计入保障的家庭成员"
INCOME_TOO_HIGH = "家庭月人均收入{pci}元,不低于低保标准{standard}元"
FINANCIAL_TOO_HIGH = "家庭人均金融资产{per_capita}元,超过上限{limit}元(低保标准的{multiple}倍)"
TOO_MANY_VEHICLES = "拥有机动车辆{count}辆(价值超过{exempt}元),超过允许的{allowed}辆"
TOO_MANY_HOUSES = "拥有房产{count}套,超过允许的{allowed}套"
TOO_MANY_BUSINESSES = "有工商登记{count}户,超过允许的{allowed}户"


def _unit(standards: Standards) -> Decimal:
    return standards.get_or("rounding_unit", Decimal("0.01"))


def extra_ratios(standards: Standards) -> dict[str, Decimal]:
    return {code: standards.get_or(f"extra_ratio_{code}", Decimal(0)) for code in EXTRA_CATEGORIES}


def member_category(
    member: MemberFacts, *, elderly_age: int, minor_age: int, ratios: dict[str, Decimal]
) -> str:
    """The member's 分类施保 category ("" when none): the one with the highest extra when the
    member falls in several (a disabled elder counts once)."""
    found = []
    if member.disability_grade in (1, 2):
        found.append("severely_disabled")
    if member.serious_illness:
        found.append("seriously_ill")
    if member.age >= elderly_age:
        found.append("elderly")
    if member.age < minor_age:
        found.append("minor")
    if not found:
        return ""
    order = list(EXTRA_CATEGORIES)
    return max(found, key=lambda c: (ratios.get(c, Decimal(0)), -order.index(c)))


def dibao_amount(
    standard: Decimal,
    pci: Decimal,
    counted: int,
    extras: dict[str, int],
    ratios: dict[str, Decimal],
    min_payment: Decimal,
    rounding_unit: Decimal,
) -> Decimal:
    """The monthly 低保 amount (DOMAIN.md §2.5): (standard - per-capita income) x counted
    members, plus standard x ratio for each member in a 分类施保 category, at least the minimum
    payment, rounded to the unit. 0 when nobody is counted or the income reaches the standard.
    The case page (`benefit`) and the bulk recalculation both use this function."""
    if counted <= 0 or pci >= standard:
        return ZERO
    raw = (standard - pci) * counted
    for category, n in extras.items():
        ratio = ratios.get(category)
        if ratio and n > 0:
            raw += standard * ratio * n
    if raw < min_payment:
        raw = min_payment
    return round_money(raw, rounding_unit)


class Dibao(Policy):
    kind: ClassVar[str] = "monthly"
    steps: ClassVar[tuple[StepSpec, ...]] = DIBAO_STEPS
    parameters: ClassVar[dict[str, ParameterSpec]] = PARAMETERS
    # The numbers a monthly amount depends on: changing one recalculates the paying cases.
    amount_parameters: ClassVar[tuple[str, ...]] = AMOUNT_PARAMETERS
    standard_label: ClassVar[str] = "低保标准"

    def eligibility(self, *, facts: HouseholdFacts, standards: Standards) -> Eligibility:
        """Income below the standard and assets within the limits (DOMAIN.md §2.1, §2.4)."""
        if not facts.has_declaration:
            return Eligibility(False, [NO_DECLARATION])
        members = counted_members(facts)
        if not members:
            return Eligibility(False, [NO_MEMBERS])
        standard = standards.get("monthly_standard")
        pci, _, _, n = per_capita_income(members)
        reasons = []
        if pci >= standard:
            reasons.append(INCOME_TOO_HIGH.format(pci=yuan_text(pci), standard=yuan_text(standard)))
        # A single-person enrollment is judged on its household's assets per head.
        heads = len([m for m in facts.members if m.is_alive]) if facts.is_single_person else n
        reasons += self._asset_reasons(facts, standards, standard, max(heads, 1))
        return Eligibility(not reasons, reasons)

    def _asset_reasons(
        self, facts: HouseholdFacts, standards: Standards, standard: Decimal, heads: int
    ) -> list[str]:
        reasons = []
        multiple = standards.get("asset_financial_multiple")
        financial = sum((a.value for a in facts.assets if a.kind in FINANCIAL_ASSETS), ZERO)
        per_capita = (financial / heads).quantize(Decimal("0.01"))
        limit = standard * multiple
        if per_capita > limit:
            reasons.append(
                FINANCIAL_TOO_HIGH.format(
                    per_capita=yuan_text(per_capita),
                    limit=yuan_text(limit),
                    multiple=number_text(multiple),
                )
            )
        exempt = standards.get_or("vehicle_exempt_value", Decimal(0))
        vehicles = len([a for a in facts.assets if a.kind == "vehicle" and a.value > exempt])
        allowed = int(standards.get_or("max_vehicles", Decimal(0)))
        if vehicles > allowed:
            reasons.append(
                TOO_MANY_VEHICLES.format(count=vehicles, exempt=yuan_text(exempt), allowed=allowed)
            )
        houses = len([a for a in facts.assets if a.kind == "real_estate"])
        allowed = int(standards.get_or("max_houses", Decimal(1)))
        if houses > allowed:
            reasons.append(TOO_MANY_HOUSES.format(count=houses, allowed=allowed))
        businesses = len([a for a in facts.assets if a.kind == "business"])
        allowed = int(standards.get_or("max_businesses", Decimal(0)))
        if businesses > allowed:
            reasons.append(TOO_MANY_BUSINESSES.format(count=businesses, allowed=allowed))
        return reasons

    def categories(self, facts: HouseholdFacts, standards: Standards) -> dict[int, str]:
        """person_id -> 分类施保 category of each counted member in one."""
        ratios = extra_ratios(standards)
        elderly = int(standards.get_or("elderly_age", Decimal(60)))
        minor = int(standards.get_or("minor_age", Decimal(18)))
        out = {}
        for m in counted_members(facts):
            category = member_category(m, elderly_age=elderly, minor_age=minor, ratios=ratios)
            if category:
                out[m.person_id] = category
        return out

    def benefit(self, *, facts: HouseholdFacts, standards: Standards) -> Calculation:
        standard = standards.get("monthly_standard")
        members = counted_members(facts)
        pci, income, deductions, n = per_capita_income(members)
        ratios = extra_ratios(standards)
        extras: dict[str, int] = {}
        for category in self.categories(facts, standards).values():
            extras[category] = extras.get(category, 0) + 1
        min_payment = standards.get_or("min_payment", Decimal(0))
        unit = _unit(standards)
        lines = [CalcLine(self.standard_label, "每人每月", f"{yuan_text(standard)} 元")]
        if facts.is_single_person:
            lines.append(CalcLine("单人保", "仅计申请人本人,其他家庭成员收入不计入", "1 人"))
        lines += [
            CalcLine(
                "家庭月收入",
                f"计入收入 {yuan_text(income)} − 扣减支出 {yuan_text(deductions)}",
                f"{yuan_text(max(income - deductions, ZERO))} 元",
            ),
            CalcLine(
                "月人均收入",
                f"{yuan_text(max(income - deductions, ZERO))} ÷ {n} 人",
                f"{yuan_text(pci)} 元",
            ),
        ]
        used = ["monthly_standard", "min_payment", "rounding_unit"]
        inputs = {"per_capita_income": str(pci), "counted_members": n, "extra_members": extras}
        eligibility = self.eligibility(facts=facts, standards=standards)
        if not eligibility.eligible:
            lines.append(CalcLine("不符合保障条件", ";".join(eligibility.reasons), "0.00 元"))
            return Calculation(ZERO, lines, sources(standards, used), inputs)
        gap = (standard - pci) * n
        lines.append(
            CalcLine(
                "补差金额",
                f"({yuan_text(standard)} − {yuan_text(pci)}) × {n} 人",
                f"{yuan_text(gap)} 元",
            )
        )
        raw = gap
        for category, count in extras.items():
            ratio = ratios[category]
            used.append(f"extra_ratio_{category}")
            if not ratio:
                continue
            extra = standard * ratio * count
            raw += extra
            lines.append(
                CalcLine(
                    f"分类施保({EXTRA_CATEGORIES[category]})",
                    f"{yuan_text(standard)} × {number_text(ratio)} × {count} 人",
                    f"{yuan_text(extra)} 元",
                )
            )
        if raw < min_payment:
            lines.append(
                CalcLine(
                    "最低保障金额",
                    f"计算金额 {yuan_text(raw)} 低于每户最低金额",
                    f"{yuan_text(min_payment)} 元",
                )
            )
        amount = dibao_amount(standard, pci, n, extras, ratios, min_payment, unit)
        rounded = f"{yuan_text(max(raw, min_payment))} 按 {number_text(unit)} 元四舍五入"
        lines.append(CalcLine("月保障金额", rounded, f"{yuan_text(amount)} 元"))
        return Calculation(amount, lines, sources(standards, used), inputs)

    def recalculator(self, standards: Standards) -> Recalculator:
        """The bulk path of a standard change: the amount from the inputs stored on the case."""
        standard = standards.get("monthly_standard")
        ratios = extra_ratios(standards)
        min_payment = standards.get_or("min_payment", Decimal(0))
        unit = _unit(standards)

        def amount(
            pci: Decimal | None, counted: int, extras: dict[str, int], care: str, mode: str
        ) -> Decimal:
            pci = pci if pci is not None else ZERO
            return dibao_amount(standard, pci, counted, extras, ratios, min_payment, unit)

        return Recalculator(amount, sources(standards, AMOUNT_PARAMETERS))


class UrbanDibao(Dibao):
    code: ClassVar[str] = "dibao_urban"
    label: ClassVar[str] = gettext_noop("城市最低生活保障")
    standard_label: ClassVar[str] = "城市低保标准"


class RuralDibao(Dibao):
    code: ClassVar[str] = "dibao_rural"
    label: ClassVar[str] = gettext_noop("农村最低生活保障")
    standard_label: ClassVar[str] = "农村低保标准"
