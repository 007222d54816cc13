"""Standards: which row holds for a region and day, who may set one, the audit, and the
recalculation of paying cases from the month a change takes effect."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.http import Http404

from minzheng.core.models import AuditEvent
from minzheng.programs.models import BenefitPeriod, CaseStatus, Standard
from minzheng.programs.services.errors import CaseError
from minzheng.programs.services.standards import (
    STANDARD_ENDS_BEFORE_START,
    STANDARD_NOT_ALLOWED,
    STANDARD_REGION_LEVEL,
    STANDARD_VALUE_INVALID,
    first_month_from,
    standard_list,
    standard_set,
    standards_for,
)
from minzheng.programs.standard_defaults import DEFAULTS, standards_seed
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.programs.recalc_support import at, paying_case

pytestmark = pytest.mark.django_db

COUNTY = "341503000000"
TOWNSHIP = "341503100000"  # 苏埠镇, VILLAGE's township
D = Decimal


def row(parameter, region_code, valid_from, value, valid_to=None, program="dibao_rural"):
    return Standard.objects.create(
        program=program,
        parameter=parameter,
        region_code=region_code,
        valid_from=valid_from,
        valid_to=valid_to,
        value=D(value),
    )


def standard(region_code, day, parameter="monthly_standard", program="dibao_rural"):
    return standards_for(program=program, region_code=region_code, day=day).get(parameter)


def test_the_latest_row_on_or_before_the_day_holds(regions):
    row("monthly_standard", COUNTY, datetime.date(2025, 1, 1), "700")
    row("monthly_standard", COUNTY, datetime.date(2026, 1, 1), "765")
    row("monthly_standard", COUNTY, datetime.date(2026, 7, 1), "790")
    assert standard(VILLAGE, datetime.date(2025, 12, 31)) == 700
    assert standard(VILLAGE, datetime.date(2026, 1, 1)) == 765
    assert standard(VILLAGE, datetime.date(2026, 6, 30)) == 765
    assert standard(VILLAGE, datetime.date(2026, 7, 1)) == 790


def test_a_townships_row_beats_its_countys(regions):
    row("monthly_standard", COUNTY, datetime.date(2026, 1, 1), "765")
    row("monthly_standard", TOWNSHIP, datetime.date(2025, 1, 1), "800")
    row("min_payment", COUNTY, datetime.date(2026, 1, 1), "30")
    found = standards_for(program="dibao_rural", region_code=VILLAGE, day=datetime.date(2026, 3, 1))
    assert found.get("monthly_standard") == 800
    assert found.sources["monthly_standard"] == f"{TOWNSHIP} 2025-01-01"
    # parameters the township does not set come from the county
    assert found.get("min_payment") == 30
    assert found.sources["min_payment"] == f"{COUNTY} 2026-01-01"
    # another township reads the county's
    assert standard(OTHER_TOWNSHIP_VILLAGE, datetime.date(2026, 3, 1)) == 765


def test_a_row_ends_at_its_valid_to_and_the_county_holds_again(regions):
    row("monthly_standard", COUNTY, datetime.date(2026, 1, 1), "765")
    row("monthly_standard", TOWNSHIP, datetime.date(2026, 1, 1), "800", datetime.date(2026, 7, 1))
    assert standard(VILLAGE, datetime.date(2026, 6, 30)) == 800
    assert standard(VILLAGE, datetime.date(2026, 7, 1)) == 765


def test_programs_keep_their_own_rows(regions):
    row("monthly_standard", COUNTY, datetime.date(2026, 1, 1), "765", program="dibao_rural")
    row("monthly_standard", COUNTY, datetime.date(2026, 1, 1), "820", program="dibao_urban")
    day = datetime.date(2026, 3, 1)
    assert standard(VILLAGE, day, program="dibao_urban") == 820
    assert standard(VILLAGE, day, program="dibao_rural") == 765


def test_unset_parameters_take_the_policy_default_and_required_ones_are_missing(regions):
    found = standards_for(program="dibao_rural", region_code=VILLAGE, day=datetime.date(2026, 3, 1))
    assert found.get("max_houses") == 1
    assert "max_houses" not in found.sources
    with pytest.raises(Exception, match="monthly_standard"):
        found.get("monthly_standard")


def test_the_seed_sets_every_program_and_keeps_existing_rows(regions, personas):
    row("monthly_standard", COUNTY, datetime.date(2026, 1, 1), "700")
    written = standards_seed(
        region_code=COUNTY, valid_from=datetime.date(2026, 1, 1), actor=personas.county_officer
    )
    assert written == sum(len(v) for v in DEFAULTS.values()) - 1
    assert standard(VILLAGE, datetime.date(2026, 3, 1)) == 700
    day = datetime.date(2026, 3, 1)
    for program, values in DEFAULTS.items():
        found = standards_for(program=program, region_code=VILLAGE, day=day)
        for parameter in values:
            found.get(parameter)
    assert AuditEvent.objects.filter(action="standard.set").count() == 1


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (datetime.date(2026, 7, 1), datetime.date(2026, 7, 1)),
        (datetime.date(2026, 7, 2), datetime.date(2026, 8, 1)),
        (datetime.date(2026, 12, 31), datetime.date(2027, 1, 1)),
    ],
)
def test_a_change_counts_from_the_first_month_starting_on_or_after_it(day, month):
    assert first_month_from(day) == month


# -- setting a standard ------------------------------------------------------------------------


def set_(actor, **kwargs):
    data = {
        "program": "dibao_rural",
        "parameter": "monthly_standard",
        "region_code": COUNTY,
        "valid_from": datetime.date(2026, 7, 1),
        "value": "790",
        "note": "六政办〔2026〕12号",
    }
    data.update(kwargs)
    return standard_set(actor=actor, **data)


@pytest.mark.parametrize("who", ["county_officer", "county_leader", "system_admin"])
def test_the_county_sets_standards_and_the_audit_says_so(personas, who):
    actor = getattr(personas, who)
    saved = set_(actor)
    assert saved.value == D("790") and saved.created_by == actor
    event = AuditEvent.objects.get(action="standard.set")
    assert event.actor == actor
    assert event.region_code == COUNTY
    assert event.changes["value"] == [None, "790.0000"]
    assert event.changes["parameter"] == "monthly_standard"
    assert event.reason == "六政办〔2026〕12号"


@pytest.mark.parametrize(
    "who", ["township_clerk", "township_leader", "village_assistant", "auditor"]
)
def test_no_one_else_sets_standards(personas, who):
    with pytest.raises(CaseError) as err:
        set_(getattr(personas, who), region_code=TOWNSHIP)
    assert err.value.message == STANDARD_NOT_ALLOWED
    assert not Standard.objects.exists()


def test_another_countys_officer_does_not_see_our_county(personas):
    with pytest.raises(Http404):
        set_(personas.other_county_officer)


def test_a_township_may_have_its_own_but_a_village_may_not(personas):
    assert set_(personas.county_officer, region_code=TOWNSHIP).region_code == TOWNSHIP
    with pytest.raises(CaseError) as err:
        set_(personas.county_officer, region_code=VILLAGE)
    assert err.value.message == STANDARD_REGION_LEVEL


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"value": "-1"}, "value", STANDARD_VALUE_INVALID),
        ({"value": "abc"}, "value", STANDARD_VALUE_INVALID),
        ({"value": "1.00001"}, "value", STANDARD_VALUE_INVALID),
        ({"valid_to": datetime.date(2026, 7, 1)}, "valid_to", STANDARD_ENDS_BEFORE_START),
        ({"parameter": "monthly_standrad"}, "parameter", None),
        ({"program": "dibao"}, "program", None),
    ],
)
def test_it_refuses_what_it_cannot_store(personas, kwargs, field, message):
    with pytest.raises(CaseError) as err:
        set_(personas.county_officer, **kwargs)
    assert field in err.value.errors
    if message:
        assert err.value.errors[field] == [message]


def test_a_second_value_for_the_same_day_replaces_the_first(personas):
    set_(personas.county_officer, value="780")
    set_(personas.county_officer, value="790")
    assert Standard.objects.get().value == D("790")
    last = AuditEvent.objects.filter(action="standard.set").order_by("-id").first()
    assert last.changes["value"] == ["780.0000", "790.0000"]


def test_the_list_shows_the_county_and_the_users_township(personas):
    set_(personas.county_officer)
    set_(personas.county_officer, region_code=TOWNSHIP, value="800")
    set_(personas.county_officer, region_code="341503101000", value="810")
    mine = {s.region_code for s in standard_list(user=personas.township_clerk)}
    assert mine == {COUNTY, TOWNSHIP}
    assert standard_list(user=personas.county_officer, program="dibao_rural").count() == 3
    assert not standard_list(user=personas.other_county_officer).exists()


# -- recalculation after a change --------------------------------------------------------------


@pytest.fixture
def seeded(personas):
    standards_seed(region_code=COUNTY, valid_from=datetime.date(2026, 1, 1))


@time_machine.travel(at(2026, 7, 15), tick=False)
def test_a_new_standard_recalculates_paying_cases_from_its_month(personas, seeded):
    clerk = personas.county_officer
    # 790 - 200 = 590 x 3 = 1770 + one elder 79 = 1849
    case = paying_case(clerk, pci="200.00", counted=3, extras={"elderly": 1}, amount="1849.00")
    other = paying_case(clerk, region_code=OTHER_TOWNSHIP_VILLAGE, amount="1770.00")
    stopped = paying_case(clerk, status=CaseStatus.SUSPENDED, amount="1770.00")
    urban = paying_case(clerk, program="dibao_urban", amount="1770.00")
    set_(personas.county_officer, valid_from=datetime.date(2026, 7, 1), value="820")

    case.refresh_from_db()
    # (820 - 200) x 3 + 82 = 1942
    assert case.monthly_amount == D("1942.00")
    period = case.benefit_periods.get(valid_from=datetime.date(2026, 7, 1))
    assert period.reason == BenefitPeriod.Reason.STANDARD_CHANGE
    assert period.monthly_amount == D("1942.00")
    assert period.calculation["previous_amount"] == "1849.00"
    # the approval period before it stays as it was
    assert case.benefit_periods.get(valid_from=datetime.date(2026, 1, 1)).monthly_amount == D(
        "1849.00"
    )
    other.refresh_from_db()
    assert other.monthly_amount == D("1860.00")
    for untouched in (stopped, urban):
        untouched.refresh_from_db()
        assert untouched.monthly_amount == D("1770.00")
        assert untouched.benefit_periods.count() == 1
    event = AuditEvent.objects.get(action="standard.recalculate")
    assert event.changes["cases"] == 2
    assert event.changes["from_month"] == "2026-07-01"
    assert event.actor == personas.county_officer


@time_machine.travel(at(2026, 7, 15), tick=False)
def test_a_townships_standard_recalculates_only_its_cases(personas, seeded):
    clerk = personas.county_officer
    mine = paying_case(clerk, amount="1770.00")
    theirs = paying_case(clerk, region_code=OTHER_TOWNSHIP_VILLAGE, amount="1770.00")
    set_(personas.county_officer, region_code=TOWNSHIP, value="800")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.monthly_amount == D("1800.00")
    assert theirs.monthly_amount == D("1770.00")
    # a later county change leaves the township's own standard in force for its cases
    set_(personas.county_officer, valid_from=datetime.date(2026, 7, 2), value="850")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.monthly_amount == D("1800.00")
    assert theirs.benefit_periods.get(valid_from=datetime.date(2026, 8, 1)).monthly_amount == D(
        "1950.00"
    )
    # August has not begun: the case's current amount stays until it does
    assert theirs.monthly_amount == D("1770.00")


@time_machine.travel(at(2026, 7, 15), tick=False)
def test_a_back_dated_change_replaces_the_period_of_its_month(personas, seeded):
    case = paying_case(
        personas.township_clerk, amount="1770.00", start_month=datetime.date(2026, 5, 1)
    )
    set_(personas.county_officer, valid_from=datetime.date(2026, 5, 1), value="800")
    periods = list(case.benefit_periods.values_list("valid_from", "monthly_amount", "reason"))
    assert periods == [
        (datetime.date(2026, 5, 1), D("1800.00"), BenefitPeriod.Reason.STANDARD_CHANGE)
    ]


@time_machine.travel(at(2026, 7, 15), tick=False)
def test_numbers_that_do_not_change_amounts_recalculate_nothing(personas, seeded):
    paying_case(personas.county_officer, amount="1770.00")
    set_(personas.county_officer, parameter="deadline_survey", value="7")
    set_(
        personas.county_officer, program="temporary_emergency", parameter="cap_amount", value="9000"
    )
    assert not AuditEvent.objects.filter(action="standard.recalculate").exists()
    assert BenefitPeriod.objects.count() == 1


@time_machine.travel(at(2026, 7, 15), tick=False)
def test_an_unchanged_amount_writes_no_period(personas, seeded):
    paying_case(personas.county_officer, amount="1770.00")
    set_(personas.county_officer, parameter="extra_ratio_minor", value="0.2")
    assert BenefitPeriod.objects.count() == 1
    assert AuditEvent.objects.get(action="standard.recalculate").changes["cases"] == 0


@time_machine.travel(at(2026, 9, 15), tick=False)
def test_a_case_that_started_after_the_change_is_recalculated_from_its_start(personas, seeded):
    later = paying_case(
        personas.county_officer, amount="1770.00", start_month=datetime.date(2026, 8, 1)
    )
    set_(personas.county_officer, valid_from=datetime.date(2026, 7, 1), value="800")
    later.refresh_from_db()
    assert later.monthly_amount == D("1800.00")
    periods = list(later.benefit_periods.values_list("valid_from", "monthly_amount", "reason"))
    assert periods == [
        (datetime.date(2026, 8, 1), D("1800.00"), BenefitPeriod.Reason.STANDARD_CHANGE)
    ]
