"""Apply a list of rules on an engine: register the run's snapshot (beneficiaries, residents)
and the active datasets as tables, run each rule's query once and stream its hits to
out_dir/<code>.parquet (DuckDB: one file written by COPY, no second pass; Spark: a directory of
part files). A rule whose dataset is missing is reported as skipped, with the reason."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minzheng.matching import rule_sql
from minzheng.matching.engines.base import Engine
from minzheng.matching.rules import HIT_COLUMNS, Rule, RuleContext
from minzheng.matching.schemas import SCHEMAS

Progress = Callable[[str, int, int], None]  # (stage label in Chinese, rules done, rules total)

STAGE_REGISTER = "登记比对数据"
STAGE_RULE = "比对:{label}"
STAGE_DONE = "比对完成"
SKIPPED_NO_DATASET = "未提供{dataset}数据,本规则未执行"
UNKNOWN_KIND = "未知的比对数据类别:{kind}"
RULE_WITHOUT_SQL = "规则{code}没有比对语句"


@dataclass
class RuleResult:
    code: str
    hits_path: Path | None  # Parquet file (DuckDB) or directory of part files (Spark)
    hits: int
    seconds: float
    skipped: str = ""  # Chinese reason when the rule did not run (its dataset is missing)
    # The distinct evidence rows of the hits (the rule's dataset rows, all their columns),
    # carried out of the rule's own scan on DuckDB (rule_sql.evidence_sql); None: the landing
    # reads them from the dataset by row_no.
    evidence_path: Path | None = None


def _link_persons(engine: Engine, **kwargs: Any) -> None:
    """matching.probabilistic.link_persons, imported when a probabilistic rule runs (Splink is
    heavy); tests replace this function with a stand-in."""
    from minzheng.matching.probabilistic import link_persons

    link_persons(engine, **kwargs)


def _prepare_death_fuzzy(engine: Engine, rule: Rule, ctx: RuleContext) -> None:
    engine.create_table(rule_sql.FUZZY_RECORDS, rule_sql.death_fuzzy_records(ctx))
    engine.create_table(rule_sql.FUZZY_PEOPLE, rule_sql.death_fuzzy_people(ctx))
    threshold = ctx.threshold if ctx.threshold is not None else rule.default_threshold
    _link_persons(
        engine,
        records=rule_sql.FUZZY_RECORDS,
        people=rule_sql.FUZZY_PEOPLE,
        threshold=float(threshold) if threshold is not None else 0.0,
        out=rule_sql.FUZZY_LINKS,
    )


# Work a rule needs done on the engine before its query (tables it reads besides the run's).
PREPARATIONS: dict[str, Callable[[Engine, Rule, RuleContext], None]] = {
    "death_fuzzy": _prepare_death_fuzzy,
}


def apply_rules(
    engine: Engine,
    *,
    beneficiaries: Path,
    residents: Path,
    datasets: dict[str, Path],
    rules: list[tuple[Rule, RuleContext]],
    out_dir: Path,
    progress: Progress | None = None,
) -> list[RuleResult]:
    """Run `rules` (each with its context) over the snapshot and `datasets` (kind -> canonical
    Parquet) on `engine`; each rule's hits (HIT_COLUMNS) go to out_dir/<code>.parquet. A rule's
    context sees exactly the datasets given here (RuleContext.datasets is replaced)."""
    total = len(rules)
    if progress is not None:
        progress(STAGE_REGISTER, 0, total)
    out_dir.mkdir(parents=True, exist_ok=True)
    engine.register_parquet("beneficiaries", beneficiaries)
    engine.register_parquet("residents", residents)
    for kind, path in datasets.items():
        if kind not in SCHEMAS:
            raise ValueError(UNKNOWN_KIND.format(kind=kind))
        engine.register_parquet(f"ds_{kind}", path)
    kinds = frozenset(datasets)

    results: list[RuleResult] = []
    for done, (rule, context) in enumerate(rules):
        if progress is not None:
            progress(STAGE_RULE.format(label=rule.label), done, total)
        if rule.dataset_kind is not None and rule.dataset_kind not in kinds:
            label = SCHEMAS[rule.dataset_kind].label
            skipped = SKIPPED_NO_DATASET.format(dataset=label)
            results.append(RuleResult(rule.code, None, 0, 0.0, skipped=skipped))
            continue
        if rule.sql is None:
            raise ValueError(RULE_WITHOUT_SQL.format(code=rule.code))
        ctx = dataclasses.replace(context, datasets=kinds)
        started = time.perf_counter()
        prepare = PREPARATIONS.get(rule.code)
        if prepare is not None:
            prepare(engine, rule, ctx)
        path = out_dir / f"{rule.code}.parquet"
        carried = rule_sql.evidence_sql(rule.code, ctx) if engine.name == "duckdb" else None
        evidence = None
        if carried is None:
            hits = engine.write_parquet(rule.sql(ctx), path)
        else:
            evidence = out_dir / f"{rule.code}.evidence.parquet"
            hits = _write_with_evidence(engine, carried, path, evidence)
        results.append(
            RuleResult(rule.code, path, hits, time.perf_counter() - started, evidence_path=evidence)
        )
    if progress is not None:
        progress(STAGE_DONE, total, total)
    return results


def _write_with_evidence(engine: Engine, query: str, hits_path: Path, evidence_path: Path) -> int:
    """The rule's hits (HIT_COLUMNS) and, beside them, their distinct evidence rows, from one
    run of the rule's query carrying its EVIDENCE (a table of the hits in the engine)."""
    table = "hits_with_evidence"
    engine.create_table(table, query)
    try:
        columns = ", ".join(HIT_COLUMNS)
        hits = engine.write_parquet(f"SELECT {columns} FROM {table}", hits_path)
        engine.write_parquet(f"SELECT DISTINCT {rule_sql.EVIDENCE}.* FROM {table}", evidence_path)
    finally:
        engine.fetch(f"DROP TABLE IF EXISTS {table}")
    return hits
