"""`minzheng demo`'s money (payments.demo): fund accounts with allocations, bank templates, the
last two months' runs done to the end with a few failed payments, this month's run waiting for
its check - and fund balances that add up to the fen."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from minzheng.payments.demo import ALREADY, FAILURES, POSTAL_BANK, RURAL_BANK, demo_payments
from minzheng.payments.models import (
    BankFile,
    BankReturn,
    BankTemplate,
    FundAccount,
    FundEntry,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.services.funds import fund_balance
from minzheng.programs.deadlines import add_months
from minzheng.programs.models import Case, CaseStatus
from minzheng.registry.management.commands.demo import ALREADY_LOADED

pytestmark = pytest.mark.django_db
HOUSEHOLDS = 300
COUNTY = "341503000000"
ZERO = Decimal("0.00")


@dataclass
class Demo:
    output: str
    this_month: object


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Demo]:
    """The demo county with 300 households, its cases and its money, loaded once for this module
    inside a transaction rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("demo", households=HOUSEHOLDS, if_empty=True, stdout=out, stderr=io.StringIO())
        yield Demo(out.getvalue(), timezone.localdate().replace(day=1))
        transaction.set_rollback(True)


def paying_programs() -> set[str]:
    return set(
        Case.objects.filter(
            region_code__startswith="341503",
            status=CaseStatus.ACTIVE,
            program__in=["dibao_urban", "dibao_rural", "tekun"],
        ).values_list("program", flat=True)
    )


def total(queryset, column: str = "amount") -> Decimal:
    return queryset.aggregate(t=Sum(column))["t"] or ZERO


def test_the_demo_says_what_it_made(demo):
    assert "已生成资金发放:资金专户" in demo.output
    assert "已对账" in demo.output and "待审核" in demo.output


def test_each_monthly_program_has_two_months_done_and_this_month_waiting(demo):
    programs = paying_programs()
    assert programs  # 300 households have 低保 and 特困 cases
    m0 = demo.this_month
    for program in programs:
        runs = {r.month: r for r in PayrollRun.objects.filter(program=program)}
        assert set(runs) == {add_months(m0, -2), add_months(m0, -1), m0}
        assert runs[m0].status == RunStatus.DRAFT and runs[m0].line_count > 0
        for back in (2, 1):
            run = runs[add_months(m0, -back)]
            assert run.status == RunStatus.RECONCILED
            assert run.region_code == COUNTY and run.line_count > 0
            assert run.check_report["totals"]["line_count"] == run.line_count
            assert run.meeting_date and run.meeting_attendees.count("、") >= 1
            assert run.number in run.meeting_decision
            assert run.fund_account is not None and run.checked_by and run.approved_by
            # the steps are dated in their month, in order
            steps = [
                run.generated_at,
                run.checked_at,
                run.approved_at,
                run.locked_at,
                run.sent_at,
                run.reconciled_at,
            ]
            assert steps == sorted(steps)
            for moment in steps:
                assert timezone.localdate(moment).replace(day=1) == run.month
            assert run.meeting_date == timezone.localdate(run.approved_at)
            # no line is waiting for the bank; lines of households without an account were left
            # out of the disbursement
            assert not run.lines.filter(status__in=[LineStatus.PENDING, LineStatus.SENT]).exists()
            for line in run.lines.filter(status=LineStatus.PAID):
                assert line.paid_on and line.paid_on.replace(day=1) == run.month
                assert line.account_number and line.household.bank_account_number
            assert all(
                not line.household.bank_account_number
                for line in run.lines.filter(status=LineStatus.NO_ACCOUNT)
            )


