import datetime

import pytest

from minzheng.registry.selectors import parse_query, person_search
from tests.conftest import OTHER_COUNTY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.factories import make_person, new_id_number


@pytest.fixture
def people(personas):
    county = personas.county_officer
    return {
        "zhangsan": make_person(county, region_code=VILLAGE, name="张三", phone="13900001111"),
        "zhangshan": make_person(county, region_code=VILLAGE, name="张山"),
        "lisi": make_person(county, region_code=VILLAGE, name="李四"),
        "elsewhere": make_person(county, region_code=OTHER_TOWNSHIP_VILLAGE, name="张森"),
        "other_county": make_person(
            personas.other_county_officer,
            region_code=OTHER_COUNTY_VILLAGE,
            name="张松",
            id_number=new_id_number(area="640324", birth=datetime.date(2001, 2, 3)),
        ),
    }


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("341503200102030011", "id"),
        ("34240119700501001x", "id"),
        ("342401700501001", "id"),
        ("0011", "digits"),
        ("13900001111", "phone"),
        ("zs", "pinyin"),
        ("ZhangSan", "pinyin"),
        ("张", "name"),
        ("  ", "empty"),
    ],
)
def test_it_reads_the_clerks_text_as_the_right_kind_of_query(text, kind):
    assert parse_query(text).kind == kind


@pytest.mark.django_db
def test_initials_find_every_name_they_abbreviate_within_scope(personas, people):
    found = set(person_search(user=personas.township_clerk, q="zs"))
    assert found == {people["zhangsan"], people["zhangshan"]}


@pytest.mark.django_db
def test_full_pinyin_prefix_finds_the_name(personas, people):
    assert list(person_search(user=personas.township_clerk, q="zhangsan")) == [people["zhangsan"]]


@pytest.mark.django_db
def test_the_county_sees_its_townships_but_not_another_county(personas, people):
    found = set(person_search(user=personas.county_officer, q="张"))
    assert people["elsewhere"] in found
    assert people["other_county"] not in found


@pytest.mark.django_db
def test_last_digits_of_the_id_number_find_the_person(personas, people):
    number = people["lisi"].id_number
    assert people["lisi"] in person_search(user=personas.village_assistant, q=number[-6:])


@pytest.mark.django_db
def test_a_full_id_number_and_a_phone_find_exactly_one_person(personas, people):
    person = people["zhangsan"]
    assert list(person_search(user=personas.village_assistant, q=person.id_number)) == [person]
    assert list(person_search(user=personas.village_assistant, q="13900001111")) == [person]


@pytest.mark.django_db
def test_a_village_assistant_never_finds_another_villages_people(personas, people):
    assert list(person_search(user=personas.other_village_assistant, q="zs")) == []
    number = people["zhangsan"].id_number
    assert list(person_search(user=personas.other_village_assistant, q=number)) == []
