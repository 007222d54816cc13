"""Reading a delivered file: its format, character encoding, delimiter and quoting, which row
holds the headings (title rows above them are common), the headings and a few sample rows.

Only the head of a file is read here (a few MB, or the first rows of a sheet). For the full
read, `prepare_source` turns what DuckDB cannot read itself into a UTF-8 CSV by streaming:
GBK/GB18030 and UTF-16 text is transcoded chunk by chunk (DuckDB 2.0 here has no encodings
extension), an XLSX sheet is written out row by row with each row's number as Excel shows it."""

from __future__ import annotations

import codecs
import csv
import datetime
import decimal
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from minzheng.matching.intake import messages as M
from minzheng.matching.intake.mapping import alias_hits
from minzheng.matching.schemas import DatasetSchema

SNIFF_BYTES = 4 * 1024 * 1024  # the head read to detect encoding, delimiter and headings
HEADER_SCAN_ROWS = 30  # the headings are looked for among the first rows
SAMPLE_ROWS = 5
CHUNK_BYTES = 8 * 1024 * 1024  # transcoding
DELIMITERS = (",", "\t", ";", "|")
XLSX_PROGRESS_ROWS = 20_000

CSV_FORMAT = "csv"
XLSX_FORMAT = "xlsx"
PARQUET_FORMAT = "parquet"

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
GB18030 = "gb18030"
UTF16 = "utf-16"

ByteProgress = Callable[[int, int], None]  # (units done, units total)


class IntakeError(Exception):
    """The file cannot be read (as opposed to rows of it being wrong): a Chinese message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class FileLayout:
    """What the head of a file says about the whole of it."""

    format: str
    encoding: str = ""
    delimiter: str = ","
    quote: str = '"'
    # The file's row number of the headings (1-based, as Excel shows it); data rows follow.
    # 0 for Parquet, whose rows are numbered from 1.
    header_row: int = 0
    headers: list[str] = field(default_factory=list)
    sample_rows: list[list[str]] = field(default_factory=list)
    # Parquet: the file's column names, in the order of `headers`.
    columns: list[str] = field(default_factory=list)
    size: int = 0
    estimated_rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("sample_rows")
        return data


# --- format and encoding -------------------------------------------------------------------------


def detect_format(path: Path, file_name: str = "") -> str:
    """csv / xlsx / parquet, from the file's first bytes, else its name."""
    with path.open("rb") as f:
        magic = f.read(8)
    name = (file_name or path.name).lower()
    if not magic:
        raise IntakeError(M.FILE_EMPTY)
    if magic.startswith(b"PAR1"):
        return PARQUET_FORMAT
    if magic.startswith(b"PK\x03\x04"):
        return XLSX_FORMAT
    if magic.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise IntakeError(M.FILE_XLS)
    if name.endswith((".xlsx", ".xlsm", ".parquet")):
        raise IntakeError(M.FILE_FORMAT_UNKNOWN)
    return CSV_FORMAT


def detect_encoding(head: bytes, whole: bool) -> str:
    """UTF-8 (with or without BOM) when the head decodes as UTF-8, UTF-16 by its BOM, else
    GB18030 (a superset of GBK and GB2312)."""
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16
    try:
        codecs.getincrementaldecoder(UTF8)().decode(head, final=whole)
    except UnicodeDecodeError:
        return GB18030
    return UTF8


def _decode_head(head: bytes, encoding: str, whole: bool) -> str:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=whole)
    text = text.lstrip("\ufeff")
    if not whole and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # the last line may be cut
    return text


# --- headings -----------------------------------------------------------------------------------


_SPACES = re.compile(r"^[\s\u3000\u00a0\ufeff]+|[\s\u3000\u00a0\ufeff]+$")


def clean_cell(value: str) -> str:
    return _SPACES.sub("", value)


def _blank(row: list[str]) -> bool:
    return not any(clean_cell(c) for c in row)


def find_header(schema: DatasetSchema, rows: list[list[str]]) -> int:
    """Index of the heading row: the first with at least two cells naming schema columns
    (title rows above are skipped), else the first non-empty row."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if alias_hits(schema, [clean_cell(c) for c in row]) >= 2:
            return i
    for i, row in enumerate(rows):
        if not _blank(row):
            return i
    raise IntakeError(M.FILE_NO_HEADER)


def unique_headers(cells: list[str]) -> list[str]:
    """Headings as shown on the mapping screen: blank ones named by position (第3列), repeated
    ones numbered (备注, 备注(2)), so that each names one column."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        text = clean_cell(cell) or f"第{i + 1}列"
        if text in seen:
            seen[text] += 1
            text = f"{text}({seen[text]})"
        else:
            seen[text] = 1
        out.append(text)
    return out


