"""What an engine offers the rules: register Parquet files as tables, run statements, write a
query's result to Parquet, fetch small results, and the Splink database API over the same
session (for the probabilistic rules)."""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any


class EngineUnavailable(RuntimeError):
    """The engine cannot start here (no Java for Spark, an unknown name): the message says why
    in Chinese."""


class Engine(abc.ABC):
    name: str

    def __init__(self, *, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)

    # --- tables ---------------------------------------------------------------------------

    @abc.abstractmethod
    def register_parquet(self, name: str, path: Path | str) -> None:
        """Make the Parquet file (or directory of part files) at `path` queryable as `name`."""

    @abc.abstractmethod
    def create_table(self, name: str, query: str) -> None:
        """Materialise `query` (DuckDB dialect) as table/view `name` for later statements."""

    # --- results --------------------------------------------------------------------------

    @abc.abstractmethod
    def write_parquet(self, query: str, path: Path) -> int:
        """Write the result of `query` (DuckDB dialect) to Parquet at `path` (a file for DuckDB,
        a directory of part files for Spark); return the number of rows written."""

    @abc.abstractmethod
    def fetch(self, query: str) -> list[tuple[Any, ...]]:
        """Rows of a small result (counts, samples)."""

    def count(self, name: str) -> int:
        return int(self.fetch(f"SELECT count(*) FROM {name}")[0][0])

    # --- Splink ---------------------------------------------------------------------------

    @abc.abstractmethod
    def splink_api(self) -> Any:
        """The Splink DatabaseAPI (DuckDBAPI / SparkAPI) over this engine's session."""

    def close(self) -> None:  # noqa: B027 - engines without resources need nothing
        """Release the session (Spark keeps a JVM; DuckDB a connection)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
