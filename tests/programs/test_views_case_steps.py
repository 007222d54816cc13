"""The case page: its timeline, the form of the open step for the role that works it, Chinese
messages under the fields a rule refused, and a step done twice answered with the conflict."""

from __future__ import annotations

import pytest
import time_machine

from minzheng.programs.forms import EXCLUSION_REASON_REQUIRED
from minzheng.programs.models import CaseStatus, StepStatus
from minzheng.programs.services import cases as svc
from minzheng.programs.services.errors import CASE_CHANGED_MEANWHILE
from tests.programs.conftest import at
from tests.programs.views_support import (
    HTMX,
    accept,
    authorize,
    case_url,
    run_to_notice,
    step_url,
    version,
)

pytestmark = pytest.mark.django_db

START = at(2026, 3, 2)


@time_machine.travel(START, tick=False)
def test_the_case_page_shows_the_steps_and_the_open_steps_form(client, personas, family):
    case = accept(personas, family)
    client.force_login(personas.township_clerk)
    html = client.get(case_url(case)).content.decode()
    assert case.number in html
    assert "农村最低生活保障" in html
    assert "当前环节:核对授权" in html
    assert 'name="signed"' in html
    assert f'name="version" value="{case.version}"' in html
    assert "王大山" in html and "陶洪村" in html


@time_machine.travel(START, tick=False)
def test_a_role_that_does_not_work_the_step_sees_who_does(client, personas, family):
    case = accept(personas, family)
    client.force_login(personas.county_officer)
    html = client.get(case_url(case)).content.decode()
    assert "当前环节:核对授权" in html
    assert 'name="signed"' not in html
    assert "此环节由乡镇(街道)经办人、乡镇(街道)分管领导办理" in html


@time_machine.travel(START, tick=False)
def test_a_case_outside_the_scope_is_not_found(client, personas, family):
    case = accept(personas, family)
    for user in (personas.other_township_clerk, personas.other_county_officer):
        client.force_login(user)
        assert client.get(case_url(case)).status_code == 404
    client.force_login(personas.other_township_clerk)
    response = client.post(step_url(case, "authorization"), {"version": case.version})
    assert response.status_code == 404
    # a county officer never works the authorization step: refused before the case is sought
    client.force_login(personas.other_county_officer)
    response = client.post(step_url(case, "authorization"), {"version": case.version})
    assert response.status_code == 403


