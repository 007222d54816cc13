"""Exact matching benchmark: a death dataset of M rows against N beneficiaries, from the files
to flags in the database, against a bare DuckDB join of the same two files.

Data (not timed; bench/_matching_data.py, cached by size under var/bench-data/matching): N
beneficiaries in the `beneficiaries` layout of matching.rules, the same persons as `residents`,
and M rows of deaths in the canonical layout of an imported delivery, 1% of the beneficiaries
among them (N/100 true hits), written by DuckDB SQL to Parquet.

Timed in a child process per database (a fresh PostgreSQL database, and an SQLite file), the
run and the bare join alternately, best of MZ_BENCH_MATCH_REPEAT (default 2) each:
- `run_execute_files` of a DuckDB run of rule death_id: the rule over the files, then the
  flags landed in the database (what a run does after its snapshot of the rolls). The number of
  flags must equal the number of hits.
- a bare DuckDB join of the same two files on id_number: `count(*)`, and materialised with
  `CREATE TABLE ... AS SELECT ... JOIN ... USING (id_number)`, in a connection set up as the
  engine's. The issue's target is run / bare materialise <= 1.5.
- Spark local[2] (in the PostgreSQL child, else the SQLite one): the same run on Spark and on
  DuckDB over 1,000,000 x 5,000,000 (session start not counted, printed apart).

    MZ_BENCH_MATCH_BENEFICIARIES=10000000 MZ_BENCH_MATCH_EXTERNAL=50000000 \
    MZ_BENCH_MATCH_SPARK_BENEFICIARIES=1000000 MZ_BENCH_MATCH_SPARK_EXTERNAL=5000000 \
    BENCH_DATABASES=postgresql python bench/matching.py

Informative, last (MZ_BENCH_MATCH_CASES=0 skips it): a run over 1,000,000 x 5,000,000
(MZ_BENCH_MATCH_CASES_BENEFICIARIES/_EXTERNAL) with the hit households' cases written to the
database first, so that the landing opens their reviews and suspends sole members' payments, as
it would on a county's real rolls. MZ_BENCH_MATCH_SPARK=0 skips Spark; BENCH_MATCHING_DB
names the PostgreSQL database (default mz_bench_matching).

Prints `bench matching_exact_<database>: <s> s`, `bench matching_bare_count_<database>` and
`..._bare_materialize_<database>`, `ratio matching_exact: <run / bare materialise>` (PostgreSQL,
else SQLite), `bench matching_spark: <s> s`, `ratio matching_spark_vs_duckdb` and
`bench matching_exact_with_cases_<database>`.
tests/matching/test_bench_matching.py runs the same steps at a tiny size."""

from __future__ import annotations

import datetime
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._databases import (
    django_setup,
    migrate_and_seed_regions,
    postgres_url,
    run_child,
    sqlite_url,
    wanted,
)
from bench._matching_data import AS_OF, MatchingFiles, generate

TARGET_RATIO = 1.5
COUNTY = "341503000000"
RULE = "death_id"


def _sizes(name: str, default: int) -> int:
    return int(os.environ.get(name, "") or default)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def prepare_run(files: MatchingFiles, engine: str = "duckdb") -> Any:
    """The county's active death dataset (the generated file) and a run of death_id on it, as
    run_start leaves them; earlier flags and runs of the bench removed (not timed)."""
    from minzheng.matching.models import (
        DatasetStatus,
        ExternalDataset,
        MatchFlag,
        MatchRun,
        RunStatus,
    )

    MatchFlag.objects.all().delete()
    MatchRun.objects.all().delete()
    ExternalDataset.objects.filter(kind="death").delete()
    dataset = ExternalDataset.objects.create(
        kind="death",
        region_code=COUNTY,
        source="县公安局(基准测试)",
        data_date=AS_OF - datetime.timedelta(days=1),
        status=DatasetStatus.ACTIVE,
        file_name=files.external.name,
        file_format="parquet",
        file_size=files.external.stat().st_size,
        parquet_path=str(files.external),
        total_rows=files.n_external,
        valid_rows=files.n_external,
    )
    return MatchRun.objects.create(
        number=f"BENCH-{engine}-{files.n_beneficiaries}-{files.n_external}",
        region_code=COUNTY,
        engine=engine,
        as_of=AS_OF,
        status=RunStatus.QUEUED,
        rules=[RULE],
        datasets={"death": dataset.pk},
    )


