"""Household facts and standards built in memory for the policy tests (policies are pure)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from minzheng.programs.policies.base import AssetFacts, HouseholdFacts, MemberFacts, Standards

DAY = datetime.date(2026, 7, 1)
D = Decimal


def member(
    person_id: int = 1,
    *,
    age: int = 40,
    income: str = "0",
    deductions: str = "0",
    counted: bool = True,
    alive: bool = True,
    disability: str = "",
    grade: int | None = None,
    illness: str = "",
    labour: str = "full",
) -> MemberFacts:
    return MemberFacts(
        person_id=person_id,
        name=f"成员{person_id}",
        relationship="head" if person_id == 1 else "child",
        age=age,
        sex="M",
        counted=counted,
        exclusion_reason="" if counted else "other",
        labour_capacity=labour,
        disability_category=disability,
        disability_grade=grade,
        serious_illness=illness,
        is_alive=alive,
        monthly_income=D(income),
        monthly_deductions=D(deductions),
    )


def asset(kind: str, value: str = "0") -> AssetFacts:
    return AssetFacts(kind=kind, value=D(value), area=None, description="")


def household(
    *members: MemberFacts,
    assets: tuple[AssetFacts, ...] = (),
    declared: bool = True,
    single: bool = False,
    applicant: int = 1,
    support_mode: str = "",
    care_level: str = "",
    details: dict[str, Any] | None = None,
) -> HouseholdFacts:
    return HouseholdFacts(
        as_of=DAY,
        region_code="341503100201",
        is_urban=False,
        members=members or (member(),),
        assets=assets,
        has_declaration=declared,
        is_single_person=single,
        applicant_id=applicant,
        support_mode=support_mode,
        care_level=care_level,
        details=details or {},
    )


def standards(program: str, **values: str) -> Standards:
    return Standards(
        program=program,
        region_code="341503000000",
        day=DAY,
        values={k: D(v) for k, v in values.items()},
        sources=dict.fromkeys(values, "341503000000 2026-01-01"),
    )
