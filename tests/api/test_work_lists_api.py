"""/api/v1/inbox/ and /api/v1/overdue/: the steps a user may work, overdue first, and the
open and overdue steps per township."""

from __future__ import annotations

import pytest
import time_machine

from tests.api.case_support import (
    START,
    Applicants,
    accept,
    at,
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
INBOX, OVERDUE = "/api/v1/inbox/", "/api/v1/overdue/"


def test_the_inbox_holds_the_steps_of_the_callers_level_and_scope(
    personas: Personas, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    body = ok(api_for(personas.township_clerk).get(INBOX))
    [step] = body["results"]
    assert (step["code"], step["label"], step["status"]) == ("authorization", "核对授权", "open")
    assert step["case"]["id"] == case_id and step["case"]["applicant_name"] == "王大山"
    assert step["due_on"] and step["overdue"] is False
    assert ok(api_for(personas.county_officer).get(INBOX))["count"] == 0, "not the county's step"
    assert ok(api_for(personas.other_township_clerk).get(INBOX))["count"] == 0
    assert api_for(personas.auditor).get(INBOX).status_code == 403


def test_overdue_steps_are_counted_per_township(personas: Personas, api_for: ApiFor) -> None:
    accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    with time_machine.travel(at(2026, 3, 20), tick=False):
        rows = ok(api_for(personas.county_officer).get(OVERDUE))["results"]
        inbox = ok(api_for(personas.township_clerk).get(INBOX))["results"]
    assert rows == [
        {
            "township_code": "341503100000",
            "township_name": "苏埠镇",
            "open_steps": 1,
            "overdue_steps": 1,
        }
    ]
    assert inbox[0]["overdue"] is True
    assert ok(api_for(personas.other_township_clerk).get(OVERDUE))["results"] == []
