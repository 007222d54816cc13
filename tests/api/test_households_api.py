"""/api/v1/households/: list, create, read as of a date, edit, and dated membership changes."""

from __future__ import annotations

from typing import Any

import pytest

from minzheng.core.models import AuditEvent
from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.registry.apis.base import HEAD_REQUIRED, PERSON_NOT_FOUND
from minzheng.registry.models import Household, Membership, Person
from minzheng.registry.services import HEAD_MUST_BE_MEMBER, REGION_NOT_VILLAGE
from tests.api.conftest import ApiFor, Family
from tests.conftest import VILLAGE, Personas
from tests.factories import make_household, make_person, new_id_number

URL = "/api/v1/households/"


def household_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"address": "陶洪村三组8号", "region_code": VILLAGE}
    data.update(fields)
    return data


@pytest.mark.django_db
def test_the_list_is_scoped_and_filtered(
    personas: Personas, family: Family, far_family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.county_officer)
    assert [h["id"] for h in client.get(URL).json()["results"]] == [family.household.pk]
    assert client.get(URL, {"q": "ls"}).json()["count"] == 1, "found by a member's initials"
    assert client.get(URL, {"q": "ww"}).json()["count"] == 0
    assert client.get(URL, {"region_code": "341503100000"}).json()["count"] == 1
    assert client.get(URL, {"region_code": "341503101000"}).json()["count"] == 0


