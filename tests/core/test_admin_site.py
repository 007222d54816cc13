"""The admin site (系统管理): who may enter, and that every change made there goes through the
services (audited, validated with Chinese messages) and stays inside the admin's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minzheng.core.admin import PASSWORDS_DIFFER, REGION_PARENT_MISSING
from minzheng.core.audit import audit_record
from minzheng.core.models import AuditEvent, CalendarDay, Region, Role, User
from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.core.services.users import PASSWORD_TOO_SHORT, ROLE_NEEDS_LEVEL
from tests.conftest import OTHER_COUNTY_VILLAGE, PASSWORD, VILLAGE, Personas

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Lvshui-Qingshan-88"


def page(response: Any) -> str:
    return str(response.content.decode())


def results(response: Any) -> str:
    """The change list's table of results (the filters beside it list every value)."""
    html = page(response)
    if 'id="result_list"' not in html:
        return ""
    return html.split('id="result_list"', 1)[1].split("</table>", 1)[0]


def new_user_form(**changes: str) -> dict[str, str]:
    data = {
        "username": "cun_yutang",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "role": Role.VILLAGE_ASSISTANT,
        "region": VILLAGE,
        "full_name": "李娟",
        "phone": "13900000002",
    }
    return data | changes


def change_form(user: User, **changes: str) -> dict[str, str]:
    data = {
        "full_name": user.full_name,
        "phone": user.phone,
        "role": user.role,
        "region": user.region_id,
        "is_active": "on",
        "password1": "",
        "password2": "",
        "reason": "",
    }
    return data | changes


# --- Who may enter -------------------------------------------------------------------------


def test_anyone_but_a_staff_member_is_sent_to_the_login(client: Client, personas: Personas) -> None:
    assert client.get("/admin/").status_code == 302
    client.force_login(personas.county_officer)
    assert client.get("/admin/core/user/").status_code == 302


def test_staff_without_the_system_admin_role_sees_nothing(
    client: Client, personas: Personas
) -> None:
    personas.county_leader.is_staff = True
    personas.county_leader.save()
    client.force_login(personas.county_leader)
    assert client.get("/admin/core/region/").status_code == 403
    assert client.get("/admin/core/auditevent/").status_code == 403
    assert "/admin/core/user/" not in page(client.get("/admin/"))


def test_the_system_admin_sees_the_kernel_models(system_admin_client: Client) -> None:
    index = page(system_admin_client.get("/admin/"))
    for url in ["region", "user", "auditevent", "calendarday"]:
        assert f"/admin/core/{url}/" in index
    assert "/admin/auth/group/" not in index
    assert "民政业务平台 系统管理" in index


# --- Regions -------------------------------------------------------------------------------


def test_regions_are_found_by_code_prefix_or_name_and_filtered_by_level(
    system_admin_client: Client,
) -> None:
    by_code = results(system_admin_client.get("/admin/core/region/", {"q": "341503101"}))
    assert "戚桥村" in by_code and "陶洪村" not in by_code
    by_name = results(system_admin_client.get("/admin/core/region/", {"q": "陶洪"}))
    assert "341503100201" in by_name
    townships = results(system_admin_client.get("/admin/core/region/", {"level__exact": "4"}))
    assert "苏埠镇" in townships and "陶洪村" not in townships


def test_a_new_region_takes_level_and_parent_from_its_code_and_is_audited(
    system_admin_client: Client, personas: Personas
) -> None:
    response = system_admin_client.post(
        "/admin/core/region/add/",
        {"code": "341503100202", "name": "余塘村", "urban_rural_code": "220", "is_active": "on"},
    )
    assert response.status_code == 302, page(response)[:3000]
    region = Region.objects.get(code="341503100202")
    assert (region.level, region.parent_id) == (Region.Level.VILLAGE, "341503100000")
    event = AuditEvent.objects.get(action="region.create")
    assert event.actor == personas.system_admin
    assert event.changes["name"] == [None, "余塘村"]


