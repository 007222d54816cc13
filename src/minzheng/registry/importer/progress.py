"""Live progress of an import job, readable by the job page while the import is still running.

The rows are written in one transaction, so progress saved through that transaction would stay
invisible until the end. On PostgreSQL the progress therefore goes through a second connection
of its own (autocommit). SQLite allows one writer at a time: there the progress of the writing
stage is saved through the import's own connection and shows when it commits (the checking
stage, outside the transaction, shows live on both)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from minzheng.registry.models import ImportJob

Stage = ImportJob.Stage
# (stage, done, total): the command line draws its progress bar from these
Listener = Callable[[str, int, int], None]
SAVE_EVERY_SECONDS = 0.5
CHECKING_SHARE = 50  # percent of the bar for reading and checking; the rest is writing


class JobProgress:
    def __init__(self, job: ImportJob, listener: Listener | None = None) -> None:
        self.job_id = job.pk
        self.listener = listener
        self.saved_at = 0.0
        self.side: BaseDatabaseWrapper | None = None
        self.households_total = 0
        self.households_done = 0

    def checking(self, *, rows: int, fraction: float, final: bool = False) -> None:
        percent = int(CHECKING_SHARE * min(max(fraction, 0.0), 1.0))
        self._save(final, stage=Stage.CHECKING, processed_rows=rows, percent=percent)
        if self.listener:
            self.listener(Stage.CHECKING, int(fraction * 1000), 1000)

    def writing_started(self, *, households: int, rows: int) -> None:
        self.households_total = households
        self.households_done = 0
        self._save(
            True,
            stage=Stage.WRITING,
            total_rows=rows,
            processed_rows=rows,
            percent=CHECKING_SHARE,
            households_imported=0,
        )
        if self.listener:
            self.listener(Stage.WRITING, 0, households)

    def written(self, households: int) -> None:
        """bulk.households_bulk_create's callback: `households` more were written."""
        self.households_done += households
        share = self.households_done / max(self.households_total, 1)
        percent = CHECKING_SHARE + int((100 - CHECKING_SHARE) * share)
        self._save(False, households_imported=self.households_done, percent=min(percent, 99))
        if self.listener:
            self.listener(Stage.WRITING, self.households_done, self.households_total)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None

    def _save(self, force: bool, **fields: Any) -> None:
        now = time.monotonic()
        if not force and now - self.saved_at < SAVE_EVERY_SECONDS:
            return
        self.saved_at = now
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            self._save_aside(fields)
        else:
            ImportJob.objects.filter(pk=self.job_id).update(**fields)

    def _save_aside(self, fields: dict[str, Any]) -> None:
        if self.side is None:
            self.side = connections.create_connection("default")
        sets = ", ".join(f"{name} = %s" for name in fields)
        table = ImportJob._meta.db_table
        with self.side.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608 - our own field names
                [*(str(v) if isinstance(v, Stage) else v for v in fields.values()), self.job_id],
            )
