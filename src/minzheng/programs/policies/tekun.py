"""特困供养 (special hardship support), centralized and dispersed: DOMAIN.md §3."""

from __future__ import annotations

from typing import ClassVar

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
    Calculation,
    Eligibility,
    HouseholdFacts,
    Policy,
    Standards,
    StepSpec,
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


class Tekun(Policy):
    code: ClassVar[str] = "tekun"
    label: ClassVar[str] = "特困人员救助供养"
    kind: ClassVar[str] = "monthly"
    steps: ClassVar[tuple[StepSpec, ...]] = TEKUN_STEPS
    case_deadline_days: ClassVar[int] = 45
    review_months_variable: ClassVar[int] = 12

    def eligibility(self, *, facts: HouseholdFacts, standards: Standards) -> Eligibility:
        raise NotImplementedError

    def benefit(self, *, facts: HouseholdFacts, standards: Standards) -> Calculation:
        raise NotImplementedError