def time_run(files: MatchingFiles, engine: str = "duckdb") -> tuple[float, int, dict[str, float]]:
    """(seconds, flags in the database, seconds per stage) of run_execute_files from the files
    to the flags."""
    from minzheng.matching.models import MatchFlag, RunStatus
    from minzheng.matching.services.runs import run_execute_files

    run = prepare_run(files, engine)
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    run = run_execute_files(
        run,
        beneficiaries=files.beneficiaries,
        residents=files.residents,
        datasets={"death": files.external},
        progress=lambda stage, percent: marks.append((stage, time.perf_counter())),
    )
    ended = time.perf_counter()
    if run.status != RunStatus.DONE:
        raise RuntimeError(f"run {run.status}: {run.message}")
    # each stage lasts from its first progress call to the next stage's (or the end)
    stages: dict[str, float] = {}
    for (stage, at), (_, following) in zip(marks, [*marks[1:], ("", ended)], strict=True):
        stages[stage] = stages.get(stage, 0.0) + following - at
    flags = MatchFlag.objects.filter(run=run, rule=RULE).count()
    return ended - started, flags, stages


def fill_hit_cases(files: MatchingFiles) -> int:
    """The cases of the households the death file hits, in the database (persons, households,
    memberships, cases and their members, with the Parquet's ids), so that the run's landing
    opens their reviews and suspensions (informative: a real county has its whole rolls there;
    the bench's other households matter to no flag). Returns the cases written."""
    import duckdb
    from django.db import connection, transaction
    from django.utils import timezone

    from bench._registry_data import person_row
    from bench.case_recalc import case_template
    from minzheng.registry.bulk import (
        HOUSEHOLD_COLUMNS,
        MEMBERSHIP_COLUMNS,
        PERSON_COLUMNS,
        write_rows,
    )

    rows = duckdb.sql(
        f"""
        SELECT case_id, case_number, program, household_id, region_code, person_id, name,
               name_pinyin, sex, birth_date, counted_members, per_capita_income, monthly_amount
        FROM read_parquet({_quote(files.beneficiaries)})
        WHERE case_id IN (
            SELECT case_id FROM read_parquet({_quote(files.beneficiaries)})
            WHERE (person_id - 1) % 100 = 37
        )
        ORDER BY case_id, person_id
        """
    ).fetchall()
    columns, defaults, at = case_template()
    now = timezone.now()
    start = datetime.date(2026, 1, 1)
    persons, households, memberships, cases, members = [], [], [], [], []
    for (
        case_id,
        number,
        program,
        hid,
        village,
        pid,
        name,
        pinyin,
        sex,
        birth,
        n,
        pci,
        amount,
    ) in rows:
        persons.append(
            person_row(pid, pid, village, now, name=name, pinyin=pinyin, sex=sex, birth=birth)
        )
        head = not cases or cases[-1][0] != case_id
        memberships.append((hid, pid, "head" if head else "spouse", start, "founding", None, ""))
        members.append((case_id, pid, "applicant" if head else "spouse", True, "", ""))
        if head:
            households.append((hid, pid, "某村1组", village, "", "", "", now, now))
            row = list(defaults)
            for column, value in (
                ("number", number),
                ("program", program),
                ("household_id", hid),
                ("applicant_id", pid),
                ("region_code", village),
                ("status", "active"),
                ("current_step", ""),
                ("per_capita_income", pci),
                ("counted_members", n),
                ("extra_members", "{}"),
                ("monthly_amount", amount),
                ("decision", "approve"),
                ("decided_at", now),
                ("start_month", start),
                ("next_review_on", datetime.date(2027, 1, 1)),
                ("accepted_at", now),
            ):
                row[at[column]] = value
            cases.append([case_id, *row])
    with transaction.atomic():
        write_rows("registry_person", PERSON_COLUMNS, persons)
        write_rows("registry_household", HOUSEHOLD_COLUMNS, households)
        write_rows("registry_membership", MEMBERSHIP_COLUMNS, memberships)
        write_rows("programs_case", ["id", *columns], cases)
        write_rows(
            "programs_casemember",
            [
                "case_id",
                "person_id",
                "relationship",
                "counted",
                "exclusion_reason",
                "extra_category",
            ],
            members,
        )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cur:
            for table in ("registry_person", "registry_household", "programs_case"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            cur.execute("ANALYZE")
    return len(cases)


def time_bare_join(files: MatchingFiles) -> tuple[float, float, int]:
    """(count seconds, materialise seconds, rows) of the bare join of the two files, in a
    connection set up as the engine's (temporary files in a folder removed afterwards)."""
    from minzheng.matching.engines.duckdb_engine import duckdb_connect

    work = Path(tempfile.mkdtemp(prefix="mz-bench-join-"))
    beneficiaries = f"read_parquet({_quote(files.beneficiaries)}) AS b"
    external = f"read_parquet({_quote(files.external)}) AS d"
    try:
        con = duckdb_connect(workdir=work)
        try:
            started = time.perf_counter()
            counted = con.execute(
                f"SELECT count(*) FROM {beneficiaries} JOIN {external} USING (id_number)"
            ).fetchall()[0][0]
            count_seconds = time.perf_counter() - started
            started = time.perf_counter()
            con.execute(
                f"CREATE TABLE bare AS SELECT * FROM {beneficiaries} "
                f"JOIN {external} USING (id_number)"
            )
            materialise_seconds = time.perf_counter() - started
            made = con.execute("SELECT count(*) FROM bare").fetchall()[0][0]
        finally:
            con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if counted != made:
        raise AssertionError(f"bare join: count {counted}, table {made}")
    return count_seconds, materialise_seconds, int(made)


def time_spark(files: MatchingFiles) -> dict[str, Any]:
    """Spark local[2] and DuckDB runs over the same files; Spark's session start apart."""
    from django.conf import settings

    from minzheng.matching.engines.spark_engine import spark_session

    master = os.environ.get("MZ_BENCH_MATCH_SPARK_MASTER", "local[2]")
    settings.MATCHING_SPARK_MASTER = master
    started = time.perf_counter()
    spark_session(master)
    startup = time.perf_counter() - started
    duck_seconds, duck_flags, _ = time_run(files, "duckdb")
    spark_seconds, spark_flags, spark_stages = time_run(files, "spark")
    return {
        "beneficiaries": files.n_beneficiaries,
        "external": files.n_external,
        "hits": files.hits,
        "master": master,
        "startup": startup,
        "duckdb_seconds": duck_seconds,
        "duckdb_flags": duck_flags,
        "spark_seconds": spark_seconds,
        "spark_flags": spark_flags,
        "spark_stages": spark_stages,
    }


def _pair(sizes: str) -> tuple[int, int]:
    n, m = sizes.split("x")
    return int(n), int(m)


def child(n: str, m: str, spark: str, cases: str) -> None:
    django_setup()
    migrate_and_seed_regions()
    files = generate(int(n), int(m))
    # Measured alternately, best of MZ_BENCH_MATCH_REPEAT (default 2) each: on a shared 2-core
    # machine the others' load moves a single measure by a factor of two.
    repeat = max(1, int(os.environ.get("MZ_BENCH_MATCH_REPEAT", "") or 2))
    bares, runs = [], []
    for _ in range(repeat):
        bares.append(time_bare_join(files))
        runs.append(time_run(files))
    count_seconds = min(b[0] for b in bares)
    materialise_seconds = min(b[1] for b in bares)
    joined = bares[0][2]
    seconds, flags, stages = min(runs, key=lambda r: r[0])
    result: dict[str, Any] = {
        "beneficiaries": files.n_beneficiaries,
        "external": files.n_external,
        "hits": files.hits,
        "flags": flags,
        "joined": joined,
        "seconds": seconds,
        "stages": stages,
        "count_seconds": count_seconds,
        "materialise_seconds": materialise_seconds,
        "all_seconds": [r[0] for r in runs],
        "all_materialise_seconds": [b[1] for b in bares],
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    if spark != "0":
        result["spark"] = time_spark(generate(*_pair(spark)))
    if cases != "0":  # last: the cases it writes would be reviewed by the runs above
        with_cases = generate(*_pair(cases))
        _, bare, _ = time_bare_join(with_cases)
        started = time.perf_counter()
        written = fill_hit_cases(with_cases)
        filled = time.perf_counter() - started
        seconds, flags, stages = time_run(with_cases)
        result["cases"] = {
            "beneficiaries": with_cases.n_beneficiaries,
            "external": with_cases.n_external,
            "hits": with_cases.hits,
            "cases": written,
            "fill_seconds": filled,
            "bare_seconds": bare,
            "seconds": seconds,
            "flags": flags,
            "stages": stages,
        }
    print(json.dumps(result))


def report(database: str, result: dict[str, Any], *, main_ratio: bool) -> float:
    seconds, bare = result["seconds"], result["materialise_seconds"]
    ratio = seconds / bare if bare else float("inf")
    print(
        f"# {database}: {result['beneficiaries']} beneficiaries x {result['external']} deaths, "
        f"{result['hits']} true hits, {result['flags']} flags in {seconds:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in result['stages'].items())}); bare join "
        f"count {result['count_seconds']:.1f} s, materialise {bare:.1f} s "
        f"({result['joined']} rows; peak memory {result['max_rss_mb']} MB; "
        f"load average {os.getloadavg()[0]:.1f}); best of runs "
        f"{', '.join(f'{x:.1f}' for x in result['all_seconds'])} s and of materialisations "
        f"{', '.join(f'{x:.1f}' for x in result['all_materialise_seconds'])} s",
        flush=True,
    )
    if result["flags"] != result["hits"] or result["joined"] != result["hits"]:
        raise AssertionError(
            f"{result['flags']} flags, {result['joined']} joined rows, {result['hits']} hits"
        )
    print(f"bench matching_exact_{database}: {seconds:.2f} s")
    print(f"bench matching_bare_count_{database}: {result['count_seconds']:.2f} s")
    print(f"bench matching_bare_materialize_{database}: {bare:.2f} s")
    suffix = "" if main_ratio else f"_{database}"
    print(f"ratio matching_exact{suffix}: {ratio:.2f}", flush=True)
    if main_ratio:
        verdict = "达到" if ratio <= TARGET_RATIO else "未达到"
        print(f"# 目标 <= {TARGET_RATIO}: {verdict}", flush=True)
    cases = result.get("cases")
    if cases:
        if cases["flags"] != cases["hits"]:
            raise AssertionError(f"with cases: {cases['flags']} flags, {cases['hits']} hits")
        print(
            f"# informative, {database}: {cases['beneficiaries']} x {cases['external']} with "
            f"the {cases['cases']} hit households' cases in the database (written in "
            f"{cases['fill_seconds']:.0f} s, not timed), the run opens their reviews and "
            f"suspensions: {cases['flags']} flags in {cases['seconds']:.1f} s ("
            + ", ".join(f"{k} {v:.1f} s" for k, v in cases["stages"].items())
            + f"); bare materialise {cases['bare_seconds']:.1f} s, "
            f"ratio {cases['seconds'] / cases['bare_seconds']:.2f}",
            flush=True,
        )
        print(f"bench matching_exact_with_cases_{database}: {cases['seconds']:.2f} s")
    spark = result.get("spark")
    if spark:
        for engine in ("duckdb", "spark"):
            if spark[f"{engine}_flags"] != spark["hits"]:
                raise AssertionError(f"{engine}: {spark[f'{engine}_flags']} flags")
        print(
            f"# spark {spark['master']}: {spark['beneficiaries']} x {spark['external']}, "
            f"{spark['spark_flags']} flags in {spark['spark_seconds']:.1f} s "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in spark['spark_stages'].items())}; "
            f"session start {spark['startup']:.1f} s apart); DuckDB "
            f"{spark['duckdb_seconds']:.1f} s",
            flush=True,
        )
        print(f"bench matching_spark: {spark['spark_seconds']:.2f} s")
        print(f"bench matching_spark_duckdb: {spark['duckdb_seconds']:.2f} s")
        ratio_spark = spark["spark_seconds"] / spark["duckdb_seconds"]
        print(f"ratio matching_spark_vs_duckdb: {ratio_spark:.2f}", flush=True)
    return ratio


