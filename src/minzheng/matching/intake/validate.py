"""Validating a delivered file and writing its canonical Parquet, streamed through DuckDB.

Stages (each a streaming scan; a transcoded or XLSX-made CSV is written first):
  0. number  a CSV's rows numbered in file order into a work file (DuckDB numbers rows in
             order on one thread only: everything after runs in parallel)
  1. read    the one pass checking every row: each row parsed and checked, into a work
             Parquet file (canonical columns, reason codes, the hash of the raw row)
  2. counts  one aggregate over the work file: rows, errors, invalid ID numbers, the count of
             each reason per column, and the first problem rows (top-N aggregates)
  3. repeats the hashes grouped (HAVING count > 1), then the rows carrying a repeated hash
             compared column by column: a row identical to an earlier one is dropped
  4. write   no errors: COPY of the canonical columns, without the repeated rows, to a temp
             file renamed to `target` (a reader never sees half a file)
Python holds the head of the file, the counts and at most SAMPLE_LIMIT sample rows."""

from __future__ import annotations

import datetime
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from minzheng.matching.engines.duckdb_engine import duckdb_connect
from minzheng.matching.intake import messages as M
from minzheng.matching.intake import sql as S
from minzheng.matching.intake.files import (
    CSV_FORMAT,
    PARQUET_FORMAT,
    XLSX_FORMAT,
    FileLayout,
    IntakeError,
    Source,
    prepare_source,
)
from minzheng.matching.intake.mapping import mapping_errors
from minzheng.matching.schemas import ID_VALID, ROW_NO, Column, DatasetSchema

Progress = Callable[[float, str], None]  # (fraction of the import done, stage in Chinese)

SAMPLE_LIMIT = 1000
POLL_SECONDS = 0.5

STAGE_XLSX = "正在读取Excel表格"
STAGE_TRANSCODE = "正在转换字符编码"
STAGE_NUMBER = "正在读取数据"
STAGE_READ = "正在校验数据"
STAGE_COUNT = "正在统计校验结果"
STAGE_REPEATS = "正在查找重复行"
STAGE_WRITE = "正在写入数据文件"
STAGE_DONE = "校验完成"

# Relative cost of the stages, for one progress bar.
WEIGHTS = {
    STAGE_XLSX: 4.0,
    STAGE_TRANSCODE: 1.0,
    STAGE_NUMBER: 1.5,
    STAGE_READ: 3.0,
    STAGE_COUNT: 0.5,
    STAGE_REPEATS: 0.5,
    STAGE_WRITE: 1.0,
}


@dataclass
class IntakeResult:
    total_rows: int = 0
    error_rows: int = 0
    invalid_id_rows: int = 0
    duplicate_rows: int = 0
    valid_rows: int = 0
    report: dict[str, Any] = field(default_factory=dict)
    written: bool = False  # the canonical Parquet is at the target path

    @property
    def refused(self) -> bool:
        return self.error_rows > 0


class _Bar:
    """Maps each stage's own fraction onto the whole import."""

    def __init__(self, stages: list[str], progress: Progress | None) -> None:
        self.total = sum(WEIGHTS[s] for s in stages) or 1.0
        self.done = 0.0
        self.stage = ""
        self.progress = progress

    def start(self, stage: str) -> None:
        if self.stage:
            self.done += WEIGHTS[self.stage]
        self.stage = stage
        self.report(0.0)

    def report(self, fraction: float) -> None:
        if self.progress:
            share = WEIGHTS[self.stage] * min(max(fraction, 0.0), 1.0)
            self.progress(min((self.done + share) / self.total, 1.0), self.stage)

    def units(self, done: int, total: int) -> None:
        self.report(done / total if total else 0.0)

    def finish(self) -> None:
        if self.progress:
            self.progress(1.0, STAGE_DONE)


def _run(con: duckdb.DuckDBPyConnection, query: str, bar: _Bar | None = None) -> list[Any]:
    """Run one statement; while it runs, report DuckDB's own progress of it."""
    if bar is None or bar.progress is None:
        return con.execute(query).fetchall()
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(lambda: con.execute(query).fetchall())
        try:
            while True:
                try:
                    return future.result(timeout=POLL_SECONDS)
                except FutureTimeout:
                    percent = con.query_progress()
                    if percent >= 0:
                        bar.report(percent / 100)
        except BaseException:
            con.interrupt()
            raise


_LINE = re.compile(r"[Ll]ine:?\s*(\d+)")


