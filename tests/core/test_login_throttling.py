"""Guessing passwords on /login/: five failures lock that account from that address
(django-axes, username + IP address) for the cool-off time; a system administrator can
unlock it early in the admin site."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD, Personas

pytestmark = pytest.mark.django_db

ADDRESS = "10.20.30.40"
LOCKED = 429


def login(client: Client, username: str, password: str, address: str = ADDRESS) -> int:
    response = client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int) -> list[int]:
    return [login(client, username, "wrong-password") for _ in range(times)]


def test_the_limit_is_five_failures() -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_four_failures_still_let_the_right_password_in(client: Client, personas: Personas) -> None:
    assert fail(client, "village", 4) == [200] * 4
    assert login(client, "village", PASSWORD) == 302
    assert logged_in(client)


def test_five_failures_lock_the_account_and_the_right_password_is_refused(
    client: Client, personas: Personas
) -> None:
    statuses = fail(client, "village", 5)
    assert statuses[:4] == [200] * 4
    assert statuses[4] == LOCKED
    assert login(client, "village", PASSWORD) == LOCKED
    assert not logged_in(client)
    attempt = AccessAttempt.objects.get(username="village", ip_address=ADDRESS)
    assert attempt.failures_since_start == 6  # the refused right password counts as well


def test_the_lock_holds_only_for_that_account_from_that_address(
    client: Client, personas: Personas
) -> None:
    fail(client, "village", 5)
    assert login(client, "village2", PASSWORD) == 302  # another account, same address
    client.logout()
    assert login(client, "village", PASSWORD, address="10.20.30.41") == 302
    assert logged_in(client)


def test_a_system_administrator_unlocks_the_account_in_the_admin(
    client: Client, system_admin_client: Client, personas: Personas
) -> None:
    fail(client, "village", 5)
    attempt = AccessAttempt.objects.get(username="village")
    listing = system_admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "village" in listing.content.decode()
    response = system_admin_client.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert login(client, "village", PASSWORD) == 302
    assert logged_in(client)


def test_an_administrator_sees_no_lockouts_of_accounts_outside_the_county(
    client: Client, system_admin_client: Client, personas: Personas
) -> None:
    fail(client, "county2", 5)  # 同心县
    listing = system_admin_client.get("/admin/axes/accessattempt/")
    assert "county2" not in listing.content.decode()
