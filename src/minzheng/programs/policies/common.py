"""What the program policies share: the household's per-capita income by DOMAIN.md §2.3, the
procedure parameters every program has (step deadlines, optional steps, delegated approval,
review frequency), and how numbers read in a worked calculation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from minzheng.programs.policies.base import (
    STEP_NAMES,
    HouseholdFacts,
    MemberFacts,
    ParameterSpec,
    Standards,
    StepSpec,
)

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


def yuan_text(amount: Decimal) -> str:
    """765.00 — an amount as the worked calculation shows it, to the fen."""
    return f"{amount.quantize(FEN, rounding=ROUND_HALF_UP)}"


def number_text(value: Decimal) -> str:
    """0.3, 24, 1.5 — a ratio or multiple without trailing zeros."""
    return f"{value.normalize():f}"


def counted_members(facts: HouseholdFacts) -> tuple[MemberFacts, ...]:
    """The members the benefit is for: the counted living members, or only the applicant when
    the case is a single-person enrollment (单人保, DOMAIN.md §2.6)."""
    if facts.is_single_person:
        return tuple(m for m in facts.members if m.person_id == facts.applicant_id and m.is_alive)
    return facts.counted


def per_capita_income(members: Iterable[MemberFacts]) -> tuple[Decimal, Decimal, Decimal, int]:
    """(per-capita monthly income, counted income, deductions, members): the counted income of
    the members less their deductions, shared among them, never below 0, to the fen."""
    members = tuple(members)
    income = sum((m.monthly_income for m in members), ZERO)
    deductions = sum((m.monthly_deductions for m in members), ZERO)
    n = len(members)
    if n == 0:
        return ZERO, income, deductions, 0
    pci = max((income - deductions) / n, ZERO).quantize(FEN, rounding=ROUND_HALF_UP)
    return pci, income, deductions, n


def sources(standards: Standards, names: Iterable[str]) -> dict[str, str]:
    """parameter -> where its value came from ("region_code valid_from"), for the parameters
    the calculation read; a default not set in any row reads "默认值"."""
    return {name: standards.sources.get(name, "默认值") for name in names}


def procedure_parameters(steps: Iterable[StepSpec]) -> dict[str, ParameterSpec]:
    """The procedure numbers a region may set for a program: each step's deadline, whether an
    optional step is required, the whole case's deadline, delegated approval and the review
    frequencies (read by services/cases.py and the review service)."""
    out: dict[str, ParameterSpec] = {}
    for step in steps:
        name = STEP_NAMES.get(step.code, step.code)
        if not step.auto:
            unit = "日" if step.calendar_days else "工作日"
            out[f"deadline_{step.code}"] = ParameterSpec(
                f"{name}办理时限", unit, required=False, default=Decimal(step.deadline_days)
            )
        if step.optional:
            out[f"require_{step.code}"] = ParameterSpec(
                f"必须进行{name}(1=是,0=否)", "", required=False, default=Decimal(0)
            )
    out["deadline_case"] = ParameterSpec("全案办结时限", "工作日", required=False)
    out["delegated_approval"] = ParameterSpec(
        "审核确认权下放乡镇(1=是,0=否)", "", required=False, default=Decimal(0)
    )
    out["review_months_stable"] = ParameterSpec(
        "复核周期(收入稳定家庭)", "月", required=False, default=Decimal(12)
    )
    out["review_months_variable"] = ParameterSpec(
        "复核周期(有劳动能力或收入不稳定家庭)", "月", required=False, default=Decimal(6)
    )
    return out


def decimal_field(
    details: dict[str, Any], key: str, errors: dict[str, list[str]]
) -> Decimal | None:
    """A positive amount in `details[key]` (a string or number), or None with an error."""
    raw = details.get(key)
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        errors.setdefault(key, []).append(NOT_A_NUMBER)
        return None
    if not value.is_finite() or value <= 0:
        errors.setdefault(key, []).append(NOT_POSITIVE)
        return None
    return value


NOT_A_NUMBER = "请填写数字"
NOT_POSITIVE = "应为大于0的数"
REQUIRED = "此项必填"


@dataclass(frozen=True)
class Recalculator:
    """How a monthly program recomputes a case's amount from the inputs stored on the case
    (per_capita_income, counted_members, extra_members, care_level, support_mode) under the
    standards of one region and day: the bulk path of a standard change (services/recalc.py).
    `amount` is built once per standards and called per case, so it must be cheap; it must
    use the same function as the policy's `benefit`."""

    amount: Callable[[Decimal | None, int, dict[str, int], str, str], Decimal]
    sources: dict[str, str]
