"""系统管理 → 审计日志: auditors, county leaders and administrators search the events of their
scope; there is no way to change or delete one; the list exports to Excel."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from minzheng.core.audit import audit_record
from minzheng.core.models import AuditEvent, Role
from tests.conftest import OTHER_COUNTY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, VILLAGE, make_user
from tests.factories import make_household

pytestmark = pytest.mark.django_db

READERS = {Role.AUDITOR, Role.SYSTEM_ADMIN, Role.COUNTY_LEADER}


@pytest.fixture
def events(personas):
    make_household(personas.village_assistant, region_code=VILLAGE)
    make_household(personas.other_township_clerk, region_code=OTHER_TOWNSHIP_VILLAGE)
    make_household(personas.other_county_officer, region_code=OTHER_COUNTY_VILLAGE)


def shown(client, **params):
    response = client.get("/system/audit/", params)
    assert response.status_code == 200
    return [line.event for line in response.context["lines"]]


@pytest.mark.parametrize("url", ["/system/audit/", "/system/audit/export.xlsx"])
def test_only_auditors_leaders_and_admins_may_search(client, personas, url):
    for user in personas.all():
        client.force_login(user)
        expected = 200 if user.role in READERS else 404
        assert client.get(url).status_code == expected, user.username


def test_the_search_shows_only_events_in_scope(client, personas, events):
    client.force_login(personas.auditor)
    regions = {e.region_code for e in shown(client)}
    assert regions == {VILLAGE, OTHER_TOWNSHIP_VILLAGE}
    other = make_user("auditor2", Role.AUDITOR, "640324000000")
    client.force_login(other)
    assert {e.region_code for e in shown(client)} == {OTHER_COUNTY_VILLAGE}


def test_a_region_prefix_outside_the_scope_finds_nothing(client, personas, events):
    client.force_login(personas.auditor)
    assert shown(client, region="640324") == []
    assert {e.region_code for e in shown(client, region="341503101")} == {OTHER_TOWNSHIP_VILLAGE}


def test_filters_by_user_action_object_and_date(client, personas, events):
    client.force_login(personas.system_admin)
    by_user = shown(client, username="village")
    assert by_user and all(e.actor_username == "village" for e in by_user)
    created = shown(client, action="household.create")
    assert len(created) == 2
    household = created[0]
    assert shown(client, object_type="Household", object_id=household.object_id) == [household]
    today = timezone.localdate()
    assert len(shown(client, date_from=today, date_to=today)) == len(shown(client))
    assert shown(client, date_to=today - datetime.timedelta(days=1)) == []


def test_a_reversed_date_range_is_explained(client, personas):
    client.force_login(personas.auditor)
    response = client.get("/system/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.context["form"].errors["date_to"] == ["结束日期不能早于开始日期"]


def test_events_read_in_chinese(client, personas, events):
    client.force_login(personas.auditor)
    html = client.get("/system/audit/").content.decode()
    assert "新建家庭" in html and "陶洪村" in html and "村(社区)民政协理员" in html


def test_the_list_is_paged(client, personas):
    for i in range(60):
        audit_record(
            actor=personas.county_officer,
            action="person.update",
            object_type="Person",
            object_id=i,
            region_code=VILLAGE,
        )
    client.force_login(personas.auditor)
    assert len(shown(client)) == 50
    assert len(shown(client, page=2)) == 10


def test_the_page_offers_no_way_to_change_an_event(client, personas, events):
    client.force_login(personas.system_admin)
    count = AuditEvent.objects.count()
    assert client.post("/system/audit/", {"action": "delete"}).status_code == 405
    main = client.get("/system/audit/").content.decode().split("<main", 1)[1]
    assert 'method="post"' not in main.split("</main>")[0]
    assert AuditEvent.objects.count() == count


def test_the_export_holds_the_filtered_events_in_scope(client, personas, events):
    client.force_login(personas.auditor)
    response = client.get("/system/audit/export.xlsx", {"action": "household.create"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("时间", "操作人", "角色", "操作人区划", "操作")
    assert {r[8] for r in rows[1:]} == {VILLAGE, OTHER_TOWNSHIP_VILLAGE}
    assert {r[4] for r in rows[1:]} == {"新建家庭"}


def test_events_written_by_the_command_line_name_the_system(client, personas):
    audit_record(
        actor=None, action="user.create", object_type="User", object_id=1, region_code=VILLAGE
    )
    client.force_login(personas.auditor)
    [line] = client.get("/system/audit/").context["lines"]
    assert line.who == "系统"


def test_changed_fields_are_named_in_chinese(client, personas):
    audit_record(
        actor=personas.county_officer,
        action="household.member_add",
        object_type="Household",
        object_id=1,
        region_code=VILLAGE,
        changes={"member": [None, "x"], "relationship": [None, "child"], "address": ["a", "b"]},
    )
    client.force_login(personas.auditor)
    [line] = client.get("/system/audit/").context["lines"]
    assert line.fields == "家庭住址、成员、与户主关系"  # by field name, on every database
