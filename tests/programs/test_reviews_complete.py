"""Concluding a review: continue, suspend, terminate (adjust has its own file), resuming a
suspended case, and who may do it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minzheng.core.models import AuditEvent
from minzheng.programs.models import CaseStatus, Review, ReviewKind
from minzheng.programs.services.benefits import amount_for_month, benefit_period_set
from minzheng.programs.services.errors import CaseConflict, CaseError
from minzheng.programs.services.reviews import (
    REVIEW_OUTCOME_REASON_REQUIRED,
    case_resume,
    review_complete,
    review_create,
    review_get,
    review_list,
    reviews_generate_due,
)
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case, periods

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
NEXT_MONTH = datetime.date(2026, 7, 1)


@pytest.fixture
def case(personas):
    clerk = personas.township_clerk
    household = make_family(clerk).household
    return enrolled_case(clerk, household, amount="800.00", next_review_on=NEXT_MONTH)


@pytest.fixture
def review(case):
    reviews_generate_due(as_of=TODAY)
    return Review.objects.get(case=case)


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_continue_moves_the_next_review_on_by_the_frequency(personas, case, review):
    review_complete(
        actor=personas.township_clerk,
        review=review,
        outcome="continue",
        outcome_reason="",
        findings="入户核实,家庭情况无变化",
    )

    review.refresh_from_db()
    case.refresh_from_db()
    assert review.status == Review.Status.DONE
    assert review.completed_by == personas.township_clerk
    assert review.findings == "入户核实,家庭情况无变化"
    assert case.next_review_on == datetime.date(2027, 7, 1)
    assert case.status == CaseStatus.ACTIVE
    assert amount_for_month(case, NEXT_MONTH) == Decimal("800.00")
    event = AuditEvent.objects.get(action="review.complete")
    assert event.changes["outcome"] == "continue"
    assert event.object_id == str(case.pk)


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_an_overdue_review_moves_the_next_one_on_from_today(personas):
    clerk = personas.township_clerk
    case = enrolled_case(
        clerk,
        make_family(clerk).household,
        next_review_on=datetime.date(2025, 5, 1),
        review_frequency_months=6,
    )
    reviews_generate_due(as_of=TODAY)
    review = Review.objects.get(case=case)
    review_complete(actor=clerk, review=review, outcome="continue", outcome_reason="")
    case.refresh_from_db()
    assert case.next_review_on == datetime.date(2026, 12, 15)


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_a_triggered_review_leaves_the_periodic_schedule_alone(personas, case):
    clerk = personas.township_clerk
    review = review_create(actor=clerk, case=case, kind=ReviewKind.OTHER, reason="走访发现")
    review_complete(actor=clerk, review=review, outcome="continue", outcome_reason="")
    case.refresh_from_db()
    assert case.next_review_on == datetime.date(2026, 7, 1)


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_suspend_and_terminate_need_a_reason(personas, review):
    for outcome in ("suspend", "terminate", "adjust"):
        with pytest.raises(CaseError) as err:
            review_complete(
                actor=personas.township_clerk, review=review, outcome=outcome, outcome_reason=" "
            )
        assert err.value.errors == {"outcome_reason": [REVIEW_OUTCOME_REASON_REQUIRED]}
    with pytest.raises(CaseError):
        review_complete(
            actor=personas.township_clerk, review=review, outcome="pause", outcome_reason="x"
        )
    review.refresh_from_db()
    assert review.status == Review.Status.OPEN


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_suspend_stops_payment_from_next_month(personas, case, review):
    review_complete(
        actor=personas.township_clerk,
        review=review,
        outcome="suspend",
        outcome_reason="户主外出务工,联系不上,暂停待核",
    )

    case.refresh_from_db()
    review.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    assert amount_for_month(case, datetime.date(2026, 6, 1)) == Decimal("800.00")
    assert periods(case)[-1] == (NEXT_MONTH, Decimal("0.00"), "suspension")
    assert review.new_amount == Decimal("0.00")
    event = AuditEvent.objects.get(action="case.suspend")
    assert event.reason == "户主外出务工,联系不上,暂停待核"
    assert event.changes["status"] == ["active", "suspended"]


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_a_suspended_case_resumes_at_its_amount_from_next_month(personas, case, review):
    clerk = personas.township_clerk
    review_complete(actor=clerk, review=review, outcome="suspend", outcome_reason="联系不上")
    with pytest.raises(CaseError):
        case_resume(actor=clerk, case=case, reason="")

    with time_machine.travel(at(2026, 8, 3), tick=False):
        case_resume(actor=clerk, case=case, reason="已联系上,情况属实")

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert amount_for_month(case, datetime.date(2026, 8, 1)) == Decimal("0.00")
    assert amount_for_month(case, datetime.date(2026, 9, 1)) == Decimal("800.00")
    assert AuditEvent.objects.get(action="case.resume").reason == "已联系上,情况属实"
    with pytest.raises(CaseError):
        case_resume(actor=clerk, case=case, reason="再次恢复")


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_terminate_pays_this_month_last_and_closes_other_reviews(personas, case, review):
    clerk = personas.township_clerk
    other = review_create(actor=clerk, case=case, kind=ReviewKind.TIP_OFF, reason="举报有车")
    benefit_period_set(  # a standard raise already recorded for September
        case=case,
        valid_from=datetime.date(2026, 9, 1),
        amount=Decimal("850.00"),
        reason="standard_change",
        calculation={},
        actor=None,
    )

    review_complete(
        actor=clerk, review=review, outcome="terminate", outcome_reason="家庭收入超过低保标准"
    )

    case.refresh_from_db()
    other.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert case.end_month == datetime.date(2026, 6, 1)
    assert amount_for_month(case, datetime.date(2026, 6, 1)) == Decimal("800.00")
    assert amount_for_month(case, NEXT_MONTH) == Decimal("0.00")
    assert amount_for_month(case, datetime.date(2026, 9, 1)) == Decimal("0.00")
    assert other.status == Review.Status.DONE and other.outcome == "terminate"
    event = AuditEvent.objects.get(action="case.terminate")
    assert event.reason == "家庭收入超过低保标准"
    assert "termination_notice" not in event.changes


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_terminating_tekun_records_the_seven_day_notice(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household, program="tekun", counted=[family.head])
    review = review_create(actor=clerk, case=case, kind=ReviewKind.OTHER, reason="入狱")

    review_complete(actor=clerk, review=review, outcome="terminate", outcome_reason="服刑")

    review.refresh_from_db()
    notice = review.evidence["termination_notice"]
    assert notice["posted_on"] == "2026-06-15"
    assert notice["ends_on"] == "2026-06-22"
    event = AuditEvent.objects.get(action="case.terminate")
    assert event.changes["termination_notice"]["ends_on"] == "2026-06-22"


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_terminating_a_suspended_case_ends_with_the_last_month_paid(personas, case, review):
    clerk = personas.township_clerk
    review_complete(actor=clerk, review=review, outcome="suspend", outcome_reason="联系不上")
    with time_machine.travel(at(2026, 9, 10), tick=False):
        again = review_create(actor=clerk, case=case, kind=ReviewKind.OTHER, reason="仍联系不上")
        review_complete(actor=clerk, review=again, outcome="terminate", outcome_reason="失联")
    case.refresh_from_db()
    assert case.end_month == datetime.date(2026, 6, 1)


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_a_suspended_case_cannot_be_suspended_or_adjusted(personas, case, review):
    clerk = personas.township_clerk
    review_complete(actor=clerk, review=review, outcome="suspend", outcome_reason="联系不上")
    again = review_create(actor=clerk, case=case, kind=ReviewKind.OTHER, reason="复查")
    with pytest.raises(CaseError) as err:
        review_complete(actor=clerk, review=again, outcome="suspend", outcome_reason="再停")
    assert "暂停发放" in err.value.message


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_a_review_completed_twice_gives_the_second_user_a_conflict(personas, review):
    review_complete(
        actor=personas.township_clerk, review=review, outcome="continue", outcome_reason=""
    )
    with pytest.raises(CaseConflict) as err:
        review_complete(
            actor=personas.township_leader, review=review, outcome="continue", outcome_reason=""
        )
    assert "township" in err.value.message


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_only_reviewers_in_scope_conclude(personas, case, review):
    with pytest.raises(Http404):
        review_complete(
            actor=personas.other_township_clerk,
            review=review,
            outcome="continue",
            outcome_reason="",
        )
    with pytest.raises(PermissionDenied):
        review_complete(
            actor=personas.village_assistant, review=review, outcome="continue", outcome_reason=""
        )
    with pytest.raises(Http404):
        case_resume(actor=personas.other_county_officer, case=case, reason="x")
    with pytest.raises(Http404):
        review_create(
            actor=personas.other_township_clerk, case=case, kind=ReviewKind.OTHER, reason="x"
        )
    review.refresh_from_db()
    assert review.status == Review.Status.OPEN


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_reviews_are_listed_within_scope(personas, case, review):
    assert list(review_list(user=personas.township_clerk, status="open")) == [review]
    assert list(review_list(user=personas.county_officer, kind="periodic")) == [review]
    assert list(review_list(user=personas.other_township_clerk)) == []
    with pytest.raises(Http404):
        review_get(user=personas.other_township_clerk, pk=review.pk)
    assert review_get(user=personas.village_assistant, pk=review.pk) == review


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_only_an_enrolled_case_is_reviewed(personas):
    clerk = personas.township_clerk
    case = enrolled_case(clerk, make_family(clerk).household, status=CaseStatus.TERMINATED)
    with pytest.raises(CaseError) as err:
        review_create(actor=clerk, case=case, kind=ReviewKind.OTHER, reason="x")
    assert "已终止" in err.value.errors["case"][0]


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_a_case_suspended_before_its_first_payment_resumes_at_the_approved_amount(personas):
    clerk = personas.township_clerk
    household = make_family(clerk).household
    case = enrolled_case(clerk, household, amount="640.00", start_month=datetime.date(2026, 7, 1))
    review = review_create(actor=clerk, case=case, kind=ReviewKind.TIP_OFF, reason="举报")
    review_complete(actor=clerk, review=review, outcome="suspend", outcome_reason="核查中")
    assert amount_for_month(case, datetime.date(2026, 7, 1)) == Decimal("0.00")
    case.refresh_from_db()
    case_resume(actor=clerk, case=case, reason="核查属实,恢复")
    assert amount_for_month(case, datetime.date(2026, 7, 1)) == Decimal("640.00")
