"""Chinese by default; English through Django's set_language, for the layout, login, dashboard
and the platform's own pages."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from minzheng.core.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _back_to_chinese():
    """A request in English leaves English active in this thread; later tests expect Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def switch_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302


def test_pages_are_in_simplified_chinese_by_default(client, personas):
    client.force_login(personas.system_admin)
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "工作台" in html and "按区划统计" in html and "系统管理" in html


def test_switching_to_english_translates_the_layout_and_dashboard(client, personas):
    client.force_login(personas.system_admin)
    switch_to_english(client)
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    for label in ("Dashboard", "By region", "Recent activity", "Log out", "System", "Users"):
        assert label in html, label
    assert "System administrator" in html  # the role in the top bar
    assert "按区划统计" not in html


def test_the_login_page_and_its_errors_switch_to_english(client, personas):
    switch_to_english(client)
    html = client.get("/login/").content.decode()
    assert "Log in" in html and "Username" in html
    html = client.post("/login/", {"username": "village", "password": "wrong"}).content.decode()
    assert "Wrong username or password" in html


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("/system/regions/", "Find by code or name"),
        ("/system/users/", "Import from CSV"),
        ("/system/users/import/", "Download the template (CSV)"),
        ("/system/audit/", "Export to Excel"),
        ("/system/calendar/", "Holiday calendar by year"),
    ],
)
def test_the_platform_pages_switch_to_english(client, personas, url, label):
    client.force_login(personas.system_admin)
    switch_to_english(client)
    assert label in client.get(url).content.decode()


def test_every_role_label_has_an_english_translation():
    with translation.override("en"):
        labels = [str(label) for label in Role.labels]
    assert all(label.isascii() for label in labels), labels


def test_an_english_browser_still_gets_chinese_pages_until_the_user_switches(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.headers["Content-Language"] == "en"
