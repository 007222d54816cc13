"""/api/v1/users/: account management for system administrators, within their scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from minzheng.core.models import AuditEvent, Role, User
from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.core.services.users import USERNAME_TAKEN
from tests.api.conftest import ApiFor
from tests.conftest import VILLAGE, Personas, make_user

URL = "/api/v1/users/"
NEW_PASSWORD = "Village-Pass-2026"


@pytest.mark.django_db
def test_the_list_holds_the_accounts_in_the_admins_scope(
    personas: Personas, api_for: ApiFor
) -> None:
    client = api_for(personas.system_admin)
    body = client.get(URL).json()
    usernames = {u["username"] for u in body["results"]}
    assert "county2" not in usernames, "同心县's officer lies outside 裕安区"
    assert {"village", "township", "admin"} <= usernames
    villages = client.get(URL, {"role": "village_assistant"}).json()["results"]
    assert [(u["username"], u["region_name"]) for u in villages] == [
        ("village2", "苏埠社区"),
        ("village", "陶洪村"),
    ]
    assert client.get(URL, {"region_code": "341503101000"}).json()["count"] == 1


@pytest.mark.django_db
def test_an_admin_creates_a_village_account(personas: Personas, api_for: ApiFor) -> None:
    response = api_for(personas.system_admin).post(
        URL,
        {
            "username": "taohong2",
            "password": NEW_PASSWORD,
            "role": "village_assistant",
            "region_code": VILLAGE,
            "full_name": "陶洪村协理员",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["region_code"] == VILLAGE
    assert "password" not in response.json()
    assert User.objects.get(username="taohong2").check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_account_errors_name_the_api_fields(personas: Personas, api_for: ApiFor) -> None:
    client = api_for(personas.system_admin)
    data = {"username": "x1", "password": NEW_PASSWORD, "role": "village_assistant"}
    wrong_level = client.post(URL, {**data, "region_code": "341503100000"}, format="json")
    assert wrong_level.json()["errors"] == {
        "region_code": ["村(社区)民政协理员应设在村(社区)一级的区划"]
    }
    elsewhere = client.post(URL, {**data, "region_code": "640324100201"}, format="json")
    assert elsewhere.json()["errors"] == {"region_code": [OUT_OF_SCOPE]}
    taken = client.post(URL, {**data, "username": "village", "region_code": VILLAGE})
    assert taken.json()["errors"] == {"username": [USERNAME_TAKEN.format(username="village")]}
    weak = client.post(URL, {**data, "password": "123", "region_code": VILLAGE})
    assert "password" in weak.json()["errors"]


@pytest.mark.django_db
def test_an_admin_moves_and_deactivates_an_account(personas: Personas, api_for: ApiFor) -> None:
    target = personas.village_assistant
    response = api_for(personas.system_admin).patch(
        f"{URL}{target.pk}/",
        {"region_code": "341503101201", "is_active": False, "reason": "调往戚桥村后停用"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    target.refresh_from_db()
    assert (target.region_id, target.is_active) == ("341503101201", False)
    assert AuditEvent.objects.get(action="user.update").reason == "调往戚桥村后停用"


@pytest.mark.django_db
def test_setting_a_password_revokes_the_users_token(personas: Personas, api_for: ApiFor) -> None:
    village = api_for(personas.village_assistant)
    assert village.get("/api/v1/persons/").status_code == 200
    response = api_for(personas.system_admin).post(
        f"{URL}{personas.village_assistant.pk}/set-password/", {"password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    assert village.get("/api/v1/persons/").status_code == 401
    login = APIClient().post(
        "/api/v1/auth/token/", {"username": "village", "password": NEW_PASSWORD}
    )
    assert login.status_code == 200


@pytest.mark.django_db
def test_an_account_outside_the_scope_answers_404(personas: Personas, api_for: ApiFor) -> None:
    client = api_for(personas.system_admin)
    far = personas.other_county_officer.pk
    assert client.get(f"{URL}{far}/").status_code == 404
    assert client.patch(f"{URL}{far}/", {"full_name": "x"}).status_code == 404
    assert client.post(f"{URL}{far}/set-password/", {"password": NEW_PASSWORD}).status_code == 404


@pytest.mark.django_db
def test_only_system_admins_manage_accounts(personas: Personas, api_for: ApiFor) -> None:
    for user in (personas.county_officer, personas.county_leader, personas.auditor):
        client = api_for(user)
        assert client.get(URL).status_code == 403
        assert client.get(f"{URL}{personas.village_assistant.pk}/").status_code == 403


@pytest.mark.django_db
def test_a_provincial_admin_sees_every_county(regions, api_for: ApiFor) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("province_admin", Role.SYSTEM_ADMIN, "340000000000")
    make_user("far", Role.COUNTY_OFFICER, "640324000000")
    usernames = {u["username"] for u in api_for(admin).get(URL).json()["results"]}
    assert usernames == {"province_admin"}, "宁夏 lies outside 安徽"
