"""Recalculation benchmark: N active rural 低保 cases (written with bulk SQL, each with its
approval period), then a new monthly standard for the county (and one township's own) and the
timed `cases_recalculate` that rewrites every amount and writes a benefit period per case.

    BENCH_RECALC_CASES_SQLITE=100000 BENCH_RECALC_CASES_PG=1000000 python bench/case_recalc.py

Prints `bench case_recalc_<database>: <cases/s> cases/s` and, for PostgreSQL, the ratio to the
issue's target of 50,000 cases/s (`ratio case_recalc_pg_target`).

The migrations set the case table's fillfactor to 50 on PostgreSQL (programs 0003: room for
heap-only updates of the amount); BENCH_RECALC_FILLFACTOR=N tries another value."""

from __future__ import annotations

import datetime
import json
import os
import random
import resource
import sys
import time
from decimal import Decimal
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

TARGET_CASES_PER_SECOND = 50_000
COUNTY = "341503000000"
START = datetime.date(2026, 1, 1)
CHANGE = datetime.date(2026, 7, 1)
CHUNK = 50_000
HOUSEHOLDS = 20_000  # cases point at a pool of households: recalculation never reads them
CATEGORIES = ("elderly", "minor", "severely_disabled", "seriously_ill")


def households(n: int) -> tuple[list[int], list[int]]:
    """n households of one person each; (household ids, head ids)."""
    from django.utils import timezone

    from bench._registry_data import person_row, village_codes
    from minzheng.registry.bulk import (
        HOUSEHOLD_COLUMNS,
        PERSON_COLUMNS,
        reserve_ids,
        write_rows,
    )

    now = timezone.now()
    villages = village_codes()
    person_ids = reserve_ids("registry_person", n)
    household_ids = reserve_ids("registry_household", n)
    persons, rows = [], []
    for i, (pid, hid) in enumerate(zip(person_ids, household_ids, strict=True)):
        village = villages[i % len(villages)]
        persons.append(person_row(pid, i, village, now))
        rows.append((hid, pid, "某村", village, "", "", "", now, now))
    write_rows("registry_person", PERSON_COLUMNS, persons)
    write_rows("registry_household", HOUSEHOLD_COLUMNS, rows)
    return household_ids, person_ids


def case_template() -> tuple[list[str], list[Any], dict[str, int]]:
    """The case table's columns (without id), a row of defaults, and each column's index."""
    from django.utils import timezone

    from minzheng.programs.models import Case

    now = timezone.now()
    columns, defaults = [], []
    for field in Case._meta.concrete_fields:
        if field.primary_key:
            continue
        value = field.get_default()
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        if isinstance(value, dict | list):
            value = json.dumps(value)
        columns.append(field.column)
        defaults.append(value)
    return columns, defaults, {c: i for i, c in enumerate(columns)}


