"""低保 (minimum living guarantee), urban and rural: DOMAIN.md §2."""

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


class Dibao(Policy):
    kind: ClassVar[str] = "monthly"
    steps: ClassVar[tuple[StepSpec, ...]] = DIBAO_STEPS

    def eligibility(self, *, facts: HouseholdFacts, standards: Standards) -> Eligibility:
        raise NotImplementedError

    def benefit(self, *, facts: HouseholdFacts, standards: Standards) -> Calculation:
        raise NotImplementedError


class UrbanDibao(Dibao):
    code: ClassVar[str] = "dibao_urban"
    label: ClassVar[str] = "城市最低生活保障"


class RuralDibao(Dibao):
    code: ClassVar[str] = "dibao_rural"
    label: ClassVar[str] = "农村最低生活保障"
