"""The landing's summaries and its evidence carried out of the rule (matching.landing,
matching.apply): a division code reads as the division's name; a death's evidence is the same
whether the rule carried it (DuckDB) or the landing read it from the dataset."""

from __future__ import annotations

import datetime

import pytest

from minzheng.matching.models import MatchFlag, RunStatus
from minzheng.matching.services.datasets import dataset_upload, dataset_validate
from minzheng.matching.services.runs import run_execute, run_start
from tests.matching.support import county_for
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

UNKNOWN_VILLAGE = "652301100201"  # not in the test regions


@pytest.fixture
def county(regions, personas, time_machine, tmp_path):
    time_machine.move_to(at(2026, 11, 22), tick=False)
    county = county_for(personas)

    def deliver(kind: str, header: str, *rows: str) -> None:
        path = tmp_path / f"{kind}.csv"
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        dataset = dataset_upload(
            actor=personas.county_officer,
            kind=kind,
            source="县直部门",
            data_date=datetime.date(2026, 11, 20),
            file=path,
            file_name=path.name,
        )
        dataset = dataset_validate(dataset, actor=personas.county_officer)
        assert dataset.status == "active", dataset.message

    deliver(
        "program_enrollment",
        "身份证号,姓名,保障项目,保障地",
        f"{county.head.id_number},王大山,农村低保,640324100201",
        f"{county.sole.id_number},赵老汉,城市低保,{UNKNOWN_VILLAGE}",
    )
    deliver("death", "身份证号,姓名,死亡日期", f"{county.sole.id_number},赵老汉,2026-11-03")
    return county


def test_a_double_enrollment_names_the_other_county(county, personas):
    run = run_execute(
        run_start(actor=personas.county_officer, rules=["double_enrollment"], enqueue=False)
    )
    assert run.status == RunStatus.DONE, run.message
    summaries = {f.person_id: f.summary for f in MatchFlag.objects.filter(rule="double_enrollment")}
    assert summaries[county.head.pk].startswith("该人员同时在同心县豫海镇新区村享受")
    # a division the registry does not know reads as its code
    assert summaries[county.sole.pk].startswith(f"该人员同时在{UNKNOWN_VILLAGE}享受")
    flag = MatchFlag.objects.get(rule="double_enrollment", person_id=county.head.pk)
    assert flag.evidence["enrolled_region"] == "640324100201"


def test_a_death_carries_its_whole_evidence_row(county, personas):
    run = run_execute(run_start(actor=personas.county_officer, rules=["death_id"], enqueue=False))
    assert run.status == RunStatus.DONE, run.message
    flag = MatchFlag.objects.get(rule="death_id")
    assert flag.person_id == county.sole.pk
    assert flag.row_no == 2
    assert flag.evidence["id_number"] == county.sole.id_number
    assert flag.evidence["name"] == "赵老汉"
    assert flag.evidence["death_date"] == "2026-11-03"
    assert "row_no" not in flag.evidence
    assert flag.summary == "死亡数据显示该人员已于2026年11月3日死亡,次月起暂停发放,请核实"