def main() -> None:
    script = Path(__file__).resolve()
    n = str(_sizes("MZ_BENCH_MATCH_BENEFICIARIES", 10_000_000))
    m = str(_sizes("MZ_BENCH_MATCH_EXTERNAL", 50_000_000))
    spark = "0"
    if os.environ.get("MZ_BENCH_MATCH_SPARK", "1") != "0":
        spark_n = _sizes("MZ_BENCH_MATCH_SPARK_BENEFICIARIES", 1_000_000)
        spark_m = _sizes("MZ_BENCH_MATCH_SPARK_EXTERNAL", 5_000_000)
        spark = f"{spark_n}x{spark_m}"
    cases = "0"
    if os.environ.get("MZ_BENCH_MATCH_CASES", "1") != "0":
        cases_n = _sizes("MZ_BENCH_MATCH_CASES_BENEFICIARIES", 1_000_000)
        cases_m = _sizes("MZ_BENCH_MATCH_CASES_EXTERNAL", 5_000_000)
        cases = f"{cases_n}x{cases_m}"
    first = True  # the first database measured gives the ratio and runs Spark
    if wanted("postgresql"):
        name = os.environ.get("BENCH_MATCHING_DB", "mz_bench_matching")
        with postgres_url(name) as pg:
            if pg is not None:
                result = run_child(script, pg, n, m, spark, cases)
                report("postgresql", result, main_ratio=True)
                first = False
    if wanted("sqlite"):
        with sqlite_url() as url:
            result = run_child(script, url, n, m, spark if first else "0", cases)
            report("sqlite", result, main_ratio=first)


if __name__ == "__main__":
    if len(sys.argv) > 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
    else:
        main()
