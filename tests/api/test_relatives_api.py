"""/api/v1/relative-filings/: the close-relative register (近亲属备案); a filing marks the
relative's household's open cases."""

from __future__ import annotations

import pytest

from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.programs.services import relatives as svc
from tests.api.case_support import (
    CASES,
    START,
    Applicants,
    accept,
    ok,
    standards,  # noqa: F401 (fixture)
)
from tests.api.conftest import ApiFor
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE, Personas

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("standards"),
    pytest.mark.time_machine(START, tick=False),
]
URL = "/api/v1/relative-filings/"


def test_a_filing_marks_the_household_case_and_is_revoked_with_a_reason(
    personas: Personas, api_for: ApiFor
) -> None:
    applicants = Applicants(personas.township_clerk, VILLAGE)
    case_id = accept(api_for, personas, applicants)
    clerk = api_for(personas.township_clerk)
    filing = {
        "person": applicants.spouse.pk,
        "staff_name": "村委会主任",
        "staff_user": personas.village_assistant.pk,
        "staff_kind": "village_cadre",
        "relation": "sibling",
        "region_code": VILLAGE,
    }
    body = ok(clerk.post(URL, filing, format="json"), 201)
    assert (body["person"]["id"], body["staff_user"], body["valid_from"]) == (
        applicants.spouse.pk,
        "village",
        "2026-03-02",
    )
    assert ok(clerk.get(f"{CASES}{case_id}/"))["relative_flag"] is True
    twice = clerk.post(URL, filing, format="json")
    assert twice.status_code == 400 and "person" in twice.json()["errors"]
    assert [f["id"] for f in ok(clerk.get(URL, {"q": "李秀英"}))["results"]] == [body["id"]]

    url = f"{URL}{body['id']}/revoke/"
    assert clerk.post(url, {"reason": ""}, format="json").json() == {
        "errors": {"reason": [svc.RELATIVE_REVOKE_REASON_REQUIRED]}
    }
    revoked = ok(clerk.post(url, {"reason": "已离任", "valid_to": "2026-03-02"}, format="json"))
    assert revoked["valid_to"] == "2026-03-02"
    assert api_for(personas.village_assistant).post(url, {"reason": "x"}).status_code == 403
    assert api_for(personas.other_township_clerk).post(url, {"reason": "x"}).status_code == 404


def test_a_filing_outside_the_scope_is_a_field_error(personas: Personas, api_for: ApiFor) -> None:
    far = Applicants(personas.other_county_officer, OTHER_COUNTY_VILLAGE)
    clerk = api_for(personas.township_clerk)
    filing = {
        "person": far.head.pk,
        "staff_name": "张三",
        "staff_kind": "township_staff",
        "relation": "spouse",
        "region_code": OTHER_COUNTY_VILLAGE,
    }
    response = clerk.post(URL, filing, format="json")
    assert response.json() == {"errors": {"region_code": [OUT_OF_SCOPE]}}
    response = clerk.post(URL, {**filing, "region_code": VILLAGE}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["person"]
