"""The engines matching runs on. A rule is written once, in DuckDB's SQL dialect, over tables
registered by name (Parquet files); `DuckDBEngine` runs it as written, `SparkEngine` transpiles
it with sqlglot (Splink's own SQL layer) and runs it on Spark SQL. Results come back as Parquet
files, which the Django side reads with DuckDB whatever engine produced them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minzheng.matching.engines.base import Engine, EngineUnavailable
from minzheng.matching.engines.duckdb_engine import DuckDBEngine

ENGINES = ("duckdb", "spark")


def engine_open(name: str, *, workdir: Path, **options: Any) -> Engine:
    """The engine called `name` ("duckdb" or "spark"), working in `workdir` (temporary files,
    spills, result Parquet). Spark options: master (default settings.MATCHING_SPARK_MASTER,
    "local[*]"), driver_memory."""
    if name == "duckdb":
        return DuckDBEngine(workdir=workdir, **options)
    if name == "spark":
        from minzheng.matching.engines.spark_engine import SparkEngine

        return SparkEngine(workdir=workdir, **options)
    raise EngineUnavailable(f"未知的比对引擎:{name}(可选 duckdb、spark)")


__all__ = ["ENGINES", "DuckDBEngine", "Engine", "EngineUnavailable", "engine_open"]
