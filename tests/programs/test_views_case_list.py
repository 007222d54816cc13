"""The case list: filters by program, status, region and name or number; paged; exported to
Excel; and never a case outside the user's scope."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.core.idnumbers import mask_id_number
from tests.conftest import OTHER_TOWNSHIP_VILLAGE
from tests.programs.conftest import at, make_family
from tests.programs.views_support import HTMX, accept

pytestmark = pytest.mark.django_db

LIST = reverse("programs:case_list")
EXPORT = reverse("programs:case_export")


@pytest.fixture
def cases(personas, family):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        rural = accept(personas, family)
        elsewhere = make_family(personas.other_township_clerk, region_code=OTHER_TOWNSHIP_VILLAGE)
        from minzheng.programs.services import cases as svc

        other = svc.case_accept(
            actor=personas.other_township_clerk,
            household=elsewhere.household,
            applicant=elsewhere.head,
            program="dibao_rural",
        )
    return rural, other


def test_the_county_lists_every_case_of_its_townships(client, personas, cases):
    rural, other = cases
    client.force_login(personas.county_officer)
    html = client.get(LIST).content.decode()
    assert rural.number in html and other.number in html
    assert "共 2 件" in html


def test_a_township_sees_only_its_own(client, personas, cases):
    rural, other = cases
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert rural.number in html and other.number not in html
    client.force_login(personas.other_county_officer)
    html = client.get(LIST).content.decode()
    assert rural.number not in html and "共 0 件" in html


def test_the_filters_narrow_the_list(client, personas, cases):
    rural, other = cases
    client.force_login(personas.county_officer)
    part = client.get(LIST, {"region": "341503101000"}, **HTMX).content.decode()
    assert "<html" not in part
    assert other.number in part and rural.number not in part
    part = client.get(LIST, {"program": "tekun"}, **HTMX).content.decode()
    assert "没有符合条件的案件" in part
    part = client.get(LIST, {"q": rural.number}, **HTMX).content.decode()
    assert rural.number in part and other.number not in part
    part = client.get(LIST, {"status": "active"}, **HTMX).content.decode()
    assert rural.number not in part


def test_numbers_are_masked_for_a_village_assistant(client, personas, cases):
    rural, _other = cases
    client.force_login(personas.village_assistant)
    html = client.get(LIST).content.decode()
    assert mask_id_number(rural.applicant.id_number) in html
    assert rural.applicant.id_number not in html


def test_the_export_holds_the_filtered_cases_in_scope(client, personas, cases):
    rural, _other = cases
    client.force_login(personas.township_clerk)
    response = client.get(EXPORT, {"program": "dibao_rural"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "案件编号"
    assert [r[0] for r in rows[1:]] == [rural.number]
    assert rows[1][1] == "农村最低生活保障"
    assert rows[1][5] == "办理中"


def test_a_role_without_case_pages_is_refused(client, personas):
    client.force_login(personas.hospital_clerk)
    assert client.get(LIST).status_code == 403
    client.logout()
    assert client.get(LIST).status_code == 302
