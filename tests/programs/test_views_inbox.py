"""我的待办 and 超期督办: each user sees the open steps of the level the role works, within the
scope, the overdue first with how many working days late; the county sees them by township."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from minzheng.programs.models import Step
from tests.programs.conftest import at
from tests.programs.views_support import HTMX, accept, authorize, case_url

pytestmark = pytest.mark.django_db

INBOX = reverse("programs:inbox")
OVERDUE = reverse("programs:overdue")
START = at(2026, 3, 2)


@time_machine.travel(START, tick=False)
def test_the_clerk_sees_the_steps_to_do_with_links_to_the_case(client, personas, family):
    case = accept(personas, family)
    client.force_login(personas.township_clerk)
    html = client.get(INBOX).content.decode()
    assert "核对授权" in html
    assert case.number in html
    assert f"{case_url(case)}#step" in html
    assert "已超期" not in html


@time_machine.travel(START, tick=False)
def test_others_do_not_see_the_steps_they_do_not_work(client, personas, family):
    case = accept(personas, family)
    for user in (
        personas.village_assistant,  # a township step
        personas.county_officer,  # a township step
        personas.other_township_clerk,  # another township
    ):
        client.force_login(user)
        assert case.number not in client.get(INBOX).content.decode(), user


@time_machine.travel(START, tick=False)
def test_an_overdue_step_comes_first_with_its_working_days_late(client, personas, family):
    from tests.programs.conftest import make_family

    late = accept(personas, family)
    other = make_family(personas.township_clerk)
    fresh = accept(personas, other)
    authorize(personas, fresh)
    with time_machine.travel(at(2026, 3, 12), tick=False):
        # authorization of `late` was due 2026-03-05: 5 working days late on 03-12
        client.force_login(personas.township_clerk)
        html = client.get(INBOX).content.decode()
    assert "已超期 5 个工作日" in html
    assert html.index(late.number) < html.index(fresh.number)
    assert "1 件已超期" in html


@time_machine.travel(at(2026, 12, 30), tick=False)
def test_a_deadline_in_a_year_without_holidays_is_marked_provisional(client, personas, family):
    case = accept(personas, family)
    step = case.steps.get(code="authorization")
    assert step.due_provisional  # 3 working days from 12-30 end in 2027
    client.force_login(personas.township_clerk)
    assert "预估" in client.get(INBOX).content.decode()


@time_machine.travel(START, tick=False)
def test_the_county_sees_overdue_steps_by_township(client, personas, family):
    case = accept(personas, family)
    Step.objects.filter(case=case, code="authorization").update(due_on=at(2026, 2, 20).date())
    client.force_login(personas.county_officer)
    html = client.get(OVERDUE).content.decode()
    assert "苏埠镇" in html
    assert "?township=341503100000" in html
    response = client.get(OVERDUE, {"township": "341503100000"}, **HTMX)
    part = response.content.decode()
    assert "<html" not in part
    assert case.number in part and "已超期" in part


def test_the_overdue_page_is_the_countys(client, personas):
    client.force_login(personas.township_clerk)
    assert client.get(OVERDUE).status_code == 403
    client.force_login(personas.other_county_officer)
    html = client.get(OVERDUE).content.decode()
    assert "苏埠镇" not in html


def test_the_menu_links_the_case_pages(client, personas):
    client.force_login(personas.township_clerk)
    html = client.get(INBOX).content.decode()
    assert "社会救助" in html and "待办事项" in html and "一门受理" in html
    assert "超期督办" not in html
    client.force_login(personas.county_officer)
    html = client.get(INBOX).content.decode()
    assert "超期督办" in html and "一门受理" not in html
    client.force_login(personas.hospital_clerk)
    assert "社会救助" not in client.get(reverse("dashboard")).content.decode()
    assert client.get(INBOX).status_code == 403
