"""The public notice list (公示名单) and the decision letters as PDF: what they say, and above
all what a notice must not say (full names, ID numbers, anything beyond the allow-list)."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.http import Http404
from pypdf import PdfReader

from minzheng.programs import pdf
from minzheng.programs.models import (
    Case,
    CaseStatus,
    Review,
    ReviewKind,
    ReviewOutcome,
    Step,
    StepStatus,
)
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import make_household, make_person
from tests.programs.conftest import at, make_family

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not pdf.cjk_fonts(), reason=pdf.PDF_NO_CJK_FONT),
]

DAY = datetime.date(2026, 3, 10)


def text_of(document: bytes) -> str:
    assert document.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def squeeze(text: str) -> str:
    """Text without the spaces and line breaks the layout puts between characters."""
    return "".join(text.split())


def make_case(actor, household, applicant, **fields) -> Case:
    data = {
        "program": "dibao_rural",
        "household": household,
        "applicant": applicant,
        "region_code": household.region_code,
        "status": CaseStatus.IN_PROGRESS,
        "counted_members": 3,
        "monthly_amount": Decimal("1234.50"),
        "created_by": actor,
    }
    data.update(fields)
    case = Case.objects.create(**data)
    case.number = f"NCDB341503{case.pk:07d}"
    case.save(update_fields=["number"])
    return case


def under_notice(case: Case, starts_on=datetime.date(2026, 3, 9), days=7, **fields) -> Step:
    data = {}
    if starts_on is not None:
        ends_on = starts_on + datetime.timedelta(days=days)
        data = {"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()}
    values = {
        "case": case,
        "code": "public_notice",
        "seq": 6,
        "level": "township",
        "status": StepStatus.OPEN,
        "opened_on": starts_on or datetime.date(2026, 3, 2),
        "due_on": datetime.date(2026, 3, 11),
        "data": data,
    }
    values.update(fields)
    Case.objects.filter(pk=case.pk).update(current_step="public_notice")
    return Step.objects.create(**values)


@pytest.fixture
def noticed(personas):
    """A rural 低保 case of 陶洪村 under notice since 9 March (王大山, household of three)."""
    family = make_family(personas.township_clerk)
    case = make_case(personas.township_clerk, family.household, family.head)
    under_notice(case)
    return family, case


def test_mask_name():
    assert pdf.mask_name("王大山") == "王*山"
    assert pdf.mask_name("李四") == "李*"
    assert pdf.mask_name("欧阳小明") == "欧**明"
    assert pdf.mask_name("买买提·艾力") == "买买提·**"
    assert pdf.mask_name("王") == "*"


def test_the_notice_list_shows_the_masked_name_size_and_amount_only(personas, noticed):
    family, case = noticed
    text = squeeze(
        text_of(pdf.notice_list_pdf(user=personas.township_clerk, region_code=VILLAGE, day=DAY))
    )
    assert "陶洪村农村最低生活保障公示" in text
    assert "2026年3月9日至2026年3月16日" in text
    assert "王*山" in text
    assert "3人" in text
    assert "1,234.50元/月" in text
    assert "苏埠镇人民政府" in text  # objections go to the township office
    # never the full names or ID numbers of anyone in the household
    for person in (family.head, family.spouse, family.child):
        assert person.name not in text
        assert person.id_number not in text
        assert person.id_number[-6:] not in text
    assert family.household.address not in text
    assert case.number not in text


def test_the_notice_list_leaves_out_other_villages_and_cases_not_under_notice(personas, noticed):
    clerk = personas.township_clerk
    # the neighbouring community's case, under notice the same days
    neighbour = make_person(clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP, name="赵钱孙")
    other = make_household(clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP, head=neighbour)
    under_notice(make_case(clerk, other, neighbour))
    # a case of the village still in its survey, and one whose notice is over
    surveyed = make_person(clerk, region_code=VILLAGE, name="周吴郑")
    in_survey = make_case(
        clerk, make_household(clerk, region_code=VILLAGE, head=surveyed), surveyed
    )
    under_notice(in_survey, status=StepStatus.WAITING, data={}, opened_on=None)
    past = make_person(clerk, region_code=VILLAGE, name="冯陈楚")
    done = make_case(clerk, make_household(clerk, region_code=VILLAGE, head=past), past)
    under_notice(done, starts_on=datetime.date(2026, 2, 1), status=StepStatus.DONE)
    # and one whose notice starts after the day asked for
    later = make_person(clerk, region_code=VILLAGE, name="蒋沈韩")
    future = make_case(clerk, make_household(clerk, region_code=VILLAGE, head=later), later)
    under_notice(future, starts_on=DAY + datetime.timedelta(days=2))

    text = squeeze(text_of(pdf.notice_list_pdf(user=clerk, region_code=VILLAGE, day=DAY)))
    assert "王*山" in text
    for masked in ("赵*孙", "周*郑", "冯*楚", "蒋*韩"):
        assert masked not in text


def test_programs_and_periods_get_their_own_section(personas, noticed):
    clerk = personas.township_clerk
    old = make_person(clerk, region_code=VILLAGE, name="孙老汉")
    tekun = make_case(
        clerk,
        make_household(clerk, region_code=VILLAGE, head=old),
        old,
        program="tekun",
        counted_members=1,
        monthly_amount=Decimal("980.00"),
    )
    under_notice(tekun, starts_on=datetime.date(2026, 3, 5))
    sections = pdf.notice_sections(user=clerk, region_code=VILLAGE, day=DAY)
    assert [(s.program, s.starts_on) for s in sections] == [
        ("农村最低生活保障", datetime.date(2026, 3, 9)),
        ("特困人员救助供养", datetime.date(2026, 3, 5)),
    ]
    text = squeeze(text_of(pdf.notice_list_pdf(user=clerk, region_code=VILLAGE, day=DAY)))
    assert "陶洪村特困人员救助供养公示" in text
    assert "孙*汉" in text and "980.00元/月" in text


def test_the_period_falls_back_to_the_steps_dates(personas):
    family = make_family(personas.township_clerk)
    case = make_case(personas.township_clerk, family.household, family.head)
    under_notice(case, starts_on=None)  # no starts_on / ends_on in the step's data
    (section,) = pdf.notice_sections(user=personas.township_clerk, region_code=VILLAGE, day=DAY)
    assert (section.starts_on, section.ends_on) == (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 11),
    )


def test_one_off_aid_shows_its_amount_once(personas):
    family = make_family(personas.township_clerk)
    case = make_case(
        personas.township_clerk,
        family.household,
        family.head,
        program="temporary_expense",
        monthly_amount=Decimal("0"),
        one_off_amount=Decimal("3000.00"),
    )
    under_notice(case)
    (section,) = pdf.notice_sections(user=personas.township_clerk, region_code=VILLAGE, day=DAY)
    assert section.rows[0].amount == "3,000.00元(一次性)"


def test_the_notice_is_refused_outside_the_users_scope(personas, noticed):
    with pytest.raises(Http404):
        pdf.notice_list_pdf(user=personas.other_township_clerk, region_code=VILLAGE, day=DAY)
    with pytest.raises(Http404):
        pdf.notice_list_pdf(user=personas.other_village_assistant, region_code=VILLAGE, day=DAY)
    # the village's own assistant may print it
    assert pdf.notice_list_pdf(user=personas.village_assistant, region_code=VILLAGE, day=DAY)


def test_an_empty_notice_or_a_township_is_refused_with_a_reason(personas, noticed):
    with pytest.raises(pdf.NoticeEmpty, match="戚桥村在2026年3月10日没有处于公示期的案件"):
        pdf.notice_list_pdf(
            user=personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE, day=DAY
        )
    with pytest.raises(ValueError, match=re.escape(pdf.NOTICE_NOT_VILLAGE)):
        pdf.notice_list_pdf(user=personas.county_officer, region_code="341503100000", day=DAY)


def test_no_cjk_font_is_a_clear_error_not_tofu(personas, noticed, monkeypatch):
    monkeypatch.setattr(pdf, "_cjk_font_seen", False)
    monkeypatch.setattr(pdf, "cjk_fonts", lambda: [])
    with pytest.raises(pdf.PdfUnavailable) as e:
        pdf.notice_list_pdf(user=personas.township_clerk, region_code=VILLAGE, day=DAY)
    assert e.value.message == pdf.PDF_NO_CJK_FONT
    assert "fonts-noto-cjk" in pdf.PDF_NO_CJK_FONT


def test_no_fontconfig_counts_as_no_font(monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    assert pdf.cjk_fonts() == []


# --- decision letters -------------------------------------------------------------------------

CALCULATION = {
    "amount": "1234.50",
    "lines": [
        {"label": "低保标准", "formula": "农村低保标准", "value": "720.00 元"},
        {"label": "家庭月人均收入", "formula": "300.00 ÷ 3", "value": "100.00 元"},
        {
            "label": "月保障金",
            "formula": "(720.00 - 100.00) × 3 + 分类施保 374.50",
            "value": "1,234.50 元",
        },
    ],
}


@pytest.fixture
def decided(personas):
    family = make_family(personas.township_clerk)
    case = make_case(
        personas.township_clerk,
        family.household,
        family.head,
        status=CaseStatus.ACTIVE,
        decision="approve",
        decided_at=at(2026, 3, 20, 10),
        decided_by=personas.county_officer,
        accepted_at=at(2026, 3, 2, 9),
        start_month=datetime.date(2026, 4, 1),
        calculation=CALCULATION,
    )
    return family, case


def test_the_approval_letter_gives_amount_start_month_and_calculation(personas, decided):
    family, case = decided
    text = squeeze(text_of(pdf.decision_letter_pdf(user=personas.township_clerk, case=case)))
    assert "农村最低生活保障审批确认通知书" in text
    assert "王大山:" in text  # addressed to the applicant by name
    assert "2026年3月2日" in text
    assert "自2026年4月起" in text
    assert "保障人数3人" in text
    assert "每月保障金1,234.50元" in text
    assert "家庭月人均收入" in text and "(720.00-100.00)×3" in text
    assert "裕安区民政局" in text
    assert "2026年3月20日" in text
    assert case.number in text
    assert family.head.id_number not in text


def test_a_township_approval_is_issued_by_the_township(personas, decided):
    _, case = decided
    case.decided_by = personas.township_leader
    assert pdf._issuer(case) == "苏埠镇人民政府"


def test_the_refusal_letter_gives_reasons_and_appeal_rights(personas, decided):
    _, case = decided
    case.status, case.decision = CaseStatus.REFUSED, "refuse"
    case.decision_reason = "家庭人均收入超过当地低保标准;名下有小型轿车一辆。"
    case.save()
    text = squeeze(text_of(pdf.decision_letter_pdf(user=personas.county_officer, case=case)))
    assert "农村最低生活保障不予批准通知书" in text
    assert "家庭人均收入超过当地低保标准;名下有小型轿车一辆。" in text
    assert "60日内向裕安区人民政府申请行政复议" in text
    assert "6个月内依法向人民法院提起行政诉讼" in text
    assert "每月保障金" not in text


def test_the_termination_letter_gives_the_reviews_reasons(personas, decided):
    _, case = decided
    case.status, case.end_month = CaseStatus.TERMINATED, datetime.date(2026, 9, 1)
    case.save()
    Review.objects.create(
        case=case,
        kind=ReviewKind.PERIODIC,
        due_on=datetime.date(2026, 8, 1),
        status=Review.Status.DONE,
        outcome=ReviewOutcome.TERMINATE,
        outcome_reason="户主已稳定就业,家庭人均收入超过低保标准且渐退期已满。",
        completed_by=personas.township_clerk,
        completed_at=at(2026, 8, 20, 15),
    )
    text = squeeze(text_of(pdf.decision_letter_pdf(user=personas.county_officer, case=case)))
    assert "农村最低生活保障终止通知书" in text
    assert "自2026年9月起终止" in text
    assert "户主已稳定就业" in text
    assert "2026年8月20日" in text
    assert "行政复议" in text and "行政诉讼" in text


def test_a_case_without_decision_has_no_letter(personas, noticed):
    _, case = noticed
    with pytest.raises(ValueError, match=pdf.LETTER_NO_DECISION):
        pdf.decision_letter_pdf(user=personas.township_clerk, case=case)
    with pytest.raises(ValueError, match=pdf.LETTER_NOT_TERMINATED):
        pdf.decision_letter_pdf(user=personas.township_clerk, case=case, kind="termination")


def test_letters_are_refused_outside_the_users_scope(personas, decided):
    _, case = decided
    with pytest.raises(Http404):
        pdf.decision_letter_pdf(user=personas.other_township_clerk, case=case)


def test_the_reason_is_escaped_not_markup(personas, decided):
    _, case = decided
    case.status, case.decision = CaseStatus.REFUSED, "refuse"
    case.decision_reason = '<img src="http://example.com/x.png">材料不全'
    case.save()
    text = squeeze(text_of(pdf.decision_letter_pdf(user=personas.county_officer, case=case)))
    assert '<imgsrc="http://example.com/x.png">材料不全' in text
