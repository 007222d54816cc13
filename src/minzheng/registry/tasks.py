"""Background jobs of the registry. Tasks take ids and call a service (STYLE.md §2)."""

from __future__ import annotations

from django_tasks import task

from minzheng.registry.importer.service import import_job_run


@task()
def import_households(job_id: int) -> None:
    """Run a queued household import (registry.importer.service)."""
    import_job_run(job_id=job_id)