def _samples(rows: list[list[str]], width: int) -> list[list[str]]:
    out = []
    for row in rows:
        if _blank(row):
            continue
        cells = [clean_cell(c) for c in row[:width]]
        out.append(cells + [""] * (width - len(cells)))
        if len(out) == SAMPLE_ROWS:
            break
    return out


def _trim_headers(cells: list[str]) -> list[str]:
    """The heading row without the empty cells at its end (a spreadsheet's formatted blanks)."""
    end = len(cells)
    while end > 1 and not clean_cell(cells[end - 1]):
        end -= 1
    return cells[:end]


# --- CSV ----------------------------------------------------------------------------------------


def _parse(text: str, delimiter: str, limit: int) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"'):
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def detect_delimiter(text: str) -> str:
    """The candidate splitting the most of the first lines into the same number (>1) of fields."""
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        widths = [len(r) for r in _parse(text, delimiter, 60) if not _blank(r)]
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        score = widths.count(mode) if mode > 1 else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def detect_quote(text: str, delimiter: str) -> str:
    """'"' when some field of the head starts with a double quote, else none (a stray quote
    inside a value is then read as it is)."""
    pattern = re.compile(r"(^|" + re.escape(delimiter) + r')"', re.MULTILINE)
    return '"' if pattern.search(text) else ""


