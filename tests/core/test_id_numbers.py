"""Resident ID numbers: what python-stdnum plus our own checks accept, and the message each
refusal gives."""

from __future__ import annotations

import datetime
import re
from functools import cache
from pathlib import Path

import pytest
import stdnum
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from minzheng.core.idnumbers import (
    ID_AREA,
    ID_BIRTH_DATE,
    ID_CHECKSUM,
    ID_EMPTY,
    ID_FORMAT,
    ID_FUTURE,
    ID_LENGTH,
    IdNumberError,
    birth_date_of,
    make_id_number,
    mask_id_number,
    normalize_id_number,
    sex_of,
)

TODAY = datetime.date(2026, 6, 1)
FIRST = datetime.date(1900, 1, 1)


@cache
def area_codes() -> list[tuple[str, int, int]]:
    """(6-digit area code, first year, last year) for every code in stdnum's table, read from
    the table itself: "[1983-1999]六安县" lines carry the years a code was in use."""
    lines = (Path(stdnum.__file__).parent / "cn" / "loc.dat").read_text("utf-8").splitlines()
    out: list[tuple[str, int, int]] = []
    province = ""
    for line in lines:
        if line and line[0].isdigit():
            province = line[:2]
            continue
        found = re.match(r'^\s+(\d{4}) county="(.*)"', line)
        if not found:
            continue
        for part in found.group(2).split(","):
            years = re.match(r"^\[(\d*)-(\d*)\]", part)
            start = int(years.group(1) or FIRST.year) if years else FIRST.year
            end = int(years.group(2) or TODAY.year) if years else TODAY.year
            start, end = max(start, FIRST.year), min(end, TODAY.year)
            if start <= end:
                out.append((province + found.group(1), start, end))
    return out


@st.composite
def area_and_birth(draw: st.DrawFn, last_year: int = TODAY.year) -> tuple[str, datetime.date]:
    """A real area code and a birth date in a year the code was in use."""
    area, start, end = draw(st.sampled_from([a for a in area_codes() if a[1] <= last_year]))
    first = datetime.date(start, 1, 1)
    last = min(datetime.date(min(end, last_year), 12, 31), TODAY)
    return area, draw(st.dates(min_value=first, max_value=last))


sequences = st.integers(min_value=0, max_value=999)


def refusal(raw: str) -> str:
    with pytest.raises(IdNumberError) as caught:
        normalize_id_number(raw, today=TODAY)
    return caught.value.message


def test_the_table_of_area_codes_is_read() -> None:
    codes = {code for code, _, _ in area_codes()}
    assert len(codes) > 3000
    assert {"341503", "342401", "640324", "110101"} <= codes


@given(area_and_birth(), sequences)
def test_a_generated_number_normalizes_to_itself_with_its_sex_and_birth_date(
    place: tuple[str, datetime.date], sequence: int
) -> None:
    area, birth = place
    number = make_id_number(area, birth, sequence)
    assert normalize_id_number(number, today=TODAY) == number
    assert birth_date_of(number) == birth
    assert sex_of(number) == ("M" if sequence % 2 else "F")


@given(area_and_birth(), sequences)
def test_lowercase_x_and_spaces_are_accepted(
    place: tuple[str, datetime.date], sequence: int
) -> None:
    number = make_id_number(*place, sequence)
    assert normalize_id_number(f" {number.lower()} ", today=TODAY) == number


def test_the_standard_sample_ending_in_x_is_accepted_in_lowercase() -> None:
    assert normalize_id_number("11010519491231002x", today=TODAY) == "11010519491231002X"


@given(area_and_birth(), sequences, st.integers(0, 17), st.data())
def test_changing_any_single_character_makes_a_number_invalid(
    place: tuple[str, datetime.date], sequence: int, position: int, data: st.DataObject
) -> None:
    number = make_id_number(*place, sequence)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    assert refusal(changed) == ID_CHECKSUM


@given(area_and_birth(last_year=1999), sequences)
def test_a_15_digit_legacy_number_upgrades_to_the_18_digit_form(
    place: tuple[str, datetime.date], sequence: int
) -> None:
    area, birth = place
    legacy = f"{area}{birth:%y%m%d}{sequence:03d}"
    upgraded = normalize_id_number(legacy, today=TODAY)
    assert upgraded == make_id_number(area, birth, sequence)
    assert len(upgraded) == 18
    assert birth_date_of(upgraded) == birth


@given(st.integers(min_value=1, max_value=3650), sequences)
def test_a_birth_date_after_today_is_refused(days: int, sequence: int) -> None:
    number = make_id_number("110101", TODAY + datetime.timedelta(days=days), sequence)
    assert refusal(number) == ID_FUTURE


@given(st.from_regex(r"\A[0-9]{6}\Z"), st.dates(FIRST, TODAY), sequences)
def test_an_area_code_unknown_in_the_birth_year_is_refused(
    area: str, birth: datetime.date, sequence: int
) -> None:
    known = {code for code, start, end in area_codes() if start <= birth.year <= end}
    number = make_id_number(area, birth, sequence)
    if area in known:
        assert normalize_id_number(number, today=TODAY) == number
    else:
        assert refusal(number) == ID_AREA


@pytest.mark.parametrize(
    ("area", "birth"),
    [
        ("999999", datetime.date(1980, 1, 1)),  # no such province
        ("110301", datetime.date(1980, 1, 1)),  # province known, county not (stdnum KeyError)
        ("341503", datetime.date(1990, 1, 1)),  # 裕安区 exists from 1999 only
        ("342401", datetime.date(2010, 1, 1)),  # 六安市 (county-level) abolished in 1999
    ],
)
def test_these_area_codes_are_refused(area: str, birth: datetime.date) -> None:
    assert refusal(make_id_number(area, birth, 1)) == ID_AREA


def test_a_code_still_valid_elsewhere_in_time_is_accepted() -> None:
    number = make_id_number("342401", datetime.date(1990, 1, 1), 1)
    assert normalize_id_number(number, today=TODAY) == number


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", ID_EMPTY),
        ("   ", ID_EMPTY),
        ("34150319900101", ID_LENGTH),
        ("3415031990010100011", ID_LENGTH),
        ("34150319900101001A", ID_FORMAT),
        ("3415031990010X001X", ID_FORMAT),
        ("34150190010100A", ID_FORMAT),
    ],
)
def test_each_refusal_gives_its_message(raw: str, message: str) -> None:
    assert refusal(raw) == message


def test_a_wrong_check_digit_is_refused() -> None:
    number = make_id_number("110101", datetime.date(1990, 1, 1), 1)
    wrong = "0" if number[-1] != "0" else "1"
    assert refusal(number[:17] + wrong) == ID_CHECKSUM


@pytest.mark.parametrize("date_part", ["19900230", "19901301", "19900000"])
def test_an_impossible_birth_date_is_refused_even_with_a_right_check_digit(
    date_part: str,
) -> None:
    first17 = f"110101{date_part}001"
    number = first17 + ric.calc_check_digit(first17 + "0")
    assert refusal(number) == ID_BIRTH_DATE


def test_a_birth_year_before_1880_is_refused_as_impossible() -> None:
    first17 = "11010118790101001"
    assert refusal(first17 + ric.calc_check_digit(first17 + "0")) == ID_BIRTH_DATE


def test_the_masked_form_shows_the_first_6_and_last_4_digits() -> None:
    assert mask_id_number("34150319900101001X") == "341503********001X"
