"""A review that adjusts the benefit: worked out again from the household's newest declaration
and paid from next month; when income from work lifts the household above the standard, the
case enters 渐退期 (amount kept for exit_grace_months, then terminated)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from minzheng.core.models import AuditEvent
from minzheng.programs.models import CaseStatus, Review, ReviewKind
from minzheng.programs.services.benefits import amount_for_month, case_calculate
from minzheng.programs.services.errors import CaseError
from minzheng.programs.services.reviews import (
    REVIEW_ADJUST_TO_ZERO,
    exit_grace_expire,
    review_complete,
    review_create,
)
from minzheng.registry.services import declaration_create
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case, periods

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
JUNE, JULY = datetime.date(2026, 6, 1), datetime.date(2026, 7, 1)


def declare(actor, family, kind="wages", amount="300.00"):
    declaration_create(
        actor=actor,
        household=family.household,
        declared_on=datetime.date(2026, 6, 10),
        incomes=[{"person": family.head, "kind": kind, "monthly_amount": amount}],
        assets=[],
    )


@pytest.fixture
def setup(personas, standards):
    clerk = personas.township_clerk
    family = make_family(clerk)  # head earned 300 a month in 2020
    case = enrolled_case(clerk, family.household, amount="2000.00", next_review_on=JULY)
    review = review_create(actor=clerk, case=case, kind=ReviewKind.PERIODIC, reason="定期复核")
    return clerk, family, case, review


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_adjust_pays_the_recalculated_amount_from_next_month(setup):
    clerk, family, case, review = setup
    declare(clerk, family, amount="600.00")
    expected = case_calculate(case=case, as_of=TODAY).amount
    assert Decimal(0) < expected < Decimal("2000.00")

    review_complete(actor=clerk, review=review, outcome="adjust", outcome_reason="户主工资收入增加")

    case.refresh_from_db()
    review.refresh_from_db()
    assert review.new_amount == expected
    assert review.evidence["calculation"]["amount"] == str(expected)
    assert amount_for_month(case, JUNE) == Decimal("2000.00")
    assert amount_for_month(case, JULY) == expected
    assert periods(case)[-1][2] == "review"
    assert case.status == CaseStatus.ACTIVE
    assert case.per_capita_income == Decimal("200.00")
    assert case.calculation["amount"] == str(expected)
    assert AuditEvent.objects.filter(action="case.benefit_change", object_id=str(case.pk)).exists()
    assert AuditEvent.objects.get(action="review.complete").changes["amount"] == str(expected)


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_income_from_work_above_the_standard_starts_six_months_of_gradual_exit(setup):
    clerk, family, case, review = setup
    declare(clerk, family, amount="3000.00")  # 1,000 a head, above the 790 standard

    review_complete(actor=clerk, review=review, outcome="adjust", outcome_reason="户主外出务工")

    case.refresh_from_db()
    review.refresh_from_db()
    assert case.status == CaseStatus.EXIT_GRACE
    assert case.exit_grace_until == datetime.date(2026, 12, 1)  # July..December: 6 months
    assert review.new_amount == Decimal("2000.00")
    assert periods(case)[-1] == (JULY, Decimal("2000.00"), "exit_grace")
    event = AuditEvent.objects.get(action="case.exit_grace")
    assert "2026年07月" in event.reason and "2026年12月" in event.reason
    assert event.changes["exit_grace_until"] == [None, "2026-12-01"]

    # the timeline: paid through December, terminated when January comes
    assert exit_grace_expire(as_of=datetime.date(2026, 12, 1)) == 0
    assert exit_grace_expire(as_of=datetime.date(2027, 1, 1)) == 1
    assert exit_grace_expire(as_of=datetime.date(2027, 1, 1)) == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert case.end_month == datetime.date(2026, 12, 1)
    assert amount_for_month(case, datetime.date(2026, 12, 1)) == Decimal("2000.00")
    assert amount_for_month(case, datetime.date(2027, 1, 1)) == Decimal("0.00")
    end = AuditEvent.objects.get(action="case.terminate")
    assert end.actor is None and "渐退期" in end.reason


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_the_county_sets_the_length_of_gradual_exit(setup, personas):
    from minzheng.programs.models import Standard

    clerk, family, case, review = setup
    Standard.objects.filter(program="dibao_rural", parameter="exit_grace_months").update(
        value=Decimal(3)
    )
    declare(clerk, family, amount="3000.00")
    review_complete(actor=clerk, review=review, outcome="adjust", outcome_reason="务工")
    case.refresh_from_db()
    assert case.exit_grace_until == datetime.date(2026, 9, 1)


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_income_above_the_standard_not_from_work_must_be_terminated(setup):
    clerk, family, case, review = setup
    declare(clerk, family, kind="transfers", amount="3000.00")

    with pytest.raises(CaseError) as err:
        review_complete(actor=clerk, review=review, outcome="adjust", outcome_reason="子女赡养")
    assert err.value.errors == {"outcome": [REVIEW_ADJUST_TO_ZERO]}
    review.refresh_from_db()
    case.refresh_from_db()
    assert review.status == Review.Status.OPEN
    assert case.status == CaseStatus.ACTIVE

    # the clerk knows better than the declaration: the support is the son's wages passed on
    review_complete(
        actor=clerk,
        review=review,
        outcome="adjust",
        outcome_reason="子女务工收入",
        income_from_work=True,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.EXIT_GRACE


@time_machine.travel(at(2026, 6, 15), tick=False)
def test_income_falling_again_during_gradual_exit_brings_the_case_back(setup):
    clerk, family, case, review = setup
    declare(clerk, family, amount="3000.00")
    review_complete(actor=clerk, review=review, outcome="adjust", outcome_reason="务工")

    with time_machine.travel(at(2026, 8, 20), tick=False):
        declaration_create(
            actor=clerk,
            household=family.household,
            declared_on=datetime.date(2026, 8, 18),
            incomes=[{"person": family.head, "kind": "wages", "monthly_amount": "600.00"}],
            assets=[],
        )
        again = review_create(actor=clerk, case=case, kind=ReviewKind.INCOME_CHANGE, reason="失业")
        review_complete(actor=clerk, review=again, outcome="adjust", outcome_reason="户主失业")

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert case.exit_grace_until is None
    assert amount_for_month(case, datetime.date(2026, 8, 1)) == Decimal("2000.00")
    assert Decimal(0) < amount_for_month(case, datetime.date(2026, 9, 1)) < Decimal("2000.00")
    assert exit_grace_expire(as_of=datetime.date(2027, 1, 1)) == 0
