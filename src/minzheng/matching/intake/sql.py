"""The SQL that reads, checks and converts a delivered file in DuckDB: never a row in Python.

Three layers, each a SELECT over the one before:
  raw    row_no and each mapped column as trimmed text (NULL when empty); rows empty in every
         mapped column are left out (a spreadsheet's formatted blank rows)
  typed  each column parsed as its type, the ID number normalized and checked (ISO 7064
         mod 11-2 check digit, a real birth date not after `today`), a reason code per column
         when the value cannot be used, `has_error` when any
  out    the canonical columns with their Parquet types, sex and birth date derived from a
         valid ID number where the file gives none, `row_no` and `id_valid`."""

from __future__ import annotations

import datetime
from pathlib import Path

from minzheng.matching.intake.files import PARQUET_FORMAT, Source
from minzheng.matching.schemas import ID_VALID, ROW_NO, Column, ColumnType, DatasetSchema

WHITESPACE = " \t\r\n\u3000\u00a0\ufeff"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
MIN_YEAR, MAX_YEAR = 1800, 2199
MIN_BIRTH = datetime.date(1880, 1, 1)

PARQUET_TYPES: dict[ColumnType, str] = {
    ColumnType.ID_NUMBER: "VARCHAR",
    ColumnType.TEXT: "VARCHAR",
    ColumnType.DATE: "DATE",
    ColumnType.MONTH: "DATE",
    ColumnType.DECIMAL: "DECIMAL(18,2)",
    ColumnType.INTEGER: "INTEGER",
    ColumnType.REGION: "VARCHAR",
    ColumnType.SEX: "VARCHAR",
}
# The reason a value of each type cannot be used (besides `required` and `negative`).
BAD_VALUE: dict[ColumnType, str] = {
    ColumnType.DATE: "bad_date",
    ColumnType.MONTH: "bad_month",
    ColumnType.DECIMAL: "bad_number",
    ColumnType.INTEGER: "bad_integer",
    ColumnType.SEX: "bad_sex",
    ColumnType.REGION: "bad_region",
}
SIGNED = (ColumnType.DECIMAL, ColumnType.INTEGER)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def raw_name(column: str) -> str:
    return quote_ident(f"r_{column}")


def err_name(column: str) -> str:
    return quote_ident(f"e_{column}")


def val_name(column: str) -> str:
    return quote_ident(f"v_{column}")


# --- macros -------------------------------------------------------------------------------------


def _digit_sum() -> str:
    """The weighted sum of the 17 digits, from the first 9 (a) and the next 8 (b) as integers:
    integer arithmetic is twice as fast in DuckDB as taking the characters one by one."""
    a = " + ".join(f"((a // {10 ** (8 - i)}) % 10) * {w}" for i, w in enumerate(ID_WEIGHTS[:9]))
    b = " + ".join(f"((b // {10 ** (7 - i)}) % 10) * {w}" for i, w in enumerate(ID_WEIGHTS[9:]))
    return f"({a} + {b})"


