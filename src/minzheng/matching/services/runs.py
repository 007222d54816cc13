"""A match run (比对批次): snapshot the county's rolls, apply the enabled rules on an engine to
the active datasets, and land the hits as flags: new ones only (unique per rule, person and
evidence), each with its evidence row; death hits suspend the case from next month pending
confirmation, review hits open a data-matching review with a deadline, candidates wait in the
漏保 list."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from minzheng.core.models import User
from minzheng.matching.models import MatchRun

Progress = Callable[[str, int], None]  # (stage label in Chinese, percent)


def run_start(
    *,
    actor: User | None,
    region_code: str | None = None,
    engine: str = "duckdb",
    rules: list[str] | None = None,
    as_of: datetime.date | None = None,
    enqueue: bool = True,
) -> MatchRun:
    """A QUEUED run of `rules` (default: every enabled rule) over the county's rolls and active
    datasets, on `engine`; queued as a background task unless enqueue=False (the CLI runs it in
    its own process). MatchingError when a run of the county is already queued or running, the
    engine is unknown, or no rule can run (no dataset); region defaults to the actor's county."""
    raise NotImplementedError


def run_execute(run: MatchRun, *, progress: Progress | None = None) -> MatchRun:
    """Do the run (task or CLI): stages 导出名册 / 比对 (per rule) / 写入疑点 / 生成复核任务,
    progress saved on the run as it goes; DONE with counts per rule, or FAILED with the
    message (nothing half-landed: flags of a failed run are not kept)."""
    raise NotImplementedError


def run_cancel(*, actor: User, run: MatchRun) -> MatchRun:
    """Cancel a queued run (a running one stops at its next stage)."""
    raise NotImplementedError
