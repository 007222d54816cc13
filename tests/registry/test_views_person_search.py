"""The person search page: what a clerk types finds the person, live and paged, only within
the clerk's scope, with ID numbers masked as the role requires, and exports the same list."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from minzheng.core.idnumbers import mask_id_number
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import make_household, make_person, new_id_number

URL = reverse("registry:person_list")


@pytest.fixture
def people(personas):
    """张三 in the assistant's village, 张山 in another village of the same township, 张森 in
    another township."""
    return {
        "zhangsan": make_person(personas.village_assistant, region_code=VILLAGE, name="张三"),
        "zhangshan": make_person(
            personas.township_clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP, name="张山"
        ),
        "zhangsen": make_person(
            personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE, name="张森"
        ),
    }


def test_pinyin_initials_find_the_person_in_the_assistants_village(client, personas, people):
    client.force_login(personas.village_assistant)
    response = client.get(URL, {"q": "zs"})
    assert response.status_code == 200
    assert "张三" in response.content.decode()


def test_persons_of_other_villages_never_appear_in_an_assistants_results(client, personas, people):
    client.force_login(personas.village_assistant)
    for q in ["zs", "张", people["zhangshan"].id_number, people["zhangsen"].id_number[-4:], ""]:
        html = client.get(URL, {"q": q}).content.decode()
        assert "张山" not in html
        assert "张森" not in html


def test_a_township_clerk_finds_every_village_of_the_township_but_not_others(
    client, personas, people
):
    client.force_login(personas.township_clerk)
    html = client.get(URL, {"q": "zs"}).content.decode()
    assert "张三" in html
    assert "张山" in html
    assert "张森" not in html


def test_search_takes_a_full_id_number_its_last_digits_a_name_and_a_phone(client, personas):
    person = make_person(
        personas.village_assistant, region_code=VILLAGE, name="李四", phone="13912345678"
    )
    client.force_login(personas.village_assistant)
    for q in [person.id_number, person.id_number[-6:], "李四", "lisi", "13912345678"]:
        assert "李四" in client.get(URL, {"q": q}).content.decode(), q


def test_an_assistant_sees_id_numbers_masked_and_a_township_clerk_in_full(client, personas, people):
    number = people["zhangsan"].id_number
    client.force_login(personas.village_assistant)
    html = client.get(URL, {"q": "zs"}).content.decode()
    assert mask_id_number(number) in html
    assert number not in html
    client.force_login(personas.township_clerk)
    assert number in client.get(URL, {"q": "zs"}).content.decode()


def test_an_htmx_request_gets_only_the_results_fragment(client, personas, people):
    client.force_login(personas.village_assistant)
    response = client.get(URL, {"q": "zs"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "张三" in html
    assert "<html" not in html


def test_results_are_paged_by_twenty_with_page_links(client, personas):
    for _ in range(45):
        make_person(personas.village_assistant, region_code=VILLAGE, name="王五")
    client.force_login(personas.village_assistant)
    first = client.get(URL, {"q": "ww"})
    assert len(first.context["rows"]) == 20
    assert first.context["page"].paginator.num_pages == 3
    html = first.content.decode()
    assert "q=ww&amp;page=2" in html
    third = client.get(URL, {"q": "ww", "page": 3})
    assert len(third.context["rows"]) == 5


def test_a_row_shows_sex_age_hukou_region_and_a_link_to_the_household(client, personas):
    head = make_person(
        personas.village_assistant,
        region_code=VILLAGE,
        name="赵六",
        id_number=new_id_number(birth=datetime.date(1960, 1, 1)),
    )
    household = make_household(personas.village_assistant, region_code=VILLAGE, head=head)
    client.force_login(personas.village_assistant)
    response = client.get(URL, {"q": "赵六"})
    row = response.context["rows"][0]
    today = timezone.localdate()
    assert row.age == today.year - 1960 - ((today.month, today.day) < (1, 1))
    html = response.content.decode()
    assert "陶洪村" in html
    assert "男" in html
    assert reverse("registry:household_detail", args=[household.pk]) in html


def test_the_export_holds_the_same_filtered_list_within_scope(client, personas, people):
    make_person(personas.village_assistant, region_code=VILLAGE, name="李四")
    client.force_login(personas.township_clerk)
    response = client.get(reverse("registry:person_export"), {"q": "zs"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "姓名"
    names = sorted(r[0] for r in rows[1:])
    assert names == ["张三", "张山"]  # not 李四 (filter), not 张森 (other township)


def test_an_assistants_export_masks_id_numbers_and_keeps_to_the_village(client, personas, people):
    client.force_login(personas.village_assistant)
    response = client.get(reverse("registry:person_export"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == ["张三"]
    assert rows[0][4] == mask_id_number(people["zhangsan"].id_number)


def test_the_search_page_asks_anonymous_visitors_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_long_list_stops_counting_at_the_cap_and_asks_for_more_conditions(
    client, personas, monkeypatch
):
    monkeypatch.setattr("minzheng.registry.views.common.COUNT_CAP", 30)
    for _ in range(35):
        make_person(personas.village_assistant, region_code=VILLAGE, name="王五")
    client.force_login(personas.village_assistant)
    response = client.get(URL, {"q": "ww", "page": 2})
    assert response.context["page"].paginator.num_pages == 2
    assert len(response.context["rows"]) == 10
    assert "超过 30 人,请输入更多条件缩小范围" in response.content.decode()


def test_pages_that_answer_htmx_with_fragments_vary_on_the_htmx_header(client, personas, people):
    client.force_login(personas.village_assistant)
    for headers in [{}, {"HTTP_HX_REQUEST": "true"}]:
        response = client.get(URL, {"q": "zs"}, **headers)
        assert "HX-Request" in response["Vary"]
    restore = client.get(
        URL, {"q": "zs"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()  # htmx restoring history needs the whole page
