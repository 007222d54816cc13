"""DuckDB embedded: the default engine. One in-process connection per run, its temporary
files in the run's work directory, the progress bar off (the run draws its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from minzheng.matching.engines.base import Engine


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def duckdb_connect(
    *, workdir: Path | None = None, memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection set up the way matching and imports use it."""
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    if workdir is not None:
        con.execute(f"SET temp_directory = {_quote(Path(workdir) / 'duckdb.tmp')}")
    if memory_limit:
        con.execute(f"SET memory_limit = {_quote(memory_limit)}")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(
        self, *, workdir: Path, memory_limit: str | None = None, threads: int | None = None
    ) -> None:
        super().__init__(workdir=workdir)
        self.con = duckdb_connect(workdir=self.workdir, memory_limit=memory_limit, threads=threads)

    def register_parquet(self, name: str, path: Path | str) -> None:
        source = Path(path)
        pattern = source / "*.parquet" if source.is_dir() else source
        self.con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_quote(pattern)})"
        )

    def create_table(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {query}")

    def write_parquet(self, query: str, path: Path) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        # COPY streams the query into the file in parallel and returns the rows it wrote.
        written = self.con.execute(f"COPY ({query}) TO {_quote(path)} (FORMAT parquet)")
        return int(written.fetchall()[0][0])

    def fetch(self, query: str) -> list[tuple[Any, ...]]:
        return self.con.execute(query).fetchall()

    def splink_api(self) -> Any:
        from splink import DuckDBAPI

        return DuckDBAPI(connection=self.con)

    def close(self) -> None:
        self.con.close()
