"""Deadlines in working days that never crash on a year the calendar does not know yet.

chinesecalendar knows the holidays up to the current year; the State Council announces next
year's in November. A deadline that crosses into an unknown year is counted Monday to Friday
and marked provisional (时限为预估) until the holidays are entered (系统管理 → 节假日调整)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from minzheng.core.workdays import CalendarUnknownYear, add_working_days

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    due_on: datetime.date
    provisional: bool = False


def _weekdays_after(start: datetime.date, n: int) -> datetime.date:
    day = start
    while n:
        day += ONE_DAY
        if day.weekday() < 5:
            n -= 1
    return day


def working_deadline(start: datetime.date, days: int) -> Deadline:
    """The `days`-th working day after `start`."""
    try:
        return Deadline(add_working_days(start, days))
    except CalendarUnknownYear:
        return Deadline(_weekdays_after(start, days), provisional=True)


def calendar_deadline(start: datetime.date, days: int) -> Deadline:
    """A period of calendar days counted from the day after `start` (a 7-day notice posted on
    the 1st runs to the 8th). A period ending on a holiday ends on the next working day (Civil
    Code §203)."""
    end = start + datetime.timedelta(days=days)
    try:
        return Deadline(_next_working_day(end))
    except CalendarUnknownYear:
        while end.weekday() >= 5:
            end += ONE_DAY
        return Deadline(end, provisional=True)


def _next_working_day(day: datetime.date) -> datetime.date:
    from minzheng.core.workdays import is_working_day

    while not is_working_day(day):
        day += ONE_DAY
    return day


def first_of_next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (clamped to the month's last day)."""
    import calendar

    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )
