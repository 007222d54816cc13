"""The run's view of the bureau's own rolls: the `beneficiaries` and `residents` tables of
matching.rules, written as Parquet files for a county as of a date.

Set-based and streamed: the rows leave the database as CSV (PostgreSQL: COPY (SELECT ...) TO
STDOUT; SQLite: a server-side cursor read in chunks) into a file that DuckDB reads, joins with
the standards and writes as Parquet. A million beneficiaries are never Python objects at once.
The standards are resolved once per distinct (program, village) with the case engine's lookup
(programs.services.standards.standards_for), not per row."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.db import connection

from minzheng.core.regions import code_prefix
from minzheng.matching.engines.duckdb_engine import _quote, duckdb_connect
from minzheng.programs.models import Case, CaseMember, CaseStatus
from minzheng.programs.policies import POLICIES
from minzheng.programs.services.standards import standards_for
from minzheng.registry.models import (
    Declaration,
    Household,
    IncomeItem,
    IncomeKind,
    Membership,
    Person,
)

# The cases whose members are matched: paying, and suspended (a suspension pending a review
# may hide a death or an income found meanwhile).
ROLL_STATUSES = (CaseStatus.ACTIVE, CaseStatus.EXIT_GRACE, CaseStatus.SUSPENDED)
# The person's declared monthly income the salary and pension rules compare with.
WAGE_KINDS = (IncomeKind.WAGES,)
PENSION_KINDS = (IncomeKind.TRANSFERS,)  # pensions are counted as transfer income (§2.3)
# Standards per case: (column, the parameters that give it, in order of preference).
STANDARD_COLUMNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # 特困 has no 低保标准 of its own: its income line is the local 低保 standard.
    ("monthly_standard", ("monthly_standard", "dibao_standard"), "DECIMAL(14,2)"),
    ("max_vehicles", ("max_vehicles",), "INTEGER"),
    ("vehicle_exempt_value", ("vehicle_exempt_value",), "DECIMAL(14,2)"),
    ("max_houses", ("max_houses",), "INTEGER"),
    ("max_businesses", ("max_businesses",), "INTEGER"),
)
BENEFICIARY_COLUMNS = (
    "case_id",
    "case_number",
    "program",
    "case_status",
    "household_id",
    "region_code",
    "person_id",
    "id_number",
    "name",
    "name_pinyin",
    "sex",
    "birth_date",
    "counted",
    "is_sole",
    "counted_members",
    "per_capita_income",
    "monthly_amount",
    *(name for name, _, _ in STANDARD_COLUMNS),
    "declared_wages",
    "declared_pension",
)
RESIDENT_COLUMNS = (
    "person_id",
    "id_number",
    "name",
    "name_pinyin",
    "sex",
    "birth_date",
    "region_code",
    "household_id",
)
# How the database's rows are read from the CSV (money read wide, then rounded to fen).
_RAW_BENEFICIARY_TYPES = {
    "case_id": "BIGINT",
    "case_number": "VARCHAR",
    "program": "VARCHAR",
    "case_status": "VARCHAR",
    "household_id": "BIGINT",
    "region_code": "VARCHAR",
    "person_id": "BIGINT",
    "id_number": "VARCHAR",
    "name": "VARCHAR",
    "name_pinyin": "VARCHAR",
    "sex": "VARCHAR",
    "birth_date": "DATE",
    "counted": "INTEGER",
    "is_applicant": "INTEGER",
    "counted_members": "INTEGER",
    "per_capita_income": "DECIMAL(38,10)",
    "monthly_amount": "DECIMAL(38,10)",
    "declared_wages": "DECIMAL(38,10)",
    "declared_pension": "DECIMAL(38,10)",
}
_RESIDENT_TYPES = {
    "person_id": "BIGINT",
    "id_number": "VARCHAR",
    "name": "VARCHAR",
    "name_pinyin": "VARCHAR",
    "sex": "VARCHAR",
    "birth_date": "DATE",
    "region_code": "VARCHAR",
    "household_id": "BIGINT",
}
MONEY_COLUMNS = ("per_capita_income", "monthly_amount", "declared_wages", "declared_pension")
NULL = r"\N"
CHUNK_ROWS = 20000

Progress = Callable[[str, int], None]  # (table, rows written)


@dataclass(frozen=True)
class Snapshot:
    beneficiaries: Path
    residents: Path
    beneficiary_count: int
    resident_count: int


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _date(value: datetime.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def sole_support_programs() -> tuple[str, ...]:
    """Programs that support one person (the applicant) whatever the household: 特困."""
    return tuple(
        code for code, p in POLICIES.items() if code == "tekun" or "funeral_grant" in p.parameters
    ) or ("tekun",)


def beneficiaries_sql() -> str:
    """One row per living member of every case on the rolls (params: see _beneficiary_params),
    with `is_applicant` for DuckDB to work out is_sole (no sorts or aggregates over the rolls
    here: hash joins only, streamed out as they come). The declared income is the person's
    items in the household's newest declaration on the day."""
    case, member, person = _t(Case), _t(CaseMember), _t(Person)
    declaration, income, household = _t(Declaration), _t(IncomeItem), _t(Household)
    wages, pension = _in(tuple(WAGE_KINDS)), _in(tuple(PENSION_KINDS))
    statuses = _in(tuple(s.value for s in ROLL_STATUSES))
    return (
        f"WITH ranked AS (SELECT d.id, d.household_id, ROW_NUMBER() OVER ("
        f"PARTITION BY d.household_id ORDER BY d.declared_on DESC, d.id DESC) AS rn "
        f"FROM {declaration} d JOIN {household} h ON h.id = d.household_id "
        f"WHERE d.declared_on <= %s AND h.region_code LIKE %s), "
        f"incomes AS (SELECT r.household_id, i.person_id, "
        f"SUM(CASE WHEN i.kind IN ({wages}) THEN i.monthly_amount ELSE 0 END) AS wages, "
        f"SUM(CASE WHEN i.kind IN ({pension}) THEN i.monthly_amount ELSE 0 END) AS pension "
        f"FROM {income} i JOIN ranked r ON r.id = i.declaration_id AND r.rn = 1 "
        f"GROUP BY r.household_id, i.person_id) "
        f"SELECT c.id, c.number, c.program, c.status, c.household_id, c.region_code, "
        f"p.id, p.id_number, p.name, p.name_pinyin, p.sex, p.birth_date, "
        f"CASE WHEN cm.counted THEN 1 ELSE 0 END, "
        f"CASE WHEN c.applicant_id = p.id THEN 1 ELSE 0 END, "
        f"c.counted_members, c.per_capita_income, c.monthly_amount, "
        f"COALESCE(inc.wages, 0), COALESCE(inc.pension, 0) "
        f"FROM {case} c JOIN {member} cm ON cm.case_id = c.id "
        f"JOIN {person} p ON p.id = cm.person_id "
        f"LEFT JOIN incomes inc ON inc.household_id = c.household_id AND inc.person_id = p.id "
        f"WHERE c.region_code LIKE %s AND c.status IN ({statuses}) "
        f"AND (p.death_date IS NULL OR p.death_date > %s)"
    )


