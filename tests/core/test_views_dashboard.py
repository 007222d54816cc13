"""工作台: counts by child region within the user's scope, and recent activity in scope."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minzheng.core.selectors import region_breakdown
from minzheng.registry.models import Household
from tests.conftest import OTHER_COUNTY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.factories import make_household, make_person

pytestmark = pytest.mark.django_db

SUBU_COMMUNITY = "341503100001"


@pytest.fixture
def county(personas):
    """Two households in 陶洪村 (one dead member, one disabled), one in 苏埠社区, one in 戚桥村
    (created last year), and one in 同心县 outside every 裕安区 scope."""
    officer = personas.county_officer
    first = make_household(officer, region_code=VILLAGE)
    make_person(officer, region_code=VILLAGE, death_date=datetime.date(2024, 1, 5))
    make_household(
        officer,
        region_code=VILLAGE,
        head=make_person(
            officer,
            region_code=VILLAGE,
            disability_category="physical",
            disability_grade=2,
        ),
    )
    make_household(officer, region_code=SUBU_COMMUNITY)
    old = make_household(officer, region_code=OTHER_TOWNSHIP_VILLAGE)
    Household.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    make_household(personas.other_county_officer, region_code=OTHER_COUNTY_VILLAGE)
    return first


def rows_by_name(breakdown):
    return {row.name: row for row in breakdown.rows}


def test_a_county_user_sees_each_township_of_the_county_only(personas, county):
    breakdown = region_breakdown(user=personas.county_officer)
    rows = rows_by_name(breakdown)
    assert set(rows) == {"苏埠镇", "韩摆渡镇"}
    assert (rows["苏埠镇"].households, rows["苏埠镇"].persons) == (3, 3)
    assert rows["苏埠镇"].disabled == 1
    assert rows["苏埠镇"].new_households == 3
    assert (rows["韩摆渡镇"].households, rows["韩摆渡镇"].new_households) == (1, 0)
    assert (breakdown.total.households, breakdown.total.persons) == (4, 4)


def test_a_township_user_sees_each_village_of_the_township(personas, county):
    rows = rows_by_name(region_breakdown(user=personas.township_clerk))
    assert set(rows) == {"苏埠社区", "陶洪村"}
    assert (rows["陶洪村"].households, rows["陶洪村"].persons, rows["陶洪村"].disabled) == (2, 2, 1)
    assert rows["苏埠社区"].persons == 1


def test_a_village_user_sees_only_the_village(personas, county):
    breakdown = region_breakdown(user=personas.village_assistant)
    assert [row.name for row in breakdown.rows] == ["陶洪村"]
    assert breakdown.total.persons == 2


def test_the_dead_are_not_counted_as_residents(personas, county):
    rows = rows_by_name(region_breakdown(user=personas.township_clerk))
    assert rows["陶洪村"].persons == 2  # three registered, one dead


def test_the_other_county_sees_only_its_own_household(personas, county):
    breakdown = region_breakdown(user=personas.other_county_officer)
    assert breakdown.total.households == 1


def test_counts_take_two_queries_whatever_the_number_of_townships(personas, county):
    with CaptureQueriesContext(connection) as queries:
        region_breakdown(user=personas.county_officer)
    aggregates = [q for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert len(aggregates) == 2


def test_the_dashboard_page_shows_counts_and_recent_activity(client, personas, county):
    client.force_login(personas.township_clerk)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "陶洪村" in html and "苏埠社区" in html
    assert "韩摆渡镇" not in html
    assert "新建家庭" in html  # a recent audit event, in Chinese
    assert "新区村" not in html


def test_recent_activity_leaves_out_events_outside_the_scope(client, personas, county):
    client.force_login(personas.other_township_clerk)
    lines = client.get("/").context["events"]
    assert lines
    assert {line.event.region_code for line in lines} == {OTHER_TOWNSHIP_VILLAGE}


def test_the_dashboard_needs_a_login(client, regions):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_admins_are_warned_when_next_year_holidays_are_unknown(client, personas, monkeypatch):
    monkeypatch.setattr("minzheng.core.views.dashboard.year_is_known", lambda year: False)
    client.force_login(personas.system_admin)
    response = client.get("/")
    next_year = timezone.localdate().year + 1
    assert response.context["calendar_year"] == next_year
    assert f"系统尚无{next_year}年的法定节假日安排" in response.content.decode()


def test_other_roles_get_no_calendar_warning(client, personas, monkeypatch):
    monkeypatch.setattr("minzheng.core.views.dashboard.year_is_known", lambda year: False)
    client.force_login(personas.county_officer)
    assert client.get("/").context["calendar_year"] is None


def test_no_warning_once_next_year_is_known(client, personas, monkeypatch):
    monkeypatch.setattr("minzheng.core.views.dashboard.year_is_known", lambda year: True)
    client.force_login(personas.system_admin)
    assert client.get("/").context["calendar_year"] is None


def test_recent_activity_links_each_household_to_its_page(client, personas, county):
    client.force_login(personas.village_assistant)
    lines = [x for x in client.get("/").context["events"] if x.event.object_type == "Household"]
    assert lines
    assert {x.url for x in lines} == {f"/registry/households/{x.event.object_id}/" for x in lines}
    assert all("户(" in x.object_name for x in lines)
