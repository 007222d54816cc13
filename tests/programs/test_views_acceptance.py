"""一门受理: find the household, take the application with its members counted or not and the
program's own data; Chinese messages for what is missing; a village assistant files it online
(代办) and the window accepts it from the list of online applications."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from minzheng.programs.forms import (
    APPLICANT_REQUIRED,
    EXCLUSION_REASON_REQUIRED,
    PROGRAM_REQUIRED,
    SUPPORT_MODE_REQUIRED,
)
from minzheng.programs.models import Case, CaseStatus, Channel
from minzheng.programs.policies.common import REQUIRED
from tests.conftest import OTHER_TOWNSHIP_VILLAGE
from tests.programs.conftest import at, make_family
from tests.programs.views_support import HTMX, accept

pytestmark = pytest.mark.django_db

ACCEPT = reverse("programs:case_accept")
ONLINE = reverse("programs:online_list")
START = at(2026, 3, 2)


def form_url(family):
    return f"{ACCEPT}?household={family.household.pk}"


def post(client, family, **data):
    return client.post(ACCEPT, {"household": family.household.pk, **data})


def test_the_window_finds_the_household_by_a_members_name(client, personas, family):
    client.force_login(personas.township_clerk)
    part = client.get(ACCEPT, {"q": "李秀英"}, **HTMX).content.decode()
    assert "<html" not in part
    assert "王大山" in part and form_url(family) in part


def test_the_form_lists_the_members_to_count(client, personas, family):
    client.force_login(personas.township_clerk)
    html = client.get(form_url(family)).content.decode()
    for person in (family.head, family.spouse, family.child):
        assert f'name="exclude_{person.pk}"' in html
        assert f'name="exclusion_{person.pk}"' in html
    assert "共同生活家庭成员认定" in html and "单人保" in html


@time_machine.travel(START, tick=False)
def test_the_window_accepts_and_the_case_starts(client, personas, family):
    client.force_login(personas.township_clerk)
    response = post(
        client,
        family,
        program="dibao_rural",
        applicant=family.head.pk,
        reason="因病致贫",
        **{f"exclude_{family.spouse.pk}": "on", f"exclusion_{family.spouse.pk}": "prisoner"},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:case_detail", args=[case.pk])
    assert case.status == CaseStatus.IN_PROGRESS and case.channel == Channel.WINDOW
    assert case.current_step == "authorization"
    spouse = case.members.get(person=family.spouse)
    assert not spouse.counted and spouse.exclusion_reason == "prisoner"


def test_missing_answers_are_shown_in_chinese(client, personas, family):
    client.force_login(personas.township_clerk)
    html = post(client, family).content.decode()
    assert PROGRAM_REQUIRED in html and APPLICANT_REQUIRED in html
    html = post(
        client,
        family,
        program="dibao_rural",
        applicant=family.head.pk,
        **{f"exclude_{family.child.pk}": "on"},
    ).content.decode()
    assert EXCLUSION_REASON_REQUIRED in html
    html = post(client, family, program="tekun", applicant=family.head.pk).content.decode()
    assert SUPPORT_MODE_REQUIRED in html
    assert not Case.objects.exists()


def test_the_programs_own_data_is_checked_by_its_policy(client, personas, family):
    client.force_login(personas.township_clerk)
    response = post(
        client, family, program="temporary_expense", applicant=family.head.pk, hardship="severe"
    )
    html = response.content.decode()
    assert 'id="id_rigid_expense_error"' in html
    assert REQUIRED in html
    assert not Case.objects.exists()


@time_machine.travel(START, tick=False)
def test_temporary_assistance_keeps_its_details(client, personas, family):
    client.force_login(personas.township_clerk)
    post(
        client,
        family,
        program="temporary_emergency",
        applicant=family.head.pk,
        hardship="severe",
        emergency_cause="fire",
        emergency_description="房屋失火",
    )
    case = Case.objects.get()
    assert case.details == {
        "hardship": "severe",
        "emergency_cause": "fire",
        "emergency_description": "房屋失火",
    }


@time_machine.travel(START, tick=False)
def test_a_second_application_is_refused_with_the_open_case(client, personas, family):
    case = accept(personas, family)
    client.force_login(personas.township_clerk)
    html = post(client, family, program="dibao_urban", applicant=family.spouse.pk).content.decode()
    assert case.number in html and "不能重复申请" in html


def test_a_household_outside_the_scope_is_not_found(client, personas, family):
    elsewhere = make_family(personas.other_township_clerk, region_code=OTHER_TOWNSHIP_VILLAGE)
    client.force_login(personas.township_clerk)
    assert client.get(form_url(elsewhere)).status_code == 404
    assert client.get(ACCEPT, {"household": "x"}).status_code == 404
    part = client.get(ACCEPT, {"q": "王大山"}, **HTMX).content.decode()
    assert form_url(elsewhere) not in part


def test_the_county_does_not_take_applications(client, personas, family):
    client.force_login(personas.county_officer)
    assert client.get(ACCEPT).status_code == 403


@time_machine.travel(START, tick=False)
def test_a_village_assistant_files_online_and_the_window_sees_it(client, personas, family):
    client.force_login(personas.village_assistant)
    html = client.get(form_url(family)).content.decode()
    assert "代办申请" in html and f'name="exclude_{family.head.pk}"' not in html
    response = post(client, family, program="dibao_rural", applicant=family.head.pk)
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.status == CaseStatus.SUBMITTED and case.channel == Channel.ONLINE
    client.force_login(personas.township_clerk)
    html = client.get(ONLINE).content.decode()
    assert case.number in html and "受理" in html
    client.force_login(personas.other_township_clerk)
    assert case.number not in client.get(ONLINE).content.decode()
