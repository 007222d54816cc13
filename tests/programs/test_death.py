"""A death recorded in the registry: a case that supported only that person stops paying from
the month after the death; any other case gets a review due within 3 months (DOMAIN.md §2.7)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from minzheng.core.models import AuditEvent
from minzheng.programs.models import CaseStatus, Grant, Review, ReviewKind, Standard
from minzheng.programs.services.benefits import amount_for_month
from minzheng.programs.services.errors import CaseError
from minzheng.programs.services.reviews import funeral_grant_create, person_death_recorded
from minzheng.registry.models import LeaveReason, Membership
from minzheng.registry.services import member_remove, person_update
from tests.conftest import VILLAGE
from tests.factories import make_household, make_person
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case, periods

pytestmark = pytest.mark.django_db

DIED = datetime.date(2026, 5, 3)


def record_death(actor, person, day=DIED):
    membership = Membership.objects.get(person=person, valid_to__isnull=True)
    member_remove(actor=actor, membership=membership, valid_to=day, leave_reason=LeaveReason.DEATH)


@time_machine.travel(at(2026, 5, 10), tick=False)
def test_a_single_members_death_suspends_payment_from_the_next_month(personas):
    clerk = personas.township_clerk
    old = make_person(clerk, region_code=VILLAGE, name="孤老")
    household = make_household(clerk, region_code=VILLAGE, head=old)
    case = enrolled_case(clerk, household, amount="600.00")

    record_death(clerk, old)

    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    assert periods(case)[-1] == (datetime.date(2026, 6, 1), Decimal("0.00"), "suspension")
    assert amount_for_month(case, datetime.date(2026, 5, 1)) == Decimal("600.00")
    assert amount_for_month(case, datetime.date(2026, 6, 1)) == Decimal("0.00")
    suspend = AuditEvent.objects.get(action="case.suspend", object_id=str(case.pk))
    assert "孤老" in suspend.reason and "2026年06月" in suspend.reason
    # the clerk still concludes the case with a review (termination and its letter)
    review = Review.objects.get(case=case, kind=ReviewKind.DEATH)
    assert "终止" in review.reason


@time_machine.travel(at(2026, 5, 10), tick=False)
def test_a_members_death_opens_a_review_due_within_three_months(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household, amount="900.00")

    record_death(clerk, family.spouse)

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert amount_for_month(case, datetime.date(2026, 6, 1)) == Decimal("900.00")
    review = Review.objects.get(case=case)
    assert review.kind == ReviewKind.DEATH
    assert review.status == Review.Status.OPEN
    assert review.due_on == datetime.date(2026, 8, 3)
    assert review.evidence["person"] == family.spouse.pk
    assert "李秀英" in review.reason
    assert AuditEvent.objects.filter(action="review.create", object_id=str(case.pk)).exists()


@time_machine.travel(at(2026, 5, 10), tick=False)
def test_a_death_recorded_twice_opens_one_review(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household)

    record_death(clerk, family.spouse)
    person_death_recorded(actor=clerk, person=family.spouse, death_date=DIED)

    assert Review.objects.filter(case=case).count() == 1


@time_machine.travel(at(2026, 5, 10), tick=False)
def test_a_death_entered_on_the_person_reaches_the_cases_too(personas):
    clerk = personas.township_clerk
    old = make_person(clerk, region_code=VILLAGE, name="孤老")
    household = make_household(clerk, region_code=VILLAGE, head=old)
    case = enrolled_case(clerk, household)

    person_update(actor=clerk, person=old, data={"death_date": DIED}, reason="死亡证明")

    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED


@time_machine.travel(at(2026, 9, 10), tick=False)
def test_a_death_recorded_late_also_stops_amounts_set_for_later_months(personas):
    from minzheng.programs.services.benefits import benefit_period_set

    clerk = personas.township_clerk
    old = make_person(clerk, region_code=VILLAGE, name="孤老")
    household = make_household(clerk, region_code=VILLAGE, head=old)
    case = enrolled_case(clerk, household, amount="600.00")
    benefit_period_set(
        case=case,
        valid_from=datetime.date(2026, 7, 1),
        amount=Decimal("650.00"),
        reason="standard_change",
        calculation={},
        actor=None,
    )

    record_death(clerk, old)  # died 3 May, recorded in September

    assert amount_for_month(case, datetime.date(2026, 6, 1)) == Decimal("0.00")
    assert amount_for_month(case, datetime.date(2026, 8, 1)) == Decimal("0.00")


@time_machine.travel(at(2026, 5, 10), tick=False)
def test_a_terminated_case_is_left_alone(personas):
    clerk = personas.township_clerk
    old = make_person(clerk, region_code=VILLAGE, name="孤老")
    household = make_household(clerk, region_code=VILLAGE, head=old)
    case = enrolled_case(clerk, household, status=CaseStatus.TERMINATED)

    record_death(clerk, old)

    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert not Review.objects.filter(case=case).exists()


@time_machine.travel(at(2026, 5, 10), tick=False)
def test_a_tekun_persons_death_stops_support_and_makes_the_funeral_grant(personas, standards):
    clerk = personas.township_clerk
    family = make_family(clerk)  # lives with relatives who do not count
    case = enrolled_case(
        clerk, family.household, program="tekun", amount="1233.00", counted=[family.head]
    )

    result = person_death_recorded(actor=clerk, person=family.head, death_date=DIED)

    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    assert result.suspended == [case] and result.problems == []
    grant = Grant.objects.get(case=case, kind=Grant.Kind.FUNERAL)
    assert grant.amount == Decimal("3000.00")
    assert grant.created_by == clerk
    assert grant.calculation["standards"]["funeral_grant"] == "341503000000 2020-01-01"
    assert AuditEvent.objects.get(action="case.grant").changes["amount"] == "3000.00"
    # recorded again: still one grant
    person_death_recorded(actor=clerk, person=family.head, death_date=DIED)
    assert Grant.objects.filter(case=case).count() == 1


@time_machine.travel(at(2026, 5, 10), tick=False)
def test_without_a_funeral_standard_the_death_is_still_recorded_and_the_grant_follows(
    personas, standards
):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household, program="tekun", counted=[family.head])
    Standard.objects.filter(parameter="funeral_grant").delete()
    record_death(clerk, family.head)

    result = person_death_recorded(actor=clerk, person=family.head, death_date=DIED)

    assert result.grants == []  # nor the first time, from the registry
    assert "funeral_grant" in result.problems[0] and "补发" in result.problems[0]
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    review = Review.objects.get(case=case, kind=ReviewKind.DEATH)
    assert "补发" in review.reason  # the clerk learns it from the review
    assert review.evidence["funeral_grant_problem"] == result.problems[0]

    with pytest.raises(CaseError):
        funeral_grant_create(actor=clerk, case=case)
    standard_set_funeral()
    with pytest.raises(PermissionDenied):
        funeral_grant_create(actor=personas.village_assistant, case=case)
    grant = funeral_grant_create(actor=clerk, case=case)
    assert grant.amount == Decimal("2800.00")
    with pytest.raises(CaseError):
        funeral_grant_create(actor=clerk, case=case)


def standard_set_funeral():
    Standard.objects.create(
        program="tekun",
        parameter="funeral_grant",
        region_code="341503000000",
        valid_from=datetime.date(2026, 1, 1),
        value=Decimal("2800"),
    )


@time_machine.travel(at(2026, 5, 10), tick=False)
def test_a_living_persons_case_gets_no_funeral_grant(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household, program="tekun", counted=[family.head])
    with pytest.raises(CaseError) as err:
        funeral_grant_create(actor=clerk, case=case)
    assert "尚未登记死亡" in err.value.message
    dibao = enrolled_case(clerk, make_family(clerk).household)
    with pytest.raises(CaseError):
        funeral_grant_create(actor=clerk, case=dibao)
