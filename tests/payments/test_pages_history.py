"""A person's and a household's payment history (发放记录) with the totals of each year and the
Excel export, the links to them from the registry's pages, and the printable payroll list of a
village (发放名单公示, PDF): masked names, counted members, amounts and programs only."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from minzheng.payments.models import PaymentLine, RunStatus
from minzheng.programs import pdf as programs_pdf
from minzheng.programs.models import Case
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.payments.support import NOV, OCT, make_run
from tests.programs.conftest import at

D = Decimal
DEC_2025 = datetime.date(2025, 12, 1)

pytestmark = pytest.mark.django_db
needs_font = pytest.mark.skipif(not programs_pdf.cjk_fonts(), reason=programs_pdf.PDF_NO_CJK_FONT)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 20), tick=False):
        yield


@pytest.fixture
def paid(world):
    """December 2025 and October 2026 reconciled (the first case's October line failed), the
    November run a draft."""
    dec = make_run(world, month=DEC_2025, status=RunStatus.RECONCILED)
    oct_ = make_run(world, month=OCT, status=RunStatus.RECONCILED)
    nov = make_run(world, month=NOV, status=RunStatus.DRAFT)
    for run, day in ((dec, datetime.date(2025, 12, 10)), (oct_, datetime.date(2026, 10, 10))):
        PaymentLine.objects.filter(run=run).update(status="paid", paid_on=day)
    first = world.cases[0]
    PaymentLine.objects.filter(run=oct_, case=first).update(
        status="failed", paid_on=None, failure_reason="账户已销户"
    )
    return {"dec": dec, "oct": oct_, "nov": nov}


def person_url(case: Case) -> str:
    return reverse("payments:person_payments", args=[case.applicant_id])


def household_url(case: Case) -> str:
    return reverse("payments:household_payments", args=[case.household_id])


# --- the history pages ------------------------------------------------------------------------


def test_a_persons_history_by_year_with_totals(client, personas, world, paid):
    case = world.cases[0]  # 300.50 a month, in 陶洪村
    client.force_login(personas.county_officer)
    page = client.get(person_url(case))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"{case.applicant.name}的发放记录" in text
    groups = page.context["groups"]
    assert [g.year for g in groups] == [2026, 2025]
    assert [r.line.month for r in groups[0].rows] == [NOV, OCT]
    assert (groups[0].total, groups[0].paid, groups[0].failed) == (
        D("601.00"),
        D("0.00"),
        D("300.50"),
    )
    assert (groups[1].total, groups[1].paid) == (D("300.50"), D("300.50"))
    for words in ("农村最低生活保障", "当月发放", "已到账", "发放失败", "待发放", "账户已销户"):
        assert words in text
    assert "2026-11" in text and "2025-12" in text and "2025-12-10" in text
    assert paid["oct"].number in text
    assert reverse("payments:run_detail", args=[paid["oct"].pk]) in text


def test_a_households_history_names_who_was_paid(client, personas, world, paid):
    case = world.cases[0]
    client.force_login(personas.township_clerk)
    page = client.get(household_url(case))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"{case.household.head.name}户的发放记录" in text
    assert "救助对象" in text
    assert sum(len(g.rows) for g in page.context["groups"]) == 3


def test_the_village_assistant_reads_the_history_without_run_links(client, personas, world, paid):
    case = world.cases[0]
    client.force_login(personas.village_assistant)
    page = client.get(person_url(case))
    assert page.status_code == 200
    text = page.content.decode()
    assert paid["oct"].number in text
    assert reverse("payments:run_detail", args=[paid["oct"].pk]) not in text


def test_the_history_is_not_found_outside_the_scope(client, personas, world, paid):
    other_village = next(c for c in world.cases if c.region_code == OTHER_TOWNSHIP_VILLAGE)
    client.force_login(personas.village_assistant)
    assert client.get(person_url(other_village)).status_code == 404
    assert client.get(household_url(other_village)).status_code == 404
    client.force_login(personas.other_county_officer)
    assert client.get(person_url(world.cases[0])).status_code == 404
    assert client.get(household_url(world.cases[0])).status_code == 404


def test_the_history_is_for_its_readers_only(client, personas, world, paid):
    client.force_login(personas.hospital_clerk)
    assert client.get(person_url(world.cases[0])).status_code == 403
    assert client.get(household_url(world.cases[0])).status_code == 403


def test_no_payment_yet_is_said(client, personas, world):
    client.force_login(personas.county_officer)
    page = client.get(person_url(world.cases[0]))
    assert "暂无发放记录" in page.content.decode()


def test_the_history_exports_to_excel(client, personas, world, paid):
    case = world.cases[0]
    client.force_login(personas.county_officer)
    response = client.get(household_url(case) + "?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "救助对象",
        "所属月份",
        "救助项目",
        "类别",
        "金额",
        "发放状态",
        "到账日期",
        "失败原因",
        "说明",
        "批次编号",
    ]
    assert [r[1] for r in rows[1:]] == ["2026-11", "2026-10", "2025-12"]
    assert rows[2][0] == case.applicant.name
    assert D(str(rows[2][4])) == D("300.50")
    assert rows[2][5:8] == ["发放失败", None, "账户已销户"]
    assert rows[2][9] == paid["oct"].number


def test_the_registry_pages_link_to_the_history(client, personas, world):
    case = world.cases[0]
    person_page = reverse("registry:person_detail", args=[case.applicant_id])
    household_page = reverse("registry:household_detail", args=[case.household_id])
    client.force_login(personas.village_assistant)
    assert person_url(case) in client.get(person_page).content.decode()
    assert household_url(case) in client.get(household_page).content.decode()
    client.force_login(personas.hospital_clerk)  # reads the registry, not the payments
    assert person_url(case) not in client.get(person_page).content.decode()
    assert household_url(case) not in client.get(household_page).content.decode()


# --- the village's payroll list (PDF) --------------------------------------------------------


def pdf_url(run, code: str = VILLAGE) -> str:
    return reverse("payments:village_payroll_pdf", args=[run.pk, code])


def text_of(document: bytes) -> str:
    assert document.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(document)).pages
    return "".join("".join(page.extract_text().split()) for page in pages)


@pytest.fixture
def no_font(monkeypatch):
    monkeypatch.setattr(programs_pdf, "_cjk_font_seen", False)
    monkeypatch.setattr(programs_pdf, "cjk_fonts", lambda: [])


@needs_font
@override_settings(PAYROLL_SUPERVISION_PHONE="0564-3311234")
def test_the_village_list_shows_masked_names_members_and_amounts_only(client, personas, world):
    run = make_run(world, status=RunStatus.APPROVED)
    village_cases = [c for c in world.cases if c.region_code == VILLAGE]
    Case.objects.filter(pk=village_cases[0].pk).update(counted_members=3)
    client.force_login(personas.county_officer)
    response = client.get(pdf_url(run))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "裕安区苏埠镇陶洪村2026年11月农村低保金发放名单(公示)" in text
    for case in village_cases:
        name = case.applicant.name
        assert programs_pdf.mask_name(name) in text
        assert name not in text
        assert case.applicant.id_number not in text
        assert case.household.bank_account_number not in text
        assert not case.household.address or case.household.address not in text
    assert "3人" in text
    total = sum((c.monthly_amount for c in village_cases), D("0.00"))
    assert f"{total:,.2f}" in text
    assert "农村最低生活保障" in text
    assert "裕安区民政局" in text and "2026年11月20日" in text
    assert "监督电话:0564-3311234" in text
    assert f"合计{len(village_cases)}户" in text  # the other villages' cases are not listed


@needs_font
def test_the_township_clerk_prints_the_list_of_a_village_of_the_township(client, personas, world):
    run = make_run(world, status=RunStatus.LOCKED)
    client.force_login(personas.township_clerk)
    response = client.get(pdf_url(run))
    assert response.status_code == 200
    assert "监督电话:" in text_of(response.content)


def test_a_village_with_nobody_paid_is_said_in_chinese(client, personas, world):
    run = make_run(world, status=RunStatus.APPROVED)
    PaymentLine.objects.filter(run=run, region_code=VILLAGE).delete()
    client.force_login(personas.county_officer)
    response = client.get(pdf_url(run))
    assert response.status_code == 404
    text = response.content.decode()
    assert "不能打印发放名单" in text
    assert f"陶洪村在批次{run.number}中没有发放对象" in text
    assert reverse("payments:run_detail", args=[run.pk]) in text


def test_a_township_is_not_a_village(client, personas, world):
    run = make_run(world, status=RunStatus.APPROVED)
    client.force_login(personas.county_officer)
    response = client.get(pdf_url(run, "341503100000"))
    assert response.status_code == 400
    assert "发放名单按村(社区)打印" in response.content.decode()


def test_the_list_is_not_found_outside_the_scope_or_the_run(client, personas, world):
    run = make_run(world, status=RunStatus.APPROVED)
    client.force_login(personas.other_township_clerk)
    assert client.get(pdf_url(run)).status_code == 404
    client.force_login(personas.other_county_officer)
    assert client.get(pdf_url(run)).status_code == 404
    township_run = make_run(world, status=RunStatus.APPROVED, month=OCT, region_code="341503101000")
    client.force_login(personas.county_officer)
    assert client.get(pdf_url(township_run, VILLAGE)).status_code == 404
    assert client.get(pdf_url(run, "341503100299")).status_code == 404


def test_the_list_is_for_payroll_readers(client, personas, world):
    run = make_run(world, status=RunStatus.APPROVED)
    client.force_login(personas.village_assistant)
    assert client.get(pdf_url(run)).status_code == 403


def test_without_a_chinese_font_the_list_says_so(client, personas, world, no_font):
    run = make_run(world, status=RunStatus.APPROVED)
    client.force_login(personas.county_officer)
    response = client.get(pdf_url(run))
    assert response.status_code == 503
    assert programs_pdf.PDF_NO_CJK_FONT in response.content.decode()