@pytest.mark.django_db
def test_create_with_an_existing_person_as_head(personas: Personas, api_for: ApiFor) -> None:
    head = make_person(personas.village_assistant, region_code=VILLAGE, name="王五")
    response = api_for(personas.village_assistant).post(
        URL, household_data(head_id=head.pk, valid_from="2024-03-01"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["head"]["name"] == "王五"
    assert [(m["person"]["id"], m["relationship"]) for m in body["members"]] == [(head.pk, "head")]
    assert body["members"][0]["valid_from"] == "2024-03-01"


@pytest.mark.django_db
def test_create_with_a_new_person_as_head_registers_both(
    personas: Personas, api_for: ApiFor
) -> None:
    head = {"id_number": new_id_number(), "name": "赵六", "hukou_type": "rural"}
    response = api_for(personas.village_assistant).post(
        URL, household_data(head=head), format="json"
    )
    assert response.status_code == 201, response.json()
    person = Person.objects.get(name="赵六")
    assert person.region_code == VILLAGE, "the new head lives where the household does"
    assert Household.objects.get().head == person


@pytest.mark.django_db
def test_errors_of_a_new_head_are_keyed_under_head_and_nothing_is_saved(
    personas: Personas, api_for: ApiFor
) -> None:
    head = {"id_number": new_id_number(), "name": "赵六", "hukou_type": "rural"}
    response = api_for(personas.township_clerk).post(
        URL, household_data(head=head, region_code="341503100000"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"region_code": [REGION_NOT_VILLAGE]}}
    assert not Person.objects.exists()
    bad = {**head, "id_number": "34150320000101002"}
    response = api_for(personas.village_assistant).post(
        URL, household_data(head=bad), format="json"
    )
    assert list(response.json()["errors"]) == ["head.id_number"]


@pytest.mark.django_db
def test_create_needs_exactly_one_kind_of_head(personas: Personas, api_for: ApiFor) -> None:
    response = api_for(personas.village_assistant).post(URL, household_data(), format="json")
    assert response.json() == {"errors": {"head_id": [HEAD_REQUIRED]}}


@pytest.mark.django_db
def test_a_head_outside_the_scope_is_a_field_error(
    personas: Personas, far_family: Family, api_for: ApiFor
) -> None:
    response = api_for(personas.village_assistant).post(
        URL, household_data(head_id=far_family.spouse.pk), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"head_id": [PERSON_NOT_FOUND.format(pk=far_family.spouse.pk)]}
    }


@pytest.mark.django_db
def test_the_detail_shows_current_members_or_those_of_a_past_date(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.village_assistant)
    url = f"{URL}{family.household.pk}/"
    now = client.get(url).json()
    assert [m["relationship"] for m in now["members"]] == ["head", "spouse"]
    before = client.get(url, {"as_of": "2021-04-30"}).json()
    assert before["as_of"] == "2021-04-30"
    assert [m["relationship"] for m in before["members"]] == ["head"]
    assert client.get(url, {"as_of": "30/04/2021"}).status_code == 400


@pytest.mark.django_db
def test_a_household_outside_the_scope_answers_404_on_every_path(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.other_township_clerk)
    base = f"{URL}{family.household.pk}/"
    for path in ("", "history/", "declarations/"):
        response = client.get(base + path)
        assert response.status_code == 404
        assert response.json() == {"errors": {"detail": [OUT_OF_SCOPE]}}
    assert client.post(base + "head/", {"head_id": family.spouse.pk}).status_code == 404


@pytest.mark.django_db
def test_an_edit_needs_a_reason_and_is_audited(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.township_clerk)
    url = f"{URL}{family.household.pk}/"
    assert client.patch(url, {"address": "新地址"}).status_code == 400
    response = client.patch(
        url, {"bank_account_number": "6228480000000000001", "reason": "换卡"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["bank_account_number"] == "6228480000000000001"
    event = AuditEvent.objects.get(action="household.update")
    assert event.reason == "换卡"


@pytest.mark.django_db
def test_bank_accounts_are_masked_for_village_assistants(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    api_for(personas.township_clerk).patch(
        f"{URL}{family.household.pk}/",
        {"bank_account_number": "6228480000000000001", "reason": "换卡"},
    )
    body = api_for(personas.village_assistant).get(f"{URL}{family.household.pk}/").json()
    assert body["bank_account_number"] == "6228***********0001"


@pytest.mark.django_db
def test_a_new_member_is_added_from_the_registry_or_registered_on_the_spot(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.village_assistant)
    url = f"{URL}{family.household.pk}/members/"
    child = {"id_number": new_id_number(), "name": "张小宝", "hukou_type": "rural"}
    response = client.post(
        url,
        {
            "person": child,
            "relationship": "child",
            "valid_from": "2023-06-01",
            "join_reason": "birth",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["person"]["name"] == "张小宝"
    assert response.json()["join_reason"] == "birth"
    other = make_person(personas.village_assistant, region_code=VILLAGE, name="王母")
    response = client.post(
        url,
        {"person_id": other.pk, "relationship": "parent", "valid_from": "2024-01-01"},
        format="json",
    )
    assert response.status_code == 201
    assert Membership.objects.filter(household=family.household, valid_to=None).count() == 4


@pytest.mark.django_db
def test_a_person_in_another_household_cannot_be_added(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    response = api_for(personas.village_assistant).post(
        f"{URL}{family.household.pk}/members/",
        {"person_id": family.spouse.pk, "relationship": "other", "valid_from": "2024-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "已是" in response.json()["errors"]["person_id"][0]


@pytest.mark.django_db
def test_ending_a_membership_twice_is_a_conflict(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.village_assistant)
    membership = Membership.objects.get(person=family.spouse)
    url = f"{URL}{family.household.pk}/members/{membership.pk}/end/"
    data = {"valid_to": "2024-02-01", "leave_reason": "move_out", "reason": "迁往合肥"}
    response = client.post(url, data, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["valid_to"] == "2024-02-01"
    again = client.post(url, data, format="json")
    assert again.status_code == 409
    assert again.json() == {"errors": {"detail": ["该成员已于2024-02-01离开本户,请刷新后查看"]}}
    current = client.get(f"{URL}{family.household.pk}/").json()["members"]
    assert [m["relationship"] for m in current] == ["head"]


@pytest.mark.django_db
def test_a_leaving_date_before_joining_is_a_field_error(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    membership = Membership.objects.get(person=family.spouse)
    response = api_for(personas.village_assistant).post(
        f"{URL}{family.household.pk}/members/{membership.pk}/end/",
        {"valid_to": "2020-01-01", "leave_reason": "move_out"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["valid_to"]


@pytest.mark.django_db
def test_a_membership_of_another_household_answers_404(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    other = make_person(personas.village_assistant, region_code=VILLAGE, name="王五")
    household = make_household(personas.village_assistant, region_code=VILLAGE, head=other)
    membership = Membership.objects.get(person=family.spouse)
    response = api_for(personas.village_assistant).post(
        f"{URL}{household.pk}/members/{membership.pk}/end/",
        {"valid_to": "2024-02-01", "leave_reason": "move_out"},
        format="json",
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_head_changes_to_a_current_member_only(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    client = api_for(personas.village_assistant)
    url = f"{URL}{family.household.pk}/head/"
    stranger = make_person(personas.village_assistant, region_code=VILLAGE, name="王五")
    refused = client.post(url, {"head_id": stranger.pk}, format="json")
    assert refused.json() == {"errors": {"head_id": [HEAD_MUST_BE_MEMBER]}}
    response = client.post(url, {"head_id": family.spouse.pk, "reason": "户主外出务工"})
    assert response.status_code == 200
    assert response.json()["head"]["id"] == family.spouse.pk
    relationships = {m["person"]["id"]: m["relationship"] for m in response.json()["members"]}
    assert relationships == {family.spouse.pk: "head", family.head.pk: "other"}


@pytest.mark.django_db
def test_the_history_lists_audit_events_with_masked_numbers_for_village_assistants(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    url = f"{URL}{family.household.pk}/history/"
    village = api_for(personas.village_assistant).get(url).json()
    actions = [e["action"] for e in village["results"]]
    assert actions == ["household.member_add", "person.create", "household.create", "person.create"]
    added = village["results"][0]["changes"]["member"][1]
    assert added == family.spouse.id_number[:6] + "********" + family.spouse.id_number[-4:]
    clerk = api_for(personas.township_clerk).get(url).json()
    assert clerk["results"][0]["changes"]["member"][1] == family.spouse.id_number


@pytest.mark.django_db
def test_readers_may_not_change_households(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    response = api_for(personas.auditor).patch(
        f"{URL}{family.household.pk}/", {"address": "x", "reason": "y"}
    )
    assert response.status_code == 403
