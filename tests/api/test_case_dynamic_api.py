"""The dynamic management endpoints besides concluding a review: a review opened by a clerk,
a suspended case resumed, a tip-off's assignee, the funeral grant, and a household's whole
history."""

from __future__ import annotations

import pytest
import time_machine

from minzheng.programs.apis.base import CASE_NOT_FOUND
from minzheng.programs.services import reviews as svc
from tests.api.case_support import (
    CASES,
    START,
    Applicants,
    at,
    enroll,
    ok,
    standards,  # noqa: F401 (fixture)
)
from tests.api.conftest import ApiFor
from tests.conftest import VILLAGE, Personas

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("standards"),
    pytest.mark.time_machine(START, tick=False),
]
REVIEWS = "/api/v1/reviews/"


@pytest.fixture
def applicants(personas: Personas) -> Applicants:
    return Applicants(personas.township_clerk, VILLAGE)


def test_a_review_is_opened_concluded_suspending_and_the_case_resumed(
    personas: Personas, api_for: ApiFor, applicants: Applicants
) -> None:
    case_id = enroll(api_for, personas, applicants)
    with time_machine.travel(at(2026, 5, 6), tick=False):  # paid since April
        clerk = api_for(personas.township_clerk)
        opened = {"case": case_id, "kind": "income_change", "reason": "比对发现新增工资收入"}
        body = ok(clerk.post(REVIEWS, opened, format="json"), 201)
        assert (body["kind"], body["status"], body["case"]["id"]) == (
            "income_change",
            "open",
            case_id,
        )
        blank = clerk.post(REVIEWS, {**opened, "reason": ""}, format="json")
        assert blank.json() == {"errors": {"reason": [svc.REVIEW_REASON_MISSING]}}
        missing = clerk.post(REVIEWS, {**opened, "case": 999_999}, format="json")
        assert missing.json() == {"errors": {"case": [CASE_NOT_FOUND.format(pk=999_999)]}}
        ok(
            clerk.post(
                f"{REVIEWS}{body['id']}/complete/",
                {"outcome": "suspend", "outcome_reason": "收入待核实"},
                format="json",
            )
        )
        resume = f"{CASES}{case_id}/resume/"
        assert clerk.post(resume, {"reason": ""}, format="json").json() == {
            "errors": {"reason": [svc.RESUME_REASON_REQUIRED]}
        }
        assert api_for(personas.village_assistant).post(resume, {"reason": "x"}).status_code == 403
        case = ok(clerk.post(resume, {"reason": "核实收入未超标准"}, format="json"))
        assert case["status"] == "active"
        assert case["benefit_periods"][-1]["reason"] == "resumption"
        again = clerk.post(resume, {"reason": "再次"}, format="json")
        assert again.json() == {"errors": {"non_field_errors": [svc.RESUME_NOT_SUSPENDED]}}


def test_a_funeral_grant_is_only_for_tekun(
    personas: Personas, api_for: ApiFor, applicants: Applicants
) -> None:
    case_id = enroll(api_for, personas, applicants)
    response = api_for(personas.county_officer).post(f"{CASES}{case_id}/funeral-grant/")
    assert response.json() == {"errors": {"non_field_errors": [svc.FUNERAL_NOT_TEKUN]}}


def test_a_tip_off_is_assigned_to_a_caseworker_of_its_region(
    personas: Personas, api_for: ApiFor
) -> None:
    clerk = api_for(personas.township_clerk)
    tip = {"source": "visit", "content": "反映某户有车", "region_code": VILLAGE}
    body = ok(clerk.post("/api/v1/tip-offs/", tip, format="json"), 201)
    url = f"/api/v1/tip-offs/{body['id']}/assign/"
    assigned = ok(clerk.post(url, {"assignee": personas.township_leader.pk}, format="json"))
    assert assigned["assignee"] == "township_leader"
    village = clerk.post(url, {"assignee": personas.village_assistant.pk}, format="json")
    assert list(village.json()["errors"]) == ["assignee"]
    far = clerk.post(url, {"assignee": personas.other_county_officer.pk}, format="json")
    assert list(far.json()["errors"]) == ["assignee"]


def test_a_household_history_holds_every_case_event_newest_first(
    personas: Personas, api_for: ApiFor, applicants: Applicants
) -> None:
    case_id = enroll(api_for, personas, applicants)
    url = f"/api/v1/households/{applicants.household.pk}/case-history/"
    body = ok(api_for(personas.village_assistant).get(url, {"page_size": 100}))
    actions = [e["action"] for e in body["results"]]
    assert actions[-1] == "case.accept" and "case.enroll" in actions
    first = body["results"][-1]
    assert first["action_label"] == "受理申请" and first["case"]["id"] == case_id
    assert api_for(personas.other_township_clerk).get(url).status_code == 404
    cases = ok(
        api_for(personas.village_assistant).get(CASES, {"household": applicants.household.pk})
    )
    assert [c["id"] for c in cases["results"]] == [case_id]
