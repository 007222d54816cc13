"""/api/v1/households/{id}/declarations/: dated income and asset declarations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from minzheng.registry.apis.base import PERSON_NOT_MEMBER
from minzheng.registry.models import Declaration
from minzheng.registry.services import MEMBER_NOT_IN_HOUSEHOLD
from tests.api.conftest import ApiFor, Family
from tests.conftest import VILLAGE, Personas
from tests.factories import make_person


def url(family: Family) -> str:
    return f"/api/v1/households/{family.household.pk}/declarations/"


def declaration(family: Family, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "declared_on": "2024-03-01",
        "incomes": [
            {"person": family.head.pk, "kind": "wages", "monthly_amount": "1650.00"},
            {"person": family.spouse.pk, "kind": "basic_pension", "monthly_amount": "150"},
        ],
        "assets": [
            {"kind": "deposit", "value": "20000.50"},
            {"person": family.head.pk, "kind": "real_estate", "value": "0", "area": "96.5"},
        ],
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_a_declaration_is_created_with_its_incomes_and_assets(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    response = api_for(personas.village_assistant).post(
        url(family), declaration(family), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["declared_on"] == "2024-03-01"
    assert body["reference_months"] == 12
    assert [(i["kind"], i["monthly_amount"]) for i in body["incomes"]] == [
        ("wages", "1650.00"),
        ("basic_pension", "150.00"),
    ]
    assert body["incomes"][0]["person"]["name"] == "张三"
    assert [(a["kind"], a["value"], a["area"]) for a in body["assets"]] == [
        ("deposit", "20000.50", None),
        ("real_estate", "0.00", "96.50"),
    ]
    saved = Declaration.objects.get()
    assert saved.incomes.get(kind="wages").monthly_amount == Decimal("1650.00")


@pytest.mark.django_db
def test_money_is_refused_when_negative_or_finer_than_a_fen(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    data = declaration(family)
    data["incomes"][0]["monthly_amount"] = "-1"
    data["assets"][0]["value"] = "10.001"
    response = api_for(personas.village_assistant).post(url(family), data, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["incomes[0].monthly_amount"] == ["请确保该值大于或者等于 0。"]
    assert errors["assets[0].value"] == ["请确保总计不超过 2 个小数位。"]
    assert not Declaration.objects.exists()


@pytest.mark.django_db
def test_a_person_outside_the_household_is_a_field_error(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    stranger = make_person(personas.village_assistant, region_code=VILLAGE, name="王五")
    data = declaration(family)
    data["incomes"][1]["person"] = stranger.pk
    response = api_for(personas.village_assistant).post(url(family), data, format="json")
    assert response.json() == {
        "errors": {"incomes[1].person": [PERSON_NOT_MEMBER.format(pk=stranger.pk)]}
    }


@pytest.mark.django_db
def test_a_member_who_had_not_yet_joined_on_the_date_is_refused(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    data = declaration(family, declared_on="2021-01-01")  # the spouse joined 2021-05-01
    response = api_for(personas.village_assistant).post(url(family), data, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "incomes[1].person": [MEMBER_NOT_IN_HOUSEHOLD.format(name="李四", day="2021-01-01")]
    }
    assert not Declaration.objects.exists()


@pytest.mark.django_db
def test_declarations_are_listed_newest_first_and_read_one_by_one(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.township_clerk)
    client.post(url(family), declaration(family, declared_on="2023-03-01"), format="json")
    client.post(url(family), declaration(family, declared_on="2024-03-01"), format="json")
    listed = client.get(url(family)).json()
    assert [d["declared_on"] for d in listed["results"]] == ["2024-03-01", "2023-03-01"]
    first = listed["results"][1]["id"]
    assert client.get(f"{url(family)}{first}/").json()["declared_on"] == "2023-03-01"


@pytest.mark.django_db
def test_a_declaration_of_another_household_answers_404(
    personas: Personas, family: Family, far_family: Family, api_for: ApiFor
) -> None:
    api_for(personas.other_county_officer).post(
        url(far_family), declaration(far_family), format="json"
    )
    theirs = Declaration.objects.get().pk
    assert api_for(personas.county_officer).get(f"{url(family)}{theirs}/").status_code == 404
    assert api_for(personas.county_officer).get(f"{url(far_family)}{theirs}/").status_code == 404


@pytest.mark.django_db
def test_a_declaration_is_audited_on_the_household(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.village_assistant)
    client.post(url(family), declaration(family), format="json")
    history = client.get(f"/api/v1/households/{family.household.pk}/history/").json()
    assert history["results"][0]["action"] == "declaration.create"
