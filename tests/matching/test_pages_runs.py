"""比对批次 pages: the list with the year's figures, the start form with each rule's data,
the run's page with its progress bar (polled, surviving a reload) and its hits per rule and
township — a township clerk sees the township's column only."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from minzheng.matching.models import FlagStatus, RunStatus
from tests.matching.pages_world import make_dataset, make_flag, make_run
from tests.matching.support import county_for
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("matching:run_list")
START = reverse("matching:run_start")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 23), tick=False):
        yield


@pytest.fixture
def county(regions, personas):
    return county_for(personas)


@pytest.fixture
def done_run(personas, county):
    """A finished run: a death in 苏埠镇 (confirmed), two vehicles (one in 苏埠镇 dismissed,
    one in 韩摆渡镇 open)."""
    run = make_run(
        personas.county_officer,
        rules=["death_id", "vehicle", "business"],
        rule_counts={
            "death_id": {"hits": 1, "new": 1, "seconds": 0.4},
            "vehicle": {"hits": 2, "new": 2, "seconds": 0.7},
            "business": {"skipped": "没有在用的工商登记数据"},
        },
        hit_count=3,
        new_flag_count=3,
        beneficiary_count=9,
    )
    make_flag(run, "death_id", county.sole, county.sole_case, status=FlagStatus.CONFIRMED)
    make_flag(run, "vehicle", county.head, county.family_case, status=FlagStatus.DISMISSED)
    make_flag(run, "vehicle", county.tekun, county.tekun_case)
    return run


def url(name: str, run) -> str:
    return reverse(f"matching:{name}", args=[run.pk])


def test_the_run_list_shows_runs_and_the_years_figures(client, personas, done_run):
    client.force_login(personas.county_officer)
    html = client.get(LIST).content.decode()
    assert done_run.number in html and "已完成" in html and "发起比对" in html
    assert "2026年比对疑点" in html and "家庭拥有机动车" in html
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert done_run.number in html and "发起比对" not in html
    assert "见批次页(本乡镇)" in html
    client.force_login(personas.other_county_officer)
    assert done_run.number not in client.get(LIST).content.decode()


@pytest.mark.parametrize("who", ["village_assistant", "hospital_clerk"])
def test_roles_without_matching_are_refused(client, personas, done_run, who):
    client.force_login(getattr(personas, who))
    assert client.get(LIST).status_code == 403
    assert client.get(url("run_detail", done_run)).status_code == 403


def test_the_run_page_shows_hits_per_rule_and_township(client, personas, done_run):
    client.force_login(personas.county_officer)
    html = client.get(url("run_detail", done_run)).content.decode()
    assert "死亡人员(身份证号)" in html and "家庭拥有机动车" in html
    assert "苏埠镇" in html and "韩摆渡镇" in html
    assert "未运行的规则" in html and "没有在用的工商登记数据" in html
    # vehicle: one confirmed of none, one dismissed: 不属实 100%
    assert "100%" in html


def test_a_township_clerk_sees_only_the_townships_column(client, personas, done_run):
    client.force_login(personas.township_clerk)
    response = client.get(url("run_detail", done_run))
    html = response.content.decode()
    assert response.status_code == 200
    assert "苏埠镇" in html and "韩摆渡镇" not in html
    assert "本乡镇命中" in html
    client.force_login(personas.other_county_officer)
    assert client.get(url("run_detail", done_run)).status_code == 404


def test_a_running_run_polls_its_progress_and_reloads_when_done(client, personas, county):
    run = make_run(personas.county_officer, status=RunStatus.RUNNING, percent=40, stage="比对")
    client.force_login(personas.county_officer)
    html = client.get(url("run_detail", run)).content.decode()
    assert 'hx-trigger="every 1s"' in html and url("run_progress", run) in html
    assert 'value="40"' in html and "正在比对" in html
    part = client.get(url("run_progress", run), **HTMX)
    assert "<html" not in part.content.decode() and 'value="40"' in part.content.decode()
    run.status = RunStatus.DONE
    run.save()
    done = client.get(url("run_progress", run), **HTMX)
    assert done.headers.get("HX-Refresh") == "true"


def test_the_start_form_greys_rules_without_data(client, personas, county):
    make_dataset(personas.county_officer, "death")
    client.force_login(personas.county_officer)
    html = client.get(START).content.decode()
    assert 'value="death_id" id="rule-death_id" checked' in html
    assert 'value="vehicle" id="rule-vehicle" disabled' in html
    assert "没有在用的“机动车登记”数据" in html
    assert "裕安区公安分局" in html
    client.force_login(personas.township_clerk)
    assert client.get(START).status_code == 403
    client.force_login(personas.county_leader)
    assert client.get(START).status_code == 403


def test_the_start_form_refuses_no_rule(client, personas, county):
    make_dataset(personas.county_officer, "death")
    client.force_login(personas.county_officer)
    response = client.post(START, {"engine": "duckdb"})
    assert response.status_code == 200 and "请至少选择一条比对规则" in response.content.decode()
    response = client.post(START, {"engine": "duckdb", "rules": ["vehicle"]})
    assert "现在不能运行" in response.content.decode()


def test_a_queued_run_is_cancelled_and_a_finished_one_answers_409(client, personas, county):
    run = make_run(personas.county_officer, status=RunStatus.QUEUED)
    client.force_login(personas.township_clerk)
    assert client.post(url("run_cancel", run)).status_code == 403
    client.force_login(personas.county_officer)
    html = client.get(url("run_detail", run)).content.decode()
    assert "取消比对" in html and "排队等待比对" in html
    response = client.post(url("run_cancel", run))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert "该比对已取消" in client.get(url("run_detail", run)).content.decode()
    response = client.post(url("run_cancel", run))
    assert response.status_code == 409


def test_the_menu_shows_the_group_to_those_who_may_see_it(client, personas):
    client.force_login(personas.county_officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert "信息比对" in html and reverse("matching:dataset_list") in html
    assert reverse("matching:flag_list") in html and reverse("matching:candidate_list") in html
    client.force_login(personas.township_clerk)
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("matching:flag_list") in html and reverse("matching:dataset_list") not in html
    client.force_login(personas.village_assistant)
    assert reverse("matching:flag_list") not in client.get(reverse("dashboard")).content.decode()
