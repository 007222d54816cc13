"""/api/v1/persons/: search as clerks search, register, read, correct with a reason."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from minzheng.core.idnumbers import ID_CHECKSUM, make_id_number
from minzheng.core.models import AuditEvent
from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.registry.apis.base import REASON_REQUIRED
from minzheng.registry.models import Person
from minzheng.registry.services import PERSON_DUPLICATE_ELSEWHERE
from tests.api.conftest import ApiFor, Family
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE, Personas
from tests.factories import new_id_number

URL = "/api/v1/persons/"


def new_person(**fields: Any) -> dict[str, Any]:
    data = {
        "id_number": new_id_number(),
        "name": "王小明",
        "hukou_type": "rural",
        "region_code": VILLAGE,
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_search_by_pinyin_initials_finds_the_person(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    body = api_for(personas.village_assistant).get(URL, {"q": "zs"}).json()
    assert [p["name"] for p in body["results"]] == ["张三"]


@pytest.mark.django_db
def test_search_by_the_last_digits_of_the_id_number(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    tail = family.spouse.id_number[-6:]
    body = api_for(personas.township_clerk).get(URL, {"q": tail}).json()
    assert [p["id"] for p in body["results"]] == [family.spouse.pk]


@pytest.mark.django_db
def test_search_never_reaches_outside_the_scope(
    personas: Personas, family: Family, far_family: Family, api_for: ApiFor
) -> None:
    body = api_for(personas.county_officer).get(URL, {"q": "张三"}).json()
    assert [p["id"] for p in body["results"]] == [family.head.pk]
    full = far_family.head.id_number
    assert api_for(personas.county_officer).get(URL, {"q": full}).json()["count"] == 0


@pytest.mark.django_db
def test_it_filters_by_region_code_prefix_and_hukou_type(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.county_officer)
    assert client.get(URL, {"region_code": "341503100"}).json()["count"] == 2
    assert client.get(URL, {"region_code": "341503101000"}).json()["count"] == 0
    assert client.get(URL, {"hukou_type": "urban"}).json()["count"] == 0


@pytest.mark.django_db
def test_id_numbers_are_masked_for_village_assistants_only(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    number = family.head.id_number
    masked = number[:6] + "********" + number[-4:]
    village = api_for(personas.village_assistant).get(f"{URL}{family.head.pk}/").json()
    clerk = api_for(personas.township_clerk).get(f"{URL}{family.head.pk}/").json()
    hospital = api_for(personas.hospital_clerk).get(URL).json()["results"][0]
    assert village["id_number"] == masked
    assert clerk["id_number"] == number
    assert hospital["id_number"] == masked


@pytest.mark.django_db
def test_creating_a_person_derives_sex_and_birth_date_and_is_audited(
    personas: Personas, api_for: ApiFor
) -> None:
    number = make_id_number("341503", datetime.date(2001, 2, 3), 22)
    response = api_for(personas.township_clerk).post(
        URL, new_person(id_number=number, disability_category="physical", disability_grade=2)
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["sex"], body["birth_date"], body["id_number"]) == ("F", "2001-02-03", number)
    assert body["household_id"] is None
    assert AuditEvent.objects.filter(action="person.create", object_id=str(body["id"])).exists()


@pytest.mark.django_db
def test_an_invalid_id_number_is_a_field_error_in_chinese(
    personas: Personas, api_for: ApiFor
) -> None:
    number = new_id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = api_for(personas.village_assistant).post(URL, new_person(id_number=wrong))
    assert response.status_code == 400
    assert response.json() == {"errors": {"id_number": [ID_CHECKSUM]}}


@pytest.mark.django_db
def test_every_field_error_is_reported_at_once(personas: Personas, api_for: ApiFor) -> None:
    response = api_for(personas.village_assistant).post(
        URL, {"id_number": "123", "hukou_type": "city", "disability_grade": 7}, format="json"
    )
    errors = response.json()["errors"]
    assert set(errors) == {"id_number", "name", "hukou_type", "region_code", "disability_grade"}
    assert errors["name"] == ["该字段是必填项。"]
    assert errors["hukou_type"] == ["“city” 不是合法选项。"]


@pytest.mark.django_db
def test_a_duplicate_in_scope_names_the_existing_record(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    response = api_for(personas.village_assistant).post(
        URL, new_person(id_number=family.head.id_number)
    )
    assert response.status_code == 400
    assert "张三" in response.json()["errors"]["id_number"][0]


@pytest.mark.django_db
def test_a_duplicate_elsewhere_reveals_nothing(
    personas: Personas, far_family: Family, api_for: ApiFor
) -> None:
    response = api_for(personas.village_assistant).post(
        URL, new_person(id_number=far_family.head.id_number)
    )
    assert response.json() == {"errors": {"id_number": [PERSON_DUPLICATE_ELSEWHERE]}}


@pytest.mark.django_db
def test_registering_into_a_region_outside_the_scope_is_refused(
    personas: Personas, api_for: ApiFor
) -> None:
    response = api_for(personas.village_assistant).post(
        URL, new_person(region_code=OTHER_COUNTY_VILLAGE)
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"region_code": [OUT_OF_SCOPE]}}
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_person_outside_the_scope_answers_404(
    personas: Personas, far_family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.county_officer)
    assert client.get(f"{URL}{far_family.head.pk}/").status_code == 404
    patch = client.patch(f"{URL}{far_family.head.pk}/", {"phone": "1", "reason": "x"})
    assert patch.status_code == 404
    assert client.get(f"{URL}999999/").status_code == 404


@pytest.mark.django_db
def test_a_correction_needs_a_reason(personas: Personas, family: Family, api_for: ApiFor) -> None:
    response = api_for(personas.village_assistant).patch(
        f"{URL}{family.head.pk}/", {"phone": "13900000000"}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"reason": [REASON_REQUIRED]}}


@pytest.mark.django_db
def test_a_correction_changes_only_the_fields_sent_and_records_the_reason(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    response = api_for(personas.village_assistant).patch(
        f"{URL}{family.head.pk}/",
        {"phone": "13900000000", "reason": "本人来电更正"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "13900000000"
    assert response.json()["name"] == "张三"
    assert response.json()["household_id"] == family.household.pk
    event = AuditEvent.objects.get(action="person.update", object_id=str(family.head.pk))
    assert event.changes == {"phone": ["", "13900000000"]}
    assert event.reason == "本人来电更正"


@pytest.mark.django_db
def test_roles_that_only_read_may_not_register(personas: Personas, api_for: ApiFor) -> None:
    for user in (personas.auditor, personas.county_leader, personas.hospital_clerk):
        response = api_for(user).post(URL, new_person())
        assert response.status_code == 403
        assert response.json() == {"errors": {"detail": ["您的角色无权执行此操作"]}}
