"""Background jobs of payments. Tasks take ids and call a service (STYLE.md §2)."""

from __future__ import annotations

from django_tasks import task

from minzheng.payments.services.payroll import run_generate


@task()
def payroll_generate(run_id: int) -> None:
    """Write a run's payment lines (payments.services.payroll)."""
    run_generate(run_id=run_id)
