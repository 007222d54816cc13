"""PDFs from the pages: the decision letter of a decided case (打印决定书) and the public notice
list of a village (公示名单) — the page that shows it with masked names only, and its PDF; and
a clear Chinese page, not a 500, when the server has no Chinese font or there is nothing to
print."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from minzheng.programs import pdf
from minzheng.programs.models import Case, CaseStatus
from minzheng.programs.services import cases as svc
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.programs.conftest import at
from tests.programs.views_support import (
    accept,
    authorize,
    case_url,
    run_to_notice,
    step_url,
    survey,
    version,
)

pytestmark = pytest.mark.django_db
needs_font = pytest.mark.skipif(not pdf.cjk_fonts(), reason=pdf.PDF_NO_CJK_FONT)

START = at(2026, 3, 2)
TOWNSHIP = "341503100000"


def letter_url(case: Case) -> str:
    return reverse("programs:case_letter", args=[case.pk])


def notice_url(code: str = VILLAGE, **query: str) -> str:
    url = reverse("programs:notice_village", args=[code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def notice_pdf_url(code: str = VILLAGE, **query: str) -> str:
    url = reverse("programs:notice_pdf", args=[code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def assert_pdf(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("inline; filename*=UTF-8''")


@pytest.fixture
def no_font(monkeypatch):
    """A server without a Chinese font (fc-list finds none)."""
    monkeypatch.setattr(pdf, "_cjk_font_seen", False)
    monkeypatch.setattr(pdf, "cjk_fonts", lambda: [])


@pytest.fixture
def noticed(personas, family, standards) -> Case:
    """The family's 低保 case under public notice from 2 to 9 March 2026."""
    with time_machine.travel(START, tick=False):
        case = accept(personas, family)
        run_to_notice(personas, case)
    return case


@pytest.fixture
def approved(personas, noticed) -> Case:
    """The same case after its notice, approved by the county: paying from April."""
    with time_machine.travel(at(2026, 3, 10), tick=False):
        svc.step_complete(
            actor=personas.township_clerk,
            case=noticed,
            code="public_notice",
            version=version(noticed),
        )
        case = Case.objects.get(pk=noticed.pk)
        svc.step_complete(
            actor=personas.county_officer,
            case=case,
            code="county_approval",
            outcome="approve",
            note="符合条件",
        )
    return Case.objects.get(pk=noticed.pk)


@pytest.fixture
def refused(personas, family, standards) -> Case:
    with time_machine.travel(START, tick=False):
        case = accept(personas, family)
        authorize(personas, case)
        survey(personas, case)
        svc.step_complete(
            actor=personas.county_officer, case=case, code="verification", outcome="fail"
        )
        svc.step_complete(
            actor=personas.township_clerk,
            case=case,
            code="township_review",
            outcome="refuse",
            note="家庭人均收入高于低保标准",
        )
    return Case.objects.get(pk=case.pk)


# --- decision letters ---------------------------------------------------------------------------


@needs_font
def test_an_approved_case_prints_its_approval_letter(client, personas, approved):
    assert approved.status == CaseStatus.ACTIVE
    client.force_login(personas.township_clerk)
    html = client.get(case_url(approved)).content.decode()
    assert "打印决定书" in html
    assert f'href="{letter_url(approved)}"' in html
    assert 'title="审批确认通知书(PDF)"' in html
    assert_pdf(client.get(letter_url(approved)))


@needs_font
def test_a_refused_case_prints_its_refusal_letter(client, personas, refused):
    assert refused.status == CaseStatus.REFUSED
    client.force_login(personas.county_officer)
    html = client.get(case_url(refused)).content.decode()
    assert 'title="不予批准通知书(PDF)"' in html
    assert_pdf(client.get(letter_url(refused)))


@needs_font
def test_a_terminated_case_prints_its_termination_letter(client, personas, approved):
    Case.objects.filter(pk=approved.pk).update(
        status=CaseStatus.TERMINATED,
        end_month=datetime.date(2026, 6, 1),
        decision_reason="家庭人均收入超过低保标准",
    )
    client.force_login(personas.auditor)  # a reader who works no step prints it too
    html = client.get(case_url(approved)).content.decode()
    assert 'title="终止保障通知书(PDF)"' in html
    assert_pdf(client.get(letter_url(approved)))


def test_a_case_not_decided_has_no_letter(client, personas, noticed):
    client.force_login(personas.township_clerk)
    html = client.get(case_url(noticed)).content.decode()
    assert "打印决定书" not in html
    response = client.get(letter_url(noticed))
    assert response.status_code == 400
    assert "不能出具决定书" in response.content.decode()
    assert pdf.LETTER_NO_DECISION in response.content.decode()


def test_a_letter_outside_the_scope_is_not_found(client, personas, approved):
    for user in (personas.other_township_clerk, personas.other_county_officer):
        client.force_login(user)
        assert client.get(letter_url(approved)).status_code == 404
    client.force_login(personas.hospital_clerk)
    assert client.get(letter_url(approved)).status_code == 403