def test_a_region_without_its_parent_or_with_a_bad_code_is_refused(
    system_admin_client: Client,
) -> None:
    orphan = system_admin_client.post(
        "/admin/core/region/add/", {"code": "341503199201", "name": "无主村"}
    )
    assert REGION_PARENT_MISSING.format(parent="341503199000") in page(orphan)
    bad = system_admin_client.post("/admin/core/region/add/", {"code": "3415031", "name": "坏"})
    assert "区划代码“3415031”应为2、4、6、9或12位数字" in page(bad)
    assert not AuditEvent.objects.filter(action="region.create").exists()


def test_renaming_a_region_is_audited_and_regions_are_never_deleted(
    system_admin_client: Client,
) -> None:
    url = f"/admin/core/region/{VILLAGE}/change/"
    form = {"name": "陶洪社区", "urban_rural_code": "121", "is_active": "on"}
    assert system_admin_client.post(url, form).status_code == 302
    event = AuditEvent.objects.get(action="region.update")
    assert event.changes == {"name": ["陶洪村", "陶洪社区"], "urban_rural_code": ["220", "121"]}
    delete = system_admin_client.post(f"/admin/core/region/{VILLAGE}/delete/", {"post": "yes"})
    assert delete.status_code == 403


# --- Users ---------------------------------------------------------------------------------


def test_an_account_added_in_the_admin_goes_through_the_service(
    system_admin_client: Client, personas: Personas
) -> None:
    response = system_admin_client.post("/admin/core/user/add/", new_user_form())
    assert response.status_code == 302, page(response)[:3000]
    created = User.objects.get(username="cun_yutang")
    assert created.check_password(NEW_PASSWORD)
    assert (created.role, created.region_id, created.full_name) == (
        Role.VILLAGE_ASSISTANT,
        VILLAGE,
        "李娟",
    )
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor == personas.system_admin
    assert event.object_id == str(created.pk)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password1": "Ab1", "password2": "Ab1"}, PASSWORD_TOO_SHORT.format(min_length=8)),
        ({"password2": "Something-Else-1"}, str(PASSWORDS_DIFFER)),
        (
            {"region": "341503100000"},
            ROLE_NEEDS_LEVEL.format(role="村(社区)民政协理员", level="村(社区)"),
        ),
        ({"region": OTHER_COUNTY_VILLAGE}, OUT_OF_SCOPE),
        ({"username": "village"}, "用户名“village”已被使用"),
    ],
)
def test_an_account_the_service_refuses_shows_its_message_and_is_not_created(
    system_admin_client: Client, personas: Personas, changes: dict[str, str], message: str
) -> None:
    response = system_admin_client.post("/admin/core/user/add/", new_user_form(**changes))
    assert response.status_code == 200
    assert message in page(response)
    assert not User.objects.filter(username="cun_yutang").exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_changing_an_account_is_audited_with_its_reason(
    system_admin_client: Client, personas: Personas
) -> None:
    target = personas.village_assistant
    form = change_form(target, region="341503100001", phone="13700000000", reason="调到苏埠社区")
    response = system_admin_client.post(f"/admin/core/user/{target.pk}/change/", form)
    assert response.status_code == 302, page(response)[:3000]
    target.refresh_from_db()
    assert (target.region_id, target.phone) == ("341503100001", "13700000000")
    event = AuditEvent.objects.get(action="user.update")
    assert event.reason == "调到苏埠社区"
    assert event.changes["region_id"] == [VILLAGE, "341503100001"]
    assert not AuditEvent.objects.filter(action="user.set_password").exists()


def test_a_new_password_in_the_change_form_is_validated_and_audited(
    system_admin_client: Client, personas: Personas
) -> None:
    target = personas.village_assistant
    url = f"/admin/core/user/{target.pk}/change/"
    weak = system_admin_client.post(url, change_form(target, password1="Ab1", password2="Ab1"))
    assert PASSWORD_TOO_SHORT.format(min_length=8) in page(weak)
    good = change_form(target, password1=NEW_PASSWORD, password2=NEW_PASSWORD)
    assert system_admin_client.post(url, good).status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.set_password").count() == 1


