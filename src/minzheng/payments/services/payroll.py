"""Payroll runs: who is paid what for a month, as payment lines written by set-based SQL.

Entitlement of a case for month K (the rule every line follows):
    the amount of the case's newest BenefitPeriod with valid_from <= K, when
    case.start_month <= K and (case.end_month is null or K <= case.end_month); else 0.
A run for (program, region, month M) writes
  - REGULAR  one line per case with entitlement(M) > 0 (month = M);
  - ARREARS  for an earlier month K that a live run of this program already covered, when the
             case was entitled in K but has no payment for K (approved late, resumed ...);
  - ADJUSTMENT  for such a K when what was paid differs from the entitlement now (a standard
             raised backwards: + 差额补发; a death learnt late: - 追回);
  - GRANT    one-off grants (programs.Grant) granted up to M and not yet paid (临时救助 runs pay
             temporary grants; 特困 runs pay funeral grants).
Only cases with a BenefitPeriod created since the previous run started are examined for arrears
and adjustments, so a normal month is one INSERT ... SELECT.

Idempotent and resumable: lines are inserted in chunks of case ids, each chunk its own
transaction with ON CONFLICT DO NOTHING against payment_once_per_month /
payment_line_once_per_run / payment_grant_once. Killing the process, running it again, or two
users starting the same run never writes a second payment."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from minzheng.core.models import User
from minzheng.payments.models import PayrollRun

Progress = Callable[[int, int], None]  # (cases done, cases total)


def run_start(
    *,
    actor: User,
    program: str,
    region_code: str,
    month: datetime.date,
    background: bool = True,
) -> PayrollRun:
    """Create the live run of (program, region, month), or return it when it exists (two users
    starting the same run get the same run). Checks: a monthly or one-off program on the case
    engine, a county or township inside the actor's scope, no overlapping live run (a township's
    run inside a county's run of the same month). Queues generation (django-tasks) when
    `background`, else leaves it to the caller (CLI: run_generate with a progress bar)."""
    raise NotImplementedError


def run_generate(*, run_id: int, progress: Progress | None = None) -> PayrollRun:
    """Write the run's lines (see module doc), updating cases_done/stage as it goes, then the
    totals; the run ends DRAFT. Safe to call again at any time while the run is GENERATING or
    DRAFT (resumes / completes; nothing doubles)."""
    raise NotImplementedError


def run_regenerate(*, actor: User, run: PayrollRun, version: int | None = None) -> PayrollRun:
    """Drop the lines of a DRAFT or CHECKED run and generate again (cases changed since)."""
    raise NotImplementedError


def run_cancel(*, actor: User, run: PayrollRun, reason: str) -> PayrollRun:
    """Cancel a run that is not locked yet: its lines are deleted, the run stays as CANCELLED."""
    raise NotImplementedError


def run_totals(run: PayrollRun) -> None:
    """Recompute line_count, beneficiary_count, total_amount, payable_amount (per payee the
    positive net of its lines) and recovery_amount from the lines, and save them."""
    raise NotImplementedError


def check_report_build(run: PayrollRun) -> dict[str, object]:
    """The check (审核) figures: totals by township and by line kind, and the changes against
    the previous month's run of the same program and region by reason: new (新增), increased
    (增发), decreased (减发), stopped (停发, with the case's reason: suspended, terminated,
    death ...), each with count and amount and up to 200 sample rows (case, name, before,
    after, reason). JSON-serialisable (Decimals as strings)."""
    raise NotImplementedError
