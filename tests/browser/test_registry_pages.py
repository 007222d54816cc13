"""A village assistant's day in a real browser: find a resident by pinyin initials, open the
household, correct a member's ID number (and see the Chinese message when it is wrong)."""

import datetime

import pytest
from django.urls import reverse

from minzheng.core.idnumbers import ID_CHECKSUM, mask_id_number
from minzheng.core.models import AuditEvent
from minzheng.registry.models import Membership, Person
from tests.conftest import OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import make_household, make_person, new_id_number

pytestmark = pytest.mark.browser


@pytest.fixture
def family(personas):
    actor = personas.village_assistant
    head = make_person(actor, region_code=VILLAGE, name="张三")
    household = make_household(actor, region_code=VILLAGE, head=head)
    son = make_person(actor, region_code=VILLAGE, name="李四")
    Membership.objects.create(
        household=household, person=son, relationship="child", valid_from=datetime.date(2020, 1, 1)
    )
    # same initials, another village of the township: never shown to this assistant
    make_person(personas.township_clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP, name="张山")
    return {"household": household, "head": head, "son": son}


def wrong_check_digit(number):
    return number[:17] + ("1" if number[17] != "1" else "2")


def test_an_assistant_finds_a_resident_by_initials_and_corrects_a_members_id_number(
    login, personas, family
):
    page = login(personas.village_assistant)

    page.goto(reverse("registry:person_list"))
    page.locator("#person-q").press_sequentially("zs", delay=50)
    results = page.locator("#results")
    results.get_by_text("“zs”的查询结果").wait_for()  # htmx swapped in the live results
    row = results.locator("tbody tr")
    assert row.count() == 1
    assert "q=zs" in page.url  # live results keep the address shareable
    assert mask_id_number(family["head"].id_number) in row.inner_text()
    assert "张山" not in results.inner_text()

    row.get_by_role("link", name="张三户").click()
    page.wait_for_url(f"**{reverse('registry:household_detail', args=[family['household'].pk])}")
    member = page.locator("#members tbody tr", has_text="李四")
    member.get_by_role("link", name="修改").click()
    page.wait_for_url(f"**{reverse('registry:person_edit', args=[family['son'].pk])}**")

    new_number = new_id_number()
    page.locator("#id_id_number").fill(wrong_check_digit(new_number))
    page.locator("#id_reason").fill("核对户口簿后更正")
    page.get_by_role("button", name="保存").click()
    error = page.locator("#id_id_number_error")
    error.wait_for()
    assert error.inner_text().strip() == ID_CHECKSUM
    # the message sits right under the ID field
    field_box = page.locator("#id_id_number").bounding_box()
    error_box = error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 20

    page.locator("#id_id_number").fill(new_number)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**{reverse('registry:household_detail', args=[family['household'].pk])}")
    assert "已保存李四的信息" in page.locator("main").inner_text()
    assert mask_id_number(new_number) in page.locator("#members").inner_text()

    assert Person.objects.get(pk=family["son"].pk).id_number == new_number
    event = AuditEvent.objects.get(action="person.update", object_id=str(family["son"].pk))
    assert event.reason == "核对户口簿后更正"


def test_the_household_is_shown_as_of_another_date_without_leaving_the_page(
    login, personas, family
):
    page = login(personas.village_assistant)
    page.goto(reverse("registry:household_detail", args=[family["household"].pk]))
    members = page.locator("#members")
    assert "李四" in members.inner_text()
    page.locator("#id_on").fill("2019-06-01")
    page.locator("#id_on").dispatch_event("change")
    page.wait_for_url("**on=2019-06-01**")
    members.get_by_text("这一天本户没有成员").wait_for()


def test_the_top_bar_search_box_answers_from_the_keyboard(login, personas, family):
    page = login(personas.village_assistant)
    search = page.get_by_role("searchbox", name="搜索居民")
    search.focus()
    page.keyboard.type("zs")
    page.keyboard.press("Enter")
    page.wait_for_url("**/registry/persons/?q=zs")
    assert page.locator("#results tbody tr").count() == 1
    assert page.evaluate("document.activeElement.id") == "person-q"
