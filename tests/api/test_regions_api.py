"""GET /api/v1/regions/: the region tree within the caller's scope."""

from __future__ import annotations

import pytest

from minzheng.core.scope import OUT_OF_SCOPE
from tests.api.conftest import ApiFor
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE, Personas


def codes(api_for: ApiFor, user, query: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    response = api_for(user).get(f"/api/v1/regions/{query}")
    assert response.status_code == 200, response.json()
    return [r["code"] for r in response.json()["results"]]


@pytest.mark.django_db
def test_a_village_assistant_sees_only_the_village(personas: Personas, api_for: ApiFor) -> None:
    assert codes(api_for, personas.village_assistant) == [VILLAGE]


@pytest.mark.django_db
def test_a_county_officer_sees_the_county_subtree_and_nothing_above_or_beside(
    personas: Personas, api_for: ApiFor
) -> None:
    seen = codes(api_for, personas.county_officer)
    assert seen == [
        "341503000000",
        "341503100000",
        "341503100001",
        "341503100201",
        "341503101000",
        "341503101201",
    ]
    assert "341500000000" not in seen
    assert OTHER_COUNTY_VILLAGE not in seen


@pytest.mark.django_db
def test_it_filters_by_parent_level_name_and_code_prefix(
    personas: Personas, api_for: ApiFor
) -> None:
    county = personas.county_officer
    assert codes(api_for, county, "?parent_code=341503000000") == ["341503100000", "341503101000"]
    assert codes(api_for, county, "?level=5") == ["341503100001", "341503100201", "341503101201"]
    assert codes(api_for, county, "?q=韩摆渡") == ["341503101000"]
    # a township's full code stands for its subtree: not 341503101xxx, which starts "3415031" too
    assert codes(api_for, county, "?region_code=341503100000") == [
        "341503100000",
        "341503100001",
        "341503100201",
    ]


@pytest.mark.django_db
def test_a_region_code_filter_that_is_not_digits_is_a_field_error(
    personas: Personas, api_for: ApiFor
) -> None:
    response = api_for(personas.county_officer).get("/api/v1/regions/?region_code=abc")
    assert response.status_code == 400
    assert response.json() == {"errors": {"region_code": ["区划代码只能由数字组成,最多12位"]}}


@pytest.mark.django_db
def test_a_region_outside_the_scope_answers_404(personas: Personas, api_for: ApiFor) -> None:
    client = api_for(personas.township_clerk)
    assert client.get(f"/api/v1/regions/{VILLAGE}/").json()["name"] == "陶洪村"
    response = client.get("/api/v1/regions/341503101201/")
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": [OUT_OF_SCOPE]}}
    assert client.get("/api/v1/regions/999999999999/").status_code == 404


@pytest.mark.django_db
def test_lists_are_paged(personas: Personas, api_for: ApiFor) -> None:
    body = api_for(personas.county_officer).get("/api/v1/regions/?page_size=2&page=2").json()
    assert body["count"] == 6
    assert [r["code"] for r in body["results"]] == ["341503100001", "341503100201"]
    assert body["next"].endswith("page=3&page_size=2")
