"""Importing a bank's return file: its rows matched to the bank file's rows by account (amount
and ID number checked), the results applied to the lines in one UPDATE each."""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction

from minzheng.core.models import User
from minzheng.core.scope import require_in_scope
from minzheng.payments.models import (
    BankFile,
    BankReturn,
    BankTemplate,
    FundEntry,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.services.bank.common import (
    CHUNK,
    _from_fen,
    _money,
    _reconcile_if_settled,
    _require_operator,
    _table,
    _today,
)
from minzheng.payments.services.bank.return_reading import LOST_DIGITS, ReturnRow, _read_return
from minzheng.payments.services.bank.templates import (
    DEFAULT_FAILURE_VALUES,
    DEFAULT_SUCCESS_VALUES,
    _return_template,
)
from minzheng.payments.services.errors import PaymentError
from minzheng.payments.services.events import run_audit
from minzheng.payments.services.funds import fund_entry_add

RETURN_RUN_NOT_SENT = "该发放批次尚未报送银行,不能导入回盘"

ROW_NO_ACCOUNT = "缺少账号"
ROW_ACCOUNT_LOST_DIGITS = "账号被Excel存成了数字,末几位已丢失,请让银行提供文本格式的账号"
ROW_UNKNOWN_ACCOUNT = "账号不在本批次文件中"
ROW_DUPLICATE = "回盘文件中该账号重复出现"
ROW_AMOUNT_UNREADABLE = "金额无法识别:{value}"
ROW_AMOUNT_DIFFERS = "金额与报盘金额不一致:报盘{sent}元,回盘{returned}元"
ROW_ID_DIFFERS = "身份证号码与报盘不一致"
ROW_AMBIGUOUS = "该账号在报盘文件中有多笔,无法确定对应哪一笔"
ROW_RESULT_UNKNOWN = "无法识别的处理结果:“{value}”"
ROW_ALREADY_APPLIED = "该笔已在此前的回盘中处理"

_TOTAL_WORDS = ("合计", "总计", "小计")

RETURNED_ROWS = "tmp_bank_returned_rows"


@dataclass(slots=True)
class _FileRow:
    bank_row: int
    id_number: str
    fen: int  # the row's amount in fen (a million rows: no Decimal each)
    settled: bool

    @property
    def amount(self) -> Decimal:
        return _from_fen(self.fen)


def _file_rows(bank_file: BankFile) -> dict[str, list[_FileRow]]:
    """The rows of the file as its lines say now: account -> rows (usually one)."""
    from minzheng.registry.models import Person

    sql = f"""
        SELECT l.bank_row, l.account_number, MAX(p.id_number),
               SUM(CAST(ROUND(l.amount * 100) AS BIGINT)),
               SUM(CASE WHEN l.status = '{LineStatus.SENT}' THEN 1 ELSE 0 END)
        FROM {_table(PaymentLine)} l JOIN {_table(Person)} p ON p.id = l.person_id
        WHERE l.bank_file_id = %s
        GROUP BY l.bank_row, l.account_number
    """  # noqa: S608
    rows: dict[str, list[_FileRow]] = defaultdict(list)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [bank_file.pk])
        while batch := cursor.fetchmany(CHUNK):
            for bank_row, account, id_number, fen, open_lines in batch:
                rows[account].append(_FileRow(bank_row, id_number, int(fen), not open_lines))
    return rows


def _clean_account(text: str) -> str:
    if text.isdigit():
        return text
    text = text.strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return re.sub(r"\s+", "", text.lstrip("'`"))


def _parse_amount(text: str) -> Decimal | None:
    cleaned = re.sub("[\\s,\uff0c元\u00a5\uffe5]", "", text)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


FAILURE_VALUES = frozenset(v.upper() for v in DEFAULT_FAILURE_VALUES)


def _reader(template: BankTemplate) -> Callable[[str], bool | None]:
    """The template's reading of a result text: True paid, False failed, None unknown."""
    success = {str(v).strip().upper() for v in template.success_values or DEFAULT_SUCCESS_VALUES}

    def read(text: str) -> bool | None:
        value = text.strip().upper()
        if value in success:
            return True
        if value in FAILURE_VALUES or "失败" in value:
            return False
        return None

    return read


