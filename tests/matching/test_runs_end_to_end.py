"""A run with the real pieces: deliveries received by the intake (CSV, column mapping,
validation), the rules' SQL on DuckDB (and once on Spark), the flags landed; a second run over
the same deliveries raises nothing new."""

from __future__ import annotations

import datetime

import pytest

from minzheng.matching.models import MatchFlag, RunStatus
from minzheng.matching.services.datasets import dataset_upload, dataset_validate
from minzheng.matching.services.runs import run_execute, run_start
from minzheng.programs.models import CaseStatus, Review
from tests.matching.support import county_for
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(regions, personas, time_machine, tmp_path):
    time_machine.move_to(at(2026, 11, 22), tick=False)
    county = county_for(personas)
    officer = personas.county_officer

    def deliver(kind: str, header: str, *rows: str) -> None:
        path = tmp_path / f"{kind}.csv"
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        dataset = dataset_upload(
            actor=officer,
            kind=kind,
            source="县直部门",
            data_date=datetime.date(2026, 11, 20),
            file=path,
            file_name=path.name,
        )
        dataset = dataset_validate(dataset, actor=officer)
        assert dataset.status == "active", dataset.message

    deliver("death", "身份证号,姓名,死亡日期", f"{county.sole.id_number},赵老汉,2026-11-03")
    deliver(
        "vehicle",
        "身份证号,姓名,号牌号码,车辆类型,车辆价值",
        f"{county.head.id_number},王大山,皖N12345,小型轿车,85000",
    )
    deliver(
        "disability",
        "身份证号,姓名,残疾类别,残疾等级",
        f"{county.disabled.id_number},王二山,肢体残疾,2",
    )
    deliver(
        "employment",
        "身份证号,姓名,工作单位,月工资",
        f"{county.spouse.id_number},李秀英,某厂,3000",
    )
    return county


def flags() -> dict[tuple[str, int], MatchFlag]:
    return {(f.rule, f.person_id): f for f in MatchFlag.objects.all()}


EXACT_RULES = [
    "death_id",
    "vehicle",
    "salary",
    "double_enrollment_internal",
    "disability_care_missing",
    "age_allowance_missing",
]


def test_a_run_over_real_deliveries_raises_the_expected_flags(county, personas):
    run = run_execute(run_start(actor=personas.county_officer, rules=EXACT_RULES, enqueue=False))
    assert run.status == RunStatus.DONE, run.message
    got = flags()
    assert set(got) == {
        ("death_id", county.sole.pk),
        ("vehicle", county.head.pk),
        ("salary", county.spouse.pk),
        ("disability_care_missing", county.disabled.pk),
        ("age_allowance_missing", county.sole.pk),
        ("age_allowance_missing", county.tekun.pk),
        ("age_allowance_missing", county.elder.pk),
    }
    death = got[("death_id", county.sole.pk)]
    assert death.summary == "死亡数据显示该人员已于2026年11月3日死亡,次月起暂停发放,请核实"
    county.sole_case.refresh_from_db()
    assert county.sole_case.status == CaseStatus.SUSPENDED
    salary = got[("salary", county.spouse.pk)]
    assert salary.summary.startswith("就业参保数据显示月工资3000.00元")
    assert salary.review.kind == "data_matching"
    assert got[("disability_care_missing", county.disabled.pk)].review is None
    internal = run.rule_counts["double_enrollment_internal"]
    assert (internal["hits"], internal["new"]) == (0, 0)

    reviews = Review.objects.count()
    again = run_execute(run_start(actor=personas.county_officer, rules=EXACT_RULES, enqueue=False))
    assert again.status == RunStatus.DONE
    assert again.hit_count == run.hit_count
    assert again.new_flag_count == 0
    assert Review.objects.count() == reviews
    assert MatchFlag.objects.count() == len(got)


def test_the_same_run_on_spark_lands_the_same_flags(county, personas):
    rules = ["death_id", "vehicle", "age_allowance_missing"]
    run = run_execute(
        run_start(actor=personas.county_officer, engine="spark", rules=rules, enqueue=False)
    )
    assert run.status == RunStatus.DONE, run.message
    on_spark = {k: (f.evidence_key, f.summary) for k, f in flags().items()}
    MatchFlag.objects.all().delete()
    run = run_execute(run_start(actor=personas.county_officer, rules=rules, enqueue=False))
    on_duckdb = {k: (f.evidence_key, f.summary) for k, f in flags().items()}
    assert on_spark == on_duckdb
    assert len(on_duckdb) == 5
