"""Payroll benchmark: one month's payroll run of N paying rural 低保 cases, against a bare COPY of
the same payment rows.

Setup (not timed): a fresh database with the bench county's regions and N one-person
households (bank accounts at two banks, a few without), each with a paying case of program
dibao_rural in one of the county's 300 villages and its approval BenefitPeriod — written with
COPY on PostgreSQL, executemany on SQLite.

Timed: `payroll.run_start` + `payroll.run_generate` of the county's run for 2026-11 (what the
CLI does). Then, on PostgreSQL, a bare COPY of exactly the rows the run wrote (same columns and
values, pre-rendered in COPY's text format) into `CREATE TABLE ... (LIKE payments_paymentline
INCLUDING ALL)`: the same shape and indexes, no foreign keys. The issue's target is
run seconds / COPY seconds <= 2.0. On SQLite the same rows are inserted with executemany into
a copy of the table (informative).

    BENCH_PAYROLL_SQLITE=100000 BENCH_PAYROLL_PG=1000000 python bench/payroll.py

Prints `bench payroll_<database>: <rows/s> rows/s`, the same for the bare insert
(`payroll_copy_postgresql`, `payroll_executemany_sqlite`), `ratio payroll_run_vs_copy_postgresql`
(and `..._vs_executemany_sqlite`), the target's verdict, and where the run's time went (the chunk
boundaries, the lines, the totals). BENCH_PAYROLL_DB names the PostgreSQL database (default
mz_bench_payroll). tests/payments/test_bench_payroll.py runs the same steps at a smoke size."""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import resource
import sys
import tempfile
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

TARGET_RATIO = 2.0
COUNTY = "341503000000"
PROGRAM = "dibao_rural"
START = datetime.date(2026, 1, 1)
MONTH = datetime.date(2026, 11, 1)
CHUNK = 50_000
COPY_TABLE = "bench_payment_copy"
BANKS = (("安徽裕安农村商业银行", 0.75, "623059"), ("中国邮政储蓄银行", 0.97, "621799"))


def _bank(rng: random.Random, i: int, name: str) -> tuple[str, str, str]:
    """Most households at the 农商行, a fifth at 邮储, 3% without an account."""
    draw = rng.random()
    for bank, upto, bin_ in BANKS:
        if draw < upto:
            return bank, name, f"{bin_}{i:013d}"
    return "", "", ""


def _names(rng: random.Random) -> list[tuple[str, str, str]]:
    """A pool of (name, pinyin, initials): pinyin of a million names would dominate the setup."""
    from bench._registry_data import GIVEN, SURNAMES
    from minzheng.registry.names import pinyin_keys

    pool = []
    for _ in range(2000):
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        name = rng.choice(SURNAMES) + given
        pool.append((name, *pinyin_keys(name)))
    return pool