def test_without_a_chinese_font_the_letter_page_says_so(client, personas, approved, no_font):
    client.force_login(personas.township_clerk)
    response = client.get(letter_url(approved))
    html = response.content.decode()
    assert response.status_code == 503
    assert "未能生成PDF" in html
    assert pdf.PDF_NO_CJK_FONT in html
    assert f'href="{case_url(approved)}"' in html  # and the way back


# --- the public notice list ---------------------------------------------------------------------


def test_the_notice_page_lists_masked_names_only(client, personas, family, noticed):
    with time_machine.travel(at(2026, 3, 4), tick=False):
        client.force_login(personas.village_assistant)
        response = client.get(notice_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "陶洪村公示名单" in html
    assert "公示期 2026年3月2日至2026年3月9日" in html
    assert "<td>王*山</td>" in html
    assert "3人" in html and "元/月" in html
    assert "打印公示名单(PDF)" in html
    assert f'action="{notice_pdf_url()}"' in html
    assert 'name="day" value="2026-03-04"' in html
    for person in (family.head, family.spouse, family.child):
        assert person.name not in html
        assert person.id_number not in html
        assert person.id_number[-4:] not in html
    assert noticed.number not in html
    assert case_url(noticed) not in html


def test_the_notice_page_of_another_day(client, personas, noticed):
    client.force_login(personas.township_clerk)
    html = client.get(notice_url(day="2026-03-01")).content.decode()  # before the notice
    assert "王*山" not in html
    assert "陶洪村在2026年3月1日没有处于公示期的案件" in html
    assert "打印公示名单(PDF)" not in html


@needs_font
def test_the_notice_list_prints_as_pdf(client, personas, noticed):
    with time_machine.travel(at(2026, 3, 4), tick=False):
        client.force_login(personas.township_clerk)
        assert_pdf(client.get(notice_pdf_url(contact_phone="0564-1234567")))
        assert_pdf(client.get(notice_pdf_url(day="2026-03-05")))


def test_an_empty_notice_list_is_a_page_not_a_pdf(client, personas, family):
    client.force_login(personas.township_clerk)
    response = client.get(notice_pdf_url(day="2026-03-04"))
    html = response.content.decode()
    assert response.status_code == 404
    assert "不能打印公示名单" in html
    assert pdf.NOTICE_EMPTY.format(village="陶洪村", day="2026年3月4日") in html
    assert f'href="{notice_url(day="2026-03-04")}"' in html


def test_the_notice_list_is_made_for_a_village(client, personas):
    client.force_login(personas.township_clerk)
    html = client.get(notice_url(TOWNSHIP)).content.decode()
    assert pdf.NOTICE_NOT_VILLAGE in html
    response = client.get(notice_pdf_url(TOWNSHIP))
    assert response.status_code == 400
    assert pdf.NOTICE_NOT_VILLAGE in response.content.decode()


def test_without_a_chinese_font_the_notice_pdf_says_so(client, personas, noticed, no_font):
    with time_machine.travel(at(2026, 3, 4), tick=False):
        client.force_login(personas.township_clerk)
        response = client.get(notice_pdf_url())
    assert response.status_code == 503
    assert pdf.PDF_NO_CJK_FONT in response.content.decode()


def test_a_village_outside_the_scope_is_not_found(client, personas, noticed):
    client.force_login(personas.other_township_clerk)
    assert client.get(notice_url()).status_code == 404
    assert client.get(notice_pdf_url()).status_code == 404
    client.force_login(personas.other_village_assistant)  # the neighbouring community
    assert client.get(notice_url()).status_code == 404
    client.force_login(personas.township_clerk)
    assert client.get(notice_url(OTHER_TOWNSHIP_VILLAGE)).status_code == 404
    assert client.get(notice_url("999999999999")).status_code == 404
    client.force_login(personas.hospital_clerk)
    assert client.get(notice_url()).status_code == 403


def test_the_villages_with_cases_under_notice_are_listed(client, personas, noticed):
    client.force_login(personas.county_officer)
    html = client.get(reverse("programs:notice_list")).content.decode()
    assert f'<a href="{notice_url()}">陶洪村</a>' in html
    assert "苏埠镇" in html
    assert "公示名单" in html
    client.force_login(personas.other_township_clerk)
    html = client.get(reverse("programs:notice_list")).content.decode()
    assert "陶洪村" not in html
    assert "辖区内目前没有处于公示期的案件" in html


def test_the_case_page_and_the_menu_link_to_the_notice_list(client, personas, noticed):
    with time_machine.travel(at(2026, 3, 4), tick=False):
        client.force_login(personas.township_clerk)
        html = client.get(case_url(noticed)).content.decode()
    assert html.count(f'href="{notice_url()}"') == 2  # the timeline's step and the step panel
    assert f'href="{reverse("programs:notice_list")}"' in html  # the menu
    assert step_url(noticed, "public_notice") in html
