"""Import benchmark: a file of BENCH_HOUSEHOLDS households (default 200,000, about 500,000
persons) imported end to end (read, check, write, commit) through the same service as the
upload page, into a fresh SQLite and a fresh PostgreSQL database, as a county officer.

    BENCH_HOUSEHOLDS=200000 BENCH_IMPORT_FORMATS=csv,xlsx python bench/registry_import.py

Prints `bench registry_import_<format>_<database>: <persons/s> persons/s` and, for PostgreSQL,
the ratio to the issue's floor of 20,000 persons/s."""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._databases import (
    django_setup,
    migrate_and_seed_regions,
    postgres_url,
    run_child,
    sqlite_url,
    wanted,
)

TARGET_PERSONS_PER_SECOND = 20_000


def generate(folder: Path, households: int, formats: list[str]) -> dict[str, Path]:
    django_setup()
    from bench._registry_data import template_rows, write_csv, write_xlsx
    from minzheng.registry.importer.columns import HEADERS

    files: dict[str, Path] = {}
    for fmt in formats:
        started = time.perf_counter()
        path = folder / f"households.{fmt}"
        writer = write_csv if fmt == "csv" else write_xlsx
        rows = writer(path, HEADERS, template_rows(households))
        took = time.perf_counter() - started
        size = path.stat().st_size / 1e6
        print(f"# generated {path.name}: {rows} rows, {size:.1f} MB in {took:.1f} s", flush=True)
        files[fmt] = path
    return files


def child(path: str) -> None:
    """In a fresh database: schema, regions, one county officer, then the timed import."""
    django_setup()
    from minzheng.core.models import Role, User
    from minzheng.registry.importer.service import import_job_run, import_job_start
    from minzheng.registry.models import ImportJob

    migrate_and_seed_regions()
    user = User.objects.create(username="bench", role=Role.COUNTY_OFFICER, region_id="341503000000")
    marks: dict[str, float] = {}

    def listener(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, time.perf_counter())

    job = import_job_start(actor=user, file_name=Path(path).name, mode=ImportJob.Mode.STRICT)
    started, cpu = time.perf_counter(), time.process_time()
    job = import_job_run(job_id=job.pk, path=Path(path), listener=listener)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    writing = marks.get(ImportJob.Stage.WRITING, started + took)
    result = {
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "status": job.status,
        "message": job.message,
        "persons": job.persons_imported,
        "households": job.households_imported,
        "seconds": took,
        "python_cpu_seconds": cpu,
        "check_seconds": writing - started,
        "write_seconds": started + took - writing,
    }
    print(json.dumps(result, ensure_ascii=False))


def report(name: str, result: dict[str, object]) -> float:
    persons, seconds = int(str(result["persons"])), float(str(result["seconds"]))
    rate = persons / seconds if seconds else 0.0
    print(
        f"# {name}: {result['households']} households, {persons} persons in {seconds:.1f} s "
        f"(check {float(str(result['check_seconds'])):.1f} s, "
        f"write+commit {float(str(result['write_seconds'])):.1f} s; "
        f"importer CPU {float(str(result['python_cpu_seconds'])):.1f} s, "
        f"peak memory {result['max_rss_mb']} MB; "
        f"load average {os.getloadavg()[0]:.1f}) {result['message']}"
    )
    print(f"bench {name}: {rate:.0f} persons/s", flush=True)
    return rate


def main() -> None:
    households = int(os.environ.get("BENCH_HOUSEHOLDS", "200000"))
    formats = os.environ.get("BENCH_IMPORT_FORMATS", "csv,xlsx").split(",")
    script = Path(__file__).resolve()
    with tempfile.TemporaryDirectory(prefix="mz-import-") as tmp:
        files = generate(Path(tmp), households, formats)
        for fmt, path in files.items():
            if wanted("sqlite"):
                with sqlite_url() as url:
                    report(f"registry_import_{fmt}_sqlite", run_child(script, url, str(path)))
            if not wanted("postgresql"):
                continue
            with postgres_url("mz_bench_import") as pg:
                if pg is None:
                    continue
                rate = report(f"registry_import_{fmt}_postgresql", run_child(script, pg, str(path)))
                ratio = rate / TARGET_PERSONS_PER_SECOND
                print(f"ratio registry_import_{fmt}_postgresql_vs_20000: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