MACROS = [
    # The check character of the first 17 digits of an ID number (ISO 7064 mod 11-2).
    f"CREATE OR REPLACE TEMP MACRO mz_id_sum(a, b) AS {_digit_sum()}",
    "CREATE OR REPLACE TEMP MACRO mz_id_check(s) AS "
    f"substr('{ID_CHECK_CHARS}', mz_id_sum(try_cast(substr(s, 1, 9) AS INTEGER), "
    "try_cast(substr(s, 10, 8) AS INTEGER)) % 11 + 1, 1)",
    # The birth date in an 18-digit number (NULL when not a real date).
    "CREATE OR REPLACE TEMP MACRO mz_id_birth(s) AS "
    "CAST(try_strptime(substr(s, 7, 8), '%Y%m%d') AS DATE)",
    # An ID number as stored: no spaces, upper case (x -> X), no leading apostrophe (Excel's
    # "text" mark); a 15-digit legacy number becomes its 18-digit form.
    "CREATE OR REPLACE TEMP MACRO mz_id_clean(v) AS CASE "
    "WHEN contains(v, ' ') OR contains(v, '\u3000') OR prefix(v, '''') "
    "THEN upper(replace(replace(ltrim(v, ''''), ' ', ''), '\u3000', '')) ELSE upper(v) END",
    "CREATE OR REPLACE TEMP MACRO mz_id_18(c) AS CASE "
    "WHEN length(c) = 15 AND regexp_full_match(c, '[0-9]{15}') THEN "
    "substr(c, 1, 6) || '19' || substr(c, 7, 9) "
    "|| mz_id_check(substr(c, 1, 6) || '19' || substr(c, 7, 9)) ELSE c END",
    # Dates: 2026-11-01 (fast path), 2026/11/1, 20261101, 2026年11月1日, 2026.11.01, with or
    # without a time after them (Excel, Parquet timestamps).
    "CREATE OR REPLACE TEMP MACRO mz_date_norm(v) AS "
    "replace(regexp_replace(v, '[年月/.]', '-', 'g'), '日', '')",
    "CREATE OR REPLACE TEMP MACRO mz_date_slow(n) AS CASE "
    "WHEN regexp_full_match(n, '[0-9]{8}') THEN "
    "try_cast(substr(n, 1, 4) || '-' || substr(n, 5, 2) || '-' || substr(n, 7, 2) AS DATE) "
    "WHEN regexp_full_match(n, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    "([ T][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}([.][0-9]+)?)?)?') THEN "
    "try_cast(regexp_extract(n, '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') AS DATE) END",
    "CREATE OR REPLACE TEMP MACRO mz_date(v) AS CASE "
    "WHEN v LIKE '____-__-__' THEN try_cast(v AS DATE) "
    "ELSE mz_date_slow(mz_date_norm(v)) END",
    # Months: 2026-11, 202611, 2026年11月, 2026/11, or a whole date; stored as the first day.
    "CREATE OR REPLACE TEMP MACRO mz_month_slow(n) AS CASE "
    "WHEN regexp_full_match(n, '[0-9]{6}') THEN "
    "try_cast(substr(n, 1, 4) || '-' || substr(n, 5, 2) || '-01' AS DATE) "
    "WHEN regexp_full_match(n, '[0-9]{4}-[0-9]{1,2}') THEN try_cast(n || '-01' AS DATE) "
    "ELSE date_trunc('month', mz_date_slow(n)) END",
    "CREATE OR REPLACE TEMP MACRO mz_month(v) AS CASE "
    "WHEN v LIKE '____-__' THEN try_cast(v || '-01' AS DATE) "
    "ELSE mz_month_slow(rtrim(mz_date_norm(v), '-')) END",
    # Amounts and areas: 1234.5, "1,234.50", "1234.50元", "¥1234".
    "CREATE OR REPLACE TEMP MACRO mz_decimal(v) AS coalesce(try_cast(v AS DECIMAL(18,2)), "
    "try_cast(regexp_replace(v, '^[¥￥]|[,，\\s]|元$', '', 'g') AS DECIMAL(18,2)))",
    # Whole numbers: 2, "2.0", "2级", "二级".
    "CREATE OR REPLACE TEMP MACRO mz_int_text(t) AS CASE "
    "WHEN regexp_full_match(t, '-?[0-9]{1,9}([.]0+)?') THEN "
    "try_cast(split_part(t, '.', 1) AS INTEGER) "
    "ELSE list_position(['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'], t) END",
    "CREATE OR REPLACE TEMP MACRO mz_integer(v) AS mz_int_text(regexp_replace(v, '级$', ''))",
    # Sex: 男/女, M/F, 1/2 (GB/T 2261.1).
    "CREATE OR REPLACE TEMP MACRO mz_sex(v) AS CASE "
    "WHEN upper(v) IN ('男', '男性', 'M', '1', 'MALE') THEN 'M' "
    "WHEN upper(v) IN ('女', '女性', 'F', '2', 'FEMALE') THEN 'F' END",
    # Cells: trimmed (only when they start or end with a space of some kind), '' -> NULL.
    "CREATE OR REPLACE TEMP MACRO mz_clean(v) AS CASE "
    "WHEN ord(v) <= 32 OR ord(v) IN (12288, 160, 65279) "
    "OR ord(v[-1]) <= 32 OR ord(v[-1]) IN (12288, 160) "
    f"THEN nullif(trim(v, {quote_literal(WHITESPACE)}), '') ELSE v END",
    # Division codes: 12 digits, or a 6-digit county code padded.
    "CREATE OR REPLACE TEMP MACRO mz_region(v) AS CASE "
    "WHEN regexp_full_match(v, '[0-9]{12}') THEN v "
    "WHEN regexp_full_match(v, '[0-9]{6}') THEN v || '000000' END",
]


# --- raw ----------------------------------------------------------------------------------------