def fill(n: int) -> None:
    """n active rural 低保 cases in 300 villages, amounts computed under the seeded standards."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench._registry_data import village_codes
    from minzheng.programs.policies import policy_for
    from minzheng.programs.policies.base import CalcLine, Calculation
    from minzheng.programs.services.standards import standards_for
    from minzheng.programs.standard_defaults import standards_seed
    from minzheng.registry.bulk import write_rows

    rng = random.Random(341503)
    standards_seed(region_code=COUNTY, valid_from=START)
    rule = policy_for("dibao_rural").recalculator(  # type: ignore[attr-defined]
        standards_for(program="dibao_rural", region_code=COUNTY, day=START)
    )
    villages = village_codes()
    columns, defaults, at = case_template()
    now = timezone.now()
    # what a case's worked calculation looks like (kept on the row, about 700 bytes)
    shown = Calculation(
        amount=0,  # type: ignore[arg-type]
        lines=[CalcLine("农村低保标准", "每人每月", "790.00 元")] * 6,
        standards={"monthly_standard": f"{COUNTY} {START}"},
    ).as_json()
    fillfactor = int(os.environ.get("BENCH_RECALC_FILLFACTOR", "0"))
    if fillfactor and connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"ALTER TABLE programs_case SET (fillfactor = {fillfactor})")
        print(f"# programs_case fillfactor {fillfactor}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        household_ids, person_ids = households(min(n, HOUSEHOLDS))
        for first in range(0, n, CHUNK):
            rows = []
            for i in range(first, min(n, first + CHUNK)):
                counted = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5))
                pci = rng.randrange(0, 78000) / 100
                extras = {}
                for _ in range(counted):
                    if rng.random() < 0.35:
                        category = rng.choice(CATEGORIES)
                        extras[category] = extras.get(category, 0) + 1
                pci_d = Decimal(f"{pci:.2f}")
                amount = rule.amount(pci_d, counted, extras, "", "")
                row = list(defaults)
                h = i % len(household_ids)
                row[at["number"]] = f"NCDB{i:012d}"
                row[at["program"]] = "dibao_rural"
                row[at["household_id"]] = household_ids[h]
                row[at["applicant_id"]] = person_ids[h]
                row[at["region_code"]] = villages[i % len(villages)]
                row[at["status"]] = "active"
                row[at["current_step"]] = ""
                row[at["per_capita_income"]] = pci_d
                row[at["counted_members"]] = counted
                row[at["extra_members"]] = json.dumps(extras)
                row[at["monthly_amount"]] = amount
                row[at["calculation"]] = json.dumps({**shown, "amount": str(amount)})
                row[at["decision"]] = "approve"
                row[at["decided_at"]] = now
                row[at["start_month"]] = START
                row[at["next_review_on"]] = datetime.date(2027, 1, 1)
                row[at["accepted_at"]] = now
                rows.append(row)
            write_rows("programs_case", columns, rows)
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO programs_benefitperiod "
                "(case_id, valid_from, monthly_amount, reason, calculation, created_at) "
                "SELECT id, start_month, monthly_amount, 'approval', calculation, %s "
                "FROM programs_case",
                [connection.ops.adapt_datetimefield_value(now)],
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    took = time.perf_counter() - started
    print(f"# filled {n} cases in {took:.0f} s", file=sys.stderr, flush=True)


def child(cases: str) -> None:
    django_setup()
    from django.db import transaction

    from minzheng.programs.models import Standard
    from minzheng.programs.services.recalc import cases_recalculate

    migrate_and_seed_regions()
    n = int(cases)
    fill(n)
    Standard.objects.create(
        program="dibao_rural",
        parameter="monthly_standard",
        region_code=COUNTY,
        valid_from=CHANGE,
        value=820,
    )
    Standard.objects.create(  # one township keeps a standard of its own
        program="dibao_rural",
        parameter="monthly_standard",
        region_code="341503105000",
        valid_from=CHANGE,
        value=830,
    )
    read = 0

    def progress(k: int) -> None:
        nonlocal read
        read += k

    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic():
        changed = cases_recalculate(
            program="dibao_rural", region_code=COUNTY, from_month=CHANGE, progress=progress
        )
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    result = {
        "cases": read,
        "changed": changed,
        "seconds": took,
        "python_cpu_seconds": cpu,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    print(json.dumps(result))


def report(database: str, result: dict[str, Any]) -> float:
    rate = result["cases"] / result["seconds"] if result["seconds"] else 0.0
    print(
        f"# {database}: {result['cases']} cases read, {result['changed']} changed in "
        f"{result['seconds']:.1f} s (Python CPU {result['python_cpu_seconds']:.1f} s, "
        f"peak memory {result['max_rss_mb']} MB; load average {os.getloadavg()[0]:.1f})"
    )
    print(f"bench case_recalc_{database}: {rate:.0f} cases/s", flush=True)
    return rate


def main() -> None:
    script = Path(__file__).resolve()
    if wanted("sqlite"):
        with sqlite_url() as url:
            n = os.environ.get("BENCH_RECALC_CASES_SQLITE", "100000")
            report("sqlite", run_child(script, url, n))
    if wanted("postgresql"):
        with postgres_url("mz_bench_recalc") as pg:
            if pg is not None:
                n = os.environ.get("BENCH_RECALC_CASES_PG", "1000000")
                rate = report("postgresql", run_child(script, pg, n))
                print(f"ratio case_recalc_pg_target: {rate / TARGET_CASES_PER_SECOND:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
