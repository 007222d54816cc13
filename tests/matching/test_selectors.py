"""The reads of 信息比对: every one scoped (a township's flags only, a county's datasets and
runs), a run's summary per rule and township with new and repeated hits and the confirmed and
dismissed rates, and the year's figures."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from minzheng.matching import selectors
from minzheng.matching.models import DatasetStatus, FlagStatus, MatchFlag
from tests.matching.pages_world import make_dataset, make_flag, make_run
from tests.matching.support import county_for
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

SUBU = "341503100000"
HANBAIDU = "341503101000"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 23), tick=False):
        yield


@pytest.fixture
def county(regions, personas):
    return county_for(personas)


@pytest.fixture
def runs(personas, county):
    """October's run raised a vehicle flag (dismissed) in 苏埠镇; November's hit it again and
    raised a death (confirmed, suspend) in 苏埠镇, a vehicle (open) in 韩摆渡镇 and a candidate
    (referred) in 陶洪村."""
    officer = personas.county_officer
    october = make_run(officer, rules=["vehicle"])
    november = make_run(
        officer,
        rules=["death_id", "vehicle", "business"],
        rule_counts={
            "death_id": {"hits": 1, "new": 1, "seconds": 0.4},
            "vehicle": {"hits": 2, "new": 1, "seconds": 0.7},
            "business": {"skipped": "没有在用的工商登记数据"},
        },
    )
    make_flag(
        october,
        "vehicle",
        county.head,
        county.family_case,
        status=FlagStatus.DISMISSED,
        last_run=november,
    )
    make_flag(
        november,
        "death_id",
        county.sole,
        county.sole_case,
        status=FlagStatus.CONFIRMED,
        outcome="suspend",
    )
    make_flag(november, "vehicle", county.tekun, county.tekun_case)
    make_flag(
        november,
        "age_allowance_missing",
        county.elder,
        status=FlagStatus.CONFIRMED,
        outcome="referred",
        program="age_allowance",
    )
    return october, november


def test_datasets_are_the_countys(personas):
    officer = personas.county_officer
    mine = make_dataset(officer)
    other = make_dataset(personas.other_county_officer, region_code="640324000000")
    assert list(selectors.datasets_for(officer)) == [mine]
    assert list(selectors.datasets_for(personas.township_clerk)) == [mine]
    assert list(selectors.datasets_for(personas.other_county_officer)) == [other]
    assert selectors.active_datasets(officer) == {"death": mine}
    make_dataset(officer, "vehicle", status=DatasetStatus.REFUSED)
    assert set(selectors.active_datasets(officer)) == {"death"}


def test_runs_are_the_countys_and_cover_its_townships(personas, runs):
    assert selectors.runs_for(personas.county_officer).count() == 2
    assert selectors.runs_for(personas.township_clerk).count() == 2
    assert selectors.runs_for(personas.other_county_officer).count() == 0


def test_flags_are_scoped_to_the_township(personas, county, runs):
    names = {f.person.name for f in selectors.flags_for(personas.township_clerk)}
    assert names == {"王大山", "赵老汉", "钱老太"}
    names = {f.person.name for f in selectors.flags_for(personas.other_township_clerk)}
    assert names == {"孙福来"}
    assert selectors.flags_for(personas.county_officer).count() == 4
    assert selectors.flags_for(personas.other_county_officer).count() == 0
    assert {f.person.name for f in selectors.flags_for(personas.village_assistant)} == {
        "王大山",
        "钱老太",
    }


def test_a_runs_summary_counts_per_rule_and_township(personas, runs):
    _october, november = runs
    summary = selectors.run_summary(november, personas.county_officer)
    assert summary["whole_run"]
    assert [t["code"] for t in summary["townships"]] == [SUBU, HANBAIDU]
    assert [t["name"] for t in summary["townships"]] == ["苏埠镇", "韩摆渡镇"]
    rules = {r["code"]: r for r in summary["rules"]}
    assert list(rules) == ["death_id", "vehicle", "age_allowance_missing"]
    vehicle = rules["vehicle"]
    assert (vehicle["hits"], vehicle["new"], vehicle["repeated"]) == (2, 1, 1)
    assert (vehicle["open"], vehicle["confirmed"], vehicle["dismissed"]) == (1, 0, 1)
    assert (vehicle["confirmed_rate"], vehicle["dismissed_rate"]) == (0, 100)
    assert vehicle["by_township"] == [1, 1] and vehicle["seconds"] == 0.7
    death = rules["death_id"]
    assert death["by_township"] == [1, 0] and death["confirmed_rate"] == 100
    assert summary["skipped"] == [
        {"code": "business", "label": "家庭成员登记市场主体", "reason": "没有在用的工商登记数据"}
    ]
    totals = summary["totals"]
    assert (totals["hits"], totals["new"], totals["repeated"]) == (4, 3, 1)
    assert totals["by_township"] == [3, 1]
    assert (totals["confirmed_rate"], totals["dismissed_rate"]) == (67, 33)


def test_a_township_reads_its_own_column_only(personas, runs):
    _october, november = runs
    summary = selectors.run_summary(november, personas.other_township_clerk)
    assert not summary["whole_run"]
    assert [t["code"] for t in summary["townships"]] == [HANBAIDU]
    rules = {r["code"]: r for r in summary["rules"]}
    assert rules["vehicle"]["hits"] == 1 and rules["vehicle"]["by_township"] == [1]
    assert rules["death_id"]["hits"] == 0
    assert summary["totals"]["hits"] == 1


def test_the_years_figures(personas, runs):
    figures = selectors.matching_figures(personas.county_officer)
    assert figures["year"] == 2026 and figures["runs"] == 2
    assert (figures["raised"], figures["open"]) == (4, 1)
    assert (figures["confirmed"], figures["dismissed"]) == (2, 1)
    assert figures["candidates_referred"] == 1 and figures["cases_suspended"] == 1
    assert figures["confirmed_rate"] == 67
    assert figures["by_rule"][0] == {
        "code": "vehicle",
        "label": "家庭拥有机动车",
        "raised": 2,
        "open": 1,
        "confirmed": 0,
        "dismissed": 1,
        "confirmed_rate": 0,
    }
    assert [t["name"] for t in figures["by_township"]] == ["苏埠镇", "韩摆渡镇"]
    township = selectors.matching_figures(personas.other_township_clerk)
    assert township["raised"] == 1 and township["open"] == 1
    assert selectors.matching_figures(personas.county_officer, year=2025)["raised"] == 0


def test_overdue_flags_are_counted(personas, runs):
    MatchFlag.objects.filter(status=FlagStatus.OPEN).update(due_on=datetime.date(2026, 11, 1))
    assert selectors.matching_figures(personas.county_officer)["overdue"] == 1
    assert timezone.localdate() == datetime.date(2026, 11, 23)
