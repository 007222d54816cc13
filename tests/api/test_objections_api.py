"""/api/v1/cases/{id}/objections/ and /api/v1/objections/{id}/resolve/: an objection during
the public notice holds the case; an upheld one sends it back to a new survey."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from minzheng.programs.services import cases as svc
from tests.api.case_support import (
    CASES,
    NOTICE_OVER,
    START,
    Applicants,
    accept,
    complete,
    ok,
    run_to_notice,
    standards,  # noqa: F401 (fixture)
)
from tests.api.conftest import ApiFor
from tests.conftest import VILLAGE, Personas

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("standards"),
    pytest.mark.time_machine(START, tick=False),
]
OBJECTION = {"content": "该户有一辆小轿车未申报", "raised_by_name": "匿名"}


@pytest.fixture
def noticed(personas: Personas, api_for: ApiFor) -> int:
    case_id = accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    run_to_notice(api_for, personas, case_id)
    return case_id


def objection_url(case_id: int) -> str:
    return f"{CASES}{case_id}/objections/"


def resolve(api_for: ApiFor, user: Any, objection_id: int, **body: Any) -> Any:
    url = f"/api/v1/objections/{objection_id}/resolve/"
    return api_for(user).post(url, body, format="json")


def test_an_objection_is_registered_only_during_the_notice(
    personas: Personas, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    village = api_for(personas.village_assistant)
    early = village.post(objection_url(case_id), OBJECTION, format="json")
    assert early.status_code == 400
    assert early.json() == {"errors": {"non_field_errors": [svc.OBJECTION_NOT_DURING_NOTICE]}}
    run_to_notice(api_for, personas, case_id)
    blank = village.post(objection_url(case_id), {"content": " "}, format="json")
    assert blank.json() == {"errors": {"content": [svc.OBJECTION_CONTENT_REQUIRED]}}
    body = ok(village.post(objection_url(case_id), OBJECTION, format="json"), 201)
    assert (body["case_id"], body["outcome"], body["registered_by"]) == (case_id, "", "village")
    assert body["raised_by_name"] == "匿名"
    county = api_for(personas.county_officer)
    assert county.post(objection_url(case_id), OBJECTION, format="json").status_code == 403
    other = api_for(personas.other_village_assistant)
    assert other.post(objection_url(case_id), OBJECTION, format="json").status_code == 404


def test_an_open_objection_holds_the_notice_and_an_upheld_one_sends_the_case_back(
    personas: Personas, api_for: ApiFor, noticed: int
) -> None:
    village = api_for(personas.village_assistant)
    objection = ok(village.post(objection_url(noticed), OBJECTION, format="json"), 201)
    clerk = api_for(personas.township_clerk)
    with time_machine.travel(NOTICE_OVER, tick=False):
        held = complete(clerk, noticed, "public_notice")
        assert held.json() == {"errors": {"non_field_errors": [svc.OBJECTIONS_OPEN.format(n=1)]}}
        assert resolve(api_for, personas.village_assistant, objection["id"]).status_code == 403
        far = resolve(api_for, personas.other_township_clerk, objection["id"], outcome="upheld")
        assert far.status_code == 404
        missing = resolve(api_for, personas.township_clerk, objection["id"], outcome="upheld")
        assert missing.json()["errors"] == {"investigation": ["该字段是必填项。"]}
        done = ok(
            resolve(
                api_for,
                personas.township_clerk,
                objection["id"],
                outcome="upheld",
                investigation="核实有车辆一辆,需重新调查",
            )
        )
    assert (done["outcome"], done["resolved_by"]) == ("upheld", "township")
    case = ok(clerk.get(f"{CASES}{noticed}/"))
    assert case["current_step"] == "survey"
    rounds = {(s["code"], s["round"]): s["status"] for s in case["steps"]}
    assert rounds[("survey", 2)] == "open"
    assert rounds[("public_notice", 1)] == "cancelled"
    assert [o["outcome"] for o in case["objections"]] == ["upheld"]
    again = resolve(
        api_for, personas.township_leader, objection["id"], outcome="dismissed", investigation="x"
    )
    assert again.status_code == 409
    assert again.json() == {"errors": {"detail": [svc.OBJECTION_RESOLVED]}}


def test_a_dismissed_objection_lets_the_notice_end(
    personas: Personas, api_for: ApiFor, noticed: int
) -> None:
    village = api_for(personas.village_assistant)
    objection = ok(village.post(objection_url(noticed), OBJECTION, format="json"), 201)
    with time_machine.travel(NOTICE_OVER, tick=False):
        ok(
            resolve(
                api_for,
                personas.township_clerk,
                objection["id"],
                outcome="dismissed",
                investigation="车辆为他人所有",
            )
        )
        step = ok(complete(api_for(personas.township_clerk), noticed, "public_notice"))
    assert step["status"] == "done"
