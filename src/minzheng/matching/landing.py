"""Landing a run's hits (matching.services.runs): the hits files become flags, and the new
flags set going what their rules call for.

Hits -> flags, in DuckDB and one statement to the database: each hit is joined with its
evidence row by row_no (the rows the rule carried out of its own scan of the dataset when it
did - matching.apply on DuckDB - else the dataset's Parquet); the evidence as JSON, its key
(sha256 of rule, person and the evidence's content - not the row number or the delivery), the
summary from the rule's meaning (a division code as its name), the due date of the rule; then
PostgreSQL COPY into a temporary table and INSERT ... SELECT ... ON CONFLICT DO NOTHING (a
first run: COPY straight into the flags; SQLite: chunks of INSERTs, INSERT OR IGNORE), so that
a flag raised once (open, confirmed or dismissed) is never raised again; it records the run
that saw it last.

New flags -> suspensions and reviews, set-based: a death of the person a case supports stops
the payment from next month; SUSPEND and REVIEW flags open a data-matching review each."""

from __future__ import annotations

import datetime
import json
import logging
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone, translation

from minzheng.matching.engines.duckdb_engine import _quote, duckdb_connect
from minzheng.matching.models import FlagStatus, MatchFlag, MatchRun, RuleAction
from minzheng.matching.rules import RULES, Rule
from minzheng.matching.schemas import SCHEMAS, ColumnType
from minzheng.matching.services.rule_settings import rule_due_days, rule_settings
from minzheng.matching.snapshot import sole_support_programs
from minzheng.programs.deadlines import Deadline, first_of_next_month, working_deadline
from minzheng.programs.models import (
    PAYING_STATUSES,
    BenefitPeriod,
    Case,
    CaseMember,
    CaseStatus,
    Review,
    ReviewKind,
)
from minzheng.programs.policies import POLICIES, program_label
from minzheng.registry.models import Person

logger = logging.getLogger("minzheng.matching.services.runs")

REVIEWABLE_STATUSES = (*PAYING_STATUSES, CaseStatus.SUSPENDED)
SUSPEND_REASON = "信息比对:{summary}"
MISSING_VALUE = "—"
REGION_NAMES = "region_names"  # DuckDB table (code, name) of the codes a summary names
LANDING_CHUNK = 5000

FLAG_LANDING_COLUMNS = (
    ("rule", "varchar(40)"),
    ("action", "varchar(12)"),
    ("person_id", "bigint"),
    ("case_id", "bigint"),
    ("household_id", "bigint"),
    ("region_code", "varchar(12)"),
    ("program", "varchar(32)"),
    ("dataset_id", "bigint"),
    ("row_no", "bigint"),
    ("evidence_key", "varchar(64)"),
    ("evidence", "text"),
    ("summary", "varchar(300)"),
    ("match_weight", "numeric(7,2)"),
    ("due_on", "date"),
)


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _today() -> datetime.date:
    return timezone.localdate()


def parquet_source(path: Path) -> str:
    """read_parquet of a file, or of a directory of part files (Spark)."""
    source = Path(path)
    pattern = source / "*.parquet" if source.is_dir() else source
    return f"read_parquet({_quote(pattern)})"


# --- landing: hits -> flags ---------------------------------------------------------------------


def _deadlines(run: MatchRun) -> dict[str, Deadline]:
    """Each rule's due date for the flags landed today (computed once per rule)."""
    today = _today()
    return {
        code: working_deadline(today, rule_due_days(code, rule_settings(code, run.region_code)))
        for code in run.rules
        if code in RULES
    }


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _meaning(rule: Rule) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(rule.meaning)


