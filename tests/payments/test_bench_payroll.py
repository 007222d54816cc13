"""The payroll benchmark (bench/payroll.py) at a smoke size, on the database the tests use: its
setup makes paying cases the run pays, and the bare insert it compares with writes the same
rows."""

from __future__ import annotations

import pytest
from bench import payroll as bench
from django.db import connection

from minzheng.payments.models import PaymentLine, PayrollRun, RunStatus
from minzheng.programs.models import BenefitPeriod, Case

pytestmark = pytest.mark.django_db
CASES = 250


def test_the_bench_pays_every_case_once_and_copies_the_same_rows(regions):
    bench.fill(CASES)
    assert Case.objects.filter(program="dibao_rural", status="active").count() == CASES
    assert BenefitPeriod.objects.count() == CASES

    seconds, lines, stages = bench.time_run()

    run = PayrollRun.objects.get()
    assert run.status == RunStatus.DRAFT and run.month == bench.MONTH
    assert lines == CASES == run.line_count
    assert run.total_amount == sum(c.monthly_amount for c in Case.objects.all())
    assert seconds > 0 and sum(stages.values()) == pytest.approx(seconds, rel=0.05)
    if connection.vendor == "postgresql":
        copied, keyed = bench.time_copy_postgresql(lines)
        assert keyed > 0
    else:
        copied = bench.time_insert_sqlite(lines)
    assert copied > 0
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*), SUM(amount) FROM {bench.COPY_TABLE}")  # noqa: S608
        count, amount = cur.fetchone()
    assert count == CASES
    assert round(amount, 2) == sum(line.amount for line in PaymentLine.objects.all())
