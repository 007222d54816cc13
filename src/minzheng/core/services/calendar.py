"""The local table of working-day exceptions (系统管理 → 节假日调整).

The State Council announces next year's holidays each November; until chinesecalendar ships
them, an administrator enters them here: a run of holidays (放假) and the weekend days worked in
exchange (调休上班). Every change is audited, and the working-day cache forgets the year."""

from __future__ import annotations

import datetime
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from minzheng.core.audit import audit_record
from minzheng.core.models import CalendarDay, Role, User
from minzheng.core.workdays import forget_local_table

CALENDAR_ADMIN_ONLY = "只有系统管理员可以调整节假日"
CALENDAR_NAME_REQUIRED = "请填写节日名称,如“春节”或“春节调休”"
CALENDAR_END_BEFORE_START = "结束日期不能早于开始日期"
CALENDAR_RANGE_TOO_LONG = "一次最多录入{limit}天"
CALENDAR_DAY_EXISTS = "{date}已录入为“{kind}”,如需更改请先删除"
CALENDAR_WORKDAY_ON_WEEKDAY = "{date}是工作日(周一至周五),调休上班日应为周六或周日"
MAX_DAYS_AT_ONCE = 15


def _require_admin(actor: User) -> None:
    if actor.role != Role.SYSTEM_ADMIN:
        raise PermissionDenied(CALENDAR_ADMIN_ONLY)


def _forget(year: int) -> None:
    """Drop the cached table now (this transaction's reads) and after commit (other readers
    may have cached the old rows meanwhile)."""
    forget_local_table(year)
    transaction.on_commit(partial(forget_local_table, year))


def _days(start: datetime.date, end: datetime.date | None) -> list[datetime.date]:
    end = end or start
    if end < start:
        raise ValidationError({"end": CALENDAR_END_BEFORE_START})
    count = (end - start).days + 1
    if count > MAX_DAYS_AT_ONCE:
        raise ValidationError({"end": CALENDAR_RANGE_TOO_LONG.format(limit=MAX_DAYS_AT_ONCE)})
    return [start + datetime.timedelta(days=i) for i in range(count)]


def _check_free(days: list[datetime.date], kind: str) -> None:
    taken = CalendarDay.objects.filter(date__in=days).order_by("date").first()
    if taken is not None:
        message = CALENDAR_DAY_EXISTS.format(date=taken.date, kind=taken.get_kind_display())
        raise ValidationError({"start": message})
    if kind == CalendarDay.Kind.WORKDAY:
        weekdays = [d for d in days if d.weekday() < 5]
        if weekdays:
            message = CALENDAR_WORKDAY_ON_WEEKDAY.format(date=weekdays[0])
            raise ValidationError({"start": message})


@transaction.atomic
def calendar_days_add(
    *,
    actor: User,
    start: datetime.date,
    end: datetime.date | None = None,
    kind: str,
    name: str,
) -> list[CalendarDay]:
    """Enter the days from `start` to `end` (inclusive) as holidays or make-up working days."""
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise ValidationError({"name": CALENDAR_NAME_REQUIRED})
    days = _days(start, end)
    _check_free(days, kind)
    created = []
    for day in days:
        row = CalendarDay(date=day, kind=kind, name=name)
        row.full_clean()
        row.save()
        created.append(row)
        audit_record(
            actor=actor,
            action="calendar.add",
            object_type="CalendarDay",
            object_id=row.pk,
            region_code=actor.region_id,
            changes={"date": [None, day], "kind": [None, kind], "name": [None, name]},
        )
    for year in {d.year for d in days}:
        _forget(year)
    return created


@transaction.atomic
def calendar_day_delete(*, actor: User, day: CalendarDay, reason: str = "") -> None:
    _require_admin(actor)
    audit_record(
        actor=actor,
        action="calendar.delete",
        object_type="CalendarDay",
        object_id=day.pk,
        region_code=actor.region_id,
        changes={"date": [day.date, None], "kind": [day.kind, None], "name": [day.name, None]},
        reason=reason,
    )
    year = day.date.year
    day.delete()
    _forget(year)
