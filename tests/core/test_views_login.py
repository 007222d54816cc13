"""Login, logout, lockout after repeated failures, and the message after a session expires."""

from __future__ import annotations

import pytest
from django.conf import settings

from minzheng.core.views.auth import SEEN_COOKIE
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_is_in_chinese(client, regions):
    html = client.get("/login/").content.decode()
    assert "登录" in html and "用户名" in html and "密码" in html


def test_a_user_logs_in_and_lands_on_the_dashboard(client, personas):
    response = client.post("/login/", {"username": "village", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[SEEN_COOKIE].value == "1"


def test_a_wrong_password_says_so_clearly(client, personas):
    response = client.post("/login/", {"username": "village", "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码不正确" in html
    assert f"连续输错{settings.AXES_FAILURE_LIMIT}次" in html


def test_an_inactive_account_cannot_log_in(client, personas):
    personas.village_assistant.is_active = False
    personas.village_assistant.save()
    response = client.post("/login/", {"username": "village", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_with_a_clear_message(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "village", "password": "wrong"})
    response = client.post("/login/", {"username": "village", "password": PASSWORD})
    assert response.status_code == 429
    html = response.content.decode()
    assert "账号已暂时锁定" in html
    assert "30分钟后再试" in html
    assert "_auth_user_id" not in client.session


def test_an_expired_session_is_explained_at_the_login_page(client, regions):
    client.cookies[SEEN_COOKIE] = "1"
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=/")
    assert "会话已过期,请重新登录" in response.content.decode()


def test_a_first_visit_is_asked_to_log_in_not_told_of_expiry(client, regions):
    html = client.get("/", follow=True).content.decode()
    assert "请先登录" in html
    assert "会话已过期" not in html


def test_logout_is_a_post_and_ends_the_session(client, personas):
    client.force_login(personas.village_assistant)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/", follow=True)
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert "您已安全退出" in html
    assert "会话已过期" not in html


def test_a_logged_in_user_skips_the_login_page(client, personas):
    client.force_login(personas.village_assistant)
    assert client.get("/login/").status_code == 302
