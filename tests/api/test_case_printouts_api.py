"""/api/v1/cases/{id}/letter/ and /api/v1/public-notices/{code}/: the decision letter and the
village's public notice list as PDF."""

from __future__ import annotations

import pytest
import time_machine

from minzheng.programs import pdf
from tests.api.case_support import (
    CASES,
    NOTICE_OVER,
    START,
    Applicants,
    accept,
    enroll,
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
    pytest.mark.skipif(not pdf.cjk_fonts(), reason=pdf.PDF_NO_CJK_FONT),
]


def test_an_approved_case_has_its_letter(personas: Personas, api_for: ApiFor) -> None:
    case_id = enroll(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    response = api_for(personas.village_assistant).get(f"{CASES}{case_id}/letter/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    asked = api_for(personas.village_assistant).get(
        f"{CASES}{case_id}/letter/", HTTP_ACCEPT="application/pdf"
    )
    assert asked.status_code == 200
    termination = api_for(personas.county_officer).get(
        f"{CASES}{case_id}/letter/", {"kind": "termination"}
    )
    assert termination.json() == {"errors": {"non_field_errors": [pdf.LETTER_NOT_TERMINATED]}}


def test_an_open_case_has_no_letter_yet(personas: Personas, api_for: ApiFor) -> None:
    case_id = accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    response = api_for(personas.township_clerk).get(f"{CASES}{case_id}/letter/")
    assert response.json() == {"errors": {"non_field_errors": [pdf.LETTER_NO_DECISION]}}
    far = api_for(personas.other_county_officer).get(f"{CASES}{case_id}/letter/")
    assert far.status_code == 404


def test_the_village_notice_list_is_a_pdf_while_a_case_is_noticed(
    personas: Personas, api_for: ApiFor
) -> None:
    url = f"/api/v1/public-notices/{VILLAGE}/"
    village = api_for(personas.village_assistant)
    empty = village.get(url)
    assert empty.status_code == 404
    case_id = accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    run_to_notice(api_for, personas, case_id)
    response = village.get(url, {"contact_phone": "0564-1234567"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    with time_machine.travel(NOTICE_OVER, tick=False):
        ok(api_for(personas.township_clerk).get(f"{CASES}{case_id}/"))
    township = api_for(personas.township_clerk).get("/api/v1/public-notices/341503100000/")
    assert township.json() == {"errors": {"region_code": [pdf.NOTICE_NOT_VILLAGE]}}
    assert village.get(f"/api/v1/public-notices/{OTHER_COUNTY_VILLAGE}/").status_code == 404