def test_every_done_run_has_a_few_failed_payments_and_one_reissued(demo):
    m0 = demo.this_month
    for run in PayrollRun.objects.filter(month__lt=m0):
        regular = BankReturn.objects.filter(
            bank_file__run=run, bank_file__kind=BankFile.Kind.REGULAR
        )
        failed = sum(r.failed_count for r in regular)
        rows = sum(f.row_count for f in run.bank_files.filter(kind=BankFile.Kind.REGULAR))
        assert failed == min(failed, rows - 1) and (failed in (2, 3) or rows < 4)
        assert all(not r.problems for r in BankReturn.objects.filter(bank_file__run=run))
        reissues = run.bank_files.filter(kind=BankFile.Kind.REISSUE)
        assert reissues.count() == (1 if failed else 0)
        if not failed:
            continue
        (reissued,) = reissues
        assert reissued.status == BankFile.Status.RETURNED and reissued.row_count == 1
        line = reissued.lines.get()
        assert line.status == LineStatus.PAID and line.attempts == 2
        assert line.account_number == line.household.bank_account_number
        # the others wait in the reissue queue with the bank's reason
        for other in run.lines.filter(status=LineStatus.FAILED):
            assert other.failure_reason in FAILURES
            assert other.failure_reason != FAILURES[0] or other.household_id == line.household_id


def test_fund_balances_add_up_to_the_fen(demo):
    accounts = FundAccount.objects.filter(region_code=COUNTY)
    assert {a.source for a in accounts} <= {"central", "provincial", "county"}
    assert accounts.count() == len(paying_programs())
    for account in accounts:
        entries = FundEntry.objects.filter(account=account)
        allocations = entries.filter(kind=FundEntry.Kind.ALLOCATION)
        assert allocations.exists()
        for entry in allocations:
            assert entry.document_number.endswith("号") and "〔" in entry.document_number
        runs = PayrollRun.objects.filter(fund_account=account, status=RunStatus.RECONCILED)
        disbursed = total(runs, "payable_amount")
        returned = total(
            BankReturn.objects.filter(bank_file__run__in=runs, bank_file__kind="regular"),
            "failed_amount",
        )
        reissued = total(BankFile.objects.filter(run__in=runs, kind="reissue"), "total_amount")
        expected = total(allocations) - disbursed + returned - reissued
        assert fund_balance(account) == expected
        # what left the account is what reached the beneficiaries
        paid = total(PaymentLine.objects.filter(run__in=runs, status=LineStatus.PAID))
        assert total(allocations) - fund_balance(account) == paid
        # and it covers the year's runs with room to spare
        assert fund_balance(account) > 6 * disbursed / 2
        # entries are dated in their runs' months
        for entry in entries.exclude(run=None):
            assert entry.entry_date.replace(day=1) == entry.run.month


def test_bank_templates_write_the_files_the_banks_want(demo):
    rural = BankTemplate.objects.get(region_code=COUNTY, bank_name=RURAL_BANK)
    postal = BankTemplate.objects.get(region_code=COUNTY, bank_name=POSTAL_BANK)
    assert (rural.file_format, rural.encoding) == ("csv", "gbk")
    assert postal.file_format == "xlsx"
    for bank_file in BankFile.objects.filter(bank_name=RURAL_BANK):
        rows = list(csv.reader(io.StringIO(bytes(bank_file.content).decode("gbk"))))
        assert rows[0] == ["序号", "户名", "账号", "身份证号码", "金额", "摘要"]
        assert len(rows) == bank_file.row_count + 1
    for bank_file in BankFile.objects.filter(bank_name=POSTAL_BANK):
        assert bytes(bank_file.content)[:2] == b"PK" and bank_file.file_name.endswith(".xlsx")


def test_loading_the_demo_again_doubles_nothing(demo):
    def counts() -> tuple[int, ...]:
        return (
            FundAccount.objects.count(),
            FundEntry.objects.count(),
            PayrollRun.objects.count(),
            PaymentLine.objects.count(),
            BankFile.objects.count(),
            BankReturn.objects.count(),
            BankTemplate.objects.count(),
        )

    before = counts()
    out = io.StringIO()
    call_command("demo", households=HOUSEHOLDS, if_empty=True, stdout=out, stderr=io.StringIO())
    assert ALREADY_LOADED in out.getvalue()
    assert demo_payments(county_code="341503", seed=1) == ALREADY
    assert counts() == before
