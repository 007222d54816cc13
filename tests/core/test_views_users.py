"""系统管理 → 用户管理: system administrators only, within their scope, through the services."""

from __future__ import annotations

import pytest

from minzheng.core.models import AuditEvent, Role, User
from tests.conftest import OTHER_COUNTY_VILLAGE, PASSWORD, VILLAGE, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Cun-Mima-2026-xyz"
USER_PAGES = ["/system/users/", "/system/users/new/", "/system/users/import/"]


def new_user_form(**overrides):
    data = {
        "username": "cun042",
        "full_name": "王五",
        "phone": "13800000042",
        "role": Role.VILLAGE_ASSISTANT,
        "region_code": f"{VILLAGE} 陶洪村",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("url", USER_PAGES)
def test_every_role_but_system_admin_gets_404(client, personas, url):
    for user in personas.all():
        client.force_login(user)
        expected = 200 if user.role == Role.SYSTEM_ADMIN else 404
        assert client.get(url).status_code == expected, (user.username, url)


def test_editing_a_user_is_refused_to_non_admins(client, personas):
    target = personas.village_assistant
    client.force_login(personas.county_officer)
    assert client.get(f"/system/users/{target.pk}/").status_code == 404
    response = client.post(f"/system/users/{target.pk}/password/", {"password1": "x"})
    assert response.status_code == 404


def test_the_list_shows_only_users_in_scope(client, personas):
    client.force_login(personas.system_admin)
    users = list(client.get("/system/users/").context["page"])
    assert personas.village_assistant in users
    assert personas.other_county_officer not in users


def test_the_list_filters_by_role_region_and_state(client, personas):
    personas.township_leader.is_active = False
    personas.township_leader.save()
    client.force_login(personas.system_admin)

    def names(**params):
        return {u.username for u in client.get("/system/users/", params).context["page"]}

    assert names(role="township_clerk") == {"township", "township2"}
    assert names(region="341503100") == {"village", "village2", "township", "township_leader"}
    assert names(region="341503100000", active="0") == {"township_leader"}
    assert names(q="village2") == {"village2"}


def test_an_admin_creates_a_village_account(client, personas):
    client.force_login(personas.system_admin)
    response = client.post("/system/users/new/", new_user_form())
    assert response.status_code == 302
    user = User.objects.get(username="cun042")
    assert (user.role, user.region_id, user.full_name) == (Role.VILLAGE_ASSISTANT, VILLAGE, "王五")
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_mismatched_passwords_are_refused_on_the_field(client, personas):
    client.force_login(personas.system_admin)
    response = client.post("/system/users/new/", new_user_form(password2="other-Password-1"))
    assert response.context["form"].errors["password2"] == ["两次输入的密码不一致"]


def test_service_errors_land_on_their_fields_in_chinese(client, personas):
    client.force_login(personas.system_admin)
    response = client.post(
        "/system/users/new/",
        new_user_form(
            username="village", role=Role.TOWNSHIP_CLERK, password1="123", password2="123"
        ),
    )
    errors = response.context["form"].errors
    assert "乡镇(街道)一级" in errors["region_code"][0]
    assert not User.objects.filter(role=Role.TOWNSHIP_CLERK, region_id=VILLAGE).exists()


def test_a_taken_username_is_named(client, personas):
    client.force_login(personas.system_admin)
    response = client.post("/system/users/new/", new_user_form(username="village"))
    assert response.context["form"].errors["username"] == ["用户名“village”已被使用"]


def test_a_weak_password_is_explained(client, personas):
    client.force_login(personas.system_admin)
    response = client.post("/system/users/new/", new_user_form(password1="123", password2="123"))
    assert any("密码" in m for m in response.context["form"].errors["password1"])


def test_an_admin_cannot_create_a_user_outside_the_scope(client, personas):
    client.force_login(personas.system_admin)
    response = client.post("/system/users/new/", new_user_form(region_code=OTHER_COUNTY_VILLAGE))
    assert response.context["form"].errors["region_code"] == ["该记录不在您的管辖范围内"]
    assert not User.objects.filter(username="cun042").exists()


def test_an_admin_edits_role_region_and_state(client, personas):
    target = personas.village_assistant
    client.force_login(personas.system_admin)
    response = client.post(
        f"/system/users/{target.pk}/",
        {
            "full_name": "陶洪村协理员",
            "phone": "",
            "role": Role.TOWNSHIP_CLERK,
            "region_code": "341503101000",
            "reason": "调往韩摆渡镇",
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.region_id, target.is_active) == (
        Role.TOWNSHIP_CLERK,
        "341503101000",
        False,
    )
    event = AuditEvent.objects.get(action="user.update", object_id=str(target.pk))
    assert event.reason == "调往韩摆渡镇"


def test_an_admin_cannot_deactivate_the_own_account(client, personas):
    admin = personas.system_admin
    client.force_login(admin)
    response = client.post(
        f"/system/users/{admin.pk}/",
        {"full_name": "admin", "role": Role.SYSTEM_ADMIN, "region_code": admin.region_id},
    )
    assert response.context["form"].errors["is_active"] == ["不能停用自己正在使用的账号"]


def test_users_outside_the_scope_are_not_found(client, personas):
    client.force_login(personas.system_admin)
    other = personas.other_county_officer
    assert client.get(f"/system/users/{other.pk}/").status_code == 404
    assert client.get(f"/system/users/{other.pk}/password/").status_code == 404


def test_a_county_admin_is_not_found_by_a_village_level_scope(client, personas):
    """An admin of 同心县 sees none of 裕安区's users."""
    admin = make_user("admin2", Role.SYSTEM_ADMIN, "640324000000")
    client.force_login(admin)
    users = list(client.get("/system/users/").context["page"])
    assert {u.username for u in users} == {"county2", "admin2"}
    assert client.get(f"/system/users/{personas.village_assistant.pk}/").status_code == 404


def test_an_admin_resets_a_password(client, personas):
    target = personas.village_assistant
    client.force_login(personas.system_admin)
    response = client.post(
        f"/system/users/{target.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)
    assert not target.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="user.set_password", object_id=str(target.pk)).exists()