def test_deactivating_an_account_stops_its_login(
    client: Client, system_admin_client: Client, personas: Personas
) -> None:
    target = personas.village_assistant
    form = change_form(target)
    del form["is_active"]
    system_admin_client.post(f"/admin/core/user/{target.pk}/change/", form)
    client.post("/login/", {"username": "village", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="user.update").changes["is_active"] == [True, False]


def test_accounts_outside_the_admins_county_are_not_shown(
    system_admin_client: Client, personas: Personas
) -> None:
    listing = results(system_admin_client.get("/admin/core/user/"))
    assert "township2" in listing and "county2" not in listing
    other = personas.other_county_officer
    response = system_admin_client.get(f"/admin/core/user/{other.pk}/change/")
    assert response.status_code == 302  # "does not exist", back to the list
    form = change_form(other, phone="1")
    system_admin_client.post(f"/admin/core/user/{other.pk}/change/", form)
    other.refresh_from_db()
    assert other.phone == ""


def test_accounts_are_deactivated_not_deleted(
    system_admin_client: Client, personas: Personas
) -> None:
    url = f"/admin/core/user/{personas.village_assistant.pk}/delete/"
    assert system_admin_client.post(url, {"post": "yes"}).status_code == 403


# --- Audit log -----------------------------------------------------------------------------


@pytest.fixture
def events(personas: Personas) -> list[AuditEvent]:
    def record(actor: User, action: str, region: str) -> AuditEvent:
        return audit_record(
            actor=actor, action=action, object_type="Person", object_id=7, region_code=region
        )

    return [
        record(personas.village_assistant, "person.update", VILLAGE),
        record(personas.township_clerk, "household.create", "341503100000"),
        record(personas.other_county_officer, "person.delete_mark", OTHER_COUNTY_VILLAGE),
    ]


def test_the_audit_log_is_searchable_by_actor_action_object_and_region(
    system_admin_client: Client, events: list[AuditEvent]
) -> None:
    def found(query: str) -> str:
        return results(system_admin_client.get("/admin/core/auditevent/", {"q": query}))

    assert "person.update" in found("village") and "household.create" not in found("village")
    assert "household.create" in found("household.create")
    assert "person.update" in found("Person")
    assert "household.create" in found("341503100") and "person.update" in found("341503100")
    assert "person.delete_mark" not in found("person")  # another county's event


@pytest.mark.parametrize("superuser", [False, True])
def test_nobody_can_add_change_or_delete_an_audit_event_in_the_admin(
    system_admin_client: Client, personas: Personas, events: list[AuditEvent], superuser: bool
) -> None:
    if superuser:
        personas.system_admin.is_superuser = True
        personas.system_admin.save()
    event = events[0]
    url = f"/admin/core/auditevent/{event.pk}"
    assert system_admin_client.get("/admin/core/auditevent/add/").status_code == 403
    view = system_admin_client.get(f"{url}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in page(view)
    assert system_admin_client.post(f"{url}/change/", {"reason": "x"}).status_code == 403
    assert system_admin_client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    bulk = system_admin_client.post(
        "/admin/core/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, reason="").exists()
    assert AuditEvent.objects.count() == len(events)


# --- Holiday table -------------------------------------------------------------------------


def test_holiday_rows_are_added_and_deleted_with_audit_events(
    system_admin_client: Client,
) -> None:
    response = system_admin_client.post(
        "/admin/core/calendarday/add/", {"date": "2027-10-01", "kind": "holiday", "name": "国庆"}
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date="2027-10-01")
    created = AuditEvent.objects.get(action="calendar_day.create")
    assert created.changes["kind"] == [None, "holiday"]
    response = system_admin_client.post(
        f"/admin/core/calendarday/{day.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    deleted = AuditEvent.objects.get(action="calendar_day.delete")
    assert deleted.changes["date"] == ["2027-10-01", None]


def test_the_region_box_of_the_account_form_finds_regions_as_you_type(
    system_admin_client: Client,
) -> None:
    response = system_admin_client.get(
        "/admin/autocomplete/",
        {"term": "陶洪", "app_label": "core", "model_name": "user", "field_name": "region"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [VILLAGE]
