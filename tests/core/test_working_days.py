"""Working days: Monday to Friday minus statutory holidays plus make-up days, from
chinesecalendar, overridden by the CalendarDay rows administrators enter."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from minzheng.core.models import CalendarDay
from minzheng.core.workdays import (
    CALENDAR_UNKNOWN_YEAR,
    CalendarUnknownYear,
    add_working_days,
    is_working_day,
    working_days_between,
    year_is_known,
)

D = datetime.date
# Far enough from the end of 2026 that 60 working days never reach the unknown 2027.
known_dates = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 8, 31))
counts = st.integers(min_value=0, max_value=60)

pytestmark = pytest.mark.django_db


@settings(max_examples=200, deadline=None)
@given(known_dates, st.integers(min_value=1, max_value=60))
def test_the_nth_working_day_after_a_date_is_a_working_day(start: D, n: int) -> None:
    assert is_working_day(add_working_days(start, n))


@settings(max_examples=200, deadline=None)
@given(known_dates, counts)
def test_counting_back_the_working_days_gives_n(start: D, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert working_days_between(end, start) == -n


@settings(max_examples=200, deadline=None)
@given(known_dates, counts)
def test_a_later_working_day_comes_after_an_earlier_one(start: D, n: int) -> None:
    assert start <= add_working_days(start, n) < add_working_days(start, n + 1)


def test_zero_working_days_is_the_day_itself_and_negative_counts_are_refused() -> None:
    assert add_working_days(D(2026, 2, 15), 0) == D(2026, 2, 15)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(D(2026, 2, 15), -1)


SPRING_FESTIVAL_2026 = [(D(2026, 2, day), False) for day in range(15, 24)] + [
    (D(2026, 2, 13), True),
    (D(2026, 2, 14), True),  # Saturday, make-up working day
    (D(2026, 2, 24), True),
    (D(2026, 2, 28), True),  # Saturday, make-up working day
    (D(2026, 3, 1), False),
]
NATIONAL_DAY_2025 = [(D(2025, 10, day), False) for day in range(1, 9)] + [
    (D(2025, 9, 28), True),  # Sunday, make-up working day
    (D(2025, 9, 30), True),
    (D(2025, 10, 9), True),
    (D(2025, 10, 11), True),  # Saturday, make-up working day
    (D(2025, 10, 12), False),
]
NATIONAL_DAY_2026 = [(D(2026, 10, day), False) for day in range(1, 8)] + [
    (D(2026, 9, 20), True),  # Sunday, make-up working day
    (D(2026, 10, 8), True),
    (D(2026, 10, 10), True),  # Saturday, make-up working day
    (D(2026, 10, 11), False),
]


@pytest.mark.parametrize(
    ("day", "working"), SPRING_FESTIVAL_2026 + NATIONAL_DAY_2025 + NATIONAL_DAY_2026
)
def test_the_holidays_and_make_up_days_of_the_state_council(day: D, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 2, 13), 6, D(2026, 2, 28)),
        (D(2026, 2, 12), 15, D(2026, 3, 11)),  # a 15-working-day deadline over the festival
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 9, 27), 1, D(2025, 9, 28)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 19), 1, D(2026, 9, 20)),
    ],
)
def test_deadlines_across_the_long_holidays(start: D, n: int, end: D) -> None:
    assert add_working_days(start, n) == end
    assert working_days_between(start, end) == n


def test_a_date_in_a_year_nobody_knows_raises_with_a_chinese_message() -> None:
    with pytest.raises(CalendarUnknownYear) as caught:
        is_working_day(D(2027, 3, 1))
    assert caught.value.year == 2027
    assert caught.value.message == CALENDAR_UNKNOWN_YEAR.format(year=2027)
    assert str(caught.value) == caught.value.message
    assert "2027年" in caught.value.message
    assert not year_is_known(2027)


def test_a_deadline_running_into_an_unknown_year_raises_rather_than_guessing() -> None:
    with pytest.raises(CalendarUnknownYear):
        add_working_days(D(2026, 12, 30), 5)


def test_after_an_admin_enters_2027_the_year_is_known_and_the_rows_win(
    system_admin_client: Client,
) -> None:
    with pytest.raises(CalendarUnknownYear):
        is_working_day(D(2027, 1, 1))  # caches the (empty) 2027 table
    entries = [
        ("2027-01-01", "holiday", "元旦"),
        ("2027-02-06", "holiday", "春节"),  # a Saturday: stays a rest day
        ("2027-02-08", "holiday", "春节"),  # a Monday off
        ("2027-02-20", "workday", "春节"),  # a Saturday worked
    ]
    for date, kind, name in entries:
        response = system_admin_client.post(
            "/admin/core/calendarday/add/", {"date": date, "kind": kind, "name": name}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert year_is_known(2027)
    assert is_working_day(D(2027, 1, 1)) is False
    assert is_working_day(D(2027, 1, 4)) is True  # an ordinary Monday
    assert is_working_day(D(2027, 1, 9)) is False  # an ordinary Saturday
    assert is_working_day(D(2027, 2, 8)) is False
    assert is_working_day(D(2027, 2, 20)) is True
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 9)


def test_a_calendar_day_row_overrides_a_date_the_library_knows() -> None:
    assert is_working_day(D(2026, 3, 2)) is True  # a Monday; caches the 2026 table
    assert is_working_day(D(2026, 2, 15)) is False
    CalendarDay.objects.create(date=D(2026, 3, 2), kind=CalendarDay.Kind.HOLIDAY, name="调整")
    extra = CalendarDay.objects.create(date=D(2026, 2, 15), kind=CalendarDay.Kind.WORKDAY)
    assert is_working_day(D(2026, 3, 2)) is False
    assert is_working_day(D(2026, 2, 15)) is True
    assert add_working_days(D(2026, 2, 27), 1) == D(2026, 2, 28)
    assert add_working_days(D(2026, 2, 28), 1) == D(2026, 3, 3)
    extra.delete()
    assert is_working_day(D(2026, 2, 15)) is False


def test_moving_a_row_to_another_year_forgets_both_years() -> None:
    row = CalendarDay.objects.create(date=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY)
    assert year_is_known(2027)
    assert is_working_day(D(2026, 3, 2)) is True
    row.date = D(2026, 3, 2)
    row.save()
    assert not year_is_known(2027)
    assert is_working_day(D(2026, 3, 2)) is False
