"""The same rules on two engines: every rule on DuckDB and on Spark (local[2], one session for
the module) over the same tiny world gives the same hits, column for column (death_fuzzy with
the real linker, Splink on each engine); and the pieces of SQL the rules share (ages, program
names) give the same values on both."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from minzheng.matching import rule_sql
from minzheng.matching.apply import apply_rules
from minzheng.matching.engines import DuckDBEngine, engine_open
from minzheng.matching.engines.base import Engine
from minzheng.matching.rules import RULES
from tests.matching.rule_tables import (
    EXPECTED,
    World,
    hit_types,
    read_hits,
    sort_hits,
    world_write,
)
from tests.matching.test_rules import (
    AGES,
    HIT_TYPES,
    ages_query,
    context,
)

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Any:
    engine = engine_open("spark", workdir=tmp_path_factory.mktemp("spark"))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world_write(tmp_path_factory.mktemp("world"))


def apply_all(engine: Engine, world: World, out_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    results = apply_rules(
        engine,
        beneficiaries=world.beneficiaries,
        residents=world.residents,
        datasets=world.datasets,
        rules=[(rule, context(code)) for code, rule in RULES.items()],
        out_dir=out_dir,
    )
    assert all(r.skipped == "" for r in results)
    assert all(r.hits == len(EXPECTED[r.code]) for r in results), [
        (r.code, r.hits) for r in results
    ]
    return {r.code: read_hits(r.hits_path) for r in results}


def weights_rounded(hits: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Match weights to 9 places (the linker ranks on that; the last bits may differ)."""
    return {
        code: [(*h[:7], None if h[7] is None else round(h[7], 9), h[8]) for h in rows]
        for code, rows in hits.items()
    }


def test_every_rule_gives_the_same_hits_on_duckdb_and_spark(
    spark: Engine, world: World, tmp_path: Path
) -> None:
    """All rules, death_fuzzy with the real linker (Splink on each engine)."""
    with DuckDBEngine(workdir=tmp_path / "duckdb") as duckdb_engine:
        on_duckdb = apply_all(duckdb_engine, world, tmp_path / "duckdb-hits")
    on_spark = apply_all(spark, world, tmp_path / "spark-hits")
    for code in RULES:
        assert hit_types(tmp_path / "spark-hits" / f"{code}.parquet") == HIT_TYPES
    assert weights_rounded(on_spark) == weights_rounded(on_duckdb)
    # the expected hits; death_fuzzy's weights are Splink's, not the stand-in's
    without_weights = {code: [h[:7] + h[8:] for h in rows] for code, rows in on_duckdb.items()}
    assert without_weights == {
        code: [h[:7] + h[8:] for h in sort_hits(rows)] for code, rows in EXPECTED.items()
    }
    assert all(h[7] > RULES["death_fuzzy"].default_threshold for h in on_duckdb["death_fuzzy"])


def test_shared_sql_agrees_on_both_engines(spark: Engine, tmp_path: Path) -> None:
    names = [
        "城市低保",
        "农村 低保",
        "城乡低保",
        "特困供养",
        "低保边缘",
        "tekun",
        "高龄津贴",
        "其他",
    ]
    programs = " UNION ALL ".join(
        f"SELECT {i} AS i, {rule_sql.program_code_sql(repr(n))} AS code"
        for i, n in enumerate(names)
    )
    queries = [ages_query(), "SELECT code FROM (" + programs + ") AS p ORDER BY i"]  # noqa: S608
    with DuckDBEngine(workdir=tmp_path) as duckdb_engine:
        for query in queries:
            assert spark.fetch(query) == duckdb_engine.fetch(query)
    assert [r[0] for r in spark.fetch(queries[0])] == [age for _, _, age in AGES]
