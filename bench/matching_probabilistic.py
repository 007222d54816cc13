"""Probabilistic matching benchmark: `matching.probabilistic.link_persons` on DuckDB, N residents
x N external records without ID numbers (MZ_BENCH_PROB_N, default 1,000,000), at
DEFAULT_THRESHOLD.

Setup (not timed): bench/_matching_people.py writes both tables as Parquet in a temporary
directory: residents in households with clan villages and common names; records that are 90%
the same persons with homophones, accent confusions and other characters in the name, birth
date typos, moved regions, missing sex, and 10% non-residents carrying residents' names.

Timed: link_persons from the two registered Parquet files to the table of best matches (the
pinyin table, the prepared columns, Splink's blocking and scoring, the best match per record).

Prints `bench matching_probabilistic_duckdb: <s> s`, precision (best matches whose person is
the record's true person, over all best matches), recall (records whose best match is their
true person, over the records that have a true person among the residents: non-residents are
left out of the denominator), the targets' verdicts, recall by kind of mistake and where the
false matches come from.

    MZ_BENCH_PROB_N=100000 python bench/matching_probabilistic.py
    python bench/matching_probabilistic.py --estimate   # m and u of the model, from the truth
    python bench/matching_probabilistic.py --sweep      # precision and recall per threshold
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

TARGET_SECONDS = 120.0
TARGET_PRECISION = 0.97
TARGET_RECALL = 0.95


def _generate(n: int, workdir: Path) -> tuple[Path, Path]:
    from bench import _matching_people as synthetic

    started = time.perf_counter()
    people = synthetic.make_people(n)
    records = synthetic.make_records(people, n)
    people_path = synthetic.write_people(people, workdir / "people.parquet")
    records_path = synthetic.write_records(records, workdir / "records.parquet")
    del people, records
    gc.collect()
    took = time.perf_counter() - started
    print(f"# generated {n} residents and {n} records in {took:.0f} s", file=sys.stderr)
    return people_path, records_path


def _cpu() -> float:
    """CPU seconds of this process, every thread (the machine may be shared: wall time
    includes waiting for a core)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _engine(workdir: Path, people: Path, records: Path):  # type: ignore[no-untyped-def]
    from minzheng.matching.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(workdir=workdir / "engine")
    engine.register_parquet("bench_people", people)
    engine.register_parquet("bench_records", records)
    return engine


