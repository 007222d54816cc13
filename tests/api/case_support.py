"""What the case engine's API tests share: the demo county's standards, a household that
qualifies for 低保, a clock set to a known working week, and the calls that take a case from
the window to enrollment through the API."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any

import pytest
from rest_framework.test import APIClient

from minzheng.core.models import User
from minzheng.registry.models import Household, Person
from minzheng.registry.services import declaration_create, member_add
from tests.api.conftest import ApiFor
from tests.conftest import Personas
from tests.factories import make_household, make_person, new_id_number

COUNTY = "341503000000"
CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")
MONEY = re.compile(r"^-?\d+\.\d{2}$")
CASES = "/api/v1/cases/"


def at(year: int, month: int, day: int, hour: int = 9) -> datetime.datetime:
    """A moment in the bureau's time zone, for time_machine.travel."""
    return datetime.datetime(year, month, day, hour, tzinfo=CHINA)


START = at(2026, 3, 2)  # a Monday after the Spring Festival
NOTICE_OVER = at(2026, 3, 10)  # the 7-day notice posted on 2 March has run


@pytest.fixture
def standards(personas: Personas) -> None:
    """The demo county's numbers in force since 2020."""
    from minzheng.programs.standard_defaults import standards_seed

    standards_seed(region_code=COUNTY, valid_from=datetime.date(2020, 1, 1))


class Applicants:
    """A rural household of three in 陶洪村 whose head earns 300 yuan a month."""

    def __init__(self, actor: User, region_code: str) -> None:
        self.head = make_person(
            actor,
            region_code=region_code,
            name="王大山",
            id_number=new_id_number(birth=datetime.date(1980, 3, 1)),
        )
        self.spouse = make_person(
            actor,
            region_code=region_code,
            name="李秀英",
            id_number=new_id_number(birth=datetime.date(1982, 7, 9), male=False),
        )
        self.child = make_person(
            actor,
            region_code=region_code,
            name="王小明",
            id_number=new_id_number(birth=datetime.date(2016, 1, 5)),
        )
        self.household: Household = make_household(actor, region_code=region_code, head=self.head)
        for person, relationship in ((self.spouse, "spouse"), (self.child, "child")):
            member_add(
                actor=actor,
                household=self.household,
                person=person,
                relationship=relationship,
                valid_from=datetime.date(2020, 1, 1),
            )
        declaration_create(
            actor=actor,
            household=self.household,
            declared_on=datetime.date(2020, 6, 1),
            incomes=[{"person": self.head, "kind": "wages", "monthly_amount": "300.00"}],
            assets=[],
        )

    @property
    def members(self) -> list[Person]:
        return [self.head, self.spouse, self.child]


def application(applicants: Applicants, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "household": applicants.household.pk,
        "applicant": applicants.head.pk,
        "program": "dibao_rural",
        "reason": "因病致贫",
    }
    data.update(fields)
    return data


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.json()
    body: dict[str, Any] = response.json()
    return body


def complete(client: APIClient, case_id: int, code: str, **body: Any) -> Any:
    return client.post(f"{CASES}{case_id}/steps/{code}/complete/", body, format="json")


def accept(api_for: ApiFor, personas: Personas, applicants: Applicants, **fields: Any) -> int:
    """A 低保 application taken at the township window; the case's id."""
    client = api_for(personas.township_clerk)
    body = ok(client.post(CASES, application(applicants, **fields), format="json"), 201)
    return int(body["id"])


def run_to_notice(api_for: ApiFor, personas: Personas, case_id: int) -> None:
    """Authorization, survey, verification and the township's review: the case is noticed."""
    clerk, officer = api_for(personas.township_clerk), api_for(personas.county_officer)
    ok(complete(clerk, case_id, "authorization", data={"signed": True}))
    survey = {"surveyors": ["张敏", "刘伟"], "visited_on": "2026-03-02", "findings": "属实"}
    ok(complete(clerk, case_id, "survey", data=survey))
    ok(complete(officer, case_id, "verification", outcome="pass"))
    ok(complete(clerk, case_id, "township_review", outcome="approve", note="符合条件"))


def enroll(api_for: ApiFor, personas: Personas, applicants: Applicants) -> int:
    """A 低保 case approved by the county on 10 March 2026 (the clock is moved there)."""
    import time_machine

    case_id = accept(api_for, personas, applicants)
    run_to_notice(api_for, personas, case_id)
    with time_machine.travel(NOTICE_OVER, tick=False):
        ok(complete(api_for(personas.township_clerk), case_id, "public_notice"))
        officer = api_for(personas.county_officer)
        ok(complete(officer, case_id, "county_approval", outcome="approve"))
    return case_id