def sniff_csv(path: Path, schema: DatasetSchema) -> FileLayout:
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head.strip():
        raise IntakeError(M.FILE_EMPTY)
    whole = len(head) >= size
    encoding = detect_encoding(head, whole)
    text = _decode_head(head, encoding, whole)
    delimiter = detect_delimiter(text)
    quote = detect_quote(text, delimiter)
    rows = _parse(text, delimiter, 100_000 if whole else 2_000)
    index = find_header(schema, rows)
    headers = unique_headers(_trim_headers(rows[index]))
    data = rows[index + 1 :]
    if whole:
        estimated = sum(1 for r in data if not _blank(r))
    else:
        # Bytes per data line in the head, applied to the rest of the file.
        lines = text.splitlines()
        body = lines[index + 1 :] or lines
        per_line = max(1, len("\n".join(body).encode(encoding, errors="replace")) // len(body))
        estimated = max(len(data), size // per_line)
    return FileLayout(
        format=CSV_FORMAT,
        encoding=encoding,
        delimiter=delimiter,
        quote=quote,
        header_row=index + 1,
        headers=headers,
        sample_rows=_samples(data, len(headers)),
        columns=list(headers),
        size=size,
        estimated_rows=estimated,
    )


def transcode(
    source: Path, target: Path, encoding: str, progress: ByteProgress | None = None
) -> None:
    """Rewrite a text file as UTF-8, chunk by chunk (memory stays at one chunk). Undecodable
    bytes become U+FFFD (an ID number holding one is then invalid, not the whole file)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    total = source.stat().st_size
    done = 0
    with source.open("rb") as src, target.open("w", encoding=UTF8, newline="") as out:
        while chunk := src.read(CHUNK_BYTES):
            text = decoder.decode(chunk)
            if done == 0:
                text = text.lstrip("\ufeff")
            out.write(text)
            done += len(chunk)
            if progress:
                progress(done, total)
        out.write(decoder.decode(b"", final=True))


# --- XLSX ---------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as text: dates from date cells become ISO dates (a time is kept when not
    midnight), whole numbers lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return str(value)


def _open_sheet(path: Path) -> Any:
    """The workbook, read-only (streamed). Opened from a file object: openpyxl refuses a path
    whose name does not end in .xlsx, and uploads are stored under other names."""
    import openpyxl

    handle = path.open("rb")
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        handle.close()
        raise IntakeError(M.FILE_XLSX_UNREADABLE.format(error=e)) from None
    if not book.worksheets:
        book.close()
        handle.close()
        raise IntakeError(M.FILE_EMPTY)
    return _Book(book, handle)


class _Book:
    """A read-only workbook and the file it streams from, closed together."""

    def __init__(self, book: Any, handle: Any) -> None:
        self.worksheets = book.worksheets
        self._book = book
        self._handle = handle

    def close(self) -> None:
        self._book.close()
        self._handle.close()


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """(row number as Excel shows it, cells as text) for each row of the sheet."""
    number = 0
    for cells in sheet.iter_rows():
        number += 1
        for cell in cells:
            row = getattr(cell, "row", None)
            if row:
                number = row
                break
        yield number, [cell_text(c.value) for c in cells]


def sniff_xlsx(path: Path, schema: DatasetSchema) -> FileLayout:
    book = _open_sheet(path)
    try:
        sheet = book.worksheets[0]
        head: list[tuple[int, list[str]]] = []
        for number, cells in _sheet_rows(sheet):
            head.append((number, cells))
            if len(head) >= HEADER_SCAN_ROWS + SAMPLE_ROWS * 4:
                break
        max_row = sheet.max_row or 0
    finally:
        book.close()
    if not head:
        raise IntakeError(M.FILE_EMPTY)
    rows = [cells for _, cells in head]
    index = find_header(schema, rows)
    header_row = head[index][0]
    headers = unique_headers(_trim_headers(rows[index]))
    return FileLayout(
        format=XLSX_FORMAT,
        header_row=header_row,
        headers=headers,
        sample_rows=_samples(rows[index + 1 :], len(headers)),
        columns=list(headers),
        size=path.stat().st_size,
        estimated_rows=max(0, max_row - header_row),
    )


def xlsx_to_csv(
    source: Path, target: Path, layout: FileLayout, progress: ByteProgress | None = None
) -> int:
    """Write the data rows of the first sheet (below the headings) to a UTF-8 CSV, each row
    led by its Excel row number; empty rows are left out. Returns the rows written."""
    width = len(layout.headers)
    written = 0
    book = _open_sheet(source)
    try:
        with target.open("w", encoding=UTF8, newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            for number, cells in _sheet_rows(book.worksheets[0]):
                if number <= layout.header_row:
                    continue
                values = cells[:width]
                if not any(v.strip() for v in values):
                    continue
                writer.writerow([number, *values, *[""] * (width - len(values))])
                written += 1
                if progress and written % XLSX_PROGRESS_ROWS == 0:
                    progress(written, layout.estimated_rows)
    finally:
        book.close()
    return written


# --- Parquet ------------------------------------------------------------------------------------


def sniff_parquet(path: Path) -> FileLayout:
    from minzheng.matching.engines.duckdb_engine import _quote, duckdb_connect

    con = duckdb_connect(threads=1)
    try:
        source = f"read_parquet({_quote(path)})"
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        casts = ", ".join(f'CAST("{c.replace(chr(34), chr(34) * 2)}" AS VARCHAR)' for c in columns)
        rows = con.execute(f"SELECT {casts} FROM {source} LIMIT {SAMPLE_ROWS}").fetchall()
        total = int(con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0])
    except Exception as e:  # duckdb.Error: not a Parquet file, corrupt footer ...
        raise IntakeError(M.FILE_PARQUET_UNREADABLE.format(error=e)) from None
    finally:
        con.close()
    return FileLayout(
        format=PARQUET_FORMAT,
        header_row=0,
        headers=unique_headers(columns),
        sample_rows=[["" if v is None else clean_cell(str(v)) for v in row] for row in rows],
        columns=columns,
        size=path.stat().st_size,
        estimated_rows=total,
    )


# --- entry points -------------------------------------------------------------------------------


def sniff(path: Path, schema: DatasetSchema, file_name: str = "") -> FileLayout:
    """The layout of a delivered file: format, encoding, delimiter, headings and samples.
    IntakeError (Chinese) when it cannot be read."""
    fmt = detect_format(path, file_name)
    if fmt == PARQUET_FORMAT:
        layout = sniff_parquet(path)
    elif fmt == XLSX_FORMAT:
        layout = sniff_xlsx(path, schema)
    else:
        layout = sniff_csv(path, schema)
    if not layout.headers:
        raise IntakeError(M.FILE_NO_HEADER)
    return layout


@dataclass
class Source:
    """What DuckDB reads: the upload itself, or a UTF-8 CSV made from it."""

    path: Path
    layout: FileLayout
    numbered: bool = False  # the CSV's first column is the row number (XLSX)


def prepare_source(
    path: Path, layout: FileLayout, workdir: Path, progress: ByteProgress | None = None
) -> Source:
    """A file DuckDB can read in one streaming pass: UTF-8 CSV files and Parquet as they are,
    other encodings transcoded and XLSX written out as CSV into `workdir`."""
    if layout.format == PARQUET_FORMAT:
        return Source(path, layout)
    if layout.format == XLSX_FORMAT:
        target = workdir / "sheet.csv"
        xlsx_to_csv(path, target, layout, progress)
        return Source(target, layout, numbered=True)
    if layout.encoding in (UTF8, UTF8_BOM):
        return Source(path, layout)
    target = workdir / "utf8.csv"
    transcode(path, target, layout.encoding, progress)
    return Source(target, layout)
