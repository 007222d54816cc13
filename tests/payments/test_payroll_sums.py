"""Money to the fen: whatever the amounts (one fen, ten billion yuan, signed adjustments), the
lines of a run add up to its total exactly, and what the banks pay less what is recovered is
that total."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.payments.models import LineKind, PaymentLine, PayrollRun
from minzheng.payments.services import payroll
from tests.payments.support import COUNTY, paying_household
from tests.programs.dynamic_support import enrolled_case

D = Decimal
SEP = datetime.date(2026, 9, 1)
PAYEES = 6

amounts = st.one_of(
    st.sampled_from([D("0.01"), D("0.10"), D("0.29"), D("9999999999.99"), D("1234567.89")]),
    st.decimals(min_value=D("0.01"), max_value=D("9999999999.99"), places=2),
)
adjustments = st.one_of(
    st.none(),
    st.decimals(min_value=D("-9999999999.99"), max_value=D("9999999999.99"), places=2),
)


@pytest.fixture
def households(personas, standards):
    return [paying_household(personas.county_officer) for _ in range(PAYEES)]


def month() -> datetime.date:
    return timezone.localdate().replace(day=1)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payees=st.lists(st.tuples(amounts, adjustments, st.booleans()), min_size=1, max_size=PAYEES),
)
def test_the_lines_add_up_to_the_run_total_to_the_fen(personas, households, payees):
    with transaction.atomic():
        cases = [
            enrolled_case(personas.county_officer, household, amount=str(amount))
            for household, (amount, _, _) in zip(households, payees, strict=False)
        ]
        run = payroll.run_start(
            actor=None,
            program="dibao_rural",
            region_code=COUNTY,
            month=month(),
            background=False,
        )
        run = payroll.run_generate(run_id=run.pk)
        # Signed adjustments of an earlier month, as a late change makes them.
        PaymentLine.objects.bulk_create(
            PaymentLine(
                run=run,
                case=case,
                person_id=case.applicant_id,
                household_id=case.household_id,
                program=case.program,
                region_code=case.region_code,
                month=SEP,
                kind=LineKind.ADJUSTMENT,
                amount=adjustment,
                created_at=timezone.now(),
            )
            for case, (_, adjustment, _) in zip(cases, payees, strict=False)
            if adjustment is not None
        )
        # Households without an account: their lines are left out of what is paid.
        without = [
            c.applicant_id for c, (_, _, missing) in zip(cases, payees, strict=False) if missing
        ]
        PaymentLine.objects.filter(run=run, person_id__in=without).update(status="no_account")
        payroll.run_totals(run)
        run = PayrollRun.objects.get(pk=run.pk)

        lines = list(
            PaymentLine.objects.filter(run=run).values_list("person_id", "amount", "status")
        )
        expected = sum((amount for _, amount, _ in lines), D("0.00"))
        nets: dict[int, Decimal] = {}
        for person, amount, status in lines:
            paid = amount if status != "no_account" else D("0.00")
            nets[person] = nets.get(person, D("0.00")) + paid
        assert run.total_amount == expected
        assert run.line_count == len(lines) and run.beneficiary_count == len(nets)
        assert run.payable_amount == sum((n for n in nets.values() if n > 0), D("0.00"))
        assert run.recovery_amount == sum((-n for n in nets.values() if n < 0), D("0.00"))
        left_out = sum((a for _, a, st_ in lines if st_ == "no_account"), D("0.00"))
        assert run.payable_amount - run.recovery_amount == run.total_amount - left_out
        regular = dict(
            PaymentLine.objects.filter(run=run, kind="regular").values_list("case_id", "amount")
        )
        assert regular == {c.pk: D(str(a)) for c, (a, _, _) in zip(cases, payees, strict=False)}
        transaction.set_rollback(True)
