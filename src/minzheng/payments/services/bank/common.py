"""What the bank services share: the operator check, money in fen, the program's name,
the run's status moves and the reconciliation of a settled run."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from minzheng.core.models import User
from minzheng.core.money import yuan
from minzheng.payments.models import BankFile, LineStatus, PaymentLine, PayrollRun, RunStatus
from minzheng.payments.permissions import PAYROLL_OPERATORS
from minzheng.payments.services.events import run_audit
from minzheng.payments.services.payroll import run_move

OPERATE_NOT_ALLOWED = "只有县(区)民政局发放经办人员可以报送银行、导入回盘和重新发放"

CHUNK = 5000


def _today() -> datetime.date:
    return timezone.localdate()


def _require_operator(actor: User) -> None:
    if actor.role not in PAYROLL_OPERATORS:
        raise PermissionDenied(OPERATE_NOT_ALLOWED)


def _money(amount: Decimal) -> str:
    return f"{yuan(amount):.2f}"


def _from_fen(value: Any) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


def _table(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _file_summary(files: Iterable[BankFile]) -> list[dict[str, object]]:
    return [
        {
            "id": f.pk,
            "file_name": f.file_name,
            "bank_name": f.bank_name,
            "rows": f.row_count,
            "amount": str(f.total_amount),
        }
        for f in files
    ]


def _reconcile_if_settled(actor: User | None, run: PayrollRun) -> bool:
    if run.status != RunStatus.SENT:
        return False
    if PaymentLine.objects.filter(run=run, status=LineStatus.SENT).exists():
        return False
    run_move(run, to=RunStatus.RECONCILED, before=RunStatus.SENT, reconciled_at=timezone.now())
    run_audit(run, actor, "payroll.reconcile", status=[RunStatus.SENT, RunStatus.RECONCILED])
    return True
