"""低保 eligibility and benefit: table-driven edge amounts and properties (policies are pure, no
database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minzheng.programs.policies import policy_for
from minzheng.programs.policies.base import MissingStandard, round_money
from minzheng.programs.policies.dibao import (
    EXTRA_CATEGORIES,
    FINANCIAL_TOO_HIGH,
    INCOME_TOO_HIGH,
    NO_DECLARATION,
    TOO_MANY_HOUSES,
    dibao_amount,
)
from tests.programs.policies.facts import D, asset, household, member, standards

BASE = {
    "monthly_standard": "765",
    "asset_financial_multiple": "24",
    "extra_ratio_elderly": "0.1",
    "extra_ratio_minor": "0.1",
    "extra_ratio_severely_disabled": "0.3",
    "extra_ratio_seriously_ill": "0.2",
}


def rural(**overrides: str):
    return standards("dibao_rural", **{**BASE, **overrides})


def benefit(facts, **overrides: str):
    return policy_for("dibao_rural").benefit(facts=facts, standards=rural(**overrides))


def eligibility(facts, **overrides: str):
    return policy_for("dibao_rural").eligibility(facts=facts, standards=rural(**overrides))


@pytest.mark.parametrize(
    ("incomes", "overrides", "expected"),
    [
        # (765 - 200) x 3
        (("600", "0", "0"), {}, "1695.00"),
        # income exactly at the standard: not eligible, nothing paid
        (("765",), {}, "0.00"),
        # one fen below the standard, floored at the minimum payment
        (("764.99",), {"min_payment": "30"}, "30.00"),
        # one fen below the standard without a floor: one fen
        (("764.99",), {}, "0.01"),
        # per-capita income to the fen: 1000 / 3 = 333.33
        (("1000", "0", "0"), {}, "1295.01"),
        # rounded to the yuan, half up: 1295.01 -> 1295
        (("1000", "0", "0"), {"rounding_unit": "1"}, "1295.00"),
        # (765 - 0) x 1
        (("0",), {}, "765.00"),
        # 0.5 rounds up to the yuan: 765 - 0.5 = 764.50 -> 765
        (("0.5",), {"rounding_unit": "1"}, "765.00"),
        # rounded to 10 yuan, half up: (765 - 102.50) x 2 = 1325 -> 1330
        (("205", "0"), {"rounding_unit": "10"}, "1330.00"),
    ],
)
def test_it_pays_the_gap_to_the_standard_for_every_counted_member(incomes, overrides, expected):
    facts = household(*(member(i + 1, income=x) for i, x in enumerate(incomes)))
    assert benefit(facts, **overrides).amount == D(expected)


def test_deductions_lower_the_income_but_never_below_zero():
    facts = household(member(1, income="100", deductions="300"), member(2))
    calc = benefit(facts)
    assert calc.inputs["per_capita_income"] == "0.00"
    assert calc.amount == D("1530.00")


def test_excluded_and_dead_members_are_neither_counted_nor_their_income():
    facts = household(
        member(1, income="300"),
        member(2, income="5000", counted=False),
        member(3, income="5000", alive=False),
    )
    calc = benefit(facts)
    assert calc.inputs["counted_members"] == 1
    assert calc.amount == D("465.00")


def test_a_single_person_enrollment_counts_only_the_applicant():
    facts = household(
        member(1, income="4000"),
        member(2, income="100", grade=1, disability="physical"),
        single=True,
        applicant=2,
    )
    calc = benefit(facts)
    assert calc.inputs == {
        "per_capita_income": "100.00",
        "counted_members": 1,
        "extra_members": {"severely_disabled": 1},
    }
    # (765 - 100) + 765 x 0.3
    assert calc.amount == D("894.50")
    assert any(line.label == "单人保" for line in calc.lines)


@pytest.mark.parametrize(
    ("member_kwargs", "category"),
    [
        ({"age": 60}, "elderly"),
        ({"age": 59}, ""),
        ({"age": 17}, "minor"),
        ({"age": 18}, ""),
        ({"age": 40, "grade": 2, "disability": "physical"}, "severely_disabled"),
        ({"age": 40, "grade": 3, "disability": "physical"}, ""),
        ({"age": 40, "illness": "尿毒症"}, "seriously_ill"),
        # a disabled elder counts once, in the category with the highest extra
        ({"age": 70, "grade": 1, "disability": "visual"}, "severely_disabled"),
        ({"age": 70, "illness": "癌症"}, "seriously_ill"),
    ],
)
def test_each_member_is_in_at_most_one_classified_category(member_kwargs, category):
    facts = household(member(1, **member_kwargs))
    calc = benefit(facts)
    assert calc.inputs["extra_members"] == ({category: 1} if category else {})


def test_the_elderly_and_minor_ages_are_standards():
    facts = household(member(1, age=65), member(2, age=16))
    calc = benefit(facts, elderly_age="70", minor_age="16")
    assert calc.inputs["extra_members"] == {}


def test_classified_extras_are_shares_of_the_standard_per_member():
    facts = household(
        member(1, income="300", age=45),
        member(2, age=72),
        member(3, age=8),
        member(4, age=30, illness="白血病"),
    )
    calc = benefit(facts)
    # (765 - 75) x 4 + 765 x (0.1 + 0.1 + 0.2)
    assert calc.amount == D("2760.00") + D("306.00")
    labels = [line.label for line in calc.lines]
    assert "分类施保(老年人)" in labels and "分类施保(重病患者)" in labels


def test_the_worked_calculation_reads_as_the_clerk_checks_it():
    facts = household(member(1, income="600"), member(2), member(3))
    calc = benefit(facts)
    lines = {line.label: (line.formula, line.value) for line in calc.lines}
    assert lines["补差金额"] == ("(765.00 − 200.00) × 3 人", "1695.00 元")
    assert lines["月人均收入"] == ("600.00 ÷ 3 人", "200.00 元")
    assert lines["农村低保标准"][1] == "765.00 元"
    assert calc.standards["monthly_standard"] == "341503000000 2026-01-01"
    assert calc.as_json()["amount"] == "1695.00"


def test_the_minimum_payment_shows_as_a_line():
    facts = household(member(1, income="760"))
    calc = benefit(facts, min_payment="30")
    assert calc.amount == D("30.00")
    assert any(line.label == "最低保障金额" for line in calc.lines)


def test_a_missing_standard_names_the_parameter_in_chinese():
    facts = household(member(1))
    with pytest.raises(MissingStandard) as err:
        policy_for("dibao_urban").benefit(facts=facts, standards=standards("dibao_urban"))
    assert "monthly_standard" in err.value.message and "救助标准" in err.value.message


@pytest.mark.parametrize(
    ("assets", "reason"),
    [
        # 24 x 765 = 18360 per head; two members
        ((asset("deposit", "20000"), asset("securities", "16720")), ""),
        (
            (asset("deposit", "20000"), asset("insurance", "16722")),
            FINANCIAL_TOO_HIGH.format(per_capita="18361.00", limit="18360.00", multiple="24"),
        ),
        ((asset("real_estate", "300000"),), ""),
        (
            (asset("real_estate", "300000"), asset("real_estate", "1")),
            TOO_MANY_HOUSES.format(count=2, allowed=1),
        ),
        ((asset("vehicle", "3000"),), ""),  # under the exempt value (mobility scooter)
        ((asset("vehicle", "80000"),), "拥有机动车辆1辆(价值超过5000.00元),超过允许的0辆"),
        ((asset("business", "0"),), "有工商登记1户,超过允许的0户"),
    ],
)
def test_assets_beyond_the_limits_refuse(assets, reason):
    facts = household(member(1), member(2), assets=assets)
    result = eligibility(facts, vehicle_exempt_value="5000")
    assert result.eligible == (not reason)
    assert result.reasons == ([reason] if reason else [])


def test_income_at_the_standard_refuses_naming_the_figures():
    result = eligibility(household(member(1, income="765")))
    assert not result.eligible
    assert result.reasons == [INCOME_TOO_HIGH.format(pci="765.00", standard="765.00")]


def test_a_household_without_declaration_is_not_eligible():
    result = eligibility(household(member(1), declared=False))
    assert result.reasons == [NO_DECLARATION]
    assert benefit(household(member(1), declared=False)).amount == 0


def test_urban_and_rural_read_their_own_programs_label():
    facts = household(member(1))
    urban = policy_for("dibao_urban").benefit(
        facts=facts, standards=standards("dibao_urban", **{**BASE, "monthly_standard": "800"})
    )
    assert urban.amount == D("800.00")
    assert urban.lines[0].label == "城市低保标准"


def test_every_parameter_has_a_chinese_label():
    for code in ("dibao_urban", "dibao_rural"):
        for name, spec in policy_for(code).parameters.items():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.label), name


# -- properties --------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=5000, places=2)
ratio = st.decimals(min_value=0, max_value=1, places=2)
categories = st.dictionaries(st.sampled_from(list(EXTRA_CATEGORIES)), st.integers(0, 3))


@st.composite
def cases(draw):
    standard = draw(st.decimals(min_value=1, max_value=3000, places=2))
    counted = draw(st.integers(0, 8))
    extras = draw(categories)
    ratios = {c: draw(ratio) for c in EXTRA_CATEGORIES}
    min_payment = draw(st.decimals(min_value=0, max_value=standard, places=2))
    unit = draw(st.sampled_from([D("0.01"), D("0.1"), D("1"), D("10")]))
    return standard, counted, extras, ratios, min_payment, unit


@settings(max_examples=300, deadline=None)
@given(cases(), money)
def test_the_amount_is_never_negative_nor_above_the_ceiling(case, pci):
    standard, counted, extras, ratios, min_payment, unit = case
    amount = dibao_amount(standard, pci, counted, extras, ratios, min_payment, unit)
    assert amount >= 0
    most = max(ratios.values())
    ceiling = standard * counted + standard * most * sum(extras.values())
    assert amount <= round_money(ceiling, unit)


@settings(max_examples=300, deadline=None)
@given(cases(), money, money)
def test_more_income_never_pays_more(case, pci, more):
    standard, counted, extras, ratios, min_payment, unit = case
    low, high = sorted((pci, more))
    assert dibao_amount(standard, high, counted, extras, ratios, min_payment, unit) <= (
        dibao_amount(standard, low, counted, extras, ratios, min_payment, unit)
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(money, st.integers(1, 90)), min_size=1, max_size=6))
def test_the_policy_agrees_with_the_bulk_function(people):
    facts = household(*(member(i + 1, income=str(x), age=a) for i, (x, a) in enumerate(people)))
    calc = benefit(facts, min_payment="20", rounding_unit="1")
    ratios = {c: D(BASE[f"extra_ratio_{c}"]) for c in EXTRA_CATEGORIES}
    expected = dibao_amount(
        D("765"),
        Decimal(calc.inputs["per_capita_income"]),
        calc.inputs["counted_members"],
        calc.inputs["extra_members"],
        ratios,
        D("20"),
        D("1"),
    )
    assert calc.amount == expected
    assert calc.amount >= 0
