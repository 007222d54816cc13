"""A run's way through the bureau after generation: checked -> collectively approved (meeting
record, fund account with enough balance) -> locked (the disbursement is booked, the lines are
frozen). Sending to the banks and reconciling are in services/bank.py."""

from __future__ import annotations

import datetime

from minzheng.core.models import User
from minzheng.payments.models import FundAccount, PayrollRun


def run_check(*, actor: User, run: PayrollRun, version: int | None = None) -> PayrollRun:
    """A DRAFT run becomes CHECKED: the check report (payroll.check_report_build) is stored with
    who checked it and when. PAYROLL_OPERATORS, in scope."""
    raise NotImplementedError


def run_approve(
    *,
    actor: User,
    run: PayrollRun,
    meeting_date: datetime.date,
    attendees: str,
    decision: str,
    fund_account: FundAccount,
    version: int | None = None,
) -> PayrollRun:
    """Record the collective decision (集体研究) on a CHECKED run: meeting date (not in the
    future), attendees (at least two names), decision text. The fund account must pay this
    program in the run's county and have available balance (balance minus other approved, not
    yet locked runs) of at least the run's payable amount, else PaymentError naming both
    figures. PAYROLL_APPROVERS, in scope."""
    raise NotImplementedError


def run_lock(*, actor: User, run: PayrollRun, version: int | None = None) -> PayrollRun:
    """Lock an APPROVED run: the bank account of each line is copied from its household (lines
    without one become NO_ACCOUNT and are left out of the disbursement), the disbursement is
    booked on the fund account (FundEntry DISBURSEMENT, negative, linked to the run), the
    balance is checked again under a row lock. PAYROLL_OPERATORS, in scope."""
    raise NotImplementedError