def _clean(expr: str) -> str:
    """Trimmed of spaces (full-width ones too), NULL when empty. Trimming a set of characters
    is slow in DuckDB: only values starting or ending with one are trimmed."""
    return f"mz_clean({expr})"


def _csv_source(source: Source) -> tuple[str, list[str]]:
    """read_csv(...) of the source and its column names (c0.. by position; _row first when
    the row numbers are in the file)."""
    layout = source.layout
    names = [f"c{i}" for i in range(len(layout.headers))]
    if source.numbered:
        names = ["_row", *names]
    columns = ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names)
    quote = quote_literal(layout.quote) if not source.numbered else "'\"'"
    delimiter = quote_literal(layout.delimiter) if not source.numbered else "','"
    skip = 0 if source.numbered else layout.header_row
    reader = (
        f"read_csv({quote_literal(source.path)}, auto_detect = false, header = false, "
        f"skip = {skip}, delim = {delimiter}, quote = {quote}, escape = {quote}, "
        f"columns = {{{columns}}}, null_padding = true, strict_mode = false, "
        f"max_line_size = 10000000, encoding = 'utf-8')"
    )
    return reader, names


def needs_numbering(source: Source) -> bool:
    """A CSV whose rows are numbered by their order (row_number() OVER ()): DuckDB reads it in
    order but on one thread, so it is numbered into a work file first and checked from there
    in parallel. XLSX-made CSVs carry their numbers, Parquet has file_row_number."""
    return source.layout.format != PARQUET_FORMAT and not source.numbered


def source_sql(source: Source, mapping: dict[str, str], schema: DatasetSchema) -> str:
    """row_no and r_<column> (as read, uncleaned) for each mapped column."""
    layout = source.layout
    mapped = [c for c in schema.columns if mapping.get(c.name)]
    if layout.format == PARQUET_FORMAT:
        by_heading = dict(zip(layout.headers, layout.columns, strict=True))
        reader = f"read_parquet({quote_literal(source.path)}, file_row_number = true)"
        row_no = "file_row_number + 1"
        cells = {
            c.name: f"CAST({quote_ident(by_heading[mapping[c.name]])} AS VARCHAR)" for c in mapped
        }
    else:
        reader, _ = _csv_source(source)
        position = {h: i for i, h in enumerate(layout.headers)}
        cells = {c.name: quote_ident(f"c{position[mapping[c.name]]}") for c in mapped}
        # The CSV reader keeps the file's order (preserve_insertion_order), so the n-th record
        # after the headings is row header_row + n, as a spreadsheet numbers it.
        row_no = (
            "CAST(_row AS BIGINT)"
            if source.numbered
            else f"{layout.header_row} + row_number() OVER ()"
        )
    select = [f"{row_no} AS row_no"] + [f"{e} AS {raw_name(n)}" for n, e in cells.items()]
    return f"SELECT {', '.join(select)} FROM {reader}"


def raw_sql(relation: str, mapping: dict[str, str], schema: DatasetSchema) -> str:
    """Over source_sql's columns: each cell trimmed and NULL when empty; rows empty in every
    mapped column left out."""
    mapped = [c for c in schema.columns if mapping.get(c.name)]
    if not mapped:
        return f"SELECT row_no FROM {relation}"
    select = ", ".join(
        ["row_no"] + [f"{_clean(raw_name(c.name))} AS {raw_name(c.name)}" for c in mapped]
    )
    empty = " AND ".join(f"{raw_name(c.name)} IS NULL" for c in mapped)
    return f"SELECT * FROM (SELECT {select} FROM {relation}) WHERE NOT ({empty})"


def raw_columns(mapping: dict[str, str], schema: DatasetSchema) -> list[str]:
    return [raw_name(c.name) for c in schema.columns if mapping.get(c.name)]


# --- typed --------------------------------------------------------------------------------------


def _parse(column: Column, raw: str) -> str:
    return {
        ColumnType.ID_NUMBER: f"mz_id_clean({raw})",  # then mz_id_18, one layer up
        ColumnType.TEXT: raw,
        ColumnType.DATE: f"mz_date({raw})",
        ColumnType.MONTH: f"mz_month({raw})",
        ColumnType.DECIMAL: f"mz_decimal({raw})",
        ColumnType.INTEGER: f"mz_integer({raw})",
        ColumnType.REGION: f"mz_region({raw})",
        ColumnType.SEX: f"mz_sex({raw})",
    }[column.type]