def quality(engine, out: str, threshold: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Precision and recall of the best matches in `out` at weights >= threshold, and the share
    of non-residents given someone (what precision becomes when most rows are not on the
    list)."""
    (true_hits, hits, nonresident_hits, with_truth, nonresidents) = engine.fetch(
        f"""
        SELECT count(*) FILTER (WHERE m.person_id = r.true_person_id),
               count(m.person_id),
               count(*) FILTER (WHERE r.true_person_id IS NULL),
               (SELECT count(*) FROM bench_records WHERE true_person_id IS NOT NULL),
               (SELECT count(*) FROM bench_records WHERE true_person_id IS NULL)
        FROM {out} m JOIN bench_records r USING (row_no)
        WHERE m.match_weight >= {threshold}
        """
    )[0]
    return {
        "nonresident_rate": nonresident_hits / nonresidents if nonresidents else 0.0,
        "precision": true_hits / hits if hits else 1.0,
        "recall": true_hits / with_truth if with_truth else 1.0,
        "hits": hits,
        "true_hits": true_hits,
        "with_truth": with_truth,
    }


def _breakdown(engine, out: str, threshold: float) -> None:  # type: ignore[no-untyped-def]
    """Recall per mistake and the false matches per kind of record at `threshold`."""
    rows = engine.fetch(
        f"""
        SELECT mistake, count(*) AS records,
               avg(CASE WHEN m.person_id = r.true_person_id THEN 1 ELSE 0 END) AS recall
        FROM bench_records r
        CROSS JOIN unnest(CASE WHEN r.mistakes = '' THEN ['none']
                               ELSE string_split(r.mistakes, ',') END) AS t(mistake)
        LEFT JOIN (SELECT * FROM {out} WHERE match_weight >= {threshold}) m USING (row_no)
        WHERE r.true_person_id IS NOT NULL
        GROUP BY ALL ORDER BY recall
        """
    )
    for mistake, count, recall in rows:
        print(f"# recall {mistake:<16} {recall:.4f} of {count}")
    rows = engine.fetch(
        f"""
        SELECT CASE WHEN r.true_person_id IS NULL THEN 'nonresident' ELSE 'wrong person' END,
               count(*), round(avg(m.match_weight), 1)
        FROM {out} m JOIN bench_records r USING (row_no)
        WHERE m.person_id IS DISTINCT FROM r.true_person_id AND m.match_weight >= {threshold}
        GROUP BY ALL
        """
    )
    for kind, count, weight in rows:
        print(f"# false matches: {kind} {count} (mean weight {weight})")


def run(n: int) -> dict[str, float]:
    from minzheng.matching.probabilistic import DEFAULT_THRESHOLD, link_persons

    with tempfile.TemporaryDirectory(prefix="mz_bench_prob_") as tmp:
        workdir = Path(tmp)
        people, records = _generate(n, workdir)
        engine = _engine(workdir, people, records)
        try:
            started, cpu = time.perf_counter(), _cpu()
            link_persons(
                engine,
                records="bench_records",
                people="bench_people",
                threshold=DEFAULT_THRESHOLD,
                out="bench_best",
            )
            seconds = time.perf_counter() - started
            result_cpu = _cpu() - cpu
            result = quality(engine, "bench_best", DEFAULT_THRESHOLD)
            result["seconds"] = seconds
            result["cpu"] = result_cpu
            _breakdown(engine, "bench_best", DEFAULT_THRESHOLD)
        finally:
            engine.close()
    return result


def sweep(n: int) -> None:
    """Precision and recall of the best matches at a range of thresholds (one linkage at a
    low threshold; the best match above a higher threshold is the same pair when it is still
    above it)."""
    from minzheng.matching.probabilistic import link_persons

    with tempfile.TemporaryDirectory(prefix="mz_bench_prob_") as tmp:
        workdir = Path(tmp)
        people, records = _generate(n, workdir)
        engine = _engine(workdir, people, records)
        link_persons(
            engine, records="bench_records", people="bench_people", threshold=-5, out="best"
        )
        _breakdown(engine, "best", float(os.environ.get("MZ_BENCH_PROB_AT", "2")))
        for threshold in range(-5, 21):
            q = quality(engine, "best", threshold)
            print(
                f"threshold {threshold:>3}: precision {q['precision']:.4f} "
                f"recall {q['recall']:.4f} hits {q['hits']}"
            )
        engine.close()


def estimate(n: int) -> None:
    """m from the true pairs, u from random pairs (Splink's estimators), on the bench data."""
    from splink import Linker

    from minzheng.matching.probabilistic import prepare_sql, register_chars, settings

    with tempfile.TemporaryDirectory(prefix="mz_bench_prob_") as tmp:
        workdir = Path(tmp)
        people, records = _generate(n, workdir)
        engine = _engine(workdir, people, records)
        register_chars(engine)
        prepared = prepare_sql("bench_records", "row_no")
        engine.create_table(
            "est_records",
            f"SELECT p.*, r.true_person_id AS true_id FROM ({prepared}) p"
            " JOIN bench_records r ON r.row_no = p.uid",
        )
        prepared = prepare_sql("bench_people", "person_id", people=True)
        engine.create_table("est_people", f"SELECT p.*, p.uid AS true_id FROM ({prepared}) p")
        db_api = engine.splink_api()
        linker = Linker(
            [
                db_api.register("est_records", dataset_display_name="records"),
                db_api.register("est_people", dataset_display_name="people"),
            ],
            settings(),
            log_level=None,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e8, seed=1)
        linker.training.estimate_m_from_label_column("true_id")
        for comparison in linker._settings_obj.comparisons:
            print(comparison.output_column_name)
            for level in comparison.comparison_levels:
                if level.is_null_level:
                    continue
                print(
                    f"    ({level.label_for_charts!r}, {level.m_probability:.5g}, "
                    f"{level.u_probability:.5g}),"
                )
        engine.close()


def main() -> None:
    n = int(os.environ.get("MZ_BENCH_PROB_N", "1000000"))
    from minzheng.matching.probabilistic import DEFAULT_THRESHOLD

    result = run(n)
    print(f"bench matching_probabilistic_duckdb: {result['seconds']:.1f} s ({n} x {n})")
    print(f"# CPU {result['cpu']:.1f} s; load average {os.getloadavg()[0]:.1f}")
    print(
        f"bench matching_probabilistic_precision: {result['precision']:.4f} "
        f"({result['true_hits']} of {result['hits']} best matches are the true person)"
    )
    print(
        f"bench matching_probabilistic_recall: {result['recall']:.4f} "
        f"(over the {result['with_truth']} records whose person is a resident)"
    )
    # A delivery where 90% of the rows are people not on the list (deaths of a county against
    # its beneficiaries): the same rates, nine non-residents per resident.
    true_hits, with_truth = result["true_hits"], result["with_truth"]
    wrong = result["hits"] - true_hits - result["nonresident_rate"] * (n - with_truth)
    false_90 = wrong + result["nonresident_rate"] * 9 * with_truth
    print(
        f"# non-residents given a resident: {result['nonresident_rate']:.2%} of them; "
        f"precision if 90% of the rows were non-residents: {true_hits / (true_hits + false_90):.4f}"
    )
    print(
        f"ratio matching_probabilistic_vs_{TARGET_SECONDS:.0f}s: "
        f"{result['seconds'] / TARGET_SECONDS:.2f}"
    )
    print(f"# 阈值 {DEFAULT_THRESHOLD}")
    for label, ok in (
        (f"耗时 <= {TARGET_SECONDS:.0f} s", result["seconds"] <= TARGET_SECONDS),
        (f"准确率 >= {TARGET_PRECISION}", result["precision"] >= TARGET_PRECISION),
        (f"召回率 >= {TARGET_RECALL}", result["recall"] >= TARGET_RECALL),
    ):
        print(f"# 目标 {label}: {'达到' if ok else '未达到'}", flush=True)


if __name__ == "__main__":
    size = int(os.environ.get("MZ_BENCH_PROB_N", "1000000"))
    if "--estimate" in sys.argv:
        estimate(size)
    elif "--sweep" in sys.argv:
        sweep(size)
    else:
        main()
