"""/api/v1/audit-events/: the audit log, read-only, for auditors, county leaders and admins."""

from __future__ import annotations

import pytest

from minzheng.core.models import AuditEvent
from tests.api.conftest import ApiFor, Family
from tests.conftest import Personas

URL = "/api/v1/audit-events/"


@pytest.mark.django_db
def test_auditors_read_the_events_of_their_scope_only(
    personas: Personas, family: Family, far_family: Family, api_for: ApiFor
) -> None:
    body = api_for(personas.auditor).get(URL).json()
    assert body["count"] == 4
    assert {e["region_code"] for e in body["results"]} == {"341503100201"}
    assert body["results"][0]["action"] == "household.member_add"
    assert body["results"][0]["changes"]["member"][1] == family.spouse.id_number


@pytest.mark.django_db
def test_events_are_filtered_by_field(personas: Personas, family: Family, api_for: ApiFor) -> None:
    client = api_for(personas.county_leader)
    assert client.get(URL, {"action": "person.create"}).json()["count"] == 2
    household = {"object_type": "Household", "object_id": str(family.household.pk)}
    assert client.get(URL, household).json()["count"] == 2
    assert client.get(URL, {"actor": "village"}).json()["count"] == 4
    assert client.get(URL, {"region_code": "341503101"}).json()["count"] == 0
    assert (
        client.get(URL, {"date_from": "2000-01-01", "date_to": "2000-12-31"}).json()["count"] == 0
    )
    assert client.get(URL, {"date_from": "yesterday"}).status_code == 400


@pytest.mark.django_db
def test_one_event_outside_the_scope_answers_404(
    personas: Personas, family: Family, far_family: Family, api_for: ApiFor
) -> None:
    far = AuditEvent.objects.filter(region_code__startswith="640324").first()
    near = AuditEvent.objects.filter(region_code__startswith="341503").first()
    client = api_for(personas.system_admin)
    assert client.get(f"{URL}{near.pk}/").status_code == 200
    assert client.get(f"{URL}{far.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_log_cannot_be_changed_through_the_api(
    personas: Personas, family: Family, api_for: ApiFor
) -> None:
    event = AuditEvent.objects.first()
    client = api_for(personas.system_admin)
    assert client.delete(f"{URL}{event.pk}/").status_code == 405
    assert client.patch(f"{URL}{event.pk}/", {"reason": "x"}).status_code == 405
    assert client.post(URL, {"action": "x"}).status_code == 405


@pytest.mark.django_db
def test_registry_roles_may_not_read_the_log(personas: Personas, api_for: ApiFor) -> None:
    for user in (personas.village_assistant, personas.county_officer, personas.hospital_clerk):
        assert api_for(user).get(URL).status_code == 403