def fill(n: int, *, seed: int = 341503) -> None:
    """n one-person households, each with a paying dibao_rural case since January 2026 and its
    approval BenefitPeriod, spread over the bench county's villages."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench._registry_data import person_row, village_codes
    from bench.case_recalc import case_template
    from minzheng.programs.policies.base import CalcLine, Calculation
    from minzheng.registry.bulk import (
        HOUSEHOLD_COLUMNS,
        MEMBERSHIP_COLUMNS,
        PERSON_COLUMNS,
        reserve_ids,
        write_rows,
    )

    rng = random.Random(seed)
    names = _names(rng)
    villages = village_codes()
    columns, defaults, at = case_template()
    now = timezone.now()
    shown = Calculation(  # a case's worked calculation as kept on the row (~700 bytes)
        amount=0,  # type: ignore[arg-type]
        lines=[CalcLine("农村低保标准", "每人每月", "790.00 元")] * 6,
        standards={"monthly_standard": f"{COUNTY} {START}"},
    ).as_json()
    started = time.perf_counter()
    with transaction.atomic():
        for first in range(0, n, CHUNK):
            size = min(n, first + CHUNK) - first
            person_ids = reserve_ids("registry_person", size)
            household_ids = reserve_ids("registry_household", size)
            persons, households, memberships, cases = [], [], [], []
            for k in range(size):
                i = first + k
                pid, hid = person_ids[k], household_ids[k]
                village = villages[i % len(villages)]
                name, pinyin, initials = names[rng.randrange(len(names))]
                male = rng.random() < 0.5
                birth = datetime.date(1940 + rng.randrange(60), 1 + rng.randrange(12), 1)
                persons.append(
                    person_row(
                        pid,
                        i,
                        village,
                        now,
                        name=name,
                        pinyin=pinyin,
                        initials=initials,
                        sex="M" if male else "F",
                        birth=birth,
                    )
                )
                bank, holder, account = _bank(rng, i, name)
                households.append(
                    (hid, pid, f"某村{i % 16 + 1}组", village, bank, holder, account, now, now)
                )
                memberships.append((hid, pid, "head", START, "founding", None, ""))
                # 低保 pays the gap to the standard: from about 150 to 790 yuan a month
                amount = Decimal(rng.randrange(15000, 79000, 50)).scaleb(-2)
                row = list(defaults)
                row[at["number"]] = f"NCDB{i:012d}"
                row[at["program"]] = PROGRAM
                row[at["household_id"]] = hid
                row[at["applicant_id"]] = pid
                row[at["region_code"]] = village
                row[at["status"]] = "active"
                row[at["current_step"]] = ""
                row[at["per_capita_income"]] = Decimal("790.00") - amount
                row[at["counted_members"]] = 1
                row[at["extra_members"]] = "{}"
                row[at["monthly_amount"]] = amount
                row[at["calculation"]] = json.dumps({**shown, "amount": str(amount)})
                row[at["decision"]] = "approve"
                row[at["decided_at"]] = now
                row[at["start_month"]] = START
                row[at["next_review_on"]] = datetime.date(2027, 1, 1)
                row[at["accepted_at"]] = now
                cases.append(row)
            write_rows("registry_person", PERSON_COLUMNS, persons)
            write_rows("registry_household", HOUSEHOLD_COLUMNS, households)
            write_rows("registry_membership", MEMBERSHIP_COLUMNS, memberships)
            write_rows("programs_case", columns, cases)
            print(f"# setup: {first + size} cases", file=sys.stderr, flush=True)
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO programs_benefitperiod "
                "(case_id, valid_from, monthly_amount, reason, calculation, created_at) "
                "SELECT id, start_month, monthly_amount, 'approval', calculation, %s "
                "FROM programs_case",
                [connection.ops.adapt_datetimefield_value(now)],
            )
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cur:  # the hint bits and statistics of a database in use
        cur.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    took = time.perf_counter() - started
    print(f"# filled {n} cases in {took:.0f} s", file=sys.stderr, flush=True)


def _line_columns() -> list[str]:
    from minzheng.payments.models import PaymentLine

    return [f.column for f in PaymentLine._meta.concrete_fields if not f.primary_key]


def _checkpoint() -> None:
    """Start each timed part with a clean WAL (PostgreSQL; needs a superuser, else skipped; not
    inside a test's transaction)."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    try:
        with connection.cursor() as cur:
            cur.execute("CHECKPOINT")
    except Exception as e:
        print(f"# CHECKPOINT skipped: {e}".splitlines()[0], file=sys.stderr)


def time_run() -> tuple[float, int, dict[str, float]]:
    """(seconds, lines written, seconds per stage) of run_start + run_generate. The stages
    come from the progress callback: before the first call (the chunk boundaries), between the
    first and the last chunk (the lines), after the last chunk (arrears, grants, totals)."""
    from minzheng.payments.models import PaymentLine
    from minzheng.payments.services.payroll import run_generate, run_start

    calls: list[float] = []
    _checkpoint()
    started = time.perf_counter()
    run = run_start(
        actor=None,
        program=PROGRAM,
        region_code=COUNTY,
        month=MONTH,
        background=False,
    )
    generating = time.perf_counter()
    run = run_generate(
        run_id=run.pk, progress=lambda done, total: calls.append(time.perf_counter())
    )
    ended = time.perf_counter()
    stages = {"start": generating - started}
    if len(calls) >= 3:
        stages |= {
            "prepare": calls[0] - generating,
            "lines": calls[-2] - calls[0],
            "totals": ended - calls[-2],
        }
    else:
        stages["generate"] = ended - generating
    lines = PaymentLine.objects.filter(run_id=run.pk).count()
    return ended - started, lines, stages


def time_copy_postgresql(run_lines: int) -> tuple[float, float]:
    """Seconds of a bare COPY of the run's rows into a same-shaped table without foreign keys
    (the issue's measure), and into one with the same foreign keys as payments_paymentline,
    checked as the rows go in (informative: what the keys cost)."""
    from django.db import connection, transaction

    cols = ", ".join(_line_columns())
    keyed = f"{COPY_TABLE}_fk"
    with connection.cursor() as cur:
        raw = cur.cursor
        for table in (COPY_TABLE, keyed):
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TABLE {table} (LIKE payments_paymentline INCLUDING ALL)")
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'payments_paymentline'::regclass AND contype = 'f'"
        )
        for name, definition in cur.fetchall():
            cur.execute(f"ALTER TABLE {keyed} ADD CONSTRAINT bench_{name} {definition}")
        cur.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [COPY_TABLE],
        )
        assert cur.fetchone()[0] == 0  # LIKE copies no foreign keys
        timings = []
        with tempfile.TemporaryFile() as spool:
            # the exact bytes of the run's rows, in COPY's text format (not timed)
            with raw.copy(f"COPY (SELECT {cols} FROM payments_paymentline) TO STDOUT") as out:
                for block in out:
                    spool.write(block)
            for table in (COPY_TABLE, keyed):
                spool.seek(0)
                _checkpoint()
                started = time.perf_counter()
                with transaction.atomic():
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        while block := spool.read(1 << 20):
                            copy.write(block)
                timings.append(time.perf_counter() - started)
                cur.execute(f"SELECT count(*) FROM {table}")
                copied = cur.fetchone()[0]
                assert copied == run_lines, (table, copied, run_lines)
    return timings[0], timings[1]


