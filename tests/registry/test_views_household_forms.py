"""The household forms: create (with a registered head or one registered in the same form),
edit, add and remove members, change the head, declare incomes and assets. Each saves through
the services, writes an audit event with the clerk's reason, and shows service errors under
the field they concern."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from minzheng.core.idnumbers import ID_CHECKSUM
from minzheng.core.models import AuditEvent
from minzheng.registry.forms import PERSON_NOT_FOUND, REASON_REQUIRED
from minzheng.registry.models import Declaration, Household, Membership, Person
from minzheng.registry.services import HEAD_CANNOT_LEAVE, MEMBER_ALREADY_IN_HOUSEHOLD
from tests.conftest import OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import make_household, make_person, new_id_number


def household_data(**changes):
    data = {
        "mode": "existing",
        "head_id_number": "",
        "address": "陶洪村村民组12号",
        "region_code": VILLAGE,
        "bank_name": "",
        "bank_account_name": "",
        "bank_account_number": "",
        "valid_from": "2025-01-01",
    }
    data.update(changes)
    return data


def new_person_fields(prefix, **changes):
    data = {
        "name": "周八",
        "id_number": new_id_number(),
        "ethnicity": "汉族",
        "phone": "",
        "hukou_type": "rural",
        "region_code": VILLAGE,
        "marital_status": "",
        "education": "",
        "labour_capacity": "full",
        "disability_category": "",
        "disability_grade": "",
        "disability_certificate": "",
        "serious_illness": "",
        "death_date": "",
    }
    data.update(changes)
    return {f"{prefix}-{k}": v for k, v in data.items()}


def errors(response, name, form="form"):
    return response.context[form].errors.get(name, [])


def events(action):
    return AuditEvent.objects.filter(action=action)


@pytest.fixture
def household(personas):
    head = make_person(personas.village_assistant, region_code=VILLAGE, name="吴九")
    return make_household(personas.village_assistant, region_code=VILLAGE, head=head)


@pytest.fixture
def assistant(client, personas):
    client.force_login(personas.village_assistant)
    return client


def test_a_household_is_created_with_a_registered_head(assistant, personas):
    head = make_person(personas.village_assistant, region_code=VILLAGE, name="郑十")
    response = assistant.post(
        reverse("registry:household_create"), household_data(head_id_number=head.id_number)
    )
    household = Household.objects.get(head=head)
    assert response["Location"] == reverse("registry:household_detail", args=[household.pk])
    assert events("household.create").filter(object_id=str(household.pk)).exists()


def test_a_head_outside_the_scope_is_not_found(assistant, personas):
    other = make_person(personas.township_clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP)
    response = assistant.post(
        reverse("registry:household_create"), household_data(head_id_number=other.id_number)
    )
    assert errors(response, "head_id_number") == [PERSON_NOT_FOUND]
    assert not Household.objects.exists()


def test_a_head_already_in_a_household_is_refused_under_the_head_field(
    assistant, personas, household
):
    response = assistant.post(
        reverse("registry:household_create"),
        household_data(head_id_number=household.head.id_number),
    )
    assert errors(response, "head_id_number") == [
        MEMBER_ALREADY_IN_HOUSEHOLD.format(name="吴九", head="吴九")
    ]


def test_the_head_can_be_registered_in_the_same_form(assistant):
    data = household_data(mode="new") | new_person_fields("head", name="冯十一")
    response = assistant.post(reverse("registry:household_create"), data)
    assert response.status_code == 302
    household = Household.objects.get()
    assert household.head.name == "冯十一"
    assert events("person.create").count() == 1
    assert events("household.create").count() == 1


def test_a_bad_new_head_shows_its_message_and_creates_nothing(assistant):
    data = household_data(mode="new") | new_person_fields("head", id_number="11010519491231002X")
    data["head-id_number"] = data["head-id_number"][:17] + "1"
    response = assistant.post(reverse("registry:household_create"), data)
    assert errors(response, "id_number", form="head_form") == [ID_CHECKSUM]
    assert not Person.objects.exists()


def test_a_household_error_rolls_back_the_new_head(assistant, personas):
    data = household_data(mode="new", address="") | new_person_fields("head")
    response = assistant.post(reverse("registry:household_create"), data)
    assert errors(response, "address")
    assert not Person.objects.exists()


def test_editing_a_household_keeps_the_masked_account_and_audits_the_reason(
    assistant, personas, household
):
    household.bank_account_number = "6228480012345678901"
    household.save()
    url = reverse("registry:household_edit", args=[household.pk])
    assert "6228480012345678901" not in assistant.get(url).content.decode()
    data = household_data(address="陶洪村新址1号", bank_name="农业银行", reason="搬家")
    response = assistant.post(url, data)
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "陶洪村新址1号"
    assert household.bank_account_number == "6228480012345678901"
    assert events("household.update").get().reason == "搬家"


def test_editing_needs_a_reason(assistant, household):
    url = reverse("registry:household_edit", args=[household.pk])
    response = assistant.post(url, household_data(address="新址"))
    assert errors(response, "reason") == [REASON_REQUIRED]


def test_a_registered_person_joins_the_household(assistant, personas, household):
    baby = make_person(personas.village_assistant, region_code=VILLAGE, name="吴小")
    url = reverse("registry:member_add", args=[household.pk])
    data = {
        "mode": "existing",
        "id_number": baby.id_number,
        "relationship": "child",
        "valid_from": "2025-02-01",
        "join_reason": "birth",
        "reason": "新生儿落户",
    }
    response = assistant.post(url, data)
    assert response.status_code == 302
    membership = Membership.objects.get(person=baby)
    assert membership.household == household
    assert membership.valid_from == datetime.date(2025, 2, 1)
    assert events("household.member_add").get().reason == "新生儿落户"


def test_a_new_person_is_registered_and_joins_in_one_step(assistant, household):
    url = reverse("registry:member_add", args=[household.pk])
    data = {
        "mode": "new",
        "relationship": "spouse",
        "valid_from": "2025-02-01",
        "join_reason": "marriage",
        "reason": "",
    } | new_person_fields("person", name="陈十二")
    response = assistant.post(url, data)
    assert response.status_code == 302
    assert Membership.objects.get(person__name="陈十二").household == household


def test_a_member_of_another_household_cannot_join_and_nothing_is_registered(
    assistant, personas, household
):
    other = make_household(personas.village_assistant, region_code=VILLAGE)
    url = reverse("registry:member_add", args=[household.pk])
    data = {
        "mode": "existing",
        "id_number": other.head.id_number,
        "relationship": "other",
        "valid_from": "2025-02-01",
        "join_reason": "move_in",
    }
    response = assistant.post(url, data)
    assert errors(response, "id_number")[0].startswith(other.head.name)
    assert not events("household.member_add").exists()


def test_a_member_leaves_with_a_date_and_reason(assistant, personas, household):
    son = make_person(personas.village_assistant, region_code=VILLAGE, name="吴十三")
    membership = Membership.objects.create(
        household=household, person=son, relationship="child", valid_from=datetime.date(2020, 1, 1)
    )
    url = reverse("registry:member_remove", args=[household.pk, membership.pk])
    data = {"valid_to": "2025-05-01", "leave_reason": "death", "reason": "病故"}
    response = assistant.post(url, data)
    assert response.status_code == 302
    membership.refresh_from_db()
    son.refresh_from_db()
    assert membership.valid_to == datetime.date(2025, 5, 1)
    assert son.death_date == datetime.date(2025, 5, 1)
    assert events("household.member_remove").get().reason == "病故"
    assert events("person.death").get().reason == "病故"


def test_the_head_cannot_simply_move_out(assistant, household):
    membership = household.memberships.get()
    url = reverse("registry:member_remove", args=[household.pk, membership.pk])
    data = {"valid_to": "2025-05-01", "leave_reason": "move_out", "reason": "迁出"}
    response = assistant.post(url, data)
    assert HEAD_CANNOT_LEAVE in response.context["form"].non_field_errors()
    membership.refresh_from_db()
    assert membership.valid_to is None


def test_the_head_changes_to_another_member(assistant, personas, household):
    wife = make_person(personas.village_assistant, region_code=VILLAGE, name="林十四")
    Membership.objects.create(
        household=household,
        person=wife,
        relationship="spouse",
        valid_from=datetime.date(2020, 1, 1),
    )
    url = reverse("registry:head_change", args=[household.pk])
    response = assistant.post(url, {"new_head": wife.pk, "reason": "原户主外出"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.head == wife
    assert events("household.head_change").get().reason == "原户主外出"


def test_a_declaration_is_saved_with_its_rows(assistant, personas, household):
    url = reverse("registry:declaration_create", args=[household.pk])
    head = household.head
    data = {
        "declared_on": "2025-03-01",
        "reference_months": "12",
        "note": "",
        "incomes-TOTAL_FORMS": "3",
        "incomes-INITIAL_FORMS": "0",
        "incomes-0-person": head.pk,
        "incomes-0-kind": "wages",
        "incomes-0-monthly_amount": "1500.00",
        "incomes-1-person": head.pk,
        "incomes-1-kind": "basic_pension",
        "incomes-1-monthly_amount": "150",
        "incomes-2-person": "",
        "incomes-2-kind": "",
        "incomes-2-monthly_amount": "",
        "assets-TOTAL_FORMS": "1",
        "assets-INITIAL_FORMS": "0",
        "assets-0-person": "",
        "assets-0-kind": "deposit",
        "assets-0-value": "8000",
        "assets-0-area": "",
    }
    response = assistant.post(url, data)
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert sorted(i.monthly_amount for i in declaration.incomes.all()) == [
        Decimal("150.00"),
        Decimal("1500.00"),
    ]
    assert declaration.assets.get().value == Decimal("8000.00")
    assert events("declaration.create").get().object_id == str(household.pk)


def test_a_declaration_row_with_a_bad_amount_shows_the_message_in_that_row(assistant, household):
    url = reverse("registry:declaration_create", args=[household.pk])
    data = {
        "declared_on": "2025-03-01",
        "reference_months": "12",
        "incomes-TOTAL_FORMS": "1",
        "incomes-INITIAL_FORMS": "0",
        "incomes-0-person": household.head.pk,
        "incomes-0-kind": "wages",
        "incomes-0-monthly_amount": "-5",
        "assets-TOTAL_FORMS": "0",
        "assets-INITIAL_FORMS": "0",
    }
    response = assistant.post(url, data)
    assert response.status_code == 200
    assert response.context["incomes"].forms[0].errors["monthly_amount"]
    assert not Declaration.objects.exists()


def test_a_member_who_joined_after_the_declaration_date_is_refused_in_his_row(assistant, household):
    url = reverse("registry:declaration_create", args=[household.pk])
    data = {
        "declared_on": "2019-03-01",  # the household was founded on 2020-01-01
        "reference_months": "12",
        "incomes-TOTAL_FORMS": "1",
        "incomes-INITIAL_FORMS": "0",
        "incomes-0-person": household.head.pk,
        "incomes-0-kind": "wages",
        "incomes-0-monthly_amount": "100",
        "assets-TOTAL_FORMS": "0",
        "assets-INITIAL_FORMS": "0",
    }
    response = assistant.post(url, data)
    assert "2019-03-01不是本户成员" in response.context["incomes"].forms[0].errors["person"][0]
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    "name", ["household_edit", "member_add", "head_change", "declaration_create"]
)
def test_forms_of_a_household_in_another_village_answer_404(client, personas, name):
    other = make_household(personas.township_clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP)
    client.force_login(personas.village_assistant)
    url = reverse(f"registry:{name}", args=[other.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404


def test_removing_a_member_of_another_village_answers_404(client, personas):
    other = make_household(personas.township_clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP)
    membership = other.memberships.get()
    client.force_login(personas.village_assistant)
    url = reverse("registry:member_remove", args=[other.pk, membership.pk])
    assert client.post(url, {"valid_to": "2025-01-01", "leave_reason": "death"}).status_code == 404
    membership.refresh_from_db()
    assert membership.valid_to is None


def test_a_membership_of_another_household_is_not_removed_through_this_one(
    assistant, personas, household
):
    other = make_household(personas.village_assistant, region_code=VILLAGE)
    url = reverse("registry:member_remove", args=[household.pk, other.memberships.get().pk])
    assert assistant.get(url).status_code == 404
