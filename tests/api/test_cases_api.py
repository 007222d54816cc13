"""/api/v1/cases/: a 低保 application from the one window to enrollment through the API, and
the answers when it may not go on: 400 with field errors, 403 for a role that never does the
step, 404 outside the scope, 409 when someone else got there first."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minzheng.core.api import ROLE_NOT_ALLOWED
from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.programs.apis.base import HOUSEHOLD_NOT_FOUND
from minzheng.programs.apis.cases import DATE_INVALID, NOT_A_MEMBER, ONLINE_NO_EXCLUSIONS
from minzheng.programs.models import Case
from minzheng.programs.services import cases as svc
from minzheng.programs.services.errors import CASE_CHANGED_MEANWHILE
from tests.api.case_support import (
    CASES,
    MONEY,
    NOTICE_OVER,
    START,
    Applicants,
    accept,
    application,
    complete,
    ok,
    run_to_notice,
    standards,  # noqa: F401 (fixture)
)
from tests.api.conftest import ApiFor
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE, Personas

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("standards"),
    pytest.mark.time_machine(START, tick=False),
]


@pytest.fixture
def applicants(personas: Personas) -> Applicants:
    return Applicants(personas.township_clerk, VILLAGE)


def test_a_rural_dibao_case_runs_from_the_window_to_enrollment(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    clerk, officer = api_for(personas.township_clerk), api_for(personas.county_officer)
    body = ok(clerk.post(CASES, application(applicants), format="json"), 201)
    case_id = body["id"]
    assert body["number"].startswith("NCDB341503")
    assert (body["status"], body["current_step"], body["channel"]) == (
        "in_progress",
        "authorization",
        "window",
    )
    assert body["program"] == "dibao_rural" and body["program_label"] == "农村最低生活保障"
    assert [m["counted"] for m in body["members"]] == [True, True, True]
    steps = {s["code"]: s for s in body["steps"]}
    assert steps["acceptance"]["status"] == "done"
    assert steps["authorization"]["status"] == "open" and steps["authorization"]["due_on"]
    assert steps["democratic_review"]["status"] == "skipped"

    run_to_notice(api_for, personas, case_id)
    body = ok(clerk.get(f"{CASES}{case_id}/"))
    assert body["current_step"] == "public_notice"
    assert MONEY.match(body["monthly_amount"]) and body["monthly_amount"] != "0.00"
    assert body["calculation"]["lines"], "the clerk sees a worked calculation"
    assert MONEY.match(body["calculation"]["amount"])
    now = ok(clerk.get(f"{CASES}{case_id}/calculation/"))
    assert now["amount"] == body["monthly_amount"]
    assert [line["label"] for line in now["lines"]] == [
        line["label"] for line in body["calculation"]["lines"]
    ]

    with time_machine.travel(NOTICE_OVER, tick=False):
        notice = ok(complete(clerk, case_id, "public_notice"))
        assert notice["status"] == "done" and notice["completed_by"] == "township"
        approval = ok(complete(officer, case_id, "county_approval", outcome="approve"))
        assert approval["outcome"] == "approve"
        body = ok(officer.get(f"{CASES}{case_id}/"))
    assert body["status"] == "active" and body["current_step"] == ""
    assert body["decision"] == "approve" and body["decided_by"] == "county"
    assert body["start_month"] == "2026-04-01", "paid from the month after approval"
    [period] = body["benefit_periods"]
    assert (period["valid_from"], period["reason"]) == ("2026-04-01", "approval")
    assert period["monthly_amount"] == body["monthly_amount"]
    assert {s["code"]: s["status"] for s in body["steps"]}["enrollment"] == "done"

    events = ok(officer.get(f"{CASES}{case_id}/events/", {"page_size": 100}))
    actions = [e["action"] for e in events["results"]]
    for action in ("case.accept", "case.step_complete", "case.approve", "case.enroll"):
        assert action in actions
    assert actions.index("case.accept") < actions.index("case.enroll"), "oldest first"


def test_a_step_completed_twice_is_a_conflict_naming_who_did_it(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, applicants)
    ok(complete(api_for(personas.township_clerk), case_id, "authorization", data={"signed": True}))
    second = complete(
        api_for(personas.township_leader), case_id, "authorization", data={"signed": True}
    )
    assert second.status_code == 409
    [message] = second.json()["errors"]["detail"]
    assert message.startswith("“核对授权”环节已由township于"), message


def test_a_stale_version_is_a_conflict(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, applicants)
    clerk = api_for(personas.township_clerk)
    version = ok(clerk.get(f"{CASES}{case_id}/"))["version"]
    ok(complete(clerk, case_id, "authorization", data={"signed": True}, version=version))
    survey = {"surveyors": ["张敏", "刘伟"], "visited_on": "2026-03-02"}
    response = complete(clerk, case_id, "survey", data=survey, version=version)
    assert response.status_code == 409
    assert response.json() == {"errors": {"detail": [CASE_CHANGED_MEANWHILE]}}


def test_outside_the_scope_a_case_does_not_exist(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, applicants)
    for user in (personas.other_township_clerk, personas.other_county_officer):
        client = api_for(user)
        for path in ("", "events/", "calculation/"):
            response = client.get(f"{CASES}{case_id}/{path}")
            assert response.status_code == 404, path
            assert response.json() == {"errors": {"detail": [OUT_OF_SCOPE]}}
        assert complete(client, case_id, "county_approval").status_code in (403, 404)
        assert client.get(CASES).json()["count"] == 0
    other = api_for(personas.other_township_clerk)
    response = complete(other, case_id, "authorization", data={"signed": True})
    assert response.status_code == 404
    assert other.post(f"{CASES}{case_id}/withdraw/", {"reason": "x"}).status_code == 404
    assert Case.objects.get(pk=case_id).current_step == "authorization"


def test_a_refused_rule_answers_400_with_the_fields_of_the_request(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, applicants)
    clerk = api_for(personas.township_clerk)
    response = complete(clerk, case_id, "authorization")
    assert response.status_code == 400
    assert response.json() == {"errors": {"data.signed": [svc.AUTHORIZATION_UNSIGNED]}}
    ok(complete(clerk, case_id, "authorization", data={"signed": True}))
    one = complete(
        clerk, case_id, "survey", data={"surveyors": ["张敏"], "visited_on": "2026-03-02"}
    )
    assert one.json() == {"errors": {"data.surveyors": [svc.SURVEY_NEEDS_TWO]}}
    bad_date = complete(
        clerk, case_id, "survey", data={"surveyors": ["张敏", "刘伟"], "visited_on": "3月2日"}
    )
    assert bad_date.json() == {"errors": {"data.visited_on": [DATE_INVALID]}}
    not_open = complete(clerk, case_id, "township_review", outcome="approve")
    assert not_open.status_code == 400
    assert not_open.json() == {
        "errors": {"non_field_errors": [svc.STEP_NOT_OPEN.format(step="乡镇审核")]}
    }
    assert complete(clerk, case_id, "no_such_step").status_code == 404


def test_a_role_that_never_does_the_step_is_refused_with_403(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, applicants)
    for user, code in (
        (personas.village_assistant, "authorization"),
        (personas.county_officer, "survey"),
        (personas.auditor, "verification"),
        (personas.township_clerk, "verification"),
    ):
        response = complete(api_for(user), case_id, code, data={"signed": True}, outcome="pass")
        assert response.status_code == 403, (user.username, code)
    assert Case.objects.get(pk=case_id).current_step == "authorization"


def test_a_township_review_refusing_without_reasons_names_the_note(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, applicants)
    clerk = api_for(personas.township_clerk)
    ok(complete(clerk, case_id, "authorization", data={"signed": True}))
    ok(
        complete(
            clerk,
            case_id,
            "survey",
            data={"surveyors": ["张敏", "刘伟"], "visited_on": "2026-03-02"},
        )
    )
    ok(complete(api_for(personas.county_officer), case_id, "verification", outcome="fail"))
    response = complete(clerk, case_id, "township_review", outcome="refuse")
    assert response.json() == {"errors": {"note": [svc.REASON_REQUIRED]}}
    ok(complete(clerk, case_id, "township_review", outcome="refuse", note="家庭有经营性收入"))
    assert ok(clerk.get(f"{CASES}{case_id}/"))["status"] == "refused"


def test_an_online_application_waits_for_the_window(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    village = api_for(personas.village_assistant)
    window = village.post(CASES, application(applicants, channel="window"), format="json")
    assert window.status_code == 403
    assert window.json() == {"errors": {"detail": [ROLE_NOT_ALLOWED]}}
    excluded = application(
        applicants, channel="online", exclusions={str(applicants.spouse.pk): "prisoner"}
    )
    response = village.post(CASES, excluded, format="json")
    assert response.json() == {"errors": {"exclusions": [ONLINE_NO_EXCLUSIONS]}}
    body = ok(village.post(CASES, application(applicants, channel="online"), format="json"), 201)
    assert (body["status"], body["current_step"], body["channel"]) == (
        "submitted",
        "acceptance",
        "online",
    )
    clerk = api_for(personas.township_clerk)
    exclusions = {str(applicants.spouse.pk): "prisoner"}
    accepted = ok(
        clerk.post(f"{CASES}{body['id']}/accept/", {"exclusions": exclusions}, format="json")
    )
    assert (accepted["status"], accepted["current_step"]) == ("in_progress", "authorization")
    spouse = next(m for m in accepted["members"] if m["person"]["id"] == applicants.spouse.pk)
    assert (spouse["counted"], spouse["exclusion_reason"]) == (False, "prisoner")
    assert accepted["accepted_at"]
    again = clerk.post(f"{CASES}{body['id']}/accept/", {}, format="json")
    assert again.status_code == 409


def test_the_window_names_the_members_not_counted(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    clerk = api_for(personas.township_clerk)
    stranger = str(personas.township_clerk.pk + 10_000)
    response = clerk.post(
        CASES, application(applicants, exclusions={stranger: "prisoner"}), format="json"
    )
    assert response.json() == {"errors": {"exclusions": [NOT_A_MEMBER.format(pk=stranger)]}}
    response = clerk.post(CASES, application(applicants, exclusions={"x": "nope"}), format="json")
    assert response.status_code == 400 and "exclusions.x" in response.json()["errors"]
    case_id = accept(api_for, personas, applicants)
    body = ok(
        clerk.post(
            f"{CASES}{case_id}/members/",
            {"exclusions": {str(applicants.child.pk): "missing"}},
            format="json",
        )
    )
    counted = {m["person"]["id"]: m["counted"] for m in body["members"]}
    assert counted == {
        applicants.head.pk: True,
        applicants.spouse.pk: True,
        applicants.child.pk: False,
    }
    events = ok(clerk.get(f"{CASES}{case_id}/events/"))["results"]
    assert events[-1]["action"] == "case.members_set"


def test_an_application_names_what_is_wrong_with_it(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    clerk = api_for(personas.township_clerk)
    far = Applicants(personas.other_county_officer, OTHER_COUNTY_VILLAGE)
    response = clerk.post(CASES, application(far), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"household": [HOUSEHOLD_NOT_FOUND.format(pk=far.household.pk)]}
    }
    outsider = application(applicants, applicant=far.head.pk)
    assert "applicant" in clerk.post(CASES, outsider, format="json").json()["errors"]
    unknown = clerk.post(CASES, application(applicants, program="lottery"), format="json")
    assert unknown.status_code == 400 and "program" in unknown.json()["errors"]
    case_id = accept(api_for, personas, applicants)
    number = Case.objects.get(pk=case_id).number
    twice = clerk.post(
        CASES, application(applicants, applicant=applicants.spouse.pk), format="json"
    )
    assert twice.status_code == 400
    [message] = twice.json()["errors"]["non_field_errors"]
    assert number in message
    assert not Case.objects.exclude(pk=case_id).exists()


def test_a_withdrawal_needs_a_reason_and_cancels_the_open_steps(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, applicants)
    clerk = api_for(personas.township_clerk)
    response = clerk.post(f"{CASES}{case_id}/withdraw/", {}, format="json")
    assert response.json() == {"errors": {"reason": [svc.WITHDRAW_REASON_REQUIRED]}}
    village = api_for(personas.village_assistant)
    assert village.post(f"{CASES}{case_id}/withdraw/", {"reason": "x"}).status_code == 403
    body = ok(
        clerk.post(f"{CASES}{case_id}/withdraw/", {"reason": "申请人外出务工"}, format="json")
    )
    assert body["status"] == "withdrawn"
    assert {s["status"] for s in body["steps"]} <= {"done", "skipped", "cancelled"}
    again = complete(clerk, case_id, "authorization", data={"signed": True})
    assert again.status_code == 400
    assert again.json() == {
        "errors": {"non_field_errors": [svc.CASE_NOT_OPEN.format(status="已撤回")]}
    }


def test_the_list_is_scoped_and_filtered(
    personas: Personas, applicants: Applicants, api_for: ApiFor
) -> None:
    case_id = accept(api_for, personas, applicants)
    number = Case.objects.get(pk=case_id).number
    client = api_for(personas.county_officer)

    def ids(**params: str) -> list[int]:
        return [c["id"] for c in ok(client.get(CASES, params))["results"]]

    assert ids() == [case_id]
    assert ids(program="dibao_rural") == [case_id] and ids(program="tekun") == []
    assert ids(status="in_progress") == [case_id] and ids(status="active") == []
    assert ids(region_code="341503100000") == [case_id]
    assert ids(region_code="341503101") == []
    assert ids(q=number) == [case_id] and ids(q="王大") == [case_id] and ids(q="李") == []
    row = ok(client.get(CASES))["results"][0]
    assert row["applicant"]["name"] == "王大山"
    assert MONEY.match(row["monthly_amount"])
    masked = ok(api_for(personas.village_assistant).get(CASES))["results"][0]
    assert "*" in masked["applicant"]["id_number"], "the village sees the number masked"
    bad = client.get(CASES, {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    assert api_for(personas.hospital_clerk).get(CASES).status_code == 403


def test_the_list_costs_no_query_per_case(personas: Personas, api_for: ApiFor) -> None:
    def queries() -> int:
        client = api_for(personas.county_officer)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(CASES).status_code == 200
        return len(ctx)

    accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    few = queries()
    for _ in range(3):
        accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    assert queries() == few
