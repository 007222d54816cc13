"""normalize_id_number skips stdnum's input cleaning for an already clean 18-character number;
that path must answer exactly as the full path does (a leading space forces the full path)."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from minzheng.core.idnumbers import IdNumberError, make_id_number, normalize_id_number

TODAY = datetime.date(2026, 6, 1)
AREAS = st.sampled_from(["341503", "342401", "110105", "990000", "640324", "110301"])
DAYS = st.dates(min_value=datetime.date(1870, 1, 1), max_value=datetime.date(2030, 1, 1))


def outcome(value: str) -> str:
    try:
        return normalize_id_number(value, today=TODAY)
    except IdNumberError as e:
        return f"error: {e.message}"


@given(area=AREAS, birth=DAYS, sequence=st.integers(0, 999))
def test_the_fast_path_agrees_with_the_full_path_on_well_formed_numbers(area, birth, sequence):
    number = make_id_number(area, birth, sequence)
    assert outcome(number) == outcome(" " + number)


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_the_fast_path_agrees_with_the_full_path_on_any_clean_string(value):
    assert outcome(value) == outcome(" " + value)


@given(area=AREAS, birth=DAYS, sequence=st.integers(0, 999), digit=st.sampled_from("0123456789X"))
def test_a_wrong_check_digit_is_refused_on_both_paths(area, birth, sequence, digit):
    number = make_id_number(area, birth, sequence)[:17] + digit
    assert outcome(number) == outcome(" " + number)
