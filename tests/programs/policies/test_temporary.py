"""临时救助: the multiple of the reference standard for the assessed hardship, capped; 急难型
needs an emergency, 支出型 low income and a rigid expense."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minzheng.programs.policies import policy_for
from minzheng.programs.policies.base import round_money
from minzheng.programs.policies.temporary import (
    HARDSHIP_TIERS,
    INCOME_TOO_HIGH,
    NO_EMERGENCY_CAUSE,
    NO_EXPENSE,
    NO_HARDSHIP,
    temporary_amount,
)
from tests.programs.policies.facts import D, household, member, standards

BASE = {
    "reference_standard": "790",
    "multiple_minor": "1",
    "multiple_ordinary": "3",
    "multiple_severe": "6",
    "multiple_extreme": "12",
    "cap_amount": "7900",
    "income_limit": "2080",
}


def emergency(details, **overrides):
    return policy_for("temporary_emergency").benefit(
        facts=household(member(1), details=details),
        standards=standards("temporary_emergency", **{**BASE, **overrides}),
    )


def expense(details, income="600", **overrides):
    program = "temporary_expense"
    return policy_for(program).benefit(
        facts=household(member(1, income=income), member(2), details=details),
        standards=standards(program, **{**BASE, **overrides}),
    )


@pytest.mark.parametrize(
    ("tier", "multiple", "overrides", "expected"),
    [
        ("minor", None, {}, "790.00"),
        ("ordinary", None, {}, "2370.00"),
        ("severe", None, {}, "4740.00"),
        # 12 x 790 = 9480 above the cap
        ("extreme", None, {}, "7900.00"),
        # an assessed multiple within the tier
        ("severe", "4.5", {}, "3555.00"),
        # an assessed multiple above the tier is held to the tier's
        ("ordinary", "5", {}, "2370.00"),
        ("minor", "0.5", {"rounding_unit": "10"}, "400.00"),
    ],
)
def test_it_pays_the_tiers_multiple_of_the_standard_capped(tier, multiple, overrides, expected):
    details = {"hardship": tier, "emergency_cause": "fire"}
    if multiple:
        details["multiple"] = multiple
    calc = emergency(details, **overrides)
    assert calc.amount == D(expected)


def test_the_worked_calculation_shows_the_cap():
    calc = emergency({"hardship": "extreme", "emergency_cause": "illness"})
    lines = {line.label: (line.formula, line.value) for line in calc.lines}
    assert lines["计算金额"] == ("790.00 × 12 倍", "9480.00 元")
    assert lines["单次救助上限"][1] == "7900.00 元"
    assert "multiple_extreme" in calc.standards


def test_an_emergency_needs_its_cause_and_a_hardship():
    calc = emergency({})
    assert calc.amount == 0
    result = policy_for("temporary_emergency").eligibility(
        facts=household(member(1, income="90000")), standards=standards("x", **BASE)
    )
    assert result.reasons == [NO_HARDSHIP, NO_EMERGENCY_CAUSE]


def test_an_emergency_has_no_income_test():
    result = policy_for("temporary_emergency").eligibility(
        facts=household(
            member(1, income="90000"), details={"hardship": "minor", "emergency_cause": "fire"}
        ),
        standards=standards("x", **BASE),
    )
    assert result.eligible


@pytest.mark.parametrize(
    ("income", "details", "reasons"),
    [
        ("600", {"hardship": "severe", "rigid_expense": "30000"}, []),
        # per-capita 2080 (4160 / 2) is not below the limit
        (
            "4160",
            {"hardship": "severe", "rigid_expense": "30000"},
            [INCOME_TOO_HIGH.format(pci="2080.00", limit="2080.00")],
        ),
        ("4159.98", {"hardship": "severe", "rigid_expense": "30000"}, []),
        ("600", {"hardship": "severe"}, [NO_EXPENSE]),
        ("600", {"hardship": "severe", "rigid_expense": "0"}, [NO_EXPENSE]),
    ],
)
def test_an_expense_case_needs_low_income_and_a_rigid_expense(income, details, reasons):
    result = policy_for("temporary_expense").eligibility(
        facts=household(member(1, income=income), member(2), details=details),
        standards=standards("temporary_expense", **BASE),
    )
    assert result.reasons == reasons
    assert (expense(details, income=income).amount > 0) == (not reasons)


def test_details_are_validated_per_type():
    emergency_policy = policy_for("temporary_emergency")
    assert emergency_policy.validate_details({"hardship": "minor", "emergency_cause": "fire"}) == {}
    errors = emergency_policy.validate_details({"hardship": "huge", "multiple": "-1"})
    assert set(errors) == {"hardship", "multiple", "emergency_cause"}
    expense_policy = policy_for("temporary_expense")
    assert (
        expense_policy.validate_details(
            {"hardship": "minor", "rigid_expense": "12000", "expense_kind": "medical"}
        )
        == {}
    )
    errors = expense_policy.validate_details({"hardship": "minor", "rigid_expense": "abc"})
    assert errors == {"rigid_expense": ["请填写数字"]}
    assert "rigid_expense" in expense_policy.validate_details({"hardship": "minor"})


def test_every_tier_has_a_multiple_parameter():
    for code in ("temporary_emergency", "temporary_expense"):
        params = policy_for(code).parameters
        assert all(f"multiple_{tier}" in params for tier in HARDSHIP_TIERS)
        assert "township_approval_cap" in params


money = st.decimals(min_value=0, max_value=5000, places=2)


@settings(max_examples=300, deadline=None)
@given(
    money,
    st.decimals(min_value=0, max_value=20, places=1),
    money,
    st.sampled_from([D("0.01"), D("1"), D("10")]),
)
def test_the_amount_is_never_negative_nor_above_the_cap(reference, multiple, cap, unit):
    amount = temporary_amount(reference, multiple, cap, unit)
    assert 0 <= amount <= round_money(cap, unit)
    assert amount <= round_money(reference * multiple, unit)
