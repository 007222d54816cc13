"""Never paying twice under failure and concurrency: the run process killed mid-way (SIGKILL)
and run again; generation interrupted and resumed where it stopped; two users starting the
same run at the same moment, each in its own connection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from minzheng.payments.models import PaymentLine, PayrollRun, RunStatus
from minzheng.payments.services import payroll
from tests.payments.support import COUNTY, paying_world

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, for a process of its own."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def cli(month: str) -> list[str]:
    command = [sys.executable, "-m", "minzheng", "payroll", "run", "--program", "dibao_rural"]
    return [*command, "--month", month, "--region", COUNTY]


def cli_env(*, pause: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "minzheng.settings.test"
        ),
        "MINZHENG_PAYROLL_CHUNK_SIZE": "4",
        "MINZHENG_PAYROLL_CHUNK_PAUSE": pause,
        "PYTHONPATH": str(ROOT),
    }


def assert_one_line_per_case(world, run: PayrollRun) -> None:
    lines = PaymentLine.objects.filter(run=run)
    assert lines.count() == len(world.cases)
    assert sorted(lines.values_list("case_id", flat=True)) == sorted(c.pk for c in world.cases)
    doubles = (
        PaymentLine.objects.values("person_id", "month").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not doubles.exists()
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT
    assert run.line_count == len(world.cases) == run.beneficiary_count
    assert run.total_amount == world.amounts() == run.payable_amount


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_midway_and_run_again_pays_everyone_once(personas, standards):
    world = paying_world(personas.county_officer, per_village=20)
    assert len(world.cases) == 60
    month = f"{timezone.localdate():%Y-%m}"

    process = subprocess.Popen(  # noqa: S603 - our own command line
        cli(month),
        env=cli_env(pause="0.3"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    try:
        while not PaymentLine.objects.exists():
            if process.poll() is not None:
                out, err = process.communicate()
                pytest.fail(f"the run ended before it was killed: {out!r} {err!r}")
            assert time.monotonic() < deadline, "no line was written within a minute"
            time.sleep(0.02)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
    assert process.returncode == -signal.SIGKILL

    partial = PaymentLine.objects.count()
    assert 0 < partial < 60
    run = PayrollRun.objects.get()
    assert run.status == RunStatus.GENERATING
    assert 0 < run.cases_done < 60

    again = subprocess.run(  # noqa: S603
        cli(month),
        env=cli_env(pause="0"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert run.number in again.stdout and "明细 60 笔" in again.stdout
    assert PayrollRun.objects.count() == 1
    assert_one_line_per_case(world, run)


class Interrupted(Exception):
    pass


@pytest.mark.django_db
def test_generation_interrupted_resumes_after_the_last_chunk(
    personas, standards, settings, monkeypatch
):
    world = paying_world(personas.county_officer, per_village=4)
    settings.PAYROLL_CHUNK_SIZE = 5
    run = payroll.run_start(
        actor=None,
        program="dibao_rural",
        region_code=COUNTY,
        month=timezone.localdate(),
        background=False,
    )
    pauses = []

    def crash() -> None:
        pauses.append(1)
        if len(pauses) == 2:
            raise Interrupted

    monkeypatch.setattr(payroll, "_pause", crash)
    with pytest.raises(Interrupted):
        payroll.run_generate(run_id=run.pk)
    assert PaymentLine.objects.filter(run=run).count() == 10
    run.refresh_from_db()
    assert run.status == RunStatus.GENERATING and run.cases_done == 10

    monkeypatch.setattr(payroll, "_pause", lambda: None)
    seen: list[tuple[int, int]] = []
    payroll.run_generate(run_id=run.pk, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (10, 12) and seen[-1] == (12, 12)
    assert_one_line_per_case(world, run)


@pytest.mark.django_db
def test_a_run_cancelled_while_it_generates_stops_and_keeps_no_line(
    personas, standards, settings, monkeypatch
):
    paying_world(personas.county_officer, per_village=4)
    settings.PAYROLL_CHUNK_SIZE = 5
    officer = personas.county_officer
    run = payroll.run_start(
        actor=officer,
        program="dibao_rural",
        region_code=COUNTY,
        month=timezone.localdate(),
        background=False,
    )

    def cancel_meanwhile() -> None:
        stale = PayrollRun.objects.get(pk=run.pk)
        payroll.run_cancel(actor=officer, run=stale, reason="发起错了")

    monkeypatch.setattr(payroll, "_pause", cancel_meanwhile)
    stopped = payroll.run_generate(run_id=run.pk)

    assert stopped.status == RunStatus.CANCELLED
    assert not PaymentLine.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_users_starting_the_same_run_get_one_run_and_one_set_of_lines(personas, standards):
    world = paying_world(personas.county_officer)
    officer = personas.county_officer
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def start(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            run = payroll.run_start(
                actor=officer,
                program="dibao_rural",
                region_code=COUNTY,
                month=timezone.localdate(),
                background=False,
            )
            outcomes[name] = payroll.run_generate(run_id=run.pk).pk
        except Exception as e:
            outcomes[name] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    run = PayrollRun.objects.get()
    assert outcomes == {"a": run.pk, "b": run.pk}
    assert_one_line_per_case(world, run)
    assert run.total_amount == Decimal("3904.50")