def time_insert_sqlite(run_lines: int) -> float:
    """Seconds of an executemany of the run's rows into a copy of the table (its indexes too,
    without its foreign keys)."""
    from django.db import connection, transaction

    columns = _line_columns()
    cols = ", ".join(columns)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'payments_paymentline' "
            "AND sql IS NOT NULL ORDER BY type DESC"
        )
        ddl = cur.fetchall()
        cur.execute(f"SELECT {cols} FROM payments_paymentline")
        rows = cur.fetchall()
    statements = []
    for kind, sql in ddl:
        sql = sql.replace('"payments_paymentline"', f'"{COPY_TABLE}"')
        if kind == "table":
            sql = re.sub(r' REFERENCES "[^"]+" \("id"\)( DEFERRABLE INITIALLY DEFERRED)?', "", sql)
        else:  # index names are unique in the database
            sql = re.sub(r'INDEX "([^"]+)"', rf'INDEX "\1_{COPY_TABLE}"', sql)
        statements.append(sql)
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    marks = ", ".join(["%s"] * len(columns))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for first in range(0, len(rows), CHUNK):
            cur.executemany(
                f"INSERT INTO {COPY_TABLE} ({cols}) VALUES ({marks})", rows[first : first + CHUNK]
            )
    took = time.perf_counter() - started
    assert len(rows) == run_lines
    return took


def child(cases: str) -> None:
    django_setup()
    from django.db import connection

    migrate_and_seed_regions()
    n = int(cases)
    fill(n)
    seconds, lines, stages = time_run()
    keyed_seconds = None
    if connection.vendor == "postgresql":
        copy_seconds, keyed_seconds = time_copy_postgresql(lines)
    else:
        copy_seconds = time_insert_sqlite(lines)
    result = {
        "cases": n,
        "lines": lines,
        "seconds": seconds,
        "stages": stages,
        "copy_seconds": copy_seconds,
        "copy_with_keys_seconds": keyed_seconds,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    print(json.dumps(result))


def report(database: str, result: dict[str, Any]) -> float:
    seconds, copy_seconds, lines = result["seconds"], result["copy_seconds"], result["lines"]
    ratio = seconds / copy_seconds if copy_seconds else float("inf")
    bare = "COPY" if database == "postgresql" else "executemany"
    print(
        f"# {database}: {result['cases']} cases, {lines} lines written in {seconds:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in result['stages'].items())}); "
        f"bare {bare} of the same rows {copy_seconds:.1f} s "
        f"(peak memory {result['max_rss_mb']} MB; load average {os.getloadavg()[0]:.1f})"
    )
    print(f"bench payroll_{database}: {lines / seconds if seconds else 0:.0f} rows/s")
    print(
        f"bench payroll_{bare.lower()}_{database}: "
        f"{lines / copy_seconds if copy_seconds else 0:.0f} rows/s"
    )
    print(f"ratio payroll_run_vs_{bare.lower()}_{database}: {ratio:.2f}", flush=True)
    keyed = result.get("copy_with_keys_seconds")
    if keyed:
        print(
            f"# informative: a COPY into the same table with payments_paymentline's foreign keys "
            f"took {keyed:.1f} s; run / that = {seconds / keyed:.2f}",
            flush=True,
        )
    return ratio


def main() -> None:
    script = Path(__file__).resolve()
    if wanted("sqlite"):
        with sqlite_url() as url:
            n = os.environ.get("BENCH_PAYROLL_SQLITE", "100000")
            report("sqlite", run_child(script, url, n))
    if wanted("postgresql"):
        name = os.environ.get("BENCH_PAYROLL_DB", "mz_bench_payroll")
        with postgres_url(name) as pg:
            if pg is not None:
                n = os.environ.get("BENCH_PAYROLL_PG", "1000000")
                ratio = report("postgresql", run_child(script, pg, n))
                verdict = "达到" if ratio <= TARGET_RATIO else "未达到"
                print(f"# 目标 <= {TARGET_RATIO}: {verdict}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
