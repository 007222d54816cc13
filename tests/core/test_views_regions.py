"""系统管理 → 行政区划: the tree from the user's own region down, expanded with htmx."""

from __future__ import annotations

import pytest

from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE
from tests.factories import make_household

pytestmark = pytest.mark.django_db

SUBU = "341503100000"
HANBAIDU = "341503101000"


def test_the_tree_starts_at_the_users_region_with_its_children(client, personas):
    make_household(personas.county_officer, region_code=VILLAGE)
    client.force_login(personas.county_officer)
    response = client.get("/system/regions/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "裕安区" in html and "苏埠镇" in html and "韩摆渡镇" in html
    rows = {row.code: row for row in response.context["breakdown"].rows}
    assert rows[SUBU].households == 1 and rows[SUBU].persons == 1
    assert rows[SUBU].level_label == "乡级"


def test_expanding_a_row_returns_only_the_child_rows(client, personas):
    client.force_login(personas.county_officer)
    response = client.get(f"/system/regions/{SUBU}/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert html.count("<tr") == 2
    assert "陶洪村" in html and "苏埠社区" in html
    assert "220" in html  # urban-rural code of 陶洪村


def test_a_township_user_cannot_open_another_township(client, personas):
    client.force_login(personas.township_clerk)
    assert client.get(f"/system/regions/{SUBU}/").status_code == 200
    assert client.get(f"/system/regions/{HANBAIDU}/").status_code == 404
    assert client.get("/system/regions/341503000000/").status_code == 404


def test_a_village_user_sees_the_village_alone(client, personas):
    client.force_login(personas.village_assistant)
    response = client.get("/system/regions/")
    assert response.context["breakdown"].region.code == VILLAGE
    assert client.get(f"/system/regions/{OTHER_COUNTY_VILLAGE}/").status_code == 404


def test_an_unknown_code_is_not_found(client, personas):
    client.force_login(personas.county_officer)
    assert client.get("/system/regions/341503999000/").status_code == 404


def test_search_by_name_stays_within_scope(client, personas):
    client.force_login(personas.township_clerk)
    found = client.get("/system/regions/", {"q": "村"}).context["found"]
    assert [r.name for r in found] == ["陶洪村"]


def test_search_by_code_prefix(client, personas):
    client.force_login(personas.county_officer)
    found = client.get("/system/regions/", {"q": "341503101"}).context["found"]
    assert [r.code for r in found] == [HANBAIDU, "341503101201"]


def test_the_other_county_finds_nothing_of_ours(client, personas):
    client.force_login(personas.other_county_officer)
    assert list(client.get("/system/regions/", {"q": "苏埠"}).context["found"]) == []


def test_the_region_options_list_only_regions_in_scope(client, personas):
    client.force_login(personas.system_admin)
    html = client.get("/system/regions/options/", {"region_code": "新区"}).content.decode()
    assert "新区村" not in html
    html = client.get("/system/regions/options/", {"region_code": "3415031002"}).content.decode()
    assert "341503100201 陶洪村" in html
    html = client.get("/system/regions/options/", {"region_code": ""}).content.decode()
    assert "苏埠镇" in html and "裕安区" in html


def test_the_breadcrumb_runs_from_the_users_region(client, personas):
    client.force_login(personas.county_officer)
    path = client.get(f"/system/regions/{VILLAGE}/").context["path"]
    assert [r.name for r in path] == ["裕安区", "苏埠镇", "陶洪村"]