@dataclass
class _Outcome:
    rows: int = 0
    paid: list[_FileRow] = field(default_factory=list)
    failed: list[tuple[_FileRow, str]] = field(default_factory=list)
    problems: list[dict[str, object]] = field(default_factory=list)


def _pick(candidates: list[_FileRow], id_number: str, amount: Decimal) -> _FileRow | str:
    """The file row a return row answers, or why none can be chosen."""
    if id_number:
        candidates = [c for c in candidates if c.id_number.upper() == id_number.upper()]
        if not candidates:
            return ROW_ID_DIFFERS
    fen = amount * 100
    matching = [c for c in candidates if c.fen == fen]
    if not matching:
        return ROW_AMOUNT_DIFFERS.format(sent=_money(candidates[0].amount), returned=amount)
    if len(matching) > 1:
        return ROW_AMBIGUOUS
    return matching[0]


def _match(
    rows: Callable[[], Iterator[ReturnRow]],
    file_rows: dict[str, list[_FileRow]],
    template: BankTemplate,
) -> _Outcome:
    outcome = _Outcome()
    seen = Counter(_clean_account(values.get("account_number", "")) for _, values in rows())
    outcome.rows = seen.total()
    used: set[int] = set()
    result_of = _reader(template)

    def problem(number: int, values: dict[str, str], reason: str) -> None:
        outcome.problems.append(
            {
                "row": number,
                "account_number": values.get("account_number", ""),
                "account_name": values.get("account_name", ""),
                "amount": values.get("amount", ""),
                "reason": reason,
            }
        )

    for number, values in rows():
        account = _clean_account(values.get("account_number", ""))
        if not account:
            if not any(w in v for v in values.values() for w in _TOTAL_WORDS):
                problem(number, values, ROW_NO_ACCOUNT)
            continue
        if account == LOST_DIGITS:
            values["account_number"] = ""
            problem(number, values, ROW_ACCOUNT_LOST_DIGITS)
            continue
        candidates = file_rows.get(account, [])
        if not candidates:
            problem(number, values, ROW_UNKNOWN_ACCOUNT)
            continue
        if seen[account] > len(candidates):
            problem(number, values, ROW_DUPLICATE)
            continue
        amount = _parse_amount(values.get("amount", ""))
        if amount is None:
            problem(number, values, ROW_AMOUNT_UNREADABLE.format(value=values.get("amount", "")))
            continue
        picked = _pick(candidates, values.get("id_number", "").strip(), amount)
        if isinstance(picked, str):
            problem(number, values, picked)
            continue
        if picked.bank_row in used:
            problem(number, values, ROW_DUPLICATE)
            continue
        if picked.settled:
            problem(number, values, ROW_ALREADY_APPLIED)
            continue
        result = result_of(values.get("result", ""))
        if result is None:
            problem(number, values, ROW_RESULT_UNKNOWN.format(value=values.get("result", "")))
            continue
        used.add(picked.bank_row)
        if result:
            outcome.paid.append(picked)
        else:
            reason = values.get("reason", "").strip() or values.get("result", "").strip()
            outcome.failed.append((picked, reason[:200]))
    return outcome


def _json_rows_sql() -> str:
    """A table (r, status, reason) of the JSON array [[bank_row, status, reason], ...] given as
    the parameter."""
    if connection.vendor == "postgresql":
        return "SELECT (e->>0)::int, e->>1, e->>2 FROM jsonb_array_elements(%s::jsonb) e"
    return (
        "SELECT CAST(json_extract(value, '$[0]') AS INTEGER), json_extract(value, '$[1]'), "
        "json_extract(value, '$[2]') FROM json_each(%s)"
    )


