"""A large file streams through DuckDB: importing 2,000,000 rows allocates next to nothing in
Python and DuckDB keeps to its memory limit, so 50,000,000 rows import the same way."""

from __future__ import annotations

import datetime
import resource
import tracemalloc
from pathlib import Path

import duckdb

from minzheng.matching import intake
from minzheng.matching.intake.sql import ID_CHECK_CHARS, ID_WEIGHTS
from minzheng.matching.schemas import schema_for

ROWS = 2_000_000


def generate_csv(path: Path, rows: int) -> None:
    """Deaths with valid ID numbers, 1 in 100 with a wrong check digit, 1 in 1,000 repeated."""
    digits = " + ".join(f"(ascii(f17[{i + 1}]) - 48) * {w}" for i, w in enumerate(ID_WEIGHTS))
    check = f"substr('{ID_CHECK_CHARS}', ({digits}) % 11 + 1, 1)"
    duckdb.execute(
        f"""
        COPY (
            SELECT '人' || i AS 姓名,
                f17 || CASE WHEN i % 100 = 7 THEN 'Y' ELSE {check} END AS 身份证号码,
                strftime(DATE '2026-01-01' + CAST(i % 300 AS INTEGER), '%Y/%m/%d') AS 死亡日期,
                n AS 序号
            FROM (
                SELECT n, i, '341503'
                    || strftime(DATE '1930-01-01' + CAST(i % 30000 AS INTEGER), '%Y%m%d')
                    || lpad(CAST((i // 30000) % 1000 AS VARCHAR), 3, '0') AS f17
                FROM (
                    SELECT n, CASE WHEN n % 1000 = 999 THEN n - 1 ELSE n END AS i
                    FROM range({rows}) t(n)
                )
            )
        ) TO '{path}' (HEADER true)
        """  # noqa: S608
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_two_million_rows_import_without_passing_through_python_memory(tmp_path: Path) -> None:
    source = tmp_path / "deaths.csv"
    generate_csv(source, ROWS)
    schema = schema_for("death")
    layout = intake.sniff(source, schema)
    mapping = intake.guess_mapping(schema, layout.headers)
    assert mapping["death_date"] == "死亡日期"
    target = tmp_path / "deaths.parquet"
    seen: list[float] = []
    rss_before = peak_rss_mb()
    tracemalloc.start()
    try:
        result = intake.validate_file(
            path=source,
            layout=layout,
            schema=schema,
            mapping=mapping,
            target=target,
            workdir=tmp_path / "work",
            today=datetime.date(2026, 11, 22),
            progress=lambda fraction, stage: seen.append(fraction),
            memory_limit="256MB",
        )
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = peak_rss_mb() - rss_before
    assert result.total_rows == ROWS
    assert result.duplicate_rows == ROWS // 1000
    assert result.invalid_id_rows == ROWS // 100
    assert result.error_rows == 0
    # Python holds the head of the file, the counts and samples: not the rows (2M rows as
    # tuples would be ~2 GB).
    assert python_peak < 20 * 1024 * 1024
    assert rss_growth < 700, rss_growth
    assert seen == sorted(seen) and seen[-1] == 1.0
    # Row numbers follow the file: 人<i> was written on line i + 2.
    stored = duckdb.read_parquet(str(target))
    assert stored.count("*").fetchall() == [(ROWS - ROWS // 1000,)]
    misnumbered = stored.filter("row_no <> regexp_extract(name, '[0-9]+')::BIGINT + 2")
    assert misnumbered.count("*").fetchall() == [(0,)]