def _in_range(column: Column, value: str) -> str:
    """A parsed value that is kept: dates within a plausible span."""
    if column.type in (ColumnType.DATE, ColumnType.MONTH):
        return (
            f"CASE WHEN {value} BETWEEN DATE '{MIN_YEAR}-01-01' AND DATE '{MAX_YEAR}-12-31' "
            f"THEN {value} END"
        )
    return value


def _error(column: Column, raw: str, value: str) -> str:
    """The reason code of a column's value, NULL when it can be used."""
    missing = "'required'" if column.required else "NULL"
    parts = [f"WHEN {raw} IS NULL THEN {missing}"]
    bad = BAD_VALUE.get(column.type)
    if bad:
        parts.append(f"WHEN {value} IS NULL THEN '{bad}'")
    if column.type in SIGNED:
        parts.append(f"WHEN {value} < 0 THEN 'negative'")
    return f"CASE {' '.join(parts)} END"


# DuckDB computes a repeated expression once only at the top of a projection, not inside AND
# or CASE: what the checks use more than once is computed a layer below them.


def id_valid_select(relation: str, value: str, today: datetime.date) -> str:
    """The relation with `id_birth` and `id_valid` for its ID number column `value`: 18
    characters, 17 digits and a check digit or X, the check digit right (ISO 7064 mod 11-2),
    the birth date real and neither before 1880 nor after today."""
    parts = f"SELECT *, mz_id_check({value}) AS id_check, mz_id_birth({value}) AS id_birth"
    valid = (
        f"coalesce(length({value}) = 18 AND regexp_full_match({value}, '[0-9]{{17}}[0-9X]') "
        f"AND id_check = {value}[18] "
        f"AND id_birth BETWEEN DATE '{MIN_BIRTH.isoformat()}' AND DATE '{today.isoformat()}', "
        "false) AS id_valid"
    )
    return f"SELECT *, {valid} FROM ({parts} FROM {relation})"


def typed_sql(
    relation: str, mapping: dict[str, str], schema: DatasetSchema, today: datetime.date
) -> str:
    """Over a relation of raw columns: v_<column> (parsed, NULL when unmapped, empty or
    unusable), e_<column> (reason code), id_valid, id_birth, has_error, and the raw columns."""
    mapped = [c for c in schema.columns if mapping.get(c.name)]
    parsed = [f"{_parse(c, raw_name(c.name))} AS {quote_ident('p_' + c.name)}" for c in mapped]
    query = f"SELECT *{''.join(', ' + p for p in parsed)} FROM {relation}"
    p_id = quote_ident("p_id_number")
    if mapping.get("id_number"):
        query = f"SELECT * REPLACE (mz_id_18({p_id}) AS {p_id}) FROM ({query})"
        query = id_valid_select(f"({query})", p_id, today)
    else:
        query = f"SELECT *, CAST(NULL AS DATE) AS id_birth, false AS id_valid FROM ({query})"
    values: list[str] = []
    errors: list[str] = []
    for column in mapped:
        p = _in_range(column, quote_ident("p_" + column.name))
        values.append(f"{p} AS {val_name(column.name)}")
        errors.append(f"{_error(column, raw_name(column.name), p)} AS {err_name(column.name)}")
    query = f"SELECT *{''.join(', ' + v for v in values + errors)} FROM ({query})"
    any_error = " OR ".join(f"{err_name(c.name)} IS NOT NULL" for c in mapped) or "false"
    return f"SELECT *, ({any_error}) AS has_error FROM ({query})"


# --- out ----------------------------------------------------------------------------------------


def out_columns(mapping: dict[str, str], schema: DatasetSchema) -> list[str]:
    """The canonical Parquet's columns, from the typed relation."""
    out: list[str] = []
    id_value = val_name("id_number") if mapping.get("id_number") else "CAST(NULL AS VARCHAR)"
    for column in schema.columns:
        kind = PARQUET_TYPES[column.type]
        value = val_name(column.name) if mapping.get(column.name) else "NULL"
        if column.name == "sex":
            derived = (
                f"CASE WHEN id_valid THEN CASE WHEN (ascii({id_value}[17]) - 48) % 2 = 1 "
                "THEN 'M' ELSE 'F' END END"
            )
            value = f"coalesce({value}, {derived})"
        elif column.name == "birth_date":
            value = f"coalesce({value}, CASE WHEN id_valid THEN id_birth END)"
        out.append(f"CAST({value} AS {kind}) AS {quote_ident(column.name)}")
    out.append(f"CAST(row_no AS BIGINT) AS {ROW_NO}")
    out.append(f"id_valid AS {ID_VALID}")
    return out