def _apply(bank_file: BankFile, outcome: _Outcome, today: datetime.date) -> None:
    """The matched rows' lines PAID or FAILED: the rows go to a temporary table (as one JSON
    parameter), then one UPDATE per outcome driven by the file's lines."""
    pairs = [[r.bank_row, LineStatus.PAID.value, ""] for r in outcome.paid]
    pairs += [[r.bank_row, LineStatus.FAILED.value, reason] for r, reason in outcome.failed]
    if not pairs:
        return
    table = _table(PaymentLine)
    chosen = f"""{table}.bank_file_id = %s AND {table}.status = '{LineStatus.SENT}'
        AND {table}.bank_row IN (SELECT t.r FROM {RETURNED_ROWS} t WHERE t.status = %s)"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RETURNED_ROWS}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RETURNED_ROWS} (r INTEGER PRIMARY KEY, "
            "status VARCHAR(12) NOT NULL, reason VARCHAR(200) NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {RETURNED_ROWS} (r, status, reason) {_json_rows_sql()}",
            [json.dumps(pairs, ensure_ascii=False)],
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {RETURNED_ROWS}")
        cursor.execute(
            f"UPDATE {table} SET status = %s, paid_on = %s WHERE {chosen}",  # noqa: S608
            [
                LineStatus.PAID.value,
                connection.ops.adapt_datefield_value(today),
                bank_file.pk,
                LineStatus.PAID.value,
            ],
        )
        cursor.execute(
            f"""UPDATE {table} SET status = %s, failure_reason =
                (SELECT t.reason FROM {RETURNED_ROWS} t WHERE t.r = {table}.bank_row)
                WHERE {chosen}""",  # noqa: S608
            [LineStatus.FAILED.value, bank_file.pk, LineStatus.FAILED.value],
        )
        cursor.execute(f"DROP TABLE {RETURNED_ROWS}")


@transaction.atomic
def bank_return_import(
    *, actor: User, bank_file: BankFile, content: bytes, file_name: str
) -> BankReturn:
    """Apply the bank's return file (CSV in UTF-8/GBK or XLSX, headers per the template's
    return_columns). A row is matched to the file's row by account number; it is applied only
    when the account is in the file, the amount equals the row's amount and the account appears
    once in the return: paid -> lines PAID (paid_on), failed -> lines FAILED with the reason and
    the failed money booked back on the fund account (BANK_RETURN). Every other row is listed in
    `problems` with its row number and reason and changes nothing. A file that cannot be read at
    all (no header, wrong columns) is refused whole with PaymentError. When no line of the run
    is SENT any more, the run is RECONCILED."""
    _require_operator(actor)
    locked = (
        BankFile.objects.select_for_update(of=("self",))
        .select_related("template")
        .get(pk=bank_file.pk)
    )
    run = (
        PayrollRun.objects.select_for_update(of=("self",))
        .select_related("fund_account")
        .get(pk=locked.run_id)
    )
    require_in_scope(actor, run.region_code)
    if run.status not in (RunStatus.SENT, RunStatus.RECONCILED):
        raise PaymentError(RETURN_RUN_NOT_SENT)
    locked.run = run
    template = _return_template(locked)
    outcome = _match(_read_return(content, template), _file_rows(locked), template)
    today = _today()
    _apply(locked, outcome, today)
    paid_amount = sum((r.amount for r in outcome.paid), Decimal("0.00"))
    failed_amount = sum((r.amount for r, _ in outcome.failed), Decimal("0.00"))
    if failed_amount and run.fund_account is not None:
        fund_entry_add(
            actor=actor,
            account=run.fund_account,
            kind=FundEntry.Kind.BANK_RETURN,
            amount=failed_amount,
            entry_date=today,
            document_number=locked.file_name[:100],
            note=f"{locked.bank_name}回盘:发放失败{len(outcome.failed)}笔"[:200],
            run=run,
        )
    returned = BankReturn.objects.create(
        bank_file=locked,
        file_name=(file_name or "")[:200],
        rows=outcome.rows,
        paid_count=len(outcome.paid),
        failed_count=len(outcome.failed),
        paid_amount=paid_amount,
        failed_amount=failed_amount,
        problems=outcome.problems,
        created_by=actor,
    )
    if (
        locked.status != BankFile.Status.RETURNED
        and not locked.lines.filter(status=LineStatus.SENT).exists()
    ):
        BankFile.objects.filter(pk=locked.pk).update(status=BankFile.Status.RETURNED)
    run_audit(
        run,
        actor,
        "payroll.bank_return",
        file=locked.file_name,
        return_file=returned.file_name,
        paid=returned.paid_count,
        failed=returned.failed_count,
        amount=str(paid_amount),
        failed_amount=str(failed_amount),
        problems=len(outcome.problems),
    )
    _reconcile_if_settled(actor, run)
    bank_file.refresh_from_db()
    return returned
