"""Background jobs of 信息比对. Tasks take ids and call a service (STYLE.md §2)."""

from __future__ import annotations

from django_tasks import task

from minzheng.matching.models import MatchRun
from minzheng.matching.services.runs import run_execute


@task()
def match_run_task(run_id: int) -> None:
    """Do a queued match run (matching.services.runs.run_execute)."""
    run = MatchRun.objects.get(pk=run_id)
    run_execute(run)