def _read_error(error: duckdb.Error, layout: FileLayout) -> IntakeError:
    """A Chinese message for DuckDB failing to read the file (a broken quote, bytes that are
    not UTF-8 after a UTF-8 head, a corrupt Parquet footer)."""
    if layout.format == PARQUET_FORMAT:
        return IntakeError(M.FILE_PARQUET_UNREADABLE.format(error=error))
    match = _LINE.search(str(error)) if layout.format == CSV_FORMAT else None
    where = M.FILE_CSV_LINE.format(line=match.group(1)) if match else ""
    return IntakeError(M.FILE_CSV_UNREADABLE.format(where=where))


def _connect(workdir: Path, memory_limit: str | None, threads: int | None) -> Any:
    con = duckdb_connect(workdir=workdir, memory_limit=memory_limit, threads=threads)
    # File order is the row numbering; the progress is polled, not printed.
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    con.execute("SET progress_bar_time = 0")
    for macro in S.MACROS:
        con.execute(macro)
    return con


class _Check:
    """One validation: the connection, the relations and what is found."""

    def __init__(
        self,
        con: Any,
        source: Source,
        schema: DatasetSchema,
        mapping: dict[str, str],
        today: datetime.date,
        bar: _Bar,
        workdir: Path,
    ) -> None:
        self.con = con
        self.schema = schema
        self.mapping = {k: v for k, v in mapping.items() if v}
        self.mapped = [c for c in schema.columns if self.mapping.get(c.name)]
        self.today = today
        self.bar = bar
        self.work = workdir / "checked.parquet"
        self.repeated = False
        self.error_sample: list[dict[str, Any]] = []
        self.id_sample: list[dict[str, Any]] = []
        self.source = source
        self.relation = f"({S.source_sql(source, self.mapping, schema)})"
        if S.needs_numbering(source):
            self.relation = f"read_parquet({S.quote_literal(workdir / 'numbered.parquet')})"

    # 0. number: a CSV's rows numbered in file order (one thread), into a work file

    def number(self) -> None:
        query = S.source_sql(self.source, self.mapping, self.schema)
        _run(
            self.con,
            f"COPY ({query}) TO {S.quote_literal(self.work.with_name('numbered.parquet'))} "
            "(FORMAT parquet, COMPRESSION zstd)",
            self.bar,
        )

    # 1. read: the one pass checking every row

    def read(self) -> None:
        """Every row parsed and checked once, into a work file: the canonical columns, the
        reason codes, the raw value of a cell that has one, the hash of the raw row."""
        raw = S.raw_sql(self.relation, self.mapping, self.schema)
        self.con.execute(f"CREATE TEMP VIEW raw AS {raw}")
        typed = S.typed_sql("raw", self.mapping, self.schema, self.today)
        self.con.execute(f"CREATE TEMP VIEW typed AS {typed}")
        raws = S.raw_columns(self.mapping, self.schema)
        extra = ["has_error", f"hash({', '.join(raws)}) AS row_hash" if raws else "0 AS row_hash"]
        for column in self.mapped:
            e, r = S.err_name(column.name), S.raw_name(column.name)
            extra += [e, f"CASE WHEN {e} IS NOT NULL THEN {r} END AS {r}"]
        columns = ", ".join(S.out_columns(self.mapping, self.schema) + extra)
        _run(
            self.con,
            f"COPY (SELECT {columns} FROM typed) TO {S.quote_literal(self.work)} "
            "(FORMAT parquet, COMPRESSION lz4)",
            self.bar,
        )
        self.con.execute(
            f"CREATE TEMP VIEW checked AS SELECT * FROM read_parquet({S.quote_literal(self.work)})"
        )

    # 2. counts

    def counts(self) -> dict[str, Any]:
        """Counts per reason and the first problem rows (top-N aggregates, same pass)."""
        items = ["count(*) AS total", "count_if(has_error) AS error_rows"]
        if "id_number" in self.mapping:
            items += [
                "count_if(NOT id_valid AND id_number IS NOT NULL) AS id_invalid",
                "count_if(id_number IS NULL) AS id_missing",
                f"min_by({{'row_no': row_no, 'value': id_number}}, row_no, {SAMPLE_LIMIT}) "
                "FILTER (WHERE NOT id_valid) AS id_sample",
            ]
        for column in self.mapped:
            for code in _codes(column):
                items.append(
                    f"count_if({S.err_name(column.name)} = '{code}') AS \"{column.name}:{code}\""
                )
        if self.mapped:
            fields = ", ".join(
                f"'{c.name}': [{S.raw_name(c.name)}, {S.err_name(c.name)}]" for c in self.mapped
            )
            items.append(
                f"min_by({{'row_no': row_no, {fields}}}, row_no, {SAMPLE_LIMIT}) "
                "FILTER (WHERE has_error) AS error_sample"
            )
        row = _run(self.con, f"SELECT {', '.join(items)} FROM checked", self.bar)[0]
        names = [i.rsplit(" AS ", 1)[1].strip('"') for i in items]
        found = dict(zip(names, row, strict=True))
        self.error_sample = found.pop("error_sample", None) or []
        self.id_sample = found.pop("id_sample", None) or []
        return {n: int(v or 0) for n, v in found.items()}

    # 3. repeats

    def repeats(self) -> tuple[int, int]:
        """Rows identical to an earlier one in every mapped column: (how many, how many of them
        have errors). Leaves them in the temp table `repeats`. The raw rows' hashes find the
        candidates; their values (canonical, and raw where a cell is wrong) confirm them."""
        _run(
            self.con,
            "CREATE TEMP TABLE repeated_keys AS SELECT row_hash FROM checked "
            "GROUP BY row_hash HAVING count(*) > 1",
            self.bar,
        )
        self.repeated = bool(
            self.con.execute("SELECT count(*) FROM repeated_keys").fetchall()[0][0]
        )
        if not self.repeated:
            return 0, 0
        same = ", ".join(
            ["row_hash", *(S.quote_ident(n) for n in self.schema.names)]
            + [f"{S.err_name(c.name)}, {S.raw_name(c.name)}" for c in self.mapped]
        )
        self.con.execute(
            "CREATE TEMP TABLE repeats AS SELECT * FROM ("
            f"SELECT row_no, min(row_no) OVER (PARTITION BY {same}) AS first_row, has_error, "
            "name, id_number FROM checked "
            "WHERE row_hash IN (SELECT row_hash FROM repeated_keys)"
            ") WHERE row_no > first_row"
        )
        count, with_errors = self.con.execute(
            "SELECT count(*), count_if(has_error) FROM repeats"
        ).fetchall()[0]
        return int(count), int(with_errors)

    # samples

    def error_samples(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in self.error_sample:
            for column in self.mapped:
                value, code = row[column.name]
                if code:
                    label = str(column.label)
                    out.append(_sample(int(row["row_no"]), code, label, column.name, value))
        return out[:SAMPLE_LIMIT]

    def id_samples(self, limit: int) -> list[dict[str, Any]]:
        if limit <= 0 or "id_number" not in self.mapping:
            return []
        label = str(self.schema.column("id_number").label)
        return [
            _sample(
                int(r["row_no"]),
                "id_invalid" if r["value"] else "id_missing",
                label,
                "id_number",
                r["value"],
            )
            for r in self.id_sample[:limit]
        ]

    def repeat_samples(self, limit: int) -> list[dict[str, Any]]:
        if limit <= 0 or not self.repeated:
            return []
        rows = self.con.execute(
            f"SELECT row_no, first_row, name, id_number FROM repeats ORDER BY row_no LIMIT {limit}"
        ).fetchall()
        return [
            _sample(
                int(r[0]),
                "duplicate",
                M.WHOLE_ROW,
                "",
                " ".join(str(v) for v in r[2:] if v),
                first=int(r[1]),
            )
            for r in rows
        ]

    # 4. write

    def write(self, target: Path, repeated: int) -> None:
        columns = ", ".join(S.quote_ident(n) for n in [*self.schema.names, ROW_NO, ID_VALID])
        where = " WHERE row_no NOT IN (SELECT row_no FROM repeats)" if repeated else ""
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            _run(
                self.con,
                f"COPY (SELECT {columns} FROM checked{where}) TO {S.quote_literal(temp)} "
                "(FORMAT parquet, COMPRESSION zstd)",
                self.bar,
            )
            temp.replace(target)
        finally:
            temp.unlink(missing_ok=True)


def _codes(column: Column) -> list[str]:
    codes = ["required"] if column.required else []
    if column.type in S.BAD_VALUE:
        codes.append(S.BAD_VALUE[column.type])
    if column.type in S.SIGNED:
        codes.append("negative")
    return codes


def _sample(
    row_no: int, code: str, column: str, field_name: str, value: Any, first: int = 0
) -> dict[str, Any]:
    reason = M.REASONS[code]
    text = "" if value is None else str(value)
    return {
        "row_no": row_no,
        "column": column,
        "field": field_name,
        "value": text,
        "code": code,
        "reason": reason.label,
        "error": reason.error,
        "message": M.message(code, row=row_no, column=column, value=text, first=first),
        **({"first_row": first} if first else {}),
    }


def _reasons(
    counts: dict[str, int], schema: DatasetSchema, repeated: int
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per reason and column: [{code, reason, error, field, column, count}], and per code."""
    lines: list[dict[str, Any]] = []
    totals: dict[str, int] = {}

    def add(code: str, field_name: str, label: str, count: int) -> None:
        if not count:
            return
        reason = M.REASONS[code]
        lines.append(
            {
                "code": code,
                "reason": reason.label,
                "error": reason.error,
                "field": field_name,
                "column": label,
                "count": count,
            }
        )
        totals[code] = totals.get(code, 0) + count

    for key, count in counts.items():
        if ":" in key:
            name, code = key.split(":", 1)
            add(code, name, str(schema.column(name).label), count)
    id_label = str(schema.column("id_number").label)
    add("id_invalid", "id_number", id_label, counts.get("id_invalid", 0))
    add("id_missing", "id_number", id_label, counts.get("id_missing", 0))
    add("duplicate", "", M.WHOLE_ROW, repeated)
    lines.sort(key=lambda line: (not line["error"], -line["count"]))
    return lines, totals


def validate_file(
    *,
    path: Path,
    layout: FileLayout,
    schema: DatasetSchema,
    mapping: dict[str, str],
    target: Path,
    workdir: Path,
    today: datetime.date,
    progress: Progress | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> IntakeResult:
    """Check every row of the file under `mapping` and, when no row has an error, write the
    canonical Parquet to `target`. IntakeError when the file cannot be read at all."""
    problems = mapping_errors(schema, layout.headers, {k: v for k, v in mapping.items() if v})
    if problems:
        raise IntakeError(";".join(problems))
    started = time.monotonic()
    stages = [STAGE_READ, STAGE_COUNT, STAGE_REPEATS, STAGE_WRITE]
    if layout.format == XLSX_FORMAT:
        stages.insert(0, STAGE_XLSX)
    elif layout.format == CSV_FORMAT:
        stages.insert(0, STAGE_NUMBER)
        if layout.encoding not in ("utf-8", "utf-8-sig"):
            stages.insert(0, STAGE_TRANSCODE)
    bar = _Bar(stages, progress)
    workdir.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    if stages[0] in (STAGE_XLSX, STAGE_TRANSCODE):
        bar.start(stages[0])
    source = prepare_source(path, layout, workdir, bar.units)
    con = _connect(workdir, memory_limit, threads)
    try:
        check = _Check(con, source, schema, mapping, today, bar, workdir)
        return _validate(check, source, target, bar, started)
    except duckdb.Error as e:
        raise _read_error(e, layout) from e
    finally:
        con.close()


def _validate(
    check: _Check, source: Source, target: Path, bar: _Bar, started: float
) -> IntakeResult:
    schema = check.schema
    if S.needs_numbering(source):
        bar.start(STAGE_NUMBER)
        check.number()
    bar.start(STAGE_READ)
    check.read()
    bar.start(STAGE_COUNT)
    counts = check.counts()
    total = counts["total"]
    if not total:
        raise IntakeError(M.FILE_NO_ROWS)
    bar.start(STAGE_REPEATS)
    repeated, repeated_with_errors = check.repeats()
    error_rows = counts["error_rows"]
    result = IntakeResult(
        total_rows=total,
        error_rows=error_rows,
        invalid_id_rows=counts.get("id_invalid", 0) + counts.get("id_missing", total),
        duplicate_rows=repeated,
        valid_rows=total - error_rows - (repeated - repeated_with_errors),
    )
    samples = check.error_samples()
    # Warnings fill what errors leave of the sample; a file without ID numbers at all is said
    # once rather than row by row.
    id_room = SAMPLE_LIMIT - len(samples) if "id_number" in check.mapping else 0
    samples += check.repeat_samples(SAMPLE_LIMIT - len(samples))
    samples += check.id_samples(min(id_room, SAMPLE_LIMIT - len(samples)))
    samples.sort(key=lambda s: (s["row_no"], not s["error"]))
    bar.start(STAGE_WRITE)
    if not result.refused:
        check.write(target, repeated)
        result.written = True
    lines, totals = _reasons(counts, schema, repeated)
    shown = sum(line["count"] for line in lines)
    result.report = {
        "layout": source.layout.as_dict(),
        "mapping": check.mapping,
        "total_rows": total,
        "valid_rows": result.valid_rows,
        "error_rows": error_rows,
        "invalid_id_rows": result.invalid_id_rows,
        "duplicate_rows": repeated,
        "refused": result.refused,
        "id_unmapped": "id_number" not in check.mapping,
        "reasons": lines,
        "counts": totals,
        "samples": samples,
        "samples_truncated": len(samples) < shown,
        "seconds": round(time.monotonic() - started, 1),
    }
    bar.finish()
    return result
