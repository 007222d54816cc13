"""Reading a bank's return file: CSV (UTF-8 or GB18030, any of the usual delimiters) or
Excel, its header row found by the template's return columns; the data rows as text."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from python_calamine import CalamineWorkbook

from minzheng.payments.models import BankTemplate
from minzheng.payments.services.bank.templates import (
    DEFAULT_RETURN_COLUMNS,
    DELIMITERS,
    FIELD_LABELS,
    REQUIRED_RETURN_FIELDS,
)
from minzheng.payments.services.errors import PaymentError

RETURN_EMPTY = "回盘文件是空的"
RETURN_UNREADABLE = "无法读取回盘文件,请上传银行提供的CSV或Excel(xlsx)文件"
RETURN_ENCODING = "无法识别回盘文件的文字编码,请另存为UTF-8或GBK编码的CSV后重新导入"
RETURN_NO_HEADER = "回盘文件中找不到表头(需要包含列:{headers}),请核对银行文件模板的回盘列设置"
RETURN_NO_DATA = "回盘文件中没有数据行"

HEADER_SEARCH_ROWS = 20
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
LOST_DIGITS = "\x00lost-digits"

ReturnRow = tuple[int, dict[str, str]]  # (row number as Excel shows it, field -> text)
Record = tuple[int, list[str]]  # (row number, cells)
Source = Callable[[], Iterator[Record]]  # a fresh pass over a table's records


def _plain_header(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\ufeff", ""))


def _excel_text(value: Any) -> str:
    """A cell as the clerk would read it: integral numbers without .0 (an account number
    stored as a number beyond float precision has lost its last digits)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if not value.is_integer():
            return repr(value)
        if abs(value) >= 1e15:
            return LOST_DIGITS
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()[:10]
    return "" if value is None else str(value).strip()


def _excel_sources(content: bytes) -> list[Source]:
    """Every sheet of the workbook (the header search picks the one)."""
    try:
        if content.startswith(ZIP_MAGIC):
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED_BYTES:
                    raise PaymentError(RETURN_UNREADABLE)
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets: list[list[Record]] = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            # from the sheet's row 1 on (leading empty rows kept): numbers as Excel shows them
            values = sheet.to_python(skip_empty_area=False)
            sheets.append([(i, [_excel_text(v) for v in row]) for i, row in enumerate(values, 1)])
    except PaymentError:
        raise
    except Exception:  # calamine raises its own errors, zipfile others: unreadable either way
        raise PaymentError(RETURN_UNREADABLE) from None
    return [lambda records=records: iter(records) for records in sheets]  # type: ignore[misc]


def _csv_source(text: str, delimiter: str) -> Source:
    def records() -> Iterator[Record]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            yield from enumerate(reader, 1)
        except csv.Error:
            raise PaymentError(RETURN_UNREADABLE) from None

    return records


def _csv_sources(content: bytes, template: BankTemplate) -> list[Source]:
    """The text read with each plausible delimiter (the header search picks the one)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PaymentError(RETURN_ENCODING)
    if "\x00" in text:
        raise PaymentError(RETURN_UNREADABLE)
    first = template.delimiter if template.delimiter in DELIMITERS else ","
    delimiters = [first] + [d for d in DELIMITERS if d != first]
    return [_csv_source(text, d) for d in delimiters]


def _locate(
    sources: list[Source], headers: dict[str, str]
) -> tuple[Source, int, dict[str, int]] | None:
    """The first table with a header row holding the required headers: (the table, the header's
    row number, field -> column)."""
    wanted = {f: _plain_header(h) for f, h in headers.items() if h}
    required = [wanted[f] for f in REQUIRED_RETURN_FIELDS]
    for source in sources:
        try:
            head = list(itertools.islice(source(), HEADER_SEARCH_ROWS))
        except PaymentError:
            continue
        for number, cells in head:
            plain = [_plain_header(c) for c in cells]
            if all(h in plain for h in required):
                columns = {f: plain.index(h) for f, h in wanted.items() if h in plain}
                return source, number, columns
    return None


def _read_return(content: bytes, template: BankTemplate) -> Callable[[], Iterator[ReturnRow]]:
    """A fresh pass over the data rows of a return file (blank rows left out), or the file
    refused whole."""
    if not content.strip():
        raise PaymentError(RETURN_EMPTY)
    is_excel = content.startswith((ZIP_MAGIC, OLE_MAGIC))
    sources = _excel_sources(content) if is_excel else _csv_sources(content, template)
    headers = template.return_columns or DEFAULT_RETURN_COLUMNS
    found = _locate(sources, headers)
    if found is None:
        names = "、".join(str(headers.get(f, FIELD_LABELS[f])) for f in REQUIRED_RETURN_FIELDS)
        raise PaymentError(RETURN_NO_HEADER.format(headers=names))
    source, header_row, columns = found

    def rows() -> Iterator[ReturnRow]:
        for number, cells in source():
            if number <= header_row or not any(c.strip() for c in cells):
                continue
            yield (
                number,
                {f: (cells[i].strip() if i < len(cells) else "") for f, i in columns.items()},
            )

    if next(rows(), None) is None:
        raise PaymentError(RETURN_NO_DATA)
    return rows