def _beneficiary_params(prefix: str, as_of: datetime.date) -> list[Any]:
    day = _date(as_of)
    return [day, prefix, prefix, day]


def residents_sql() -> str:
    """Every living person whose household (else hukou) lies in the region."""
    person, membership, household = _t(Person), _t(Membership), _t(Household)
    return (
        f"SELECT p.id, p.id_number, p.name, p.name_pinyin, p.sex, p.birth_date, "
        f"COALESCE(h.region_code, p.region_code), h.id "
        f"FROM {person} p LEFT JOIN {membership} m ON m.person_id = p.id AND m.valid_to IS NULL "
        f"LEFT JOIN {household} h ON h.id = m.household_id "
        f"WHERE (p.death_date IS NULL OR p.death_date > %s) "
        f"AND (h.region_code LIKE %s OR (h.id IS NULL AND p.region_code LIKE %s))"
    )


def _residents_params(prefix: str, as_of: datetime.date) -> list[Any]:
    return [_date(as_of), prefix, prefix]


def _is_sole_sql() -> str:
    """As programs.services.reviews._is_sole_member: the applicant of a program that supports
    one person (特困), or the case's only living counted member (the rows are the living)."""
    return (
        f"(r.program IN ({_in(sole_support_programs())}) AND r.is_applicant = 1) "
        f"OR (r.counted = 1 AND sum(r.counted) OVER (PARTITION BY r.case_id) = 1)"
    )


# --- from the database to CSV ------------------------------------------------------------------


