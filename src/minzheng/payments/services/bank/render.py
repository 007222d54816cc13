"""A bank file's rows (remark, village, month) and its bytes (CSV in the template's encoding
or XLSX), and its name."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from minzheng.core.models import Region
from minzheng.core.money import yuan
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.payments.models import BankTemplate, PayrollRun
from minzheng.payments.services.bank.common import _money
from minzheng.payments.services.bank.templates import DEFAULT_COLUMNS
from minzheng.payments.services.errors import PaymentError
from minzheng.programs.policies import program_label

ARREARS_MARK = "(含补发)"

XLSX_TOO_MANY_ROWS = "Excel文件最多容纳{limit}行,请将该银行的文件模板改为CSV格式"
CSV_UNENCODABLE = (
    "序号为{serial}的一行({name})含有{encoding}编码无法表示的字符“{char}”,"
    "请核对户名,或将该银行的文件模板改用GB18030或UTF-8编码"
)

_FILE_NAME_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def _cell(row: dict[str, object], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if name == "amount" and isinstance(value, Decimal):
        return _money(value)
    return str(value)


def _render_csv(template: BankTemplate, rows: Iterable[dict[str, object]]) -> bytes:
    columns = template.columns or DEFAULT_COLUMNS
    encoder = codecs.getincrementalencoder(template.encoding)(errors="strict")
    out = io.BytesIO()
    text = io.StringIO()
    writer = csv.writer(text, delimiter=template.delimiter or ",", lineterminator="\r\n")

    def flush(row: dict[str, object] | None) -> None:
        chunk = text.getvalue()
        text.seek(0)
        text.truncate()
        try:
            out.write(encoder.encode(chunk))
        except UnicodeEncodeError as bad:
            row = row or {}
            raise PaymentError(
                CSV_UNENCODABLE.format(
                    serial=row.get("serial", ""),
                    name=row.get("account_name") or row.get("person_name") or "",
                    encoding=template.encoding.upper(),
                    char=bad.object[bad.start : bad.end],
                )
            ) from None

    writer.writerow([c["header"] for c in columns])
    flush(None)
    for row in rows:
        writer.writerow([_cell(row, c["field"]) for c in columns])
        flush(row)
    out.write(encoder.encode("", final=True))
    return out.getvalue()


XLSX_MAX_ROWS = 1_048_575  # a sheet's 1,048,576 rows, the header one of them


def _render_xlsx(template: BankTemplate, rows: Iterable[dict[str, object]]) -> bytes:
    columns = template.columns or DEFAULT_COLUMNS
    book = Workbook(write_only=True)
    sheet = book.create_sheet("发放明细")
    widths = {"account_number": 26, "id_number": 22, "remark": 30, "amount": 14}
    for i, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(i)].width = widths.get(column["field"], 14)
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column["header"])
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for n, row in enumerate(rows, 1):
        if n > XLSX_MAX_ROWS:
            raise PaymentError(XLSX_TOO_MANY_ROWS.format(limit=XLSX_MAX_ROWS))
        cells = []
        for column in columns:
            name = column["field"]
            value = row.get(name)
            if name == "amount" and isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=yuan(value))
                cell.number_format = "0.00"
            elif name == "serial" and isinstance(value, int):
                cell = WriteOnlyCell(sheet, value=value)
            else:
                cell = WriteOnlyCell(sheet, value=_cell(row, name))
                cell.number_format = "@"  # text: Excel keeps every digit of an account
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bank_file_render(
    *, template: BankTemplate, rows: Iterable[dict[str, object]]
) -> tuple[bytes, str]:
    """The file's bytes and its extension for the given rows (CSV in the template's encoding -
    a name the encoding cannot write is an error naming the row - or XLSX). A row holds the
    BATCH_FIELDS (amount a Decimal, serial an int); `rows` may be any iterable (a generator
    streaming a large run)."""
    if template.file_format == BankTemplate.Format.XLSX:
        return _render_xlsx(template, rows), "xlsx"
    return _render_csv(template, rows), "csv"


@dataclass
class _Context:
    run: PayrollRun
    template: BankTemplate
    program: str
    villages: dict[str, str]

    def remark(self, extra: bool) -> str:
        month = self.run.month
        text = self.template.remark_template or "{year}年{month}月{program}"
        remark = text.format(year=month.year, month=month.month, program=self.program)
        return remark + ARREARS_MARK if extra else remark


def _row(
    ctx: _Context,
    *,
    serial: int,
    account_name: str,
    account_number: str,
    id_number: str,
    person_name: str,
    amount: Decimal,
    region_code: str,
    extra: bool,
) -> dict[str, object]:
    return {
        "serial": serial,
        "account_name": account_name or person_name,
        "account_number": account_number,
        "id_number": id_number,
        "amount": amount,
        "remark": ctx.remark(extra),
        "person_name": person_name,
        "village": ctx.villages.get(region_code, region_code),
        "program": ctx.program,
        "month": f"{ctx.run.month:%Y-%m}",
    }


def _region_names(region_code: str) -> dict[str, str]:
    return dict(
        Region.objects.filter(prefix_q("code", code_prefix(region_code))).values_list(
            "code", "name"
        )
    )


def _file_name(run: PayrollRun, bank_name: str, content: bytes, ext: str, reissue: bool) -> str:
    region = Region.objects.filter(code=run.region_code).values_list("name", flat=True).first()
    parts = [region or run.region_code, bank_name, program_label(run.program)]
    parts.append(f"{run.month:%Y%m}")
    if reissue:
        parts.append("重发")
    parts.append(hashlib.sha256(content).hexdigest()[:8].upper())
    name = "_".join(_FILE_NAME_UNSAFE.sub("", p) for p in parts)
    return f"{name[:190]}.{ext}"
