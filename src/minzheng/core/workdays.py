"""Working days (工作日) for legal deadlines: Monday to Friday, minus statutory holidays and
bridge days, plus make-up weekend days (调休).

The State Council announces next year's holidays each November; chinesecalendar ships them in
its next release. Days announced after the installed release go into the CalendarDay table
(系统管理 → 节假日调整), which wins over the library. A date in a year that neither knows raises
`CalendarUnknownYear` instead of guessing. Counting starts on the day after the given date, as the
law counts periods."""

from __future__ import annotations

import datetime

import chinese_calendar
from django.core.cache import cache

from minzheng.core.models import CalendarDay

ONE_DAY = datetime.timedelta(days=1)
CALENDAR_UNKNOWN_YEAR = (
    "系统尚无{year}年的法定节假日安排,无法计算工作日。"
    "请系统管理员在“节假日调整”中录入国务院公布的{year}年放假和调休日期。"
)


class CalendarUnknownYear(LookupError):
    def __init__(self, year: int) -> None:
        self.year = year
        self.message = CALENDAR_UNKNOWN_YEAR.format(year=year)
        super().__init__(self.message)


def _local_table(year: int) -> dict[datetime.date, bool] | None:
    """{date: is_working_day} entered locally for that year, or None if none was entered."""
    key = f"calendar-days-{year}"
    table: dict[datetime.date, bool] | None = cache.get(key)
    if table is None:
        rows = CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
        table = {d: kind == CalendarDay.Kind.WORKDAY for d, kind in rows}
        cache.set(key, table, 60)
    return table or None


def forget_local_table(year: int) -> None:
    cache.delete(f"calendar-days-{year}")


def is_working_day(day: datetime.date) -> bool:
    local = _local_table(day.year)
    if local is not None and day in local:
        return local[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if local is None:
            raise CalendarUnknownYear(day.year) from None
        return day.weekday() < 5


def year_is_known(year: int) -> bool:
    try:
        is_working_day(datetime.date(year, 7, 1))
    except CalendarUnknownYear:
        return False
    return True


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `start` (n >= 0; n = 0 returns start itself)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += ONE_DAY
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(a: datetime.date, b: datetime.date) -> int:
    """Working days after `a` up to and including `b` (negative when b is before a), so that
    working_days_between(d, add_working_days(d, n)) == n."""
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += ONE_DAY
        count += is_working_day(day)
    return count
