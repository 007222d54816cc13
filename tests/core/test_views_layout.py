"""The shared layout: top bar (user, role, region in scope, search, language, logout) and a menu
that lists only what the user's role may open."""

from __future__ import annotations

import pytest

from minzheng.core.models import Role
from minzheng.core.scope import AUDIT_READERS

pytestmark = pytest.mark.django_db

MENU = {
    "/system/users/": {Role.SYSTEM_ADMIN},
    "/system/calendar/": {Role.SYSTEM_ADMIN},
    "/system/audit/": AUDIT_READERS,
    "/system/regions/": set(Role),
}


def menu_of(html):
    return html.split('<nav class="menu"', 1)[1].split("</nav>", 1)[0]


def test_the_top_bar_names_the_user_role_and_region(client, personas):
    client.force_login(personas.township_clerk)
    html = client.get("/").content.decode()
    assert "township · 乡镇(街道)经办人" in html
    assert "苏埠镇" in html.split('class="scope"', 1)[1].split("</span>", 1)[0]


def test_the_search_box_sends_q_to_the_person_search(client, personas):
    client.force_login(personas.village_assistant)
    html = client.get("/").content.decode()
    assert 'action="/registry/persons/"' in html
    assert 'name="q"' in html


def test_logout_and_the_language_switch_are_forms_that_post(client, personas):
    client.force_login(personas.village_assistant)
    html = client.get("/").content.decode()
    assert 'action="/logout/" method="post"' in html
    assert 'action="/i18n/setlang/" method="post"' in html
    assert 'value="en"' in html and "English" in html and "简体中文" in html


@pytest.mark.parametrize("url", list(MENU))
def test_the_menu_shows_an_entry_only_to_roles_that_may_open_it(client, personas, url):
    for user in personas.all():
        client.force_login(user)
        menu = menu_of(client.get("/").content.decode())
        allowed = user.role in MENU[url]
        assert (f'href="{url}"' in menu) == allowed, (user.username, url)
        assert client.get(url).status_code == (200 if allowed else 404), (user.username, url)


def test_the_current_page_is_marked_in_the_menu(client, personas):
    client.force_login(personas.system_admin)
    menu = menu_of(client.get("/system/users/").content.decode())
    assert 'href="/system/users/" aria-current="page"' in menu


def test_a_skip_link_leads_keyboard_users_to_the_content(client, personas):
    client.force_login(personas.village_assistant)
    html = client.get("/").content.decode()
    assert 'href="#main"' in html and 'id="main"' in html
