"""The banks: batch files from configurable templates, the return files, the reissue queue of
failed payments and the recovery of overpayments.

A bank file has one row per payee (person + account) with the net of the payee's lines in the
run for that bank; lines keep bank_file and bank_row. A payee whose net is not positive gets no
row: the positive lines become OFFSET and the negative ones TO_RECOVER (追回台账)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import QuerySet

from minzheng.core.models import User
from minzheng.payments.models import (
    BankFile,
    BankReturn,
    BankTemplate,
    FundAccount,
    PaymentLine,
    PayrollRun,
)

# The template used for a bank that has none of its own (UTF-8 with BOM CSV, common columns).
DEFAULT_COLUMNS = [
    {"header": "序号", "field": "serial"},
    {"header": "户名", "field": "account_name"},
    {"header": "账号", "field": "account_number"},
    {"header": "身份证号码", "field": "id_number"},
    {"header": "金额", "field": "amount"},
    {"header": "摘要", "field": "remark"},
]
DEFAULT_RETURN_COLUMNS = {
    "account_number": "账号",
    "account_name": "户名",
    "id_number": "身份证号码",
    "amount": "金额",
    "result": "处理结果",
    "reason": "失败原因",
}
DEFAULT_SUCCESS_VALUES = ["成功", "交易成功", "已入账", "1", "S"]


def bank_template_save(
    *,
    actor: User,
    region_code: str,
    bank_name: str,
    file_format: str,
    encoding: str,
    delimiter: str,
    columns: list[dict[str, str]],
    return_columns: dict[str, str],
    success_values: list[str],
    remark_template: str,
    template: BankTemplate | None = None,
) -> BankTemplate:
    """Create or update a county's template; fields validated against BATCH_FIELDS /
    RETURN_FIELDS (Chinese errors per field). BANK_TEMPLATE_EDITORS, in scope."""
    raise NotImplementedError


def template_for(region_code: str, bank_name: str) -> BankTemplate:
    """The county's template for the bank, else an unsaved default one."""
    raise NotImplementedError


def run_send(*, actor: User, run: PayrollRun, version: int | None = None) -> list[BankFile]:
    """A LOCKED run: one BankFile per bank (lines grouped by bank_name), lines SENT with
    attempts + 1, run SENT. Running it again on a SENT run returns the same files."""
    raise NotImplementedError


def bank_file_render(*, template: BankTemplate, rows: list[dict[str, object]]) -> tuple[bytes, str]:
    """The file's bytes and its extension for the given rows (CSV in the template's encoding -
    a name the encoding cannot write is an error naming the row - or XLSX)."""
    raise NotImplementedError


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
    raise NotImplementedError


def reissue_queue(user: User) -> QuerySet[PaymentLine]:
    """FAILED lines in the user's scope, newest first (annotated `account_fixed`: the household's
    account now differs from the one that failed)."""
    raise NotImplementedError


def reissue(*, actor: User, lines: list[PaymentLine]) -> list[BankFile]:
    """Send FAILED lines whose household account has been corrected again: new REISSUE bank
    files per run and bank, account copied anew, lines SENT, REISSUE entry booked. Lines whose
    account is unchanged are refused (PaymentError listing them)."""
    raise NotImplementedError


def recovery_record(
    *,
    actor: User,
    line: PaymentLine,
    receipt: str,
    recovered_on: datetime.date,
    fund_account: FundAccount,
    amount: Decimal | None = None,
) -> PaymentLine:
    """A TO_RECOVER line's money came back (receipt number): the line RECOVERED, RECOVERY entry
    booked on the fund account."""
    raise NotImplementedError
