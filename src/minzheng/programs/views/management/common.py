"""What the management pages share: who may read and act, how a list row shows its deadline,
an object's own audit events, and streaming a list into Excel."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone

from minzheng.core.models import AuditEvent
from minzheng.programs.permissions import (
    CASE_READERS,
    RELATIVE_FILERS,
    RELATIVE_READERS,
    REVIEWERS,
    TIPOFF_READERS,
)
from minzheng.programs.views.common import overdue_days
from minzheng.programs.views.presenters import EventRow, event_rows
from minzheng.registry.views.common import requires

M = TypeVar("M", bound=Model)

# 举报投诉 name the reporter: the staff who handle them and the auditor read them, not the
# village assistants (who may be the very cadres a tip-off is about) nor the system admin.
EXPORT_BATCH = 2000

reader = requires(CASE_READERS)
reviewer = requires(REVIEWERS)
tipoff_reader = requires(TIPOFF_READERS)
relative_filer = requires(RELATIVE_FILERS)
relative_reader = requires(RELATIVE_READERS)


def late(due_on: datetime.date | None, day: datetime.date, is_open: bool) -> tuple[int, bool]:
    """(working days past the deadline, provisional) of an open item; (0, False) otherwise."""
    return overdue_days(due_on, day) if is_open else (0, False)


def object_events(object_type: str, pk: int) -> list[EventRow]:
    events = AuditEvent.objects.filter(object_type=object_type, object_id=str(pk))
    return event_rows(events.select_related("actor").order_by("at", "id"))


def export_rows(
    items: QuerySet[M], to_rows: Callable[[list[M]], Iterable[Sequence[Any]]]
) -> Iterator[Sequence[Any]]:
    """Rows for core.exports.xlsx_response, read in batches with a server-side cursor and
    turned into rows a batch at a time (one query for the region names of a batch)."""
    batch: list[M] = []
    for item in items.iterator(chunk_size=EXPORT_BATCH):
        batch.append(item)
        if len(batch) == EXPORT_BATCH:
            yield from to_rows(batch)
            batch = []
    yield from to_rows(batch)


def cell(value: datetime.date | datetime.datetime | None) -> Any:
    """A date or moment as Excel takes it (a local, naive time); blank for None."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    return value
