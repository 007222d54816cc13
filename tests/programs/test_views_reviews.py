"""复核任务 pages: the list (scoped, overdue flagged, filtered, exported), generating the periodic
reviews, opening one by hand, and the review page whose form concludes the review — a rule's
refusal under its field, a review done meanwhile as a banner with 409, and the case's status and
amount changed by the conclusion."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.programs.models import CaseStatus, Review, ReviewKind
from minzheng.programs.services.benefits import amount_for_month, case_calculate
from minzheng.programs.services.reviews import (
    REVIEW_OUTCOME_INVALID,
    REVIEW_OUTCOME_REASON_REQUIRED,
    review_complete,
    review_create,
)
from minzheng.programs.views.management.reviews import REVIEWS_GENERATED, REVIEWS_NONE_DUE
from minzheng.registry.services import declaration_create
from tests.conftest import OTHER_TOWNSHIP_VILLAGE
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case

pytestmark = pytest.mark.django_db

LIST = reverse("programs_mgmt:review_list")
EXPORT = reverse("programs_mgmt:review_export")
GENERATE = reverse("programs_mgmt:reviews_generate")
CREATE = reverse("programs_mgmt:review_create")
NOW = at(2026, 6, 15)
JULY = datetime.date(2026, 7, 1)


def detail_url(review: Review) -> str:
    return reverse("programs_mgmt:review_detail", args=[review.pk])


def complete_url(review: Review) -> str:
    return reverse("programs_mgmt:review_complete", args=[review.pk])


@pytest.fixture
def setup(personas, standards):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household, amount="2000.00", next_review_on=JULY)
    with time_machine.travel(NOW, tick=False):
        review = review_create(
            actor=clerk, case=case, kind=ReviewKind.INCOME_CHANGE, reason="户主外出务工"
        )
    return family, case, review


@time_machine.travel(NOW, tick=False)
def test_the_list_shows_the_reviews_in_scope_to_each_reader(client, personas, setup):
    _family, case, review = setup
    for user in (
        personas.village_assistant,
        personas.township_clerk,
        personas.township_leader,
        personas.county_officer,
        personas.county_leader,
        personas.auditor,
    ):
        client.force_login(user)
        response = client.get(LIST)
        assert response.status_code == 200, user
        html = response.content.decode()
        assert case.number in html, user
        assert detail_url(review) in html, user
        assert reverse("programs:case_detail", args=[case.pk]) in html
    for user in (personas.other_township_clerk, personas.other_county_officer):
        client.force_login(user)
        assert case.number not in client.get(LIST).content.decode(), user
    client.force_login(personas.hospital_clerk)
    assert client.get(LIST).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_only_reviewers_get_the_buttons(client, personas, setup):
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert GENERATE in html and CREATE in html
    client.force_login(personas.village_assistant)
    html = client.get(LIST).content.decode()
    assert GENERATE not in html and CREATE not in html
    assert client.post(GENERATE).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_an_overdue_review_is_flagged_and_can_be_filtered(client, personas, setup):
    _family, case, review = setup
    other = enrolled_case(personas.township_clerk, make_family(personas.township_clerk).household)
    fresh = review_create(actor=personas.township_clerk, case=other, kind="other", reason="核查")
    Review.objects.filter(pk=review.pk).update(due_on=datetime.date(2026, 6, 8))
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert "已超期 5 个工作日" in html
    assert "1 个已超期" in html
    assert html.index(case.number) < html.index(other.number)
    html = client.get(LIST, {"overdue": "on"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html
    assert case.number in html and other.number not in html
    html = client.get(LIST, {"kind": "other"}).content.decode()
    assert detail_url(fresh) in html and detail_url(review) not in html


@time_machine.travel(NOW, tick=False)
def test_the_list_opens_on_open_reviews_and_all_shows_done_ones(client, personas, setup):
    _family, _case, review = setup
    review_complete(
        actor=personas.township_clerk, review=review, outcome="continue", outcome_reason=""
    )
    client.force_login(personas.township_clerk)
    assert detail_url(review) not in client.get(LIST).content.decode()
    html = client.get(LIST, {"status": ""}).content.decode()
    assert detail_url(review) in html
    assert "继续保障" in html


@time_machine.travel(at(2026, 6, 1), tick=False)
def test_the_button_generates_the_periodic_reviews_of_the_users_region(client, personas):
    clerk = personas.township_clerk
    due = enrolled_case(
        clerk, make_family(clerk).household, next_review_on=datetime.date(2026, 6, 20)
    )
    elsewhere = enrolled_case(
        clerk,
        make_family(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE).household,
        next_review_on=datetime.date(2026, 6, 20),
    )
    client.force_login(clerk)
    response = client.post(GENERATE, follow=True)
    assert REVIEWS_GENERATED.format(n=1) in response.content.decode()
    assert Review.objects.filter(case=due, kind=ReviewKind.PERIODIC).count() == 1
    assert not Review.objects.filter(case=elsewhere).exists()
    response = client.post(GENERATE, follow=True)
    assert REVIEWS_NONE_DUE in response.content.decode()
    assert Review.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_review_is_opened_by_case_number(client, personas, setup):
    _family, _case, _review = setup
    other = enrolled_case(personas.township_clerk, make_family(personas.township_clerk).household)
    client.force_login(personas.township_clerk)
    response = client.post(
        CREATE,
        {"case_number": other.number.lower(), "kind": "data_matching", "reason": "比对发现有车"},
    )
    review = Review.objects.get(case=other)
    assert response.status_code == 302 and response["Location"] == detail_url(review)
    assert review.kind == ReviewKind.DATA_MATCHING

    response = client.post(CREATE, {"case_number": "NOPE1", "kind": "other", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "没有案件编号为“NOPE1”的案件" in html
    response = client.post(CREATE, {"case_number": other.number, "kind": "", "reason": ""})
    html = response.content.decode()
    assert "请选择复核类型" in html and "请填写复核原因" in html


@time_machine.travel(NOW, tick=False)
def test_the_review_page_shows_the_case_and_the_evidence(client, personas, setup):
    _family, case, review = setup
    Review.objects.filter(pk=review.pk).update(evidence={"investigation": "邻居反映户主在外务工"})
    client.force_login(personas.township_clerk)
    html = client.get(detail_url(review)).content.decode()
    assert reverse("programs:case_detail", args=[case.pk]) in html
    assert case.applicant.name in html
    assert "户主外出务工" in html
    assert "邻居反映户主在外务工" in html
    assert 'name="outcome"' in html
    assert "继续保障" in html and "终止保障" in html


@time_machine.travel(NOW, tick=False)
def test_the_review_page_is_404_outside_the_scope_and_read_only_for_the_village(
    client, personas, setup
):
    _family, _case, review = setup
    for user in (personas.other_township_clerk, personas.other_county_officer):
        client.force_login(user)
        assert client.get(detail_url(review)).status_code == 404, user
        assert client.post(complete_url(review), {"outcome": "continue"}).status_code == 404
    client.force_login(personas.village_assistant)
    response = client.get(detail_url(review))
    assert response.status_code == 200
    assert 'name="outcome"' not in response.content.decode()
    assert client.post(complete_url(review), {"outcome": "continue"}).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_form_shows_the_rules_refusals_in_chinese_under_their_fields(client, personas, setup):
    _family, case, review = setup
    client.force_login(personas.township_clerk)
    html = client.post(complete_url(review), {"outcome": ""}).content.decode()
    assert REVIEW_OUTCOME_INVALID in html
    html = client.post(
        complete_url(review), {"outcome": "suspend", "outcome_reason": " "}
    ).content.decode()
    assert REVIEW_OUTCOME_REASON_REQUIRED in html
    assert 'id="id_outcome_reason_error"' in html
    review.refresh_from_db()
    case.refresh_from_db()
    assert review.status == Review.Status.OPEN
    assert case.status == CaseStatus.ACTIVE


@time_machine.travel(NOW, tick=False)
def test_suspending_changes_the_case_status(client, personas, setup):
    _family, case, review = setup
    client.force_login(personas.township_clerk)
    response = client.post(
        complete_url(review),
        {"outcome": "suspend", "outcome_reason": "外出失联", "findings": "两次入户未见"},
        follow=True,
    )
    html = response.content.decode()
    assert "已完成复核:暂停发放" in html
    case.refresh_from_db()
    review.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    assert review.outcome == "suspend" and review.findings == "两次入户未见"
    assert amount_for_month(case, JULY) == Decimal("0.00")
    assert 'name="outcome"' not in html  # done: no form any more


@time_machine.travel(NOW, tick=False)
def test_terminating_changes_the_case_status(client, personas, setup):
    _family, case, review = setup
    client.force_login(personas.county_officer)
    client.post(complete_url(review), {"outcome": "terminate", "outcome_reason": "家庭收入超标"})
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED


@time_machine.travel(NOW, tick=False)
def test_adjusting_shows_the_new_amount_and_its_calculation(client, personas, setup):
    family, case, review = setup
    declaration_create(
        actor=personas.township_clerk,
        household=family.household,
        declared_on=datetime.date(2026, 6, 10),
        incomes=[{"person": family.head, "kind": "wages", "monthly_amount": "600.00"}],
        assets=[],
    )
    expected = case_calculate(case=case, as_of=NOW.date()).amount
    client.force_login(personas.township_clerk)
    response = client.post(
        complete_url(review),
        {"outcome": "adjust", "outcome_reason": "户主工资收入增加", "income_from_work": ""},
        follow=True,
    )
    html = response.content.decode()
    assert f"自2026年07月起月保障金额{expected}元" in html
    assert "重新核算" in html
    assert f"{expected} 元" in html
    review.refresh_from_db()
    assert review.new_amount == expected
    for line in review.evidence["calculation"]["lines"]:
        assert line["label"] in html
    assert amount_for_month(case, JULY) == expected


@time_machine.travel(NOW, tick=False)
def test_a_review_concluded_meanwhile_answers_409_with_a_banner(client, personas, setup):
    _family, case, review = setup
    client.force_login(personas.township_clerk)
    page = client.get(detail_url(review)).content.decode()
    assert 'name="outcome"' in page
    review_complete(
        actor=personas.township_leader, review=review, outcome="continue", outcome_reason=""
    )
    response = client.post(
        complete_url(review), {"outcome": "terminate", "outcome_reason": "收入超标"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'class="banner"' in html
    assert "该复核已由township_leader" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


@time_machine.travel(NOW, tick=False)
def test_the_export_has_the_filtered_reviews(client, personas, setup):
    _family, case, _review = setup
    client.force_login(personas.village_assistant)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "案件编号"
    assert rows[1][0] == case.number
    assert rows[1][5] == "收入变化"
    assert "*" in rows[1][3]  # the village assistant sees ID numbers masked
    client.force_login(personas.other_township_clerk)
    sheet = load_workbook(io.BytesIO(b"".join(client.get(EXPORT).streaming_content))).active
    assert sheet.max_row == 1


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@time_machine.travel(NOW, tick=False)
def test_the_list_costs_no_query_per_row(client, personas, setup):
    client.force_login(personas.township_clerk)
    one = _queries(client, LIST)
    clerk = personas.township_clerk
    for _ in range(4):
        case = enrolled_case(clerk, make_family(clerk).household)
        review_create(actor=clerk, case=case, kind="other", reason="核查")
    assert _queries(client, LIST) == one
