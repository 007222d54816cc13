"""/api/v1/standards/ and /api/v1/programs/: the programs with their steps and parameters, and
the effective-dated numbers a county sets; a change recalculates the paying cases."""

from __future__ import annotations

import datetime

import pytest

from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.programs.models import BenefitPeriod, Standard
from minzheng.programs.services import standards as svc
from tests.api.case_support import (
    COUNTY,
    START,
    Applicants,
    enroll,
    ok,
    standards,  # noqa: F401 (fixture)
)
from tests.api.conftest import ApiFor
from tests.conftest import VILLAGE, Personas

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(START, tick=False)]
URL = "/api/v1/standards/"


def new_standard(**fields: str) -> dict[str, str]:
    data = {
        "program": "dibao_rural",
        "parameter": "monthly_standard",
        "region_code": COUNTY,
        "valid_from": "2026-07-01",
        "value": "830",
        "note": "六安市民政局文件",
    }
    data.update(fields)
    return data


def test_the_programs_are_listed_with_their_steps_and_parameters(
    personas: Personas, api_for: ApiFor
) -> None:
    body = ok(api_for(personas.village_assistant).get("/api/v1/programs/"))
    assert [p["code"] for p in body] == [
        "dibao_urban",
        "dibao_rural",
        "tekun",
        "temporary_emergency",
        "temporary_expense",
    ]
    rural = body[1]
    assert (rural["label"], rural["kind"]) == ("农村最低生活保障", "monthly")
    steps = {s["code"]: s for s in rural["steps"]}
    assert steps["public_notice"]["calendar_days"] is True
    assert steps["survey"] == {
        "code": "survey",
        "label": "入户调查",
        "level": "township",
        "deadline_days": 10,
        "calendar_days": False,
        "optional": False,
        "auto": False,
    }
    parameters = {p["name"]: p for p in rural["parameters"]}
    assert parameters["monthly_standard"]["unit"] == "元"
    assert api_for(personas.hospital_clerk).get("/api/v1/programs/").status_code == 403


@pytest.mark.usefixtures("standards")
def test_a_county_officer_sets_a_standard_and_everyone_below_reads_it(
    personas: Personas, api_for: ApiFor
) -> None:
    officer = api_for(personas.county_officer)
    body = ok(officer.post(URL, new_standard(), format="json"), 201)
    assert (body["value"], body["valid_from"], body["valid_to"]) == ("830.0000", "2026-07-01", None)
    assert body["created_by"] == "county"
    listed = ok(
        api_for(personas.village_assistant).get(
            URL, {"program": "dibao_rural", "parameter": "monthly_standard"}
        )
    )["results"]
    assert [(r["valid_from"], r["value"]) for r in listed] == [
        ("2026-07-01", "830.0000"),
        ("2020-01-01", "790.0000"),
    ]
    assert ok(api_for(personas.other_county_officer).get(URL))["count"] == 0


@pytest.mark.usefixtures("standards")
def test_a_new_standard_recalculates_the_paying_cases(personas: Personas, api_for: ApiFor) -> None:
    case_id = enroll(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    ok(api_for(personas.county_officer).post(URL, new_standard(), format="json"), 201)
    months = list(BenefitPeriod.objects.filter(case_id=case_id).values_list("valid_from", "reason"))
    assert (datetime.date(2026, 7, 1), "standard_change") in months


def test_a_standard_is_refused_with_the_field_at_fault(personas: Personas, api_for: ApiFor) -> None:
    officer = api_for(personas.county_officer)
    response = officer.post(URL, new_standard(parameter="lucky_number"), format="json")
    assert response.status_code == 400
    message = svc.STANDARD_UNKNOWN_PARAMETER.format(
        program="农村最低生活保障", parameter="lucky_number"
    )
    assert response.json() == {"errors": {"parameter": [message]}}
    village_level = officer.post(URL, new_standard(region_code=VILLAGE), format="json")
    assert village_level.json() == {"errors": {"region_code": [svc.STANDARD_REGION_LEVEL]}}
    backwards = officer.post(URL, new_standard(valid_to="2026-06-30"), format="json")
    assert backwards.json() == {"errors": {"valid_to": [svc.STANDARD_ENDS_BEFORE_START]}}
    negative = officer.post(URL, new_standard(value="-1"), format="json")
    assert negative.status_code == 400 and "value" in negative.json()["errors"]
    far = officer.post(URL, new_standard(region_code="640324000000"), format="json")
    assert far.json() == {"errors": {"region_code": [OUT_OF_SCOPE]}}
    clerk = api_for(personas.township_clerk)
    assert clerk.post(URL, new_standard(), format="json").status_code == 403
    assert not Standard.objects.exists()
