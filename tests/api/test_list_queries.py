"""Lists cost the same number of queries for 2 rows as for 10 (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiFor, make_family
from tests.conftest import VILLAGE, Personas
from tests.factories import make_person

LISTS = [
    "/api/v1/persons/",
    "/api/v1/households/",
    "/api/v1/households/?q=zs",
    "/api/v1/audit-events/",
    "/api/v1/users/",
    "/api/v1/regions/",
]


def queries(api_for: ApiFor, user, url: str) -> int:  # type: ignore[no-untyped-def]
    client = api_for(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_a_list_costs_no_query_per_row(personas: Personas, api_for: ApiFor, url: str) -> None:
    make_family(personas.village_assistant, VILLAGE)
    few = queries(api_for, personas.system_admin, url)
    for _ in range(4):
        make_family(personas.village_assistant, VILLAGE)
    assert queries(api_for, personas.system_admin, url) == few


@pytest.mark.django_db
def test_a_household_and_its_declarations_cost_no_query_per_member(
    personas: Personas, api_for: ApiFor
) -> None:
    family = make_family(personas.village_assistant, VILLAGE)
    base = f"/api/v1/households/{family.household.pk}/"
    client = api_for(personas.township_clerk)
    incomes = [
        {"person": p.pk, "kind": "wages", "monthly_amount": "100"}
        for p in (family.head, family.spouse)
    ]
    client.post(
        base + "declarations/", {"declared_on": "2024-03-01", "incomes": incomes}, format="json"
    )
    detail = queries(api_for, personas.township_clerk, base)
    declarations = queries(api_for, personas.township_clerk, base + "declarations/")
    for name in ("王一", "王二", "王三"):
        person = make_person(personas.village_assistant, region_code=VILLAGE, name=name)
        client.post(
            base + "members/",
            {"person_id": person.pk, "relationship": "child", "valid_from": "2022-01-01"},
        )
        incomes.append({"person": person.pk, "kind": "wages", "monthly_amount": "10"})
    client.post(
        base + "declarations/", {"declared_on": "2024-04-01", "incomes": incomes}, format="json"
    )
    assert queries(api_for, personas.township_clerk, base) == detail
    assert queries(api_for, personas.township_clerk, base + "declarations/") == declarations
