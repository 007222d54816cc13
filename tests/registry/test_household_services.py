import datetime

import pytest
from django.core.exceptions import ValidationError

from minzheng.core.models import AuditEvent
from minzheng.registry import services
from minzheng.registry.models import IncomeKind, LeaveReason, Relationship
from minzheng.registry.selectors import household_get, household_members_on
from tests.conftest import OTHER_COUNTY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.factories import make_household, make_person, new_id_number


@pytest.mark.django_db
def test_a_duplicate_id_number_in_scope_names_the_existing_record(personas):
    person = make_person(personas.township_clerk, region_code=VILLAGE, name="王五")
    with pytest.raises(ValidationError) as e:
        make_person(personas.township_clerk, region_code=VILLAGE, id_number=person.id_number)
    assert "王五" in e.value.message_dict["id_number"][0]


@pytest.mark.django_db
def test_a_duplicate_outside_scope_is_refused_without_revealing_it(personas):
    person = make_person(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE, name="王五")
    with pytest.raises(ValidationError) as e:
        make_person(personas.township_clerk, region_code=VILLAGE, id_number=person.id_number)
    message = e.value.message_dict["id_number"][0]
    assert message == services.PERSON_DUPLICATE_ELSEWHERE
    assert "王五" not in message


@pytest.mark.django_db
def test_a_fifteen_digit_number_is_stored_upgraded(personas):
    person = make_person(personas.township_clerk, region_code=VILLAGE, id_number="342401700501003")
    assert person.id_number == "342401197005010030"  # check digit by GB 11643
    assert person.birth_date == datetime.date(1970, 5, 1) and person.sex == "M"


@pytest.mark.django_db
def test_a_clerk_cannot_register_a_person_outside_the_scope(personas):
    with pytest.raises(ValidationError) as e:
        make_person(personas.township_clerk, region_code=OTHER_COUNTY_VILLAGE)
    assert "region_code" in e.value.message_dict


@pytest.mark.django_db
def test_the_household_can_be_seen_as_of_any_date(personas):
    clerk = personas.township_clerk
    household = make_household(clerk, region_code=VILLAGE)
    child = make_person(
        clerk,
        region_code=VILLAGE,
        name="张小",
        id_number=new_id_number(birth=datetime.date(2021, 3, 1)),
    )
    membership = services.member_add(
        actor=clerk,
        household=household,
        person=child,
        relationship=Relationship.CHILD,
        valid_from=datetime.date(2021, 3, 1),
        join_reason="birth",
    )
    services.member_remove(
        actor=clerk,
        membership=membership,
        valid_to=datetime.date(2025, 6, 1),
        leave_reason=LeaveReason.MOVE_OUT,
        reason="随母迁出",
    )
    household = household_get(user=clerk, pk=household.pk)
    assert len(household_members_on(household, datetime.date(2020, 6, 1))) == 1
    assert len(household_members_on(household, datetime.date(2023, 6, 1))) == 2
    assert len(household_members_on(household, datetime.date(2025, 6, 1))) == 1
    removal = AuditEvent.objects.get(action="household.member_remove")
    assert removal.reason == "随母迁出" and removal.actor == clerk


@pytest.mark.django_db
def test_a_person_belongs_to_one_household_at_a_time(personas):
    clerk = personas.township_clerk
    first = make_household(clerk, region_code=VILLAGE)
    second = make_household(clerk, region_code=VILLAGE)
    with pytest.raises(ValidationError) as e:
        services.member_add(
            actor=clerk,
            household=second,
            person=first.head,
            relationship=Relationship.OTHER,
            valid_from=datetime.date(2026, 1, 1),
        )
    assert "person" in e.value.message_dict


@pytest.mark.django_db
def test_a_death_ends_the_membership_and_records_the_death_date(personas):
    clerk = personas.township_clerk
    household = make_household(clerk, region_code=VILLAGE)
    spouse = make_person(
        clerk, region_code=VILLAGE, name="刘芳", id_number=new_id_number(male=False)
    )
    m = services.member_add(
        actor=clerk,
        household=household,
        person=spouse,
        relationship=Relationship.SPOUSE,
        valid_from=datetime.date(2020, 1, 1),
    )
    services.member_remove(
        actor=clerk,
        membership=m,
        valid_to=datetime.date(2026, 3, 2),
        leave_reason=LeaveReason.DEATH,
    )
    spouse.refresh_from_db()
    assert spouse.death_date == datetime.date(2026, 3, 2)
    assert AuditEvent.objects.filter(action="person.death", object_id=str(spouse.pk)).exists()


@pytest.mark.django_db
def test_the_head_cannot_move_out_before_the_head_is_changed(personas):
    clerk = personas.township_clerk
    household = make_household(clerk, region_code=VILLAGE)
    membership = household.memberships.get()
    with pytest.raises(ValidationError):
        services.member_remove(
            actor=clerk,
            membership=membership,
            valid_to=datetime.date(2026, 1, 1),
            leave_reason=LeaveReason.MOVE_OUT,
        )


@pytest.mark.django_db
def test_a_declaration_refuses_income_of_a_non_member(personas):
    clerk = personas.township_clerk
    household = make_household(clerk, region_code=VILLAGE)
    stranger = make_person(clerk, region_code=VILLAGE)
    with pytest.raises(ValidationError):
        services.declaration_create(
            actor=clerk,
            household=household,
            declared_on=datetime.date(2026, 1, 5),
            incomes=[{"person": stranger, "kind": IncomeKind.WAGES, "monthly_amount": "800"}],
            assets=[],
        )


@pytest.mark.django_db
def test_a_declaration_keeps_amounts_exact(personas):
    clerk = personas.township_clerk
    household = make_household(clerk, region_code=VILLAGE)
    declaration = services.declaration_create(
        actor=clerk,
        household=household,
        declared_on=datetime.date(2026, 1, 5),
        incomes=[{"person": household.head, "kind": IncomeKind.WAGES, "monthly_amount": "812.35"}],
        assets=[{"kind": "deposit", "value": "12000.10"}],
    )
    income = declaration.incomes.get()
    assert str(income.monthly_amount) == "812.35"
    with pytest.raises(ValidationError):
        services.declaration_create(
            actor=clerk,
            household=household,
            declared_on=datetime.date(2026, 1, 5),
            incomes=[{"person": household.head, "kind": IncomeKind.WAGES, "monthly_amount": "-1"}],
            assets=[],
        )
