"""`minzheng demo`'s data matching (matching.demo): the departments' deliveries received through
the import, an earlier delivery of deaths superseded, one run on DuckDB whose flags are the
planted hits (and nothing else), two of them worked by the county officer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import transaction
from pytest_django import DjangoDbBlocker

from minzheng.matching.demo import ALREADY, DemoMatchingResult, demo_matching
from minzheng.matching.models import (
    DatasetStatus,
    ExternalDataset,
    FlagStatus,
    MatchFlag,
    MatchRun,
    RunStatus,
)

pytestmark = pytest.mark.django_db
HOUSEHOLDS = 300
COUNTY = "341503000000"


@dataclass
class Demo:
    output: str
    result: DemoMatchingResult


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Demo]:
    """The demo county with 300 households, its cases, money and matching, loaded once for this
    module inside a transaction rolled back after its last test."""
    from minzheng.matching import demo as module

    results: list[DemoMatchingResult] = []
    original = module.demo_matching

    def recording(**kwargs: object) -> DemoMatchingResult:
        result = original(**kwargs)  # type: ignore[arg-type]
        results.append(result)
        return result

    with django_db_blocker.unblock(), transaction.atomic():
        module.demo_matching = recording  # type: ignore[assignment]
        try:
            out = io.StringIO()
            call_command("demo", households=HOUSEHOLDS, stdout=out, stderr=io.StringIO())
        finally:
            module.demo_matching = original
        yield Demo(out.getvalue(), results[0])
        transaction.set_rollback(True)


def test_the_deliveries_are_received_and_the_earlier_deaths_superseded(demo):
    datasets = ExternalDataset.objects.filter(region_code=COUNTY)
    assert datasets.count() == 8 == demo.result.datasets
    active = {d.kind: d for d in datasets.filter(status=DatasetStatus.ACTIVE)}
    assert set(active) == {
        "death",
        "vehicle",
        "business",
        "employment",
        "disability",
        "program_enrollment",
        "hospital",
    }
    earlier = datasets.get(status=DatasetStatus.SUPERSEDED)
    assert earlier.kind == "death" and earlier.data_date < active["death"].data_date
    assert active["death"].supersedes_id == earlier.pk
    # the GBK file with its title row, the XLSX and the Parquet were read as delivered
    assert active["death"].encoding.lower() in ("gbk", "gb18030")
    assert active["vehicle"].file_format == "xlsx"
    assert active["disability"].file_format == "parquet"
    assert all(d.error_rows == 0 and d.valid_rows > 0 for d in datasets)
    # the row with the mistyped ID number is kept for the fuzzy rule
    assert active["death"].invalid_id_rows == 1


def test_the_run_flags_the_planted_hits_and_nothing_else(demo):
    run = MatchRun.objects.get(region_code=COUNTY)
    assert run.status == RunStatus.DONE and run.engine == "duckdb"
    assert demo.result.run_number == run.number
    planted = demo.result.planted
    found: dict[str, set[int]] = {}
    for rule, person in MatchFlag.objects.filter(run=run).values_list("rule", "person_id"):
        found.setdefault(rule, set()).add(person)
    expected = {rule: set(who) if isinstance(who, list) else {who} for rule, who in planted.items()}
    assert set(expected) >= {
        "death_id",
        "death_fuzzy",
        "vehicle",
        "business",
        "salary",
        "double_enrollment",
        "disability_care_missing",
        "age_allowance_missing",
        "hospital_high_cost",
    }
    assert len(expected["vehicle"]) == 2 and len(expected["age_allowance_missing"]) == 3
    # the planted hits, and only them, for the rules the deliveries feed; the cases' demo may
    # itself count a person in two cases, which the rule on the rolls alone finds
    assert {rule: found.get(rule, set()) for rule in expected} == expected
    assert set(found) - set(expected) <= {"double_enrollment_internal"}
    assert sum(demo.result.flags.values()) == MatchFlag.objects.filter(run=run).count()


def test_two_flags_are_worked_by_the_county_officer(demo):
    run = MatchRun.objects.get(region_code=COUNTY)
    worked = MatchFlag.objects.filter(run=run).exclude(status=FlagStatus.OPEN)
    assert {(f.rule, f.status) for f in worked} == {
        ("business", FlagStatus.CONFIRMED),
        ("vehicle", FlagStatus.DISMISSED),
    }
    assert all(f.worked_by.username == "xian" and f.outcome_reason for f in worked)
    assert demo.result.confirmed == demo.result.dismissed == 1
    assert "已生成信息比对" in demo.output and "疑点" in demo.output


def test_a_second_demo_leaves_the_county_alone(demo):
    again = demo_matching(county_code=COUNTY, seed=1)
    assert again.skipped and again.summary() == ALREADY
    assert ExternalDataset.objects.filter(region_code=COUNTY).count() == 8
