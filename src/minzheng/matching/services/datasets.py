"""Receiving other departments' data: upload a file, map its columns to the kind's schema,
validate (report of bad ID numbers, unparseable values, duplicates, with row numbers), and put
it in use, superseding the previous delivery of the same kind (kept with its file)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import IO

from minzheng.core.models import User
from minzheng.matching.models import ExternalDataset

Progress = Callable[[int, int], None]  # (rows done, rows total or 0 when unknown)


def dataset_upload(
    *,
    actor: User,
    kind: str,
    source: str,
    data_date: datetime.date,
    file: IO[bytes] | Path,
    file_name: str,
    region_code: str | None = None,
    note: str = "",
) -> ExternalDataset:
    """Store the delivered file (CSV UTF-8/GBK, XLSX or Parquet; any size), read its headings
    and first rows, and guess the column mapping from the schema's aliases. Status UPLOADED.
    `region_code` defaults to the actor's county. MatchingError on an unreadable file, an
    unknown kind, a missing source/date."""
    raise NotImplementedError


def dataset_map(
    *, actor: User, dataset: ExternalDataset, mapping: dict[str, str]
) -> ExternalDataset:
    """Record the mapping (canonical column -> the file's heading, "" for not present).
    MatchingError naming each required column left unmapped or a heading the file lacks."""
    raise NotImplementedError


def dataset_validate_enqueue(*, actor: User, dataset: ExternalDataset) -> ExternalDataset:
    """Status VALIDATING and the validation queued as a background task (tasks.py)."""
    raise NotImplementedError


def dataset_validate(
    dataset: ExternalDataset, *, progress: Progress | None = None
) -> ExternalDataset:
    """Read the whole file with its mapping (streamed: never the whole file in Python memory),
    write the canonical Parquet and the report. No row errors: ACTIVE, superseding the active
    dataset of the same kind and county. Any row error: REFUSED with the report (nothing used).
    Called by the task and by `minzheng match import`."""
    raise NotImplementedError


def dataset_report_rows(dataset: ExternalDataset) -> list[dict[str, object]]:
    """The report's problem rows (row number, column, value, reason) for the page and Excel."""
    raise NotImplementedError
