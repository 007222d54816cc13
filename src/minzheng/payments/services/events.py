"""Audit events of runs and fund accounts, written through one helper each."""

from __future__ import annotations

from typing import Any

from minzheng.core.audit import audit_record
from minzheng.core.models import User
from minzheng.payments.models import FundAccount, PayrollRun


def run_audit(
    run: PayrollRun, actor: User | None, action: str, reason: str = "", **changes: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="payroll_run",
        object_id=run.pk,
        region_code=run.region_code,
        changes=changes,
        reason=reason,
    )


def fund_audit(
    account: FundAccount, actor: User | None, action: str, reason: str = "", **changes: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="fund_account",
        object_id=account.pk,
        region_code=account.region_code,
        changes=changes,
        reason=reason,
    )
