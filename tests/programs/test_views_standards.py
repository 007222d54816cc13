"""救助标准: every program's numbers with the policy's labels and their history; the county
sets a value from a date, with Chinese messages; the township reads, never writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from minzheng.programs.forms import REGION_REQUIRED
from minzheng.programs.models import Standard
from minzheng.programs.services.standards import STANDARD_VALUE_INVALID

pytestmark = pytest.mark.django_db

LIST = reverse("programs:standards")
NEW = reverse("programs:standard_create")
COUNTY = "341503000000"


def test_the_numbers_show_with_their_labels(client, personas, standards):
    client.force_login(personas.county_officer)
    html = client.get(LIST, {"program": "dibao_rural"}).content.decode()
    assert "低保标准(每人每月)" in html
    assert "790" in html and "现行" in html
    html = client.get(LIST, {"program": "temporary_expense"}).content.decode()
    assert "单次救助金额上限" in html


def test_a_required_number_not_set_is_marked(client, personas, regions):
    client.force_login(personas.county_officer)
    html = client.get(LIST, {"program": "dibao_rural"}).content.decode()
    assert "未设置(必填)" in html


def test_the_county_sets_a_new_standard_from_a_date(client, personas, standards):
    client.force_login(personas.county_officer)
    html = client.get(NEW, {"parameter": "dibao_rural:monthly_standard"}).content.decode()
    assert 'value="dibao_rural:monthly_standard" selected' in html
    response = client.post(
        NEW,
        {
            "parameter": "dibao_rural:monthly_standard",
            "region_code": COUNTY,
            "valid_from": "2026-07-01",
            "value": "820",
            "note": "六政办〔2026〕12号",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "已设置“低保标准(每人每月)”:自2026-07-01起为820元" in html
    row = Standard.objects.get(
        program="dibao_rural", parameter="monthly_standard", valid_from=datetime.date(2026, 7, 1)
    )
    assert row.value == Decimal("820") and row.created_by == personas.county_officer


def test_the_form_says_what_is_wrong_in_chinese(client, personas, standards):
    client.force_login(personas.county_officer)
    html = client.post(
        NEW, {"parameter": "dibao_rural:monthly_standard", "valid_from": "2026-07-01", "value": "1"}
    ).content.decode()
    assert REGION_REQUIRED in html
    html = client.post(
        NEW,
        {
            "parameter": "dibao_rural:monthly_standard",
            "region_code": COUNTY,
            "valid_from": "2026-07-01",
            "value": "-5",
        },
    ).content.decode()
    assert STANDARD_VALUE_INVALID in html


def test_the_township_reads_but_does_not_set(client, personas, standards):
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert "790" in html and "设置标准" not in html
    assert client.get(NEW).status_code == 403
