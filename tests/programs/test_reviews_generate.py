"""Periodic review tasks: one per paying case falling due within 30 days, never two."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from minzheng.core.models import AuditEvent
from minzheng.programs.models import CaseStatus, Review, ReviewKind
from minzheng.programs.services.reviews import review_create, reviews_generate_due
from tests.conftest import OTHER_TOWNSHIP_VILLAGE
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 6, 1)


@time_machine.travel(at(2026, 6, 1), tick=False)
def test_it_opens_reviews_due_within_thirty_days_once(personas):
    clerk = personas.township_clerk

    def household():
        return make_family(clerk).household

    due = enrolled_case(clerk, household(), next_review_on=datetime.date(2026, 6, 20))
    late = enrolled_case(clerk, household(), next_review_on=datetime.date(2026, 6, 1))
    later = enrolled_case(clerk, household(), next_review_on=datetime.date(2026, 8, 1))
    enrolled_case(
        clerk,
        make_family(clerk).household,
        next_review_on=AS_OF,
        status=CaseStatus.SUSPENDED,
    )

    assert reviews_generate_due(as_of=AS_OF) == 2
    assert reviews_generate_due(as_of=AS_OF) == 0

    reviews = Review.objects.order_by("case_id")
    assert [(r.case_id, r.kind, r.due_on) for r in reviews] == [
        (due.pk, ReviewKind.PERIODIC, datetime.date(2026, 6, 20)),
        (late.pk, ReviewKind.PERIODIC, datetime.date(2026, 6, 1)),
    ]
    assert not Review.objects.filter(case=later).exists()
    event = AuditEvent.objects.filter(action="review.create").first()
    assert event is not None and event.actor is None and event.actor_username == "system"
    assert "每12个月" in reviews[0].reason


@time_machine.travel(at(2026, 6, 1), tick=False)
def test_a_case_with_an_open_review_of_another_kind_gets_no_second(personas):
    clerk = personas.township_clerk
    case = enrolled_case(clerk, make_family(clerk).household, next_review_on=AS_OF)
    review_create(actor=clerk, case=case, kind=ReviewKind.TIP_OFF, reason="群众反映有车")

    assert reviews_generate_due(as_of=AS_OF) == 0


@time_machine.travel(at(2026, 6, 1), tick=False)
def test_a_case_without_a_review_date_is_due_a_frequency_after_its_start(personas):
    clerk = personas.township_clerk
    case = enrolled_case(
        clerk,
        make_family(clerk).household,
        start_month=datetime.date(2025, 12, 1),
        review_frequency_months=6,
    )

    assert reviews_generate_due(as_of=AS_OF) == 1
    assert Review.objects.get(case=case).due_on == datetime.date(2026, 6, 1)


@time_machine.travel(at(2026, 6, 1), tick=False)
def test_it_runs_for_one_region_only(personas):
    clerk = personas.township_clerk
    here = enrolled_case(clerk, make_family(clerk).household, next_review_on=AS_OF)
    there_family = make_family(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE)
    there = enrolled_case(clerk, there_family.household, next_review_on=AS_OF)

    assert reviews_generate_due(as_of=AS_OF, region_code="341503100000") == 1
    assert Review.objects.filter(case=here).exists()
    assert not Review.objects.filter(case=there).exists()
    assert reviews_generate_due(as_of=AS_OF) == 1
