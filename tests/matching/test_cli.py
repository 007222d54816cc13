"""`minzheng match`: import a delivery (GBK CSV with a column mapping), run the rules with a
progress bar and the summary per rule, list and show runs; a refused delivery exits 1."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from minzheng.matching.models import DatasetStatus, ExternalDataset, MatchFlag, MatchRun
from tests.matching.support import county_for
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(regions, personas, time_machine):
    time_machine.move_to(at(2026, 11, 22), tick=False)
    return county_for(personas)


def match(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("match", *args, stdout=out, stderr=err)
    return out.getvalue()


def deaths_csv(path, rows, encoding="gbk"):
    lines = ["公民身份号码,死者姓名,死亡时间,备注"]
    lines += [f"{number},{name},{day},{note}" for number, name, day, note in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_import_then_run_flags_the_death(county, tmp_path):
    csv = deaths_csv(
        tmp_path / "deaths.csv",
        [(county.sole.id_number, county.sole.name, "2026-11-03", "")],
    )
    out = match(
        "import",
        "--kind",
        "death",
        "--source",
        "县公安局",
        "--date",
        "2026-11-20",
        "--encoding",
        "gbk",
        "--map",
        "公民身份号码=id_number,死者姓名=name,死亡时间=death_date",
        "--user",
        "county",
        str(csv),
    )
    assert "状态:在用" in out
    assert "数据 1 行,有效 1 行" in out
    dataset = ExternalDataset.objects.get(kind="death")
    assert dataset.status == DatasetStatus.ACTIVE
    assert dataset.source == "县公安局"

    out = match(
        "run", "--region", "341503000000", "--rules", "death_id,vehicle", "--as-of", "2026-11-22"
    )
    run = MatchRun.objects.get()
    assert run.status == "done", run.message
    assert run.number in out
    assert "新增疑点 1 条" in out
    assert "死亡人员(身份证号):命中 1 条,新增疑点 1 条" in out
    assert "家庭拥有机动车:未执行" in out
    flag = MatchFlag.objects.get()
    assert flag.person_id == county.sole.pk
    assert flag.evidence["death_date"] == "2026-11-03"

    assert run.number in match("list")
    shown = match("show", run.number)
    assert "状态:已完成" in shown
    assert "死亡人员(身份证号)" in shown


def test_a_refused_delivery_prints_its_problems_and_exits_1(county, tmp_path):
    csv = deaths_csv(
        tmp_path / "deaths.csv",
        [
            (county.sole.id_number, county.sole.name, "2026-11-03", ""),
            (county.head.id_number, county.head.name, "2026-13-45", ""),
        ],
        encoding="utf-8",
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as e:
        call_command(
            "match",
            "import",
            "--kind",
            "death",
            "--source",
            "县公安局",
            "--date",
            "2026-11-20",
            "--map",
            "公民身份号码=id_number,死者姓名=name,死亡时间=death_date",
            "--region",
            "341503000000",
            str(csv),
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "校验未通过" in str(e.value)
    assert "第3行" in out.getvalue()
    assert "2026-13-45" in out.getvalue()
    assert ExternalDataset.objects.get().status == DatasetStatus.REFUSED


def test_a_second_run_while_one_is_live_is_refused(county):
    from minzheng.matching.services.runs import run_start

    run_start(
        actor=None, region_code="341503000000", rules=["age_allowance_missing"], enqueue=False
    )
    with pytest.raises(CommandError) as e:
        match("run", "--region", "341503000000", "--rules", "age_allowance_missing")
    assert "正在进行的比对批次" in str(e.value)


def test_a_bad_mapping_or_missing_file_is_refused(county, tmp_path):
    with pytest.raises(CommandError) as e:
        match(
            "import",
            "--kind",
            "death",
            "--source",
            "县公安局",
            "--date",
            "2026-11-20",
            "--map",
            "身份证号=idno",
            str(tmp_path / "nothing.csv"),
        )
    assert "不存在" in str(e.value)
    csv = deaths_csv(tmp_path / "d.csv", [])
    with pytest.raises(CommandError) as e:
        match(
            "import",
            "--kind",
            "death",
            "--source",
            "县公安局",
            "--date",
            "2026-11-20",
            "--map",
            "身份证号=idno",
            str(csv),
        )
    assert "没有字段“idno”" in str(e.value)


def test_unknown_run_and_empty_list(county):
    assert "没有比对批次" in match("list")
    with pytest.raises(CommandError):
        match("show", "BD0000")