@time_machine.travel(START, tick=False)
def test_a_refused_step_shows_the_rules_message_under_its_field(client, personas, family):
    case = accept(personas, family)
    client.force_login(personas.township_clerk)
    response = client.post(step_url(case, "authorization"), {"version": case.version})
    assert response.status_code == 200
    assert svc.AUTHORIZATION_UNSIGNED in response.content.decode()
    authorize(personas, case)
    response = client.post(
        step_url(case, "survey"),
        {"version": version(case), "surveyors": "张敏", "visited_on": "2026-03-02"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert svc.SURVEY_NEEDS_TWO in html
    assert 'id="id_surveyors_error"' in html
    assert "<html" not in html  # htmx gets the step panel only


@time_machine.travel(START, tick=False)
def test_a_step_done_goes_back_to_the_case_page_with_the_next_step(client, personas, family):
    case = accept(personas, family)
    client.force_login(personas.township_clerk)
    response = client.post(
        step_url(case, "authorization"), {"version": case.version, "signed": "on"}, follow=True
    )
    html = response.content.decode()
    assert "已办理“核对授权”" in html
    assert "当前环节:入户调查" in html
    response = client.post(
        step_url(case, "survey"),
        {"version": version(case), "surveyors": "张敏、刘伟", "visited_on": "2026-03-02"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == case_url(case)
    survey = case.steps.get(code="survey")
    assert survey.status == StepStatus.DONE
    assert survey.data["surveyors"] == ["张敏", "刘伟"]


@time_machine.travel(START, tick=False)
def test_a_step_completed_twice_shows_who_did_it(client, personas, family):
    case = accept(personas, family)
    seen = case.version
    client.force_login(personas.township_leader)
    authorize(personas, case)  # the clerk was faster
    response = client.post(
        step_url(case, "authorization"), {"version": seen, "signed": "on"}, **HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "“核对授权”环节已由township于" in html
    assert 'class="banner"' in html
    assert "当前环节:入户调查" in html  # the fresh case, its open step's form
    assert "<html" not in html

    response = client.post(step_url(case, "authorization"), {"version": seen, "signed": "on"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "“核对授权”环节已由township于" in html
    assert "<html" in html  # without htmx the whole page, with the banner


@time_machine.travel(START, tick=False)
def test_a_form_read_before_the_case_changed_is_refused(client, personas, family):
    case = accept(personas, family)
    authorize(personas, case)
    client.force_login(personas.township_clerk)
    response = client.post(
        step_url(case, "survey"),
        {"version": case.version - 1, "surveyors": "张敏、刘伟", "visited_on": "2026-03-02"},
        **HTMX,
    )
    assert response.status_code == 409
    assert CASE_CHANGED_MEANWHILE in response.content.decode()
    assert case.steps.get(code="survey").status == StepStatus.OPEN


@time_machine.travel(START, tick=False)
def test_a_tekun_survey_records_the_self_care_items(client, personas, family):
    case = accept(
        personas,
        family,
        program="tekun",
        support_mode="dispersed",
        details={"has_able_supporter": False},
    )
    authorize(personas, case)
    client.force_login(personas.township_clerk)
    html = client.get(case_url(case)).content.decode()
    assert "自主洗澡" in html
    client.post(
        step_url(case, "survey"),
        {
            "version": version(case),
            "surveyors": "张敏,刘伟",
            "visited_on": "2026-03-02",
            "self_care_failed": ["eating", "bathing"],
        },
    )
    case.refresh_from_db()
    assert case.steps.get(code="survey").data["self_care_failed"] == ["eating", "bathing"]
    assert case.care_level == "partial"


@time_machine.travel(START, tick=False)
def test_the_notice_ends_only_after_its_period(client, personas, family, standards):
    case = accept(personas, family)
    run_to_notice(personas, case)
    client.force_login(personas.township_clerk)
    html = client.get(case_url(case)).content.decode()
    assert "公示期:2026-03-02 至 2026-03-09" in html
    assert "保障金额计算" in html and "低保标准" in html
    response = client.post(step_url(case, "public_notice"), {"version": version(case)})
    assert "公示期至2026年03月09日届满" in response.content.decode()
    with time_machine.travel(at(2026, 3, 10), tick=False):
        client.force_login(personas.township_clerk)  # a new day, a new session
        client.post(step_url(case, "public_notice"), {"version": version(case)})
    case.refresh_from_db()
    assert case.current_step == "county_approval"


@time_machine.travel(START, tick=False)
def test_objections_are_registered_and_resolved_from_the_case_page(
    client, personas, family, standards
):
    case = accept(personas, family)
    run_to_notice(personas, case)
    client.force_login(personas.village_assistant)
    url = f"{case_url(case)}objections/"
    response = client.post(url, {"content": ""})
    assert svc.OBJECTION_CONTENT_REQUIRED in response.content.decode()
    client.post(url, {"content": "该户有一辆小轿车未申报", "raised_by_name": "村民"})
    objection = case.objections.get()
    client.force_login(personas.township_clerk)
    resolve = f"{url}{objection.pk}/resolve/"
    response = client.post(resolve, {"outcome": "dismissed"})
    assert svc.OBJECTION_OUTCOME_REQUIRED in response.content.decode()
    client.post(resolve, {"outcome": "dismissed", "investigation": "车辆已于去年出售"})
    objection.refresh_from_db()
    assert objection.outcome == "dismissed"


@time_machine.travel(START, tick=False)
def test_an_online_application_is_accepted_from_its_page(client, personas, family):
    case = svc.case_apply_online(
        actor=personas.village_assistant,
        household=family.household,
        applicant=family.head,
        program="dibao_rural",
    )
    client.force_login(personas.township_clerk)
    html = client.get(case_url(case)).content.decode()
    assert "当前环节:受理" in html
    assert f'name="exclude_{family.child.pk}"' in html
    response = client.post(
        step_url(case, "acceptance"),
        {"version": case.version, f"exclude_{family.spouse.pk}": "on"},
    )
    assert EXCLUSION_REASON_REQUIRED in response.content.decode()
    client.post(
        step_url(case, "acceptance"),
        {
            "version": case.version,
            f"exclude_{family.spouse.pk}": "on",
            f"exclusion_{family.spouse.pk}": "prisoner",
        },
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.current_step == "authorization"
    assert not case.members.get(person=family.spouse).counted


@time_machine.travel(START, tick=False)
def test_a_withdrawal_needs_a_reason(client, personas, family):
    case = accept(personas, family)
    client.force_login(personas.township_clerk)
    url = f"{case_url(case)}withdraw/"
    response = client.post(url, {"reason": ""})
    assert svc.WITHDRAW_REASON_REQUIRED in response.content.decode()
    client.post(url, {"reason": "申请人主动撤回"})
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
