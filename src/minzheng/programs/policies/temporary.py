"""临时救助 (temporary assistance): 急难型 pays first and completes the file after (先行救助);
支出型 runs the full procedure. DOMAIN.md §4."""

from __future__ import annotations

from typing import ClassVar

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
    Calculation,
    Eligibility,
    HouseholdFacts,
    Policy,
    Standards,
    StepSpec,
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


class Temporary(Policy):
    kind: ClassVar[str] = "one_off"

    def eligibility(self, *, facts: HouseholdFacts, standards: Standards) -> Eligibility:
        raise NotImplementedError

    def benefit(self, *, facts: HouseholdFacts, standards: Standards) -> Calculation:
        raise NotImplementedError


class TemporaryEmergency(Temporary):
    code: ClassVar[str] = "temporary_emergency"
    label: ClassVar[str] = "临时救助(急难型)"
    steps: ClassVar[tuple[StepSpec, ...]] = EMERGENCY_STEPS
    payment_first: ClassVar[bool] = True
    case_deadline_days: ClassVar[int] = 15
    case_deadline_days_delegated: ClassVar[int] = 15


class TemporaryExpense(Temporary):
    code: ClassVar[str] = "temporary_expense"
    label: ClassVar[str] = "临时救助(支出型)"
    steps: ClassVar[tuple[StepSpec, ...]] = EXPENSE_STEPS
