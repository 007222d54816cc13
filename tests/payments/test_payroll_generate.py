"""Generating a payroll run: the world's nine 低保 cases as a county run and as township runs,
who may start a run where, overlapping runs refused, and generating again doubling nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minzheng.core.models import AuditEvent
from minzheng.payments.models import LineKind, PaymentLine, PayrollRun, RunStatus
from minzheng.payments.services import payroll
from minzheng.payments.services.errors import PaymentConflict, PaymentError
from tests.conftest import OTHER_TOWNSHIP_VILLAGE
from tests.payments.support import COUNTY, NOV, OCT, TOWNSHIP
from tests.programs.conftest import at

D = Decimal
OTHER_TOWNSHIP = "341503101000"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 5), tick=False):
        yield


def generate(actor, *, month=NOV, region_code=COUNTY, program="dibao_rural") -> PayrollRun:
    """Start a run and generate it at once (as the CLI does)."""
    run = payroll.run_start(
        actor=actor, program=program, region_code=region_code, month=month, background=False
    )
    return payroll.run_generate(run_id=run.pk)


def lines(run: PayrollRun, kind: str | None = None) -> list[PaymentLine]:
    qs = PaymentLine.objects.filter(run=run).order_by("case_id", "month", "kind")
    return list(qs.filter(kind=kind) if kind else qs)


def snapshot(run: PayrollRun) -> list[tuple]:
    return [(x.case_id, x.person_id, x.month, x.kind, x.amount) for x in lines(run)]


def test_a_county_run_pays_every_case_its_amount(personas, world):
    run = generate(personas.county_officer)

    assert run.status == RunStatus.DRAFT
    assert run.number == "FF202611-dibao_rural-341503"
    assert run.generated_at is not None and run.stage == payroll.STAGE_DONE
    assert run.cases_total == run.cases_done == 9
    regular = lines(run, LineKind.REGULAR)
    assert len(regular) == 9
    by_case = {x.case_id: x for x in regular}
    for case in world.cases:
        line = by_case[case.pk]
        assert line.amount == case.monthly_amount
        assert line.person_id == case.applicant_id
        assert line.household_id == case.household_id
        assert line.region_code == case.region_code
        assert line.month == NOV and line.program == "dibao_rural"
        assert line.status == "pending"
    assert run.line_count == 9 and run.beneficiary_count == 9
    assert run.total_amount == world.amounts() == D("3904.50")
    assert run.payable_amount == run.total_amount and run.recovery_amount == 0
    events = list(AuditEvent.objects.filter(object_id=str(run.pk)).values_list("action", flat=True))
    assert events.count("payroll.start") == 1 and events.count("payroll.generate") == 1


def test_a_township_run_pays_only_its_villages(personas, world):
    run = generate(personas.county_officer, region_code=TOWNSHIP)

    assert run.number == "FF202611-dibao_rural-341503100"
    expected = [c for c in world.cases if c.region_code.startswith("341503100")]
    assert sorted(x.case_id for x in lines(run)) == sorted(c.pk for c in expected)
    assert run.total_amount == sum((c.monthly_amount for c in expected), D("0"))

    other = generate(personas.county_officer, region_code=OTHER_TOWNSHIP)
    assert {x.region_code for x in lines(other)} == {OTHER_TOWNSHIP_VILLAGE}
    assert run.line_count + other.line_count == 9


def test_generating_twice_changes_nothing(personas, world):
    run = generate(personas.county_officer)
    before = snapshot(run)

    again = payroll.run_generate(run_id=run.pk)

    assert snapshot(again) == before
    assert again.status == RunStatus.DRAFT and again.total_amount == D("3904.50")
    # Starting it again returns the same run.
    same = payroll.run_start(
        actor=personas.county_officer,
        program="dibao_rural",
        region_code=COUNTY,
        month=NOV,
        background=False,
    )
    assert same.pk == run.pk
    assert PayrollRun.objects.count() == 1


def test_a_run_started_in_the_background_is_generated_at_commit(
    personas, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = payroll.run_start(
            actor=personas.county_officer, program="dibao_rural", region_code=COUNTY, month=NOV
        )
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT and run.line_count == 9


def test_overlapping_runs_are_refused(personas, world):
    county = generate(personas.county_officer)

    with pytest.raises(PaymentError) as refused:
        payroll.run_start(
            actor=personas.county_officer,
            program="dibao_rural",
            region_code=TOWNSHIP,
            month=NOV,
            background=False,
        )
    assert county.number in refused.value.message and "重叠" in refused.value.message

    # Another month, or another program, is no overlap.
    generate(personas.county_officer, month=OCT, region_code=TOWNSHIP)
    generate(personas.county_officer, program="tekun")


def test_a_county_run_is_refused_over_a_township_run(personas, world):
    township = generate(personas.county_officer, region_code=TOWNSHIP)
    with pytest.raises(PaymentError) as refused:
        generate(personas.county_officer)
    assert township.number in refused.value.message


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("program", {"program": "no_such_program"}),
        ("region_code", {"region_code": "341503100201"}),  # a village
        ("region_code", {"region_code": "341500000000"}),  # a city
        ("region_code", {"region_code": "341503999000"}),  # no such township
        ("region_code", {"region_code": "12ab"}),
        ("month", {"month": datetime.date(2027, 1, 1)}),  # after next month
    ],
)
def test_it_refuses_a_run_it_cannot_pay(personas, world, field, kwargs):
    args = {"program": "dibao_rural", "region_code": COUNTY, "month": NOV} | kwargs
    with pytest.raises(PaymentError) as refused:
        payroll.run_start(actor=personas.county_officer, background=False, **args)
    assert field in refused.value.errors
    assert not PayrollRun.objects.exists()


def test_next_month_may_be_prepared_and_the_month_is_normalised(personas, world):
    run = payroll.run_start(
        actor=personas.county_officer,
        program="dibao_rural",
        region_code=COUNTY,
        month=datetime.date(2026, 12, 17),
        background=False,
    )
    assert run.month == datetime.date(2026, 12, 1)


def test_only_the_county_officer_in_scope_starts_a_run(personas, world):
    for actor in (personas.township_clerk, personas.county_leader, personas.auditor):
        with pytest.raises(PermissionDenied):
            generate(actor)
    with pytest.raises(Http404):
        generate(personas.other_county_officer)
    assert not PayrollRun.objects.exists()


def test_the_system_starts_a_run_without_an_actor(world):
    run = generate(None)
    assert run.line_count == 9 and run.created_by is None


def test_regenerate_rebuilds_the_lines_after_a_change(personas, world):
    officer = personas.county_officer
    run = generate(officer)
    case = world.cases[0]
    case.benefit_periods.filter(valid_from=case.start_month).update(monthly_amount=D("999.99"))

    again = payroll.run_regenerate(actor=officer, run=run, background=False)

    assert again.pk == run.pk and again.status == RunStatus.DRAFT
    assert again.version > run.version
    amounts = {x.case_id: x.amount for x in lines(again)}
    assert amounts[case.pk] == D("999.99") and len(amounts) == 9
    assert AuditEvent.objects.filter(action="payroll.regenerate", object_id=str(run.pk)).exists()


def test_regenerate_with_a_stale_version_is_a_conflict(personas, world):
    run = generate(personas.county_officer)
    with pytest.raises(PaymentConflict):
        payroll.run_regenerate(
            actor=personas.county_officer, run=run, version=run.version - 1, background=False
        )
    PayrollRun.objects.filter(pk=run.pk).update(status=RunStatus.LOCKED)
    run.refresh_from_db()
    with pytest.raises(PaymentError):
        payroll.run_regenerate(actor=personas.county_officer, run=run, background=False)


def test_cancel_deletes_the_lines_and_a_new_run_may_start(personas, world):
    officer = personas.county_officer
    run = generate(officer)

    cancelled = payroll.run_cancel(actor=officer, run=run, reason="名单有误")

    assert cancelled.status == RunStatus.CANCELLED and cancelled.cancel_reason == "名单有误"
    assert not PaymentLine.objects.filter(run=run).exists()
    fresh = generate(officer)
    assert fresh.pk != run.pk and fresh.number == "FF202611-dibao_rural-341503-2"
    assert fresh.line_count == 9 and fresh.total_amount == D("3904.50")
    # And the township run may replace the county run once that is cancelled.
    payroll.run_cancel(actor=officer, run=fresh, reason="改为分乡镇发放")
    assert generate(officer, region_code=TOWNSHIP).line_count == 6


def test_cancel_needs_a_reason_and_a_run_not_locked(personas, world):
    officer = personas.county_officer
    run = generate(officer)
    with pytest.raises(PaymentError) as refused:
        payroll.run_cancel(actor=officer, run=run, reason="  ")
    assert "reason" in refused.value.errors
    with pytest.raises(PermissionDenied):
        payroll.run_cancel(actor=personas.township_clerk, run=run, reason="错")
    PayrollRun.objects.filter(pk=run.pk).update(status=RunStatus.LOCKED)
    run.refresh_from_db()
    with pytest.raises(PaymentError):
        payroll.run_cancel(actor=officer, run=run, reason="错")
    assert PaymentLine.objects.filter(run=run).count() == 9


def test_an_approved_run_may_still_be_cancelled(personas, world):
    officer = personas.county_officer
    run = generate(officer)
    PayrollRun.objects.filter(pk=run.pk).update(status=RunStatus.APPROVED)
    run.refresh_from_db()
    cancelled = payroll.run_cancel(actor=officer, run=run, reason="审批后发现名单有误")
    assert cancelled.status == RunStatus.CANCELLED
    assert not PaymentLine.objects.exists()
    with pytest.raises(PaymentConflict):  # the page still showed the approved run
        payroll.run_cancel(actor=officer, run=run, reason="再次作废")


def test_a_cancelled_run_stops_its_generation(personas, world):
    officer = personas.county_officer
    run = payroll.run_start(
        actor=officer, program="dibao_rural", region_code=COUNTY, month=NOV, background=False
    )
    payroll.run_cancel(actor=officer, run=run, reason="发错了")

    with pytest.raises(PaymentError):
        payroll.run_generate(run_id=run.pk)
    assert not PaymentLine.objects.filter(run=run).exists()


def test_progress_is_reported_by_chunk(personas, world, settings):
    settings.PAYROLL_CHUNK_SIZE = 4
    run = payroll.run_start(
        actor=personas.county_officer,
        program="dibao_rural",
        region_code=COUNTY,
        month=NOV,
        background=False,
    )
    seen: list[tuple[int, int]] = []
    done = payroll.run_generate(run_id=run.pk, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 9) and (4, 9) in seen and (8, 9) in seen and seen[-1] == (9, 9)
    assert done.line_count == 9
