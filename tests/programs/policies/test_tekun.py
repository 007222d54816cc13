"""特困供养: the 三无 test, basic living plus care by care level, the funeral grant."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minzheng.programs.policies import policy_for
from minzheng.programs.policies.base import care_level_from_failed_items, round_money
from minzheng.programs.policies.tekun import (
    CARE_LEVEL_MISSING,
    HAS_SUPPORTER,
    HAS_WORK_CAPACITY,
    INCOME_TOO_HIGH,
    ORPHAN_CHOSEN,
    SUPPORTER_UNKNOWN,
    funeral_grant,
    tekun_amount,
)
from tests.programs.policies.facts import D, asset, household, member, standards

BASE = {
    "basic_living_standard": "1027",
    "care_standard_self_care": "206",
    "care_standard_partial": "344",
    "care_standard_full": "687",
    "centralized_care_multiplier": "1.5",
    "dibao_standard": "790",
    "funeral_grant": "3000",
}
ALONE = {"has_able_supporter": False}


def tekun(**overrides: str):
    return standards("tekun", **{**BASE, **overrides})


def facts(*, age=70, income="0", care="self_care", mode="dispersed", details=None, **kw):
    return household(
        member(1, age=age, income=income, **kw),
        care_level=care,
        support_mode=mode,
        details=ALONE if details is None else details,
    )


@pytest.mark.parametrize(
    ("care", "mode", "overrides", "expected"),
    [
        ("self_care", "dispersed", {}, "1233.00"),
        ("partial", "dispersed", {}, "1371.00"),
        ("full", "dispersed", {}, "1714.00"),
        # care raised by half in a care home: 1027 + 687 x 1.5
        ("full", "centralized", {}, "2057.50"),
        ("full", "centralized", {"rounding_unit": "1"}, "2058.00"),
        ("self_care", "centralized", {"centralized_care_multiplier": "1"}, "1233.00"),
    ],
)
def test_it_pays_basic_living_plus_the_care_standard(care, mode, overrides, expected):
    calc = policy_for("tekun").benefit(
        facts=facts(care=care, mode=mode), standards=tekun(**overrides)
    )
    assert calc.amount == D(expected)
    assert calc.lines[-1].value == f"{expected} 元"
    assert calc.inputs["counted_members"] == 1


def test_the_worked_calculation_names_the_care_level_and_sources():
    calc = policy_for("tekun").benefit(
        facts=facts(care="full", mode="centralized"), standards=tekun()
    )
    lines = {line.label: (line.formula, line.value) for line in calc.lines}
    assert lines["照料护理标准"] == ("完全丧失生活自理能力", "687.00 元")
    assert lines["月供养金额"][0] == "1027.00 + 687.00 × 1.5(集中供养)"
    assert set(calc.standards) >= {"basic_living_standard", "care_standard_full"}


@pytest.mark.parametrize(
    ("kwargs", "capable"),
    [
        ({"age": 60}, False),
        ({"age": 15}, False),
        ({"age": 16}, True),
        ({"age": 59}, True),
        ({"age": 40, "disability": "intellectual", "grade": 3}, False),
        ({"age": 40, "disability": "mental", "grade": 4}, True),
        ({"age": 40, "disability": "physical", "grade": 2}, False),
        ({"age": 40, "disability": "physical", "grade": 3}, True),
        ({"age": 40, "disability": "visual", "grade": 1}, False),
        ({"age": 40, "disability": "visual", "grade": 2}, True),
        ({"age": 40, "disability": "hearing", "grade": 1}, True),
    ],
)
def test_work_capacity_follows_age_and_disability(kwargs, capable):
    result = policy_for("tekun").eligibility(facts=facts(**kwargs), standards=tekun())
    assert result.eligible == (not capable)
    if capable:
        assert result.reasons == [HAS_WORK_CAPACITY.format(age=kwargs["age"])]


def test_income_at_the_dibao_standard_refuses():
    result = policy_for("tekun").eligibility(facts=facts(income="790"), standards=tekun())
    assert result.reasons == [INCOME_TOO_HIGH.format(income="790.00", standard="790.00")]
    ok = policy_for("tekun").eligibility(facts=facts(income="789.99"), standards=tekun())
    assert ok.eligible


def test_financial_assets_count_only_where_the_county_sets_a_limit():
    household_facts = household(
        member(1, age=70), assets=(asset("deposit", "50000"),), care_level="full", details=ALONE
    )
    assert policy_for("tekun").eligibility(facts=household_facts, standards=tekun()).eligible
    limited = tekun(asset_financial_limit="18960")
    result = policy_for("tekun").eligibility(facts=household_facts, standards=limited)
    assert result.reasons == ["金融资产50000.00元,超过特困人员认定上限18960.00元"]


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        ({}, SUPPORTER_UNKNOWN),
        ({"has_able_supporter": True}, HAS_SUPPORTER),
        ({"has_able_supporter": False}, ""),
    ],
)
def test_an_able_supporter_refuses(details, reason):
    result = policy_for("tekun").eligibility(facts=facts(details=details), standards=tekun())
    assert result.reasons == ([reason] if reason else [])


def test_a_minor_receiving_the_orphan_allowance_is_not_tekun():
    details = {"has_able_supporter": False, "receives_orphan_allowance": True}
    result = policy_for("tekun").eligibility(
        facts=facts(age=12, details=details), standards=tekun()
    )
    assert result.reasons == [ORPHAN_CHOSEN]


def test_without_a_care_assessment_nothing_is_paid():
    calc = policy_for("tekun").benefit(facts=facts(care=""), standards=tekun())
    assert calc.amount == 0
    assert CARE_LEVEL_MISSING in calc.lines[-1].formula


@pytest.mark.parametrize(
    ("failed", "level"),
    [
        ([], "self_care"),
        (["eating"], "partial"),
        (["eating", "dressing", "bathing"], "partial"),
        (["eating", "dressing", "bathing", "toileting"], "full"),
    ],
)
def test_the_care_level_follows_the_six_items(failed, level):
    assert care_level_from_failed_items(len(failed)) == level


def test_details_are_validated():
    tekun_policy = policy_for("tekun")
    assert tekun_policy.validate_details({"has_able_supporter": False}) == {}
    errors = tekun_policy.validate_details({"has_able_supporter": "no", "self_care_failed": ["x"]})
    assert set(errors) == {"has_able_supporter", "self_care_failed"}
    assert "has_able_supporter" in tekun_policy.validate_details({})


def test_the_funeral_grant_is_the_local_lump_sum():
    calc = funeral_grant(tekun())
    assert calc.amount == D("3000.00")
    assert calc.lines[0].label == "丧葬补助"
    assert calc.standards == {"funeral_grant": "341503000000 2026-01-01"}


money = st.decimals(min_value=0, max_value=5000, places=2)


@settings(max_examples=300, deadline=None)
@given(
    money,
    money,
    st.decimals(min_value=1, max_value=3, places=2),
    st.booleans(),
    st.sampled_from([D("0.01"), D("1"), D("10")]),
)
def test_the_amount_is_never_negative_nor_above_its_ceiling(basic, care, multiplier, home, unit):
    amount = tekun_amount(basic, care, multiplier, home, unit)
    assert 0 <= amount <= round_money(basic + care * multiplier, unit)
