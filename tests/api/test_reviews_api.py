"""/api/v1/reviews/: the reviews of enrolled cases and their conclusion through the API."""

from __future__ import annotations

from typing import Any

import pytest

from minzheng.programs.models import Case, Review
from minzheng.programs.services import reviews as svc
from tests.api.case_support import (
    START,
    Applicants,
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
URL = "/api/v1/reviews/"


@pytest.fixture
def review(personas: Personas, api_for: ApiFor) -> Review:
    case_id = enroll(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    return svc.review_create(
        actor=personas.township_clerk,
        case=Case.objects.get(pk=case_id),
        kind="tip_off",
        reason="群众反映家庭有人外出务工",
    )


def finish(api_for: ApiFor, user: Any, review_id: int, **body: Any) -> Any:
    return api_for(user).post(f"{URL}{review_id}/complete/", body, format="json")


def test_the_reviews_of_the_scope_are_listed_by_deadline(
    personas: Personas, api_for: ApiFor, review: Review
) -> None:
    body = ok(api_for(personas.village_assistant).get(URL))
    [row] = body["results"]
    assert (row["id"], row["kind"], row["status"], row["outcome"]) == (
        review.pk,
        "tip_off",
        "open",
        "",
    )
    assert row["case"]["id"] == review.case_id and row["case"]["status"] == "active"
    client = api_for(personas.county_officer)
    assert ok(client.get(URL, {"status": "done"}))["count"] == 0
    assert ok(client.get(URL, {"kind": "tip_off", "region_code": "341503100"}))["count"] == 1
    assert ok(api_for(personas.other_township_clerk).get(URL))["count"] == 0


def test_a_review_is_concluded_once(personas: Personas, api_for: ApiFor, review: Review) -> None:
    no_reason = finish(api_for, personas.township_clerk, review.pk, outcome="suspend")
    assert no_reason.json() == {"errors": {"outcome_reason": [svc.REVIEW_OUTCOME_REASON_REQUIRED]}}
    assert (
        finish(api_for, personas.village_assistant, review.pk, outcome="continue").status_code
        == 403
    )
    far = finish(api_for, personas.other_township_clerk, review.pk, outcome="continue")
    assert far.status_code == 404
    body = ok(
        finish(api_for, personas.township_clerk, review.pk, outcome="continue", findings="情况属实")
    )
    assert (body["status"], body["outcome"], body["completed_by"]) == (
        "done",
        "continue",
        "township",
    )
    again = finish(api_for, personas.county_officer, review.pk, outcome="continue")
    assert again.status_code == 409
    assert again.json()["errors"]["detail"][0].startswith("该复核已由township于")


def test_a_suspension_stops_payment_from_next_month(
    personas: Personas, api_for: ApiFor, review: Review
) -> None:
    body = ok(
        finish(
            api_for,
            personas.county_officer,
            review.pk,
            outcome="suspend",
            outcome_reason="家庭成员外出务工,收入待核实",
        )
    )
    assert body["new_amount"] == "0.00"
    case = ok(api_for(personas.county_officer).get(f"/api/v1/cases/{review.case_id}/"))
    assert case["status"] == "suspended"
    assert case["benefit_periods"][-1]["reason"] == "suspension"
