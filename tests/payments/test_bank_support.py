"""Shared set-up of the bank tests (test_bank.py, test_bank_returns.py): a locked run of the
paying world with a fund account holding money, sent to the banks; return files written the
way the banks write them."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from openpyxl import Workbook

from minzheng.payments.models import (
    BankFile,
    FundAccount,
    FundEntry,
    PaymentLine,
    PayrollRun,
)
from minzheng.payments.services.bank import DEFAULT_RETURN_COLUMNS
from tests.payments.support import COUNTY, PayingWorld, make_run

RNS = "安徽裕安农村商业银行"
PSBC = "中国邮政储蓄银行"
RETURN_HEADERS = ["账号", "户名", "身份证号码", "金额", "处理结果", "失败原因"]
assert list(DEFAULT_RETURN_COLUMNS.values()) == RETURN_HEADERS


def funded_run(world: PayingWorld, *, status: str = "locked", **kwargs: object) -> PayrollRun:
    """make_run with a county fund account holding 100,000 yuan."""
    run = make_run(world, status=status, **kwargs)  # type: ignore[arg-type]
    account, _ = FundAccount.objects.get_or_create(
        region_code=COUNTY, name="裕安区民政资金专户", defaults={"source": "county"}
    )
    if not account.entries.exists():
        FundEntry.objects.create(
            account=account,
            kind=FundEntry.Kind.ALLOCATION,
            amount=Decimal("100000.00"),
            entry_date=datetime.date(2026, 11, 1),
            document_number="裕财社〔2026〕1号",
        )
    PayrollRun.objects.filter(pk=run.pk).update(fund_account=account)
    run.refresh_from_db()
    return run


def file_rows(bank_file: BankFile, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """The rows of a CSV bank file as {header: text}."""
    text = bytes(bank_file.content).decode(encoding)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def sent_payees(bank_file: BankFile) -> list[dict[str, object]]:
    """(account, name, id number, amount) of each row of the file, from its lines."""
    payees: dict[int, dict[str, object]] = {}
    lines = PaymentLine.objects.filter(bank_file=bank_file).select_related("person")
    for line in lines.order_by("bank_row", "id"):
        assert line.bank_row is not None
        row = payees.setdefault(
            line.bank_row,
            {
                "账号": line.account_number,
                "户名": line.account_name,
                "身份证号码": line.person.id_number,
                "金额": Decimal("0.00"),
            },
        )
        row["金额"] = row["金额"] + line.amount  # type: ignore[operator]
    return [payees[k] for k in sorted(payees)]


def return_rows(
    bank_file: BankFile, results: dict[int, tuple[str, str]] | None = None
) -> list[list[str]]:
    """A return row per row of the file: "成功" unless `results` names (result, reason) for a
    1-based row of the file."""
    rows = []
    for i, payee in enumerate(sent_payees(bank_file), 1):
        result, reason = (results or {}).get(i, ("成功", ""))
        rows.append(
            [
                str(payee["账号"]),
                str(payee["户名"]),
                str(payee["身份证号码"]),
                f"{payee['金额']:.2f}",
                result,
                reason,
            ]
        )
    return rows


def return_csv(rows: list[list[str]], encoding: str = "gbk", title: str | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if title:
        writer.writerow([title])
    writer.writerow(RETURN_HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def return_xlsx(
    rows: list[list[str]], numeric_amounts: bool = True, title: str | None = None
) -> bytes:
    """An Excel return; with a title, it sits in row 2 after an empty row 1 (as some banks do)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet["A2"] = title
        sheet.append([])
    sheet.append(RETURN_HEADERS)
    for row in rows:
        values: list[object] = list(row)
        if numeric_amounts:
            values[3] = float(row[3])
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
