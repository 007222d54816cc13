"""Sending a LOCKED run to the banks: one file per bank, streamed from a temporary table of
the payees; the lines get their file and row number from one UPDATE per bank."""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from minzheng.core.models import User
from minzheng.core.scope import require_in_scope
from minzheng.payments.models import (
    BankFile,
    LineKind,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.services.bank.common import (
    CHUNK,
    _file_summary,
    _from_fen,
    _reconcile_if_settled,
    _require_operator,
    _table,
)
from minzheng.payments.services.bank.render import (
    _Context,
    _file_name,
    _region_names,
    _row,
    bank_file_render,
)
from minzheng.payments.services.bank.templates import _file_template
from minzheng.payments.services.errors import PaymentConflict, PaymentError
from minzheng.payments.services.events import run_audit
from minzheng.payments.services.payroll import run_move
from minzheng.programs.policies import program_label

SEND_NOT_LOCKED = "只有已锁定的发放批次可以生成银行文件报送银行"

PAYEES = "tmp_bank_payees"


def _payees_collect(run: PayrollRun, bank_name: str) -> None:
    """The payees of one bank in a run with a positive net, numbered in file order, into a
    temporary table keyed like the lines (person, account). Both databases then join the lines
    to it by its primary key, never a scan per row."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PAYEES}")
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {PAYEES} (
                pid BIGINT NOT NULL, acc VARCHAR(40) NOT NULL, rn INTEGER NOT NULL,
                account_name VARCHAR(50) NOT NULL, net_fen BIGINT NOT NULL,
                region_code VARCHAR(12) NOT NULL, extra INTEGER NOT NULL,
                PRIMARY KEY (pid, acc))"""
        )
        cursor.execute(
            f"""
            INSERT INTO {PAYEES} (pid, acc, rn, account_name, net_fen, region_code, extra)
            SELECT person_id, account_number,
                   ROW_NUMBER() OVER (ORDER BY MIN(region_code), person_id, account_number),
                   MAX(account_name), SUM(CAST(ROUND(amount * 100) AS BIGINT)),
                   MIN(region_code),
                   SUM(CASE WHEN kind IN ('{LineKind.ARREARS}', '{LineKind.ADJUSTMENT}')
                            THEN 1 ELSE 0 END)
            FROM {_table(PaymentLine)}
            WHERE run_id = %s AND status = '{LineStatus.PENDING}' AND bank_name = %s
              AND account_number <> ''
            GROUP BY person_id, account_number
            HAVING SUM(CAST(ROUND(amount * 100) AS BIGINT)) > 0
            """,  # noqa: S608 - table names and enum values only
            [run.pk, bank_name],
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {PAYEES}")


@dataclass
class _Tally:
    count: int = 0
    total: Decimal = field(default_factory=lambda: Decimal("0.00"))


def _stream_payees(ctx: _Context, tally: _Tally) -> Generator[dict[str, object], None, None]:
    from minzheng.registry.models import Person

    sql = f"""
        SELECT g.rn, g.account_name, g.acc, p.id_number, p.name, g.net_fen, g.region_code,
               g.extra
        FROM {PAYEES} g JOIN {_table(Person)} p ON p.id = g.pid
        ORDER BY g.rn
    """  # noqa: S608
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(CHUNK):
            for rn, account_name, account, id_number, name, fen, region, extra in batch:
                amount = _from_fen(fen)
                tally.count += 1
                tally.total += amount
                yield _row(
                    ctx,
                    serial=int(rn),
                    account_name=account_name,
                    account_number=account,
                    id_number=id_number,
                    person_name=name,
                    amount=amount,
                    region_code=region,
                    extra=bool(extra),
                )


def _assign_rows(run: PayrollRun, bank_name: str, bank_file: BankFile) -> None:
    """Lines of the collected payees: SENT, their file and row number (one UPDATE)."""
    table = _table(PaymentLine)
    payee = f"g.pid = {table}.person_id AND g.acc = {table}.account_number"
    sql = f"""
        UPDATE {table}
        SET bank_file_id = %s, status = '{LineStatus.SENT}', attempts = attempts + 1,
            bank_row = (SELECT g.rn FROM {PAYEES} g WHERE {payee})
        WHERE run_id = %s AND status = '{LineStatus.PENDING}' AND bank_name = %s
          AND EXISTS (SELECT 1 FROM {PAYEES} g WHERE {payee})
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [bank_file.pk, run.pk, bank_name])


def _settle_without_row(run: PayrollRun, bank_name: str | None = None) -> None:
    """Lines still PENDING after the rows were assigned: a payee with a net <= 0 (positive
    lines OFFSET, negative ones TO_RECOVER); without a bank (bank_name None): NO_ACCOUNT."""
    pending = PaymentLine.objects.filter(run=run, status=LineStatus.PENDING)
    if bank_name is None:
        pending = pending.filter(Q(bank_name="") | Q(account_number=""))
        settled = LineStatus.NO_ACCOUNT
    else:
        pending = pending.filter(bank_name=bank_name).exclude(account_number="")
        settled = LineStatus.OFFSET
    pending.update(
        status=Case(
            When(amount__lt=0, then=Value(LineStatus.TO_RECOVER.value)),
            default=Value(settled.value),
        )
    )


def _send_bank(
    actor: User, run: PayrollRun, bank_name: str, villages: dict[str, str]
) -> BankFile | None:
    stored, template = _file_template(run.region_code, bank_name)
    ctx = _Context(run, template, program_label(run.program), villages)
    tally = _Tally()
    _payees_collect(run, bank_name)
    rows = _stream_payees(ctx, tally)
    try:
        content, ext = bank_file_render(template=template, rows=rows)
    finally:
        rows.close()  # the cursor closes before anything else runs on the connection
    bank_file = None
    if tally.count:
        bank_file = BankFile.objects.create(
            run=run,
            kind=BankFile.Kind.REGULAR,
            bank_name=bank_name,
            template=stored,
            file_name=_file_name(run, bank_name, content, ext, reissue=False),
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            row_count=tally.count,
            total_amount=tally.total,
            created_by=actor,
        )
        _assign_rows(run, bank_name, bank_file)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {PAYEES}")
    _settle_without_row(run, bank_name)
    return bank_file


@transaction.atomic
def run_send(*, actor: User, run: PayrollRun, version: int | None = None) -> list[BankFile]:
    """A LOCKED run: one BankFile per bank (lines grouped by bank_name), lines SENT with
    attempts + 1, run SENT. Running it again on a SENT run returns the same files.

    Lines without a bank or an account become NO_ACCOUNT (negative ones TO_RECOVER); a run
    left with nothing at a bank is reconciled at once."""
    _require_operator(actor)
    require_in_scope(actor, run.region_code)
    locked = PayrollRun.objects.select_for_update().get(pk=run.pk)
    if locked.status in (RunStatus.SENT, RunStatus.RECONCILED):
        run.refresh_from_db()
        return list(locked.bank_files.filter(kind=BankFile.Kind.REGULAR).order_by("id"))
    if version is not None and locked.version != version:
        raise PaymentConflict()
    if locked.status != RunStatus.LOCKED:
        raise PaymentError(SEND_NOT_LOCKED)
    _settle_without_row(locked)
    banks = (
        PaymentLine.objects.filter(run=locked, status=LineStatus.PENDING)
        .values_list("bank_name", flat=True)
        .distinct()
        .order_by("bank_name")
    )
    villages = _region_names(locked.region_code)
    files = [f for bank in list(banks) if (f := _send_bank(actor, locked, bank, villages))]
    run_move(
        locked, to=RunStatus.SENT, before=RunStatus.LOCKED, sent_by=actor, sent_at=timezone.now()
    )
    run_audit(
        locked,
        actor,
        "payroll.send",
        status=[RunStatus.LOCKED, RunStatus.SENT],
        files=_file_summary(files),
    )
    _reconcile_if_settled(actor, locked)
    run.refresh_from_db()
    return files