def _export_csv(sql: str, params: list[Any], path: Path) -> None:
    """The query's rows as CSV (NULL written \\N, empty text empty), streamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.cursor() as cursor, path.open("wb") as out:
            raw = cursor.cursor  # psycopg's cursor under Django's wrapper
            statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, NULL %s)"
            with raw.copy(statement, [*params, NULL]) as copy:
                for block in copy:
                    out.write(block)
        return
    with connection.chunked_cursor() as cursor, path.open("w", newline="") as out:
        writer = csv.writer(out)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            writer.writerows([NULL if v is None else v for v in row] for row in rows)


def _read_csv(path: Path, types: dict[str, str]) -> str:
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"
    return (
        f"read_csv({_quote(path)}, header = false, nullstr = '\\N', quote = '\"', "
        f"escape = '\"', columns = {columns})"
    )


# --- standards -------------------------------------------------------------------------------


def _standard_rows(prefix: str, as_of: datetime.date) -> pa.Table:
    """The standards of each (program, village) with a case on the rolls, resolved once each."""
    pairs = (
        Case.objects.filter(region_code__startswith=prefix, status__in=ROLL_STATUSES)
        .order_by()
        .values_list("program", "region_code")
        .distinct()
    )
    rows: dict[str, list[Any]] = {"program": [], "region_code": []}
    for name, _, _ in STANDARD_COLUMNS:
        rows[name] = []
    for program, region_code in pairs:
        values = standards_for(program=program, region_code=region_code, day=as_of).values
        rows["program"].append(program)
        rows["region_code"].append(region_code)
        for name, parameters, _ in STANDARD_COLUMNS:
            value = next((values[p] for p in parameters if p in values), None)
            rows[name].append(str(Decimal(value)) if value is not None else None)
    schema = pa.schema([(name, pa.string()) for name in rows])
    return pa.Table.from_pydict(rows, schema=schema)


# --- the two tables ----------------------------------------------------------------------------


def beneficiaries_write(*, region_code: str, as_of: datetime.date, path: Path) -> int:
    """Write the `beneficiaries` Parquet of the region's rolls on `as_of`; the row count."""
    prefix = code_prefix(region_code)
    raw = path.with_suffix(".csv")
    _export_csv(beneficiaries_sql(), _beneficiary_params(prefix + "%", as_of), raw)
    standards = _standard_rows(prefix, as_of)
    con = duckdb_connect(workdir=path.parent)
    try:
        con.register("standards", standards)
        money = "CAST({} AS DECIMAL(14,2))"
        picks = []
        for name in BENEFICIARY_COLUMNS:
            if name == "counted":
                # A 特困 case supports its applicant alone, whoever else lives in the household
                # (the case engine lists every member on the case).
                picks.append(
                    f"CASE WHEN r.program IN ({_in(sole_support_programs())}) "
                    f"THEN r.is_applicant = 1 ELSE r.counted = 1 END AS counted"
                )
            elif name == "is_sole":
                picks.append(f"{_is_sole_sql()} AS is_sole")
            elif (
                name in ("per_capita_income", "monthly_amount", "declared_wages")
                or name == "declared_pension"
            ):
                picks.append(f"{money.format('r.' + name)} AS {name}")
            elif name in {s for s, _, _ in STANDARD_COLUMNS}:
                kind = next(t for s, _, t in STANDARD_COLUMNS if s == name)
                picks.append(f"CAST(CAST(s.{name} AS DECIMAL(18,4)) AS {kind}) AS {name}")
            elif name in ("name_pinyin", "case_number"):
                picks.append(f"COALESCE(r.{name}, '') AS {name}")
            else:
                picks.append(f"r.{name}")
        query = (
            f"SELECT {', '.join(picks)} FROM {_read_csv(raw, _RAW_BENEFICIARY_TYPES)} r "
            f"LEFT JOIN standards s ON s.program = r.program AND s.region_code = r.region_code"
        )
        con.execute(f"COPY ({query}) TO {_quote(path)} (FORMAT parquet)")
        count = con.execute(f"SELECT count(*) FROM read_parquet({_quote(path)})").fetchall()
    finally:
        con.close()
        raw.unlink(missing_ok=True)
    return int(count[0][0])


def residents_write(*, region_code: str, as_of: datetime.date, path: Path) -> int:
    """Write the `residents` Parquet: every living person of the region's registry."""
    prefix = code_prefix(region_code) + "%"
    raw = path.with_suffix(".csv")
    _export_csv(residents_sql(), _residents_params(prefix, as_of), raw)
    con = duckdb_connect(workdir=path.parent)
    try:
        query = (
            f"SELECT person_id, id_number, name, COALESCE(name_pinyin, '') AS name_pinyin, "
            f"sex, birth_date, region_code, household_id "
            f"FROM {_read_csv(raw, _RESIDENT_TYPES)}"
        )
        con.execute(f"COPY ({query}) TO {_quote(path)} (FORMAT parquet)")
        count = con.execute(f"SELECT count(*) FROM read_parquet({_quote(path)})").fetchall()
    finally:
        con.close()
        raw.unlink(missing_ok=True)
    return int(count[0][0])


def snapshot_write(
    *,
    region_code: str,
    as_of: datetime.date,
    out_dir: Path,
    progress: Progress | None = None,
) -> Snapshot:
    """Both tables of the region on `as_of` in `out_dir` (beneficiaries.parquet,
    residents.parquet)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    beneficiaries = out_dir / "beneficiaries.parquet"
    residents = out_dir / "residents.parquet"
    n_beneficiaries = beneficiaries_write(region_code=region_code, as_of=as_of, path=beneficiaries)
    if progress:
        progress("beneficiaries", n_beneficiaries)
    n_residents = residents_write(region_code=region_code, as_of=as_of, path=residents)
    if progress:
        progress("residents", n_residents)
    return Snapshot(beneficiaries, residents, n_beneficiaries, n_residents)
