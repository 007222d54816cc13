"""/api/v1/tip-offs/: tip-offs registered with their source, linked to a household or case,
and closed with what the investigation found (optionally opening a review)."""

from __future__ import annotations

from typing import Any

import pytest

from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.programs.apis.base import CASE_NOT_FOUND
from minzheng.programs.models import Review
from minzheng.programs.services import tipoffs as svc
from tests.api.case_support import (
    START,
    Applicants,
    enroll,
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
URL = "/api/v1/tip-offs/"


def tipoff(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "hotline",
        "content": "该户儿子在外务工,收入较高",
        "region_code": VILLAGE,
        "reporter_name": "匿名",
    }
    data.update(fields)
    return data


def test_a_tip_off_about_a_case_is_closed_into_a_review(
    personas: Personas, api_for: ApiFor
) -> None:
    case_id = enroll(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    clerk = api_for(personas.township_clerk)
    body = ok(
        clerk.post(URL, tipoff(case=case_id, assignee=personas.county_officer.pk), format="json"),
        201,
    )
    assert (body["source"], body["status"], body["case_id"]) == ("hotline", "open", case_id)
    assert body["assignee"] == "county" and body["due_on"] and body["household_id"]
    listed = ok(api_for(personas.county_officer).get(URL, {"status": "open"}))["results"]
    assert [t["id"] for t in listed] == [body["id"]]
    url = f"{URL}{body['id']}/close/"
    blank = clerk.post(url, {"investigation": "", "outcome": "partly"}, format="json")
    assert blank.json() == {"errors": {"investigation": [svc.TIPOFF_INVESTIGATION_REQUIRED]}}
    closed = ok(
        clerk.post(
            url,
            {"investigation": "其子每月寄回500元", "outcome": "partly", "open_review": True},
            format="json",
        )
    )
    assert (closed["status"], closed["outcome"]) == ("closed", "partly")
    assert Review.objects.get(pk=closed["review_id"]).case_id == case_id
    again = clerk.post(url, {"investigation": "x", "outcome": "partly"}, format="json")
    assert again.status_code == 400


def test_a_tip_off_names_what_is_wrong_with_it(personas: Personas, api_for: ApiFor) -> None:
    clerk = api_for(personas.township_clerk)
    far = clerk.post(URL, tipoff(region_code=OTHER_COUNTY_VILLAGE), format="json")
    assert far.json() == {"errors": {"region_code": [OUT_OF_SCOPE]}}
    blank = clerk.post(URL, tipoff(content=" "), format="json")
    assert blank.json() == {"errors": {"content": [svc.TIPOFF_CONTENT_REQUIRED]}}
    no_case = clerk.post(URL, tipoff(case=999_999), format="json")
    assert no_case.json() == {"errors": {"case": [CASE_NOT_FOUND.format(pk=999_999)]}}
    village = api_for(personas.village_assistant)
    assert village.post(URL, tipoff(), format="json").status_code == 403
    assert api_for(personas.hospital_clerk).get(URL).status_code == 403
    # tip-offs name their reporters: village assistants do not read them
    assert village.get(URL).status_code == 403
