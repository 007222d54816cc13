"""Keeping the working-day calendar's cached year tables true to the CalendarDay table: saving
or deleting a row forgets the cached table of its year (and of the year it moved from)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from minzheng.core.models import CalendarDay
from minzheng.core.workdays import forget_local_table


def _forget(*years: int) -> None:
    """Now, and again after the commit: a reader between the two might have cached the table
    as it stood before the change."""

    def forget_all() -> None:
        for year in set(years):
            forget_local_table(year)

    forget_all()
    transaction.on_commit(forget_all)


def calendar_day_moving(sender: Any, instance: CalendarDay, **kwargs: Any) -> None:
    if instance.pk is None:
        return
    old = CalendarDay.objects.filter(pk=instance.pk).values_list("date", flat=True).first()
    if old is not None and old.year != instance.date.year:
        _forget(old.year)


def calendar_day_changed(sender: Any, instance: CalendarDay, **kwargs: Any) -> None:
    _forget(instance.date.year)


def connect() -> None:
    pre_save.connect(calendar_day_moving, sender=CalendarDay, dispatch_uid="calendar_day_moving")
    post_save.connect(calendar_day_changed, sender=CalendarDay, dispatch_uid="calendar_day_saved")
    post_delete.connect(
        calendar_day_changed, sender=CalendarDay, dispatch_uid="calendar_day_deleted"
    )
