"""Apache Spark: the same rules beyond one machine. `local[*]` by default (tests, a single
server), a cluster master URL in production (settings.MATCHING_SPARK_MASTER or `--master`).
Statements are written in DuckDB's dialect and transpiled by sqlglot; a statement sqlglot
cannot carry over is a bug in the rule, caught by the two-engine test."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import sqlglot
from django.conf import settings

from minzheng.matching.engines.base import Engine, EngineUnavailable

SPARK_MISSING = (
    "未安装 Spark 比对引擎:请执行 pip install 'minzheng[spark]'(需要 Java 17 或更高版本)"
)
JAVA_MISSING = "Spark 比对引擎需要 Java 17 或更高版本(Debian: apt-get install default-jre-headless)"

_session: Any = None


def to_spark_sql(query: str) -> str:
    return sqlglot.transpile(query, read="duckdb", write="spark")[0]


def spark_session(master: str | None = None, driver_memory: str | None = None) -> Any:
    """One SparkSession per process (starting one takes seconds and a JVM); later calls reuse
    it whatever they ask for."""
    global _session
    if _session is not None:
        return _session
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:  # pragma: no cover - the dev install has it
        raise EngineUnavailable(SPARK_MISSING) from e
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineUnavailable(JAVA_MISSING)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    master = master or getattr(settings, "MATCHING_SPARK_MASTER", "") or "local[*]"
    builder = (
        SparkSession.builder.master(master)
        .appName("minzheng-matching")
        .config("spark.driver.memory", driver_memory or "2g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        .config("spark.sql.ansi.enabled", "false")
    )
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    # py4j says goodbye at INFO when the interpreter exits, after the logging streams closed.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return _session


class SparkEngine(Engine):
    name = "spark"

    def __init__(
        self, *, workdir: Path, master: str | None = None, driver_memory: str | None = None
    ) -> None:
        super().__init__(workdir=workdir)
        self.spark = spark_session(master, driver_memory)
        self._views: list[str] = []

    def _sql(self, query: str) -> Any:
        return self.spark.sql(to_spark_sql(query))

    def register_parquet(self, name: str, path: Path | str) -> None:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        self._views.append(name)

    def create_table(self, name: str, query: str) -> None:
        frame = self._sql(query).cache()
        frame.count()
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    def write_parquet(self, query: str, path: Path) -> int:
        frame = self._sql(query)
        if path.exists() and not path.is_dir():
            path.unlink()
        frame.write.mode("overwrite").parquet(str(path))
        # The row count from the part files' footers: no second Spark job.
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(part).metadata.num_rows for part in path.glob("*.parquet"))

    def fetch(self, query: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._sql(query).collect()]

    def splink_api(self) -> Any:
        from splink import SparkAPI

        return SparkAPI(spark_session=self.spark)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views.clear()
