"""疑点核实 and 漏保线索 pages: the flags in the user's scope (overdue first), filtered and
exported; a township clerk never sees another township's; the flag's page with its evidence
under the schema's Chinese headings, the match weight, the case, review and household; the
work form confirming or dismissing through the services, refusing an empty reason in Chinese
and answering 409 when the flag was worked meanwhile."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.matching.models import FlagStatus, MatchFlag
from minzheng.matching.rules import RULES
from tests.matching.pages_world import make_dataset, make_flag, make_run
from tests.matching.support import county_for
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("matching:flag_list")
CANDIDATES = reverse("matching:candidate_list")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 23), tick=False):
        yield


@pytest.fixture
def county(regions, personas):
    return county_for(personas)


@pytest.fixture
def flags(personas, county):
    """苏埠镇: a death (overdue), a vehicle; 韩摆渡镇: a vehicle; 陶洪村: an 80+ candidate."""
    officer = personas.county_officer
    deaths = make_dataset(officer, "death")
    vehicles = make_dataset(officer, "vehicle", source="裕安区交警大队")
    run = make_run(officer, rules=["death_id", "vehicle", "age_allowance_missing"])
    death = make_flag(
        run,
        "death_id",
        county.sole,
        county.sole_case,
        dataset=deaths,
        row_no=17,
        due_on=datetime.date(2026, 11, 10),
        evidence={
            "id_number": county.sole.id_number,
            "name": county.sole.name,
            "sex": "M",
            "death_date": "2026-10-03",
            "place": "六安市人民医院",
        },
        summary="死亡数据显示该人员已于2026-10-03死亡,次月起暂停发放,请核实",
    )
    car = make_flag(
        run,
        "vehicle",
        county.head,
        county.family_case,
        dataset=vehicles,
        row_no=3,
        evidence={
            "id_number": county.head.id_number,
            "name": county.head.name,
            "plate_number": "皖N12345",
            "vehicle_type": "小型轿车",
            "value": "85000.00",
        },
        summary="家庭成员名下登记有小型轿车(皖N12345),超过财产限定条件,请复核",
    )
    far = make_flag(
        run,
        "vehicle",
        county.tekun,
        county.tekun_case,
        dataset=vehicles,
        row_no=4,
        summary="家庭成员名下登记有小型轿车(皖N67890),超过财产限定条件,请复核",
    )
    elder = make_flag(
        run,
        "age_allowance_missing",
        county.elder,
        None,
        program="age_allowance",
        evidence={"figure": "81"},
        summary="该老年人已满81周岁,未享受高龄津贴,建议纳入",
    )
    return {"death": death, "car": car, "far": far, "elder": elder, "run": run}


def url(name: str, flag: MatchFlag) -> str:
    return reverse(f"matching:{name}", args=[flag.pk])


def test_the_list_puts_overdue_flags_first(client, personas, flags):
    client.force_login(personas.county_officer)
    html = client.get(LIST).content.decode()
    assert "共 4 个疑点" in html and "1 个已超期" in html
    assert html.index("赵老汉") < html.index("王大山")
    assert "已超期" in html and "孙福来" in html
    assert flags["death"].person.id_number in html  # staff see the full number


def test_a_township_clerk_never_sees_another_townships_flags(client, personas, flags):
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert "赵老汉" in html and "王大山" in html and "孙福来" not in html
    assert client.get(url("flag_detail", flags["far"])).status_code == 404
    assert client.get(url("flag_detail", flags["car"])).status_code == 200
    rows = xlsx(client.get(LIST, {"export": "xlsx", "status": ""}))
    assert {r[3] for r in rows[1:]} == {"赵老汉", "王大山", "钱老太"}
    client.force_login(personas.other_township_clerk)
    html = client.get(LIST).content.decode()
    assert "孙福来" in html and "赵老汉" not in html
    response = client.post(url("flag_dismiss", flags["car"]), {"reason": "不是本人"})
    assert response.status_code == 404


def test_roles_without_matching_are_refused(client, personas, flags):
    for who in (personas.village_assistant, personas.hospital_clerk):
        client.force_login(who)
        assert client.get(LIST).status_code == 403
        assert client.get(url("flag_detail", flags["car"])).status_code == 403


def test_the_list_filters(client, personas, flags):
    client.force_login(personas.county_officer)
    part = client.get(LIST, {"rule": "vehicle"}, **HTMX).content.decode()
    assert "<html" not in part and "王大山" in part and "赵老汉" not in part
    part = client.get(LIST, {"region": "341503101000"}, **HTMX).content.decode()
    assert "孙福来" in part and "王大山" not in part
    part = client.get(LIST, {"overdue": "on"}, **HTMX).content.decode()
    assert "赵老汉" in part and "王大山" not in part
    part = client.get(LIST, {"program": "tekun"}, **HTMX).content.decode()
    assert "孙福来" in part and "赵老汉" not in part
    part = client.get(LIST, {"q": "王大"}, **HTMX).content.decode()
    assert "王大山" in part and "孙福来" not in part
    part = client.get(LIST, {"status": "confirmed"}, **HTMX).content.decode()
    assert "没有符合条件的疑点" in part
    part = client.get(LIST, {"run": str(flags["run"].pk)}, **HTMX).content.decode()
    assert "共 4 个疑点" in part


def xlsx(response) -> list[list]:
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_list_exports_to_excel(client, personas, flags):
    client.force_login(personas.county_officer)
    rows = xlsx(client.get(LIST, {"export": "xlsx"}))
    assert rows[0][:4] == ["核实时限", "超期工作日", "比对规则", "姓名"]
    assert rows[1][2] == "死亡人员(身份证号)" and rows[1][3] == "赵老汉" and rows[1][1]
    assert len(rows) == 5


def test_candidates_are_grouped_by_the_program_to_join(client, personas, flags):
    client.force_login(personas.county_officer)
    html = client.get(CANDIDATES).content.decode()
    assert "钱老太" in html and "建议纳入:" in html and "高龄津贴" in html
    assert "王大山" not in html and "赵老汉" not in html
    client.force_login(personas.other_township_clerk)
    assert "钱老太" not in client.get(CANDIDATES).content.decode()


def test_the_flag_page_shows_the_evidence_with_chinese_headings(client, personas, flags):
    client.force_login(personas.township_clerk)
    html = client.get(url("flag_detail", flags["death"])).content.decode()
    for text in ("比对依据", "死亡日期", "2026-10-03", "死亡地点", "六安市人民医院", "性别", "男"):
        assert text in html
    assert "原文件第 17 行" in html and "案件详情" in html
    assert reverse("programs:case_detail", args=[flags["death"].case_id]) in html
    assert "核实属实" in html and "核实不属实" in html
    html = client.get(url("flag_detail", flags["car"])).content.decode()
    assert "号牌号码" in html and "皖N12345" in html and "车辆价值(元)" in html
    # the household's members, the flagged one marked
    assert "家庭成员" in html and "李秀英" in html and "王二山" in html and "疑点人员" in html
    assert (
        "暂停发放" in html
        and "终止保障" in html
        and "建议纳入" not in html.split("核实属实")[0][-200:]
    )


def test_a_probabilistic_hit_shows_its_match_weight(client, personas, county, flags):
    flag = make_flag(
        flags["run"],
        "death_fuzzy",
        county.spouse,
        county.family_case,
        match_weight="14.25",
        evidence={"name": "李秀英", "birth_date": "1962-07-09", "death_date": "2026-09-30"},
    )
    client.force_login(personas.county_officer)
    html = client.get(url("flag_detail", flag)).content.decode()
    default = RULES["death_fuzzy"].default_threshold
    assert "匹配权重 14.25" in html and f"默认阈值 {default}" in html and "可能不是同一人" in html


def test_a_candidate_is_confirmed_by_referral(client, personas, flags):
    client.force_login(personas.township_clerk)
    html = client.get(url("flag_detail", flags["elder"])).content.decode()
    assert "建议纳入(转乡镇受理)" in html and "终止保障" not in html


def test_the_work_form_refuses_an_empty_reason_in_chinese(client, personas, flags):
    client.force_login(personas.township_clerk)
    response = client.post(url("flag_dismiss", flags["car"]), {"reason": ""})
    assert response.status_code == 200 and "请填写不属实的理由" in response.content.decode()
    response = client.post(url("flag_confirm", flags["car"]), {"outcome": "", "reason": ""})
    html = response.content.decode()
    assert "请选择处理结果" in html and "请填写核实情况及理由" in html
    assert MatchFlag.objects.get(pk=flags["car"].pk).status == FlagStatus.OPEN


def test_a_flag_worked_meanwhile_answers_409(client, personas, flags):
    MatchFlag.objects.filter(pk=flags["car"].pk).update(
        status=FlagStatus.DISMISSED, outcome_reason="车辆已于2025年过户"
    )
    client.force_login(personas.township_clerk)
    response = client.post(url("flag_dismiss", flags["car"]), {"reason": "不是本人"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "该疑点已由他人核实" in html and "车辆已于2025年过户" in html


def test_readers_without_the_verb_cannot_work_a_flag(client, personas, flags):
    client.force_login(personas.auditor)
    html = client.get(url("flag_detail", flags["car"])).content.decode()
    assert "核实不属实</button>" not in html
    response = client.post(url("flag_dismiss", flags["car"]), {"reason": "x"})
    assert response.status_code == 403
