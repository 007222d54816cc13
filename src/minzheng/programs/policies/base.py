"""What a program is to the engine: its steps with their deadlines, its policy numbers, and two
pure functions, `eligibility` and `benefit`, over a household's facts and the standards in
force. A policy reads; it never saves (the services write what it returns)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# Step codes (DOMAIN.md §15).
ACCEPTANCE = "acceptance"
AUTHORIZATION = "authorization"
SURVEY = "survey"
VERIFICATION = "verification"
DEMOCRATIC_REVIEW = "democratic_review"
PUBLIC_NOTICE = "public_notice"
TOWNSHIP_REVIEW = "township_review"
COUNTY_APPROVAL = "county_approval"
DECISION = "decision"
ENROLLMENT = "enrollment"

# How the steps are named (msgids for the pages; plain Chinese where a label is built at import).
STEP_NAMES: dict[str, str] = {
    ACCEPTANCE: gettext_noop("受理"),
    AUTHORIZATION: gettext_noop("核对授权"),
    SURVEY: gettext_noop("入户调查"),
    VERIFICATION: gettext_noop("经济状况核对"),
    DEMOCRATIC_REVIEW: gettext_noop("民主评议"),
    PUBLIC_NOTICE: gettext_noop("公示"),
    TOWNSHIP_REVIEW: gettext_noop("乡镇审核"),
    COUNTY_APPROVAL: gettext_noop("审批确认"),
    DECISION: gettext_noop("决定"),
    ENROLLMENT: gettext_noop("纳入保障"),
}


def step_label(code: str) -> str:
    """The step's name in the reader's language (an unknown code as it is)."""
    name = STEP_NAMES.get(code)
    return gettext(name) if name is not None else code


@dataclass(frozen=True)
class StepSpec:
    """One step as a program uses it. `deadline_days` is the national default in working days
    (calendar days when `calendar_days`); a region overrides it with the standard
    `deadline_<code>`. An `optional` step is skipped unless the region requires it (standard
    `require_<code>` = 1) or an upheld objection sends the case back to it. An `auto` step is
    done by the engine when the step before it is (the decision letter, the enrollment)."""

    code: str
    level: str
    deadline_days: int
    calendar_days: bool = False
    optional: bool = False
    auto: bool = False


@dataclass(frozen=True)
class ParameterSpec:
    """A policy number the program reads: its label, unit and whether it must be set."""

    label: str
    unit: str = "元"
    required: bool = True
    default: Decimal | None = None


@dataclass(frozen=True)
class MemberFacts:
    person_id: int
    name: str
    relationship: str
    age: int
    sex: str
    counted: bool
    exclusion_reason: str
    labour_capacity: str
    disability_category: str
    disability_grade: int | None
    serious_illness: str
    is_alive: bool
    monthly_income: Decimal  # counted income, before deductions
    monthly_deductions: Decimal


@dataclass(frozen=True)
class AssetFacts:
    kind: str
    value: Decimal
    area: Decimal | None
    description: str


@dataclass(frozen=True)
class HouseholdFacts:
    """Everything a policy may look at, gathered by `programs.selectors.case_facts`."""

    as_of: datetime.date
    region_code: str
    is_urban: bool
    members: tuple[MemberFacts, ...]
    assets: tuple[AssetFacts, ...]
    has_declaration: bool
    is_single_person: bool = False
    applicant_id: int | None = None
    support_mode: str = ""
    care_level: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def counted(self) -> tuple[MemberFacts, ...]:
        return tuple(m for m in self.members if m.counted and m.is_alive)

    @property
    def household_size(self) -> int:
        return len(self.counted)


class MissingStandard(LookupError):
    """A policy number the case needs is not set for the region and date."""

    def __init__(self, program: str, parameter: str, region_code: str, day: datetime.date):
        self.program, self.parameter, self.region_code, self.day = (
            program,
            parameter,
            region_code,
            day,
        )
        self.message = (
            f"{region_code}在{day:%Y年%m月%d日}没有有效的救助标准“{parameter}”({program}),"
            "请县(区)民政局在“救助标准”中设置后再办理。"
        )
        super().__init__(self.message)


class Standards:
    """The numbers in force for one program, region and day: `standards.get("monthly_standard")`.
    Built by `programs.services.standards.standards_for`; tests build it from a dict."""

    def __init__(
        self,
        *,
        program: str,
        region_code: str,
        day: datetime.date,
        values: dict[str, Decimal],
        sources: dict[str, str] | None = None,
    ) -> None:
        self.program, self.region_code, self.day = program, region_code, day
        self.values = values
        # parameter -> "region_code valid_from" of the row it came from, kept as evidence
        self.sources = sources or {}

    def get(self, parameter: str) -> Decimal:
        try:
            return self.values[parameter]
        except KeyError:
            raise MissingStandard(self.program, parameter, self.region_code, self.day) from None

    def get_or(self, parameter: str, default: Decimal) -> Decimal:
        return self.values.get(parameter, default)

    def flag(self, parameter: str) -> bool:
        return self.values.get(parameter, Decimal(0)) != 0


@dataclass(frozen=True)
class CalcLine:
    """One line of a worked calculation as the clerk reads it: 低保标准 | 765.00 元."""

    label: str
    formula: str
    value: str


@dataclass
class Calculation:
    amount: Decimal
    lines: list[CalcLine] = field(default_factory=list)
    standards: dict[str, str] = field(default_factory=dict)
    # What the amount was computed from, stored on the case so that a standard change can be
    # recalculated in bulk: per_capita_income (str), counted_members (int), extra_members
    # ({category: count}).
    inputs: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "amount": str(self.amount),
            "lines": [
                {"label": x.label, "formula": x.formula, "value": x.value} for x in self.lines
            ],
            "standards": self.standards,
            "inputs": self.inputs,
        }


@dataclass
class Eligibility:
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # why not (or notes), in Chinese


def round_money(amount: Decimal, unit: Decimal) -> Decimal:
    """Round half up to the configured unit (0.01 fen, 0.1 jiao, 1 yuan), kept in fen."""
    unit = unit if unit > 0 else Decimal("0.01")
    return ((amount / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit).quantize(
        Decimal("0.01")
    )


class Policy:
    """Base of every program's policy. Subclasses set the class attributes and implement
    `eligibility` and `benefit`."""

    code: ClassVar[str]
    label: ClassVar[str]
    # "monthly" pays every month from BenefitPeriod; "one_off" pays a Grant once.
    kind: ClassVar[str] = "monthly"
    steps: ClassVar[tuple[StepSpec, ...]]
    parameters: ClassVar[dict[str, ParameterSpec]] = {}
    # Whole case in working days (DOMAIN.md §1): 30, 20 when the township decides.
    case_deadline_days: ClassVar[int] = 30
    case_deadline_days_delegated: ClassVar[int] = 20
    # 先行救助: the money goes out at approval and the remaining steps follow.
    payment_first: ClassVar[bool] = False
    # Months between periodic reviews for a stable household and for one with able-bodied
    # members or irregular income (standards review_months_stable / review_months_variable).
    review_months_stable: ClassVar[int] = 12
    review_months_variable: ClassVar[int] = 6

    # The parameters whose change alters the monthly amounts of paying cases (a standard change
    # of one of these recalculates them in bulk, services/recalc.py).
    amount_parameters: ClassVar[tuple[str, ...]] = ()

    def recalculator(self, standards: Standards) -> Any:
        """A `policies.common.Recalculator` for the bulk path of a standard change: the same
        pure function `benefit` uses, over the inputs stored on the case. None: the program's
        amounts are not recalculated in bulk (one-off aid)."""
        return None

    def step(self, code: str) -> StepSpec:
        for s in self.steps:
            if s.code == code:
                return s
        raise KeyError(code)

    def step_codes(self) -> list[str]:
        return [s.code for s in self.steps]

    def validate_details(self, details: dict[str, Any]) -> dict[str, list[str]]:
        """Field errors of the program-specific applicant data ({} when valid)."""
        return {}

    def eligibility(self, *, facts: HouseholdFacts, standards: Standards) -> Eligibility:
        raise NotImplementedError

    def benefit(self, *, facts: HouseholdFacts, standards: Standards) -> Calculation:
        raise NotImplementedError

    def review_months(self, *, facts: HouseholdFacts, standards: Standards) -> int:
        """Periodic review frequency: yearly for stable households (all counted members old,
        young, disabled, ill or without labour capacity), 6-monthly otherwise."""
        able = [m for m in facts.counted if 18 <= m.age < 60 and m.labour_capacity == "full"]
        if able:
            return int(
                standards.get_or("review_months_variable", Decimal(self.review_months_variable))
            )
        return int(standards.get_or("review_months_stable", Decimal(self.review_months_stable)))


SELF_CARE_ITEMS = ("eating", "dressing", "bed_transfer", "toileting", "indoor_walking", "bathing")
SELF_CARE_LABELS: dict[str, Promise] = {
    "eating": _("自主吃饭"),
    "dressing": _("自主穿衣"),
    "bed_transfer": _("自主上下床"),
    "toileting": _("自主如厕"),
    "indoor_walking": _("室内自主行走"),
    "bathing": _("自主洗澡"),
}


def care_level_from_failed_items(failed: int) -> str:
    """特困 self-care assessment (S2 §21-23): of the six items, none failed = self-care, one to
    three = partial loss, four or more = full loss."""
    if failed <= 0:
        return "self_care"
    return "partial" if failed <= 3 else "full"
