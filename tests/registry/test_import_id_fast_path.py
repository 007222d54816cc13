"""The importer's fast ID check accepts exactly what normalize_id_number accepts unchanged."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from minzheng.core.idnumbers import IdNumberError, make_id_number, normalize_id_number
from minzheng.registry.importer.checking import clean_id_number

TODAY = datetime.date(2026, 6, 1)
AREAS = st.sampled_from(["341503", "342401", "110105", "990000", "640324", "110301"])
DAYS = st.dates(min_value=datetime.date(1870, 1, 1), max_value=datetime.date(2030, 1, 1))


def normalized(value: str) -> str:
    try:
        return normalize_id_number(value, today=TODAY)
    except IdNumberError:
        return ""


@given(area=AREAS, birth=DAYS, sequence=st.integers(0, 999))
def test_it_agrees_with_normalize_on_well_formed_numbers(area, birth, sequence):
    number = make_id_number(area, birth, sequence)
    assert clean_id_number(number, TODAY) == normalized(number)


@given(st.text(alphabet="0123456789Xx -", min_size=0, max_size=20))
def test_it_never_accepts_what_normalize_refuses_or_would_change(value):
    fast = clean_id_number(value, TODAY)
    assert fast == "" or fast == value == normalized(value)


@given(area=AREAS, birth=DAYS, sequence=st.integers(0, 999), digit=st.sampled_from("0123456789X"))
def test_it_refuses_a_wrong_check_digit_like_normalize(area, birth, sequence, digit):
    number = make_id_number(area, birth, sequence)[:17] + digit
    assert clean_id_number(number, TODAY) == normalized(number)