def _program_label_sql(expr: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        whens = " ".join(
            f"WHEN {_sql_text(code)} THEN {_sql_text(program_label(code))}" for code in POLICIES
        )
    return f"CASE {expr} {whens} ELSE {expr} END"


def _field_sql(
    name: str, after: str, columns: dict[str, str], regions: frozenset[str] = frozenset()
) -> str:
    """How a placeholder of a rule's meaning reads: dates 2026年11月3日, amounts with 2
    places (an age in whole years), a division code as its name (REGION_NAMES; the code when
    the registry does not know it), text as it is; missing: —."""
    if name in regions and name in columns:
        code = f"CAST(d.{name} AS VARCHAR)"
        expr = f"COALESCE((SELECT r.name FROM {REGION_NAMES} r WHERE r.code = {code}), {code})"
    elif name == "figure":
        if after.startswith(("周岁", "岁")):
            expr = "CAST(CAST(trunc(h.figure) AS BIGINT) AS VARCHAR)"
        else:
            expr = "printf('%.2f', h.figure)"
    elif name == "match_weight":
        expr = "printf('%.2f', h.match_weight)"
    elif name in columns:
        kind = columns[name].upper()
        if kind == "DATE" or kind.startswith("TIMESTAMP"):
            expr = f"strftime(CAST(d.{name} AS DATE), '%Y年%-m月%-d日')"
        elif kind.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
            expr = f"printf('%.2f', d.{name})"
        else:
            expr = f"CAST(d.{name} AS VARCHAR)"
    elif name == "program":
        expr = _program_label_sql("h.program")
    else:
        return _sql_text(MISSING_VALUE)
    return f"COALESCE({expr}, {_sql_text(MISSING_VALUE)})"


def summary_sql(rule: Rule, columns: dict[str, str]) -> str:
    """The rule's meaning formatted with the hit's evidence, as a DuckDB expression over the
    hit `h` and its evidence row `d` (the format_map of the template, done set-based); its
    division codes read as names from the DuckDB table REGION_NAMES (region_names_load)."""
    parsed = list(string.Formatter().parse(_meaning(rule)))
    regions = frozenset(region_fields(rule))
    parts: list[str] = []
    for i, (literal, name, _, _) in enumerate(parsed):
        if literal:
            parts.append(_sql_text(literal))
        if name is not None:
            after = parsed[i + 1][0] if i + 1 < len(parsed) else ""
            parts.append(_field_sql(name, after, columns, regions))
    if not parts:
        return "''"
    return f"left(concat({', '.join(parts)}), 300)"


def region_fields(rule: Rule) -> list[str]:
    """The placeholders of the rule's meaning that are division codes of its dataset."""
    schema = SCHEMAS.get(rule.dataset_kind or "")
    if schema is None:
        return []
    named = {n for _, n, _, _ in string.Formatter().parse(_meaning(rule)) if n}
    return [c.name for c in schema.columns if c.type == ColumnType.REGION and c.name in named]


def _region_label(code: str, names: dict[str, str]) -> str | None:
    """A division as a clerk names it: its county, township and village or community
    (同心县豫海镇新区村); a province or city by its own name. None when nothing is known."""
    if len(code) != 12 or not code.isdigit():
        return names.get(code)
    if code[6:] == "000000":
        return names.get(code)
    chain = dict.fromkeys([code[:6] + "000000", code[:9] + "000", code])
    known = [names[c] for c in chain if c in names]
    return "".join(known) if known else None


def region_names_load(
    con: duckdb.DuckDBPyConnection, sources: list[tuple[Path, Path, list[str]]]
) -> None:
    """REGION_NAMES (code, name) in DuckDB for the division codes the hits' evidence names
    (sources: hits file, dataset file, region columns), looked up in the registry's regions
    in chunks: set-based, one query per LANDING_CHUNK codes."""
    from minzheng.core.models import Region

    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {REGION_NAMES} (code VARCHAR, name VARCHAR)")
    codes: set[str] = set()
    for hits_path, dataset, fields in sources:
        for field in fields:
            found = con.execute(
                f"SELECT DISTINCT CAST(d.{field} AS VARCHAR) FROM {parquet_source(hits_path)} h "
                f"JOIN {parquet_source(dataset)} d ON d.row_no = h.row_no "
                f"WHERE d.{field} IS NOT NULL"
            ).fetchall()
            codes.update(str(r[0]) for r in found)
    if not codes:
        return
    wanted = set(codes)
    for code in codes:
        if len(code) == 12 and code.isdigit():
            wanted.update((code[:6] + "000000", code[:9] + "000"))
    ordered = sorted(wanted)
    names: dict[str, str] = {}
    for start in range(0, len(ordered), LANDING_CHUNK):
        chunk = ordered[start : start + LANDING_CHUNK]
        names.update(Region.objects.filter(code__in=chunk).values_list("code", "name"))
    rows = [(code, label) for code in sorted(codes) if (label := _region_label(code, names))]
    if rows:
        con.executemany(f"INSERT INTO {REGION_NAMES} VALUES (?, ?)", rows)


def _dataset_columns(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    described = con.execute(f"DESCRIBE SELECT * FROM {parquet_source(path)}").fetchall()
    return {str(r[0]): str(r[1]) for r in described}


def _rule_select(
    con: duckdb.DuckDBPyConnection,
    run: MatchRun,
    rule: Rule,
    hits_path: Path,
    dataset: Path | None,
    deadline: Deadline,
) -> str:
    """The flag rows of one rule's hits (FLAG_LANDING_COLUMNS), evidence joined by row_no
    (`dataset`: the dataset's Parquet, or the evidence rows the rule carried out of it)."""
    if dataset is not None:
        columns = _dataset_columns(con, dataset)
        row = [c for c in columns if c != "row_no"]
        core = "struct_pack(" + ", ".join(f"{c} := d.{c}" for c in row) + ")"
        stored = (
            "struct_pack("
            + ", ".join([*(f"{c} := d.{c}" for c in row), "figure := h.figure"])
            + ", match_weight := round(h.match_weight, 2))"
        )
        source = (
            f"{parquet_source(hits_path)} h "
            f"LEFT JOIN {parquet_source(dataset)} d ON d.row_no = h.row_no"
        )
        dataset_id = run.datasets.get(rule.dataset_kind or "")
    else:
        columns = {}
        core = "struct_pack(case_id := h.case_id, program := h.program)"
        stored = "struct_pack(program := h.program, figure := h.figure)"
        source = f"{parquet_source(hits_path)} h"
        dataset_id = None
    weight = (
        "CASE WHEN abs(h.match_weight) < 99999 "
        "THEN CAST(round(h.match_weight, 2) AS DECIMAL(7,2)) END"
    )
    return (
        f"SELECT {_sql_text(rule.code)} AS rule, {_sql_text(str(rule.action))} AS action, "
        f"CAST(h.person_id AS BIGINT) AS person_id, CAST(h.case_id AS BIGINT) AS case_id, "
        f"CAST(h.household_id AS BIGINT) AS household_id, "
        f"COALESCE(CAST(h.region_code AS VARCHAR), '') AS region_code, "
        f"COALESCE(CAST(h.program AS VARCHAR), '') AS program, "
        f"CAST({dataset_id if dataset_id is not None else 'NULL'} AS BIGINT) AS dataset_id, "
        f"CAST(h.row_no AS BIGINT) AS row_no, "
        f"sha256(concat_ws('|', {_sql_text(rule.code)}, CAST(h.person_id AS VARCHAR), "
        f"CAST(to_json({core}) AS VARCHAR))) AS evidence_key, "
        f"CAST(to_json({stored}) AS VARCHAR) AS evidence, "
        f"{summary_sql(rule, columns)} AS summary, "
        f"{weight} AS match_weight, "
        f"DATE '{deadline.due_on.isoformat()}' AS due_on "
        f"FROM {source} WHERE h.person_id IS NOT NULL"
    )


def hits_land(
    run: MatchRun, results: list[Any], datasets: dict[str, Path], *, workdir: Path
) -> dict[str, dict[str, Any]]:
    """Insert the new flags of the hits (one statement), mark the flags seen again with this
    run, and return the counts per rule {hits, new, seconds, skipped}."""
    counts: dict[str, dict[str, Any]] = {}
    for r in results:
        counts[r.code] = {"hits": r.hits, "new": 0, "seconds": round(r.seconds, 2)}
        if r.skipped:
            counts[r.code]["skipped"] = r.skipped
    deadlines = _deadlines(run)
    landing = [r for r in results if r.hits_path is not None and r.hits > 0 and r.code in RULES]
    if not landing:
        return counts
    work = workdir
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb_connect(workdir=work)
    try:
        sources: list[tuple[Rule, Path, Path | None]] = []
        for result in landing:
            rule = RULES[result.code]
            dataset = datasets.get(rule.dataset_kind) if rule.dataset_kind else None
            carried = getattr(result, "evidence_path", None)
            if dataset is not None and carried is not None and Path(carried).exists():
                dataset = Path(carried)  # the same rows and columns, only the hits' ones
            sources.append((rule, Path(result.hits_path), dataset))
        region_names_load(
            con,
            [
                (hits, dataset, fields)
                for rule, hits, dataset in sources
                if dataset is not None and (fields := region_fields(rule))
            ],
        )
        selects = []
        for rule, hits, dataset in sources:
            deadline = deadlines.get(rule.code) or working_deadline(_today(), rule.default_due_days)
            selects.append(_rule_select(con, run, rule, hits, dataset, deadline))
        with _timed(run, "evidence"):
            con.execute(
                "CREATE TABLE landing AS SELECT * FROM (" + " UNION ALL ".join(selects) + ") "
                "QUALIFY row_number() OVER (PARTITION BY rule, person_id, evidence_key "
                "ORDER BY case_id NULLS LAST, row_no NULLS LAST) = 1"
            )
        with _timed(run, "database"):
            _to_database(con, run, work / "landing.csv")
    finally:
        con.close()
    new = MatchFlag.objects.filter(run=run).order_by().values_list("rule").annotate(n=Count("id"))
    for code, n in new:
        counts.setdefault(code, {"hits": 0, "new": 0, "seconds": 0})["new"] = n
    return counts


@contextmanager
def _timed(run: MatchRun, step: str) -> Iterator[None]:
    """How long a step of the landing took, in the log (matching.services.runs at DEBUG: a
    clerk's console, as `minzheng demo`'s, shows none of it)."""
    started = time.perf_counter()
    yield
    logger.debug("match run %s: %s %.2f s", run.number, step, time.perf_counter() - started)


# The flag columns a landing row does not carry, in the order _copy_flags writes them.
FLAG_CONSTANT_COLUMNS = (
    ("run_id", "bigint"),
    ("last_run_id", "bigint"),
    ("status", "varchar(10)"),
    ("outcome", "varchar(12)"),
    ("outcome_reason", "text"),
    ("created_at", "timestamp with time zone"),
)


def _landing_table_sql(name: str) -> str:
    if connection.vendor == "postgresql":
        columns = ", ".join(f"{c} {t}" for c, t in (*FLAG_LANDING_COLUMNS, *FLAG_CONSTANT_COLUMNS))
        return f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP"
    columns = ", ".join(f"{c} {t}" for c, t in FLAG_LANDING_COLUMNS)
    return f"CREATE TEMPORARY TABLE {name} ({columns})"


def _to_database(con: duckdb.DuckDBPyConnection, run: MatchRun, csv_path: Path) -> None:
    """landing (DuckDB) -> the new flags in the database; flags already raised get this run as
    their last. PostgreSQL: when no flag of these rules exists yet (a first run) the rows are
    COPYed straight into the flags, as no conflict is possible (should a concurrent run raise
    one meanwhile, the savepoint falls back to the general way); else COPY into a temporary
    table, then INSERT ... ON CONFLICT DO NOTHING and the UPDATE of last_run."""
    name = "matching_landing"
    if connection.vendor != "postgresql":
        landed = _landing_count(con)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(_landing_table_sql(name))
            names = [c for c, _ in FLAG_LANDING_COLUMNS]
            marks = ", ".join(["%s"] * len(names))
            insert = f"INSERT INTO {name} ({', '.join(names)}) VALUES ({marks})"
            with _timed(run, "database: landing rows"):
                for rows in _landing_chunks(con):
                    cursor.executemany(insert, rows)
            with _timed(run, "database: flags"):
                _insert_flags(cursor, run, name, landed)
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        return
    names = [c for c, _ in (*FLAG_LANDING_COLUMNS, *FLAG_CONSTANT_COLUMNS)]
    constants = ", ".join(
        [
            str(run.pk),
            str(run.pk),
            _sql_text(FlagStatus.OPEN.value),
            "''",
            "''",
            _sql_text(timezone.now().isoformat()),
        ]
    )
    con.execute(
        f"COPY (SELECT *, {constants} FROM landing) TO {_quote(csv_path)} "
        f"(FORMAT csv, HEADER false, NULLSTR '\\N')"
    )
    try:
        if _first_flags_of_rules(con) and _copy_flags(names, csv_path):
            return
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(_landing_table_sql(name))
            _copy_csv(cursor, name, names, csv_path)
            _insert_flags(cursor, run, name, _landing_count(con))
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    finally:
        csv_path.unlink(missing_ok=True)


def _copy_csv(cursor: Any, table: str, names: list[str], csv_path: Path) -> None:
    """The CSV file into `table`, streamed in blocks (psycopg COPY FROM STDIN)."""
    raw = cursor.cursor  # psycopg's cursor under Django's wrapper
    statement = f"COPY {table} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with raw.copy(statement) as copy, csv_path.open("rb") as source:
        while block := source.read(1 << 20):
            copy.write(block)


def _first_flags_of_rules(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether no flag of the landing's rules exists yet (a probe of the rule index each)."""
    rules = [str(r[0]) for r in con.execute("SELECT DISTINCT rule FROM landing").fetchall()]
    return not MatchFlag.objects.filter(rule__in=rules).exists()


def _copy_flags(names: list[str], csv_path: Path) -> bool:
    """COPY the landing straight into the flags, in a savepoint; False when a flag raised
    meanwhile by another run conflicts (nothing written then)."""
    import psycopg

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _copy_csv(cursor, _t(MatchFlag), names, csv_path)
    except (IntegrityError, psycopg.errors.UniqueViolation):
        return False
    return True


def _landing_chunks(con: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[Any, ...]]]:
    result = con.execute(
        "SELECT rule, action, person_id, case_id, household_id, region_code, program, "
        "dataset_id, row_no, evidence_key, evidence, summary, "
        "CAST(match_weight AS VARCHAR), CAST(due_on AS VARCHAR) FROM landing"
    )
    while rows := result.fetchmany(LANDING_CHUNK):
        yield rows


def _landing_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM landing").fetchall()[0][0])


def _insert_flags(cursor: Any, run: MatchRun, name: str, landed: int) -> None:
    """The landing table's (`landed` rows) new flags into the flags; the ones raised before
    get this run as their last (nothing to look for when every row was new: a first run)."""
    flag = _t(MatchFlag)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    evidence = "l.evidence::jsonb" if connection.vendor == "postgresql" else "l.evidence"
    columns = (
        "rule, action, run_id, last_run_id, person_id, case_id, household_id, region_code, "
        "program, dataset_id, row_no, evidence_key, evidence, summary, match_weight, status, "
        "due_on, review_id, outcome, outcome_reason, worked_by_id, worked_at, created_at"
    )
    select = (
        f"SELECT l.rule, l.action, %s, %s, l.person_id, l.case_id, l.household_id, "
        f"l.region_code, l.program, l.dataset_id, l.row_no, l.evidence_key, {evidence}, "
        f"l.summary, l.match_weight, %s, l.due_on, NULL, '', '', NULL, NULL, %s FROM {name} l"
    )
    params = [run.pk, run.pk, FlagStatus.OPEN.value, now]
    if connection.vendor == "postgresql":
        cursor.execute(
            f"INSERT INTO {flag} ({columns}) {select} "
            f"ON CONFLICT (rule, person_id, evidence_key) DO NOTHING",
            params,
        )
    else:
        cursor.execute(f"INSERT OR IGNORE INTO {flag} ({columns}) {select}", params)
    if cursor.rowcount == landed:
        return
    cursor.execute(
        f"UPDATE {flag} SET last_run_id = %s FROM {name} l WHERE {flag}.rule = l.rule "
        f"AND {flag}.person_id = l.person_id AND {flag}.evidence_key = l.evidence_key "
        f"AND {flag}.run_id <> %s",
        [run.pk, run.pk],
    )


# --- landing: flags -> reviews, suspensions ----------------------------------------------------


def flags_land(run: MatchRun) -> None:
    """What the NEW flags of the run set going, inside the landing transaction: SUSPEND rules
    (death, cremation) suspend the case from next month when the person is the one it
    supports (a member's death in a larger household is reviewed only); SUSPEND and REVIEW
    rules open a data-matching review each, due on the flag's date (bulk: one INSERT of the
    reviews and their audit events, not one transaction per flag); CANDIDATE flags keep their
    due date and wait in the 漏保 list."""
    with _timed(run, "suspensions"):
        suspended = _suspend_sole(run)
    with _timed(run, "reviews"):
        _open_reviews(run, suspended)


def _sole_flags_sql(lock: bool) -> str:
    """The run's new death flags whose person is the one the case supports (as
    programs.services.reviews._is_sole_member: the 特困 applicant, or no other living counted
    member), on a paying case; ordered by case."""
    flag, case, member = _t(MatchFlag), _t(Case), _t(CaseMember)
    person = _t(Person)
    paying = ", ".join(f"'{s}'" for s in PAYING_STATUSES)
    funeral = ", ".join(f"'{p}'" for p in sole_support_programs())
    return (
        f"SELECT f.id, f.case_id, f.summary, c.status, c.region_code, c.monthly_amount "
        f"FROM {flag} f JOIN {case} c ON c.id = f.case_id "
        f"WHERE f.run_id = %s AND f.action = %s AND f.review_id IS NULL "
        f"AND c.status IN ({paying}) "
        f"AND ((c.program IN ({funeral}) AND c.applicant_id = f.person_id) "
        f"OR NOT EXISTS (SELECT 1 FROM {member} o JOIN {person} op ON op.id = o.person_id "
        f"WHERE o.case_id = c.id AND o.counted AND op.death_date IS NULL "
        f"AND o.person_id <> f.person_id)) "
        f"ORDER BY f.case_id, f.id" + (" FOR UPDATE OF c" if lock else "")
    )


def _suspend_sole(run: MatchRun) -> dict[int, datetime.date]:
    """{flag id: month the payment stops} for the death flags whose case the run suspended.
    Set-based, as programs.services.reviews._suspend does it for one case: the case SUSPENDED
    (version + 1), nothing paid from next month (a zero benefit period then, later periods
    zeroed), and the case's events (case.benefit_change, case.suspend) - for thousands of
    deaths in a few statements."""
    from_month = first_of_next_month(_today())
    with connection.cursor() as cursor:
        cursor.execute(
            _sole_flags_sql(connection.vendor == "postgresql"),
            [run.pk, RuleAction.SUSPEND.value],
        )
        rows = cursor.fetchall()
    if not rows:
        return {}
    cases: dict[int, tuple[str, str, str, Any]] = {}
    for _pk, case_id, summary, status, region, amount in rows:
        cases.setdefault(case_id, (summary, status, region, amount))
    ids = list(cases)
    for start in range(0, len(ids), LANDING_CHUNK):
        _stop_payments(run, ids[start : start + LANDING_CHUNK], from_month)
    _suspension_events(run, cases, from_month)
    return {pk: from_month for pk, *_ in rows}


def _stop_payments(run: MatchRun, ids: list[int], from_month: datetime.date) -> None:
    case, period = _t(Case), _t(BenefitPeriod)
    marks = ", ".join(["%s"] * len(ids))
    paying = ", ".join(f"'{s}'" for s in PAYING_STATUSES)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    month = connection.ops.adapt_datefield_value(from_month)
    note = json.dumps({"run": run.number}, ensure_ascii=False)
    suspension = BenefitPeriod.Reason.SUSPENSION.value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {case} SET status = %s, version = version + 1, updated_at = %s "
            f"WHERE id IN ({marks}) AND status IN ({paying})",
            [CaseStatus.SUSPENDED.value, now, *ids],
        )
        cursor.execute(
            f"INSERT INTO {period} (case_id, valid_from, monthly_amount, reason, calculation, "
            f"created_at) SELECT id, %s, 0, %s, %s, %s FROM {case} WHERE id IN ({marks}) "
            f"ON CONFLICT (case_id, valid_from) DO UPDATE SET monthly_amount = 0, "
            f"reason = excluded.reason, calculation = excluded.calculation",
            [month, suspension, note, now, *ids],
        )
        cursor.execute(
            f"UPDATE {period} SET monthly_amount = 0, reason = %s, calculation = %s "
            f"WHERE case_id IN ({marks}) AND valid_from > %s AND monthly_amount > 0",
            [suspension, note, *ids, month],
        )


def _suspension_events(
    run: MatchRun, cases: dict[int, tuple[str, str, str, Any]], from_month: datetime.date
) -> None:
    from minzheng.core.models import AuditEvent
    from minzheng.registry.bulk import AUDIT_COLUMNS, write_rows

    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        changed = str(BenefitPeriod.Reason.SUSPENSION.label)
    month = from_month.isoformat()
    events = []
    for case_id, (summary, status, region, amount) in cases.items():
        system = (now, None, "system", "", "")
        before = str(Decimal(str(amount)).quantize(Decimal("0.01")))
        benefit = {"amount": [before, "0.00"], "from_month": month}
        suspend = {"status": [status, CaseStatus.SUSPENDED.value], "from_month": month}
        for action, changes, reason in (
            ("case.benefit_change", benefit, changed),
            ("case.suspend", suspend, SUSPEND_REASON.format(summary=summary)),
        ):
            events.append(
                (
                    *system,
                    action,
                    "case",
                    str(case_id),
                    region,
                    json.dumps(changes, ensure_ascii=False),
                    reason,
                )
            )
    write_rows(_t(AuditEvent), AUDIT_COLUMNS, events)


def _open_reviews(run: MatchRun, suspended: dict[int, datetime.date]) -> int:
    """One data-matching review per new SUSPEND/REVIEW flag of a case on the rolls, in SQL: a
    temporary map flag -> review id (PostgreSQL: the sequence; SQLite: after the highest id,
    under its write lock), then one INSERT of the reviews, one UPDATE of the flags and one
    INSERT of their events (review.create, as review_create writes it)."""
    from minzheng.core.models import AuditEvent

    name = "matching_review_map"
    flag, case, review = _t(MatchFlag), _t(Case), _t(Review)
    postgres = connection.vendor == "postgresql"
    if postgres:
        new_id = f"nextval(pg_get_serial_sequence('{Review._meta.db_table}', 'id'))"
    else:
        new_id = f"(SELECT COALESCE(MAX(id), 0) FROM {review}) + ROW_NUMBER() OVER (ORDER BY f.id)"
    reviewable = ", ".join(f"'{s}'" for s in REVIEWABLE_STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {name} AS SELECT f.id AS flag_id, {new_id} AS review_id, "
            f"f.case_id, c.region_code, f.rule, f.person_id, f.summary, f.due_on, f.evidence, "
            f"CAST(NULL AS DATE) AS suspended_from "
            f"FROM {flag} f JOIN {case} c ON c.id = f.case_id "
            f"WHERE f.run_id = %s AND f.action IN (%s, %s) AND f.review_id IS NULL "
            f"AND c.status IN ({reviewable})",
            [run.pk, RuleAction.SUSPEND.value, RuleAction.REVIEW.value],
        )
        cursor.execute(f"SELECT COUNT(*) FROM {name}")
        opened = int(cursor.fetchone()[0])
        if not opened:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            return 0
        _mark_suspended(cursor, name, suspended)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(
            f"INSERT INTO {review} (id, case_id, kind, reason, status, due_on, due_provisional, "
            f"evidence, findings, outcome, outcome_reason, new_amount, completed_by_id, "
            f"completed_at, created_at) SELECT m.review_id, m.case_id, %s, m.summary, %s, "
            f"m.due_on, {_provisional_sql(run)}, {_review_evidence_sql()}, '', '', '', NULL, "
            f"NULL, NULL, %s FROM {name} m",
            [ReviewKind.DATA_MATCHING.value, Review.Status.OPEN.value, run.number, now],
        )
        cursor.execute(
            f"UPDATE {flag} SET review_id = m.review_id FROM {name} m WHERE {flag}.id = m.flag_id"
        )
        changes = (
            "jsonb_build_object('review', m.review_id, 'kind', %s, 'due_on', "
            "to_char(m.due_on, 'YYYY-MM-DD'))"
            if postgres
            else "json_object('review', m.review_id, 'kind', %s, 'due_on', m.due_on)"
        )
        cursor.execute(
            f"INSERT INTO {_t(AuditEvent)} (at, actor_id, actor_username, actor_role, "
            f"actor_region_code, action, object_type, object_id, region_code, changes, reason) "
            f"SELECT %s, NULL, 'system', '', '', 'review.create', 'case', "
            f"CAST(m.case_id AS {'text' if postgres else 'TEXT'}), m.region_code, {changes}, "
            f"m.summary FROM {name} m",
            [now, ReviewKind.DATA_MATCHING.value],
        )
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return opened


def _mark_suspended(cursor: Any, name: str, suspended: dict[int, datetime.date]) -> None:
    by_month: dict[datetime.date, list[int]] = {}
    for pk, month in suspended.items():
        by_month.setdefault(month, []).append(pk)
    for month, pks in by_month.items():
        day = connection.ops.adapt_datefield_value(month)
        for start in range(0, len(pks), LANDING_CHUNK):
            chunk = pks[start : start + LANDING_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {name} SET suspended_from = %s WHERE flag_id IN ({marks})",
                [day, *chunk],
            )


def _provisional_sql(run: MatchRun) -> str:
    """Whether a flag's review deadline is provisional (the holidays of its year unknown)."""
    provisional = [code for code, d in _deadlines(run).items() if d.provisional]
    if not provisional:
        return "1 = 0"
    return "m.rule IN (" + ", ".join(_sql_text(c) for c in provisional) + ")"


def _review_evidence_sql() -> str:
    """The review's evidence: {flag, rule, run, person, evidence[, suspended_from]}."""
    if connection.vendor == "postgresql":
        return (
            "jsonb_build_object('flag', m.flag_id, 'rule', m.rule, 'run', %s, "
            "'person', m.person_id, 'evidence', m.evidence) || CASE WHEN m.suspended_from "
            "IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('suspended_from', "
            "to_char(m.suspended_from, 'YYYY-MM-DD')) END"
        )
    return (
        "json_patch(json_object('flag', m.flag_id, 'rule', m.rule, 'run', %s, "
        "'person', m.person_id, 'evidence', json(m.evidence)), CASE WHEN m.suspended_from "
        "IS NULL THEN '{}' ELSE json_object('suspended_from', m.suspended_from) END)"
    )
