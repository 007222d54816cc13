"""The person record and its forms: every field shown, Chinese messages under the field that is
wrong, changes saved through the service with the clerk's reason on the audit event, and
nothing outside the scope reachable."""

import pytest
from django.urls import reverse

from minzheng.core.idnumbers import ID_CHECKSUM, ID_LENGTH, mask_id_number
from minzheng.core.models import AuditEvent
from minzheng.registry.forms import PHONE_INVALID, REASON_REQUIRED
from minzheng.registry.models import Person
from minzheng.registry.services import (
    DISABILITY_CATEGORY_WITHOUT_GRADE,
    PERSON_DUPLICATE_ELSEWHERE,
)
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import make_household, make_person, new_id_number


def person_data(person=None, **changes):
    """What the edit form posts when the clerk changes `changes` and nothing else."""
    data = {
        "name": person.name if person else "孙七",
        "id_number": "",
        "ethnicity": "汉族",
        "phone": "",
        "hukou_type": "rural",
        "region_code": person.region_code if person else VILLAGE,
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
    return data


def field_errors(response, name):
    return response.context["form"].errors.get(name, [])


@pytest.fixture
def person(personas):
    return make_person(personas.village_assistant, region_code=VILLAGE, name="张三")


def test_the_record_shows_every_field_and_the_current_household(client, personas, person):
    household = make_household(personas.village_assistant, region_code=VILLAGE, head=person)
    client.force_login(personas.village_assistant)
    html = client.get(reverse("registry:person_detail", args=[person.pk])).content.decode()
    for label in ["身份证号码", "性别", "出生日期", "民族", "户籍性质", "残疾类别", "死亡日期"]:
        assert label in html
    assert mask_id_number(person.id_number) in html
    assert person.id_number not in html
    assert reverse("registry:household_detail", args=[household.pk]) in html
    assert "户主" in html  # membership history: relationship


def test_a_person_of_another_village_is_not_found(client, personas):
    other = make_person(personas.township_clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP)
    client.force_login(personas.village_assistant)
    for name in ["registry:person_detail", "registry:person_edit"]:
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    response = client.post(
        reverse("registry:person_edit", args=[other.pk]), person_data(other, reason="x")
    )
    assert response.status_code == 404


def test_an_invalid_id_number_shows_the_chinese_message_under_the_field(client, personas, person):
    client.force_login(personas.village_assistant)
    bad = person.id_number[:17] + ("0" if person.id_number[17] != "0" else "1")
    url = reverse("registry:person_edit", args=[person.pk])
    response = client.post(url, person_data(person, id_number=bad, reason="更正身份证号"))
    assert response.status_code == 200
    assert field_errors(response, "id_number") == [ID_CHECKSUM]
    html = response.content.decode()
    assert f'id="id_id_number_error" role="alert"><li>{ID_CHECKSUM}</li>' in html
    response = client.post(url, person_data(person, id_number="12345", reason="更正"))
    assert field_errors(response, "id_number") == [ID_LENGTH]
    person.refresh_from_db()
    assert person.id_number != bad


def test_an_assistant_leaves_the_masked_number_empty_to_keep_it(client, personas, person):
    client.force_login(personas.village_assistant)
    url = reverse("registry:person_edit", args=[person.pk])
    form_html = client.get(url).content.decode()
    assert person.id_number not in form_html
    assert mask_id_number(person.id_number) in form_html
    response = client.post(url, person_data(person, phone="13800001111", reason="电话变更"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "13800001111"
    assert person.id_number == Person.objects.get(pk=person.pk).id_number


def test_a_correct_id_number_is_saved_with_the_reason_on_the_audit_event(client, personas, person):
    client.force_login(personas.village_assistant)
    new_number = new_id_number()
    url = reverse("registry:person_edit", args=[person.pk])
    response = client.post(url, person_data(person, id_number=new_number, reason="核对户口簿"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.id_number == new_number
    event = AuditEvent.objects.filter(action="person.update", object_id=str(person.pk)).get()
    assert event.reason == "核对户口簿"
    assert event.actor == personas.village_assistant
    assert event.changes["id_number"][1] == new_number


def test_a_change_needs_a_reason(client, personas, person):
    client.force_login(personas.village_assistant)
    url = reverse("registry:person_edit", args=[person.pk])
    response = client.post(url, person_data(person, phone="13800001111"))
    assert field_errors(response, "reason") == [REASON_REQUIRED]


def test_field_messages_come_from_the_form_and_from_the_service(client, personas, person):
    client.force_login(personas.village_assistant)
    url = reverse("registry:person_edit", args=[person.pk])
    response = client.post(url, person_data(person, phone="abc", reason="x"))
    assert field_errors(response, "phone") == [PHONE_INVALID]
    response = client.post(url, person_data(person, disability_category="visual", reason="x"))
    assert field_errors(response, "disability_grade") == [DISABILITY_CATEGORY_WITHOUT_GRADE]
    person.refresh_from_db()
    assert person.disability_category == ""


def test_next_brings_the_clerk_back_to_the_household(client, personas, person):
    household = make_household(personas.village_assistant, region_code=VILLAGE, head=person)
    back = reverse("registry:household_detail", args=[household.pk])
    client.force_login(personas.village_assistant)
    url = reverse("registry:person_edit", args=[person.pk])
    response = client.post(url, person_data(person, reason="x", phone="13800001111", next=back))
    assert response["Location"] == back
    response = client.post(
        url, person_data(person, reason="x", phone="13800002222", next="https://evil.example/")
    )
    assert response["Location"] == reverse("registry:person_detail", args=[person.pk])


def test_creating_a_person_registers_and_audits_it(client, personas):
    client.force_login(personas.village_assistant)
    number = new_id_number()
    response = client.post(
        reverse("registry:person_create"), person_data(id_number=number, name="孙七")
    )
    person = Person.objects.get(id_number=number)
    assert response["Location"] == reverse("registry:person_detail", args=[person.pk])
    assert person.name == "孙七"
    assert AuditEvent.objects.filter(action="person.create", object_id=str(person.pk)).exists()


def test_a_number_registered_elsewhere_is_refused_without_naming_the_record(client, personas):
    elsewhere = make_person(
        personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE, name="秘密"
    )
    client.force_login(personas.village_assistant)
    response = client.post(
        reverse("registry:person_create"), person_data(id_number=elsewhere.id_number)
    )
    assert field_errors(response, "id_number") == [PERSON_DUPLICATE_ELSEWHERE]
    assert "秘密" not in response.content.decode()


def test_roles_that_only_read_may_not_open_the_forms(client, personas, person):
    for user in [personas.county_leader, personas.auditor, personas.hospital_clerk]:
        client.force_login(user)
        assert client.get(reverse("registry:person_create")).status_code == 403
        assert client.get(reverse("registry:person_edit", args=[person.pk])).status_code == 403
        assert client.get(reverse("registry:person_detail", args=[person.pk])).status_code == 200


def test_a_village_outside_the_scope_is_not_offered_as_hukou_region(client, personas):
    client.force_login(personas.village_assistant)
    response = client.post(
        reverse("registry:person_create"),
        person_data(id_number=new_id_number(), region_code=OTHER_TOWNSHIP_VILLAGE),
    )
    assert field_errors(response, "region_code")
    assert not Person.objects.filter(region_code=OTHER_TOWNSHIP_VILLAGE).exists()
