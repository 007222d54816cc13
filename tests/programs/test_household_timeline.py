"""A household's assistance history on one page includes the amount changes a standard change
wrote in bulk, not only the events recorded case by case."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from minzheng.programs.selectors import household_timeline
from minzheng.programs.services.standards import standard_set
from tests.programs.conftest import at
from tests.programs.dynamic_support import enrolled_case

pytestmark = pytest.mark.django_db


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_a_standard_change_shows_in_the_households_history(personas, family, standards):
    case = enrolled_case(personas.township_clerk, family.household, amount="500.00")
    case.per_capita_income = Decimal("300.00")
    case.counted_members = 3
    case.save(update_fields=["per_capita_income", "counted_members"])
    standard_set(
        actor=personas.county_officer,
        program="dibao_rural",
        parameter="monthly_standard",
        region_code="341503000000",
        valid_from=datetime.date(2026, 7, 1),
        value=Decimal("850"),
        note="六安市2026年低保标准调整",
    )
    entries = household_timeline(user=personas.township_clerk, household=family.household)
    changes = [e for e in entries if e.action == "case.benefit_change"]
    assert changes, [e.action for e in entries]
    latest = changes[0]
    assert latest.case == case
    assert latest.changes["from_month"] == "2026-07-01"
    assert latest.changes["amount"][0] == "500.00"
    assert Decimal(latest.changes["amount"][1]) > Decimal("500.00")


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_the_case_page_says_a_standard_change_replaced_the_calculated_amount(
    client, personas, family, standards
):
    case = enrolled_case(personas.township_clerk, family.household, amount="500.00")
    case.per_capita_income, case.counted_members = Decimal("300.00"), 3
    case.calculation = {"amount": "500.00", "lines": [{"label": "x", "formula": "", "value": ""}]}
    case.save(update_fields=["per_capita_income", "counted_members", "calculation"])
    standard_set(
        actor=personas.county_officer,
        program="dibao_rural",
        parameter="monthly_standard",
        region_code="341503000000",
        valid_from=datetime.date(2026, 7, 1),
        value=Decimal("850"),
    )
    client.force_login(personas.township_clerk)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "因救助标准调整,自2026-07起月保障金额为" in html
