"""Fund accounts (专户): opening one, booking allocations and adjustments by hand and the entries
of runs, returns and recoveries; balance, money promised to approved runs, and the statement of
a period with its running balance to the fen."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minzheng.core.models import AuditEvent
from minzheng.payments.models import FundAccount, FundEntry, PayrollRun, RunStatus
from minzheng.payments.services import funds
from minzheng.payments.services.errors import PaymentError
from tests.payments.support import COUNTY, NOV, TOWNSHIP
from tests.programs.conftest import at

D = Decimal
TODAY = datetime.date(2026, 11, 20)
Kind = FundEntry.Kind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 20), tick=False):
        yield


@pytest.fixture
def account(personas) -> FundAccount:
    return funds.fund_account_create(
        actor=personas.county_officer,
        name="裕安区困难群众救助资金专户",
        source="central",
        region_code=COUNTY,
        program="dibao_rural",
        bank_name="中国农业银行六安裕安支行",
        account_number="12345678901234",
    )


def allocate(officer, account, amount, day=TODAY, number="皖财社〔2026〕12号"):
    return funds.fund_entry_add(
        actor=officer,
        account=account,
        kind=Kind.ALLOCATION,
        amount=D(amount),
        entry_date=day,
        document_number=number,
    )


def approved_run(officer, account, payable, region_code=COUNTY, month=NOV, program="dibao_rural"):
    return PayrollRun.objects.create(
        number=f"R{PayrollRun.objects.count() + 1}",
        program=program,
        region_code=region_code,
        month=month,
        status=RunStatus.APPROVED,
        fund_account=account,
        payable_amount=D(payable),
        created_by=officer,
    )


# --- accounts -------------------------------------------------------------------------------


def test_a_fund_keeper_opens_an_account_of_the_county(personas, account):
    assert account.pk and account.region_code == COUNTY and account.is_active
    assert account.created_by == personas.county_officer
    event = AuditEvent.objects.get(action="fund.account_create", object_id=str(account.pk))
    assert event.region_code == COUNTY


def test_it_refuses_a_second_account_of_the_same_name_in_the_county(personas, account):
    with pytest.raises(PaymentError) as refused:
        funds.fund_account_create(
            actor=personas.county_officer,
            name=" 裕安区困难群众救助资金专户 ",
            source="county",
            region_code=COUNTY,
        )
    assert refused.value.errors == {
        "name": [funds.ACCOUNT_NAME_TAKEN.format(name="裕安区困难群众救助资金专户")]
    }


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"region_code": TOWNSHIP}, "region_code", funds.ACCOUNT_REGION_NOT_COUNTY),
        ({"program": "nonsense"}, "program", funds.ACCOUNT_PROGRAM_INVALID.format(code="nonsense")),
        ({"source": "bank"}, "source", funds.ACCOUNT_SOURCE_INVALID),
        ({"name": "  "}, "name", funds.ACCOUNT_NAME_MISSING),
    ],
)
def test_it_refuses_an_account_that_is_not_well_formed(personas, fields, field, message):
    values = {"name": "县级配套资金", "source": "county", "region_code": COUNTY} | fields
    with pytest.raises(PaymentError) as refused:
        funds.fund_account_create(actor=personas.county_officer, **values)
    assert refused.value.errors[field] == [message]
    assert not FundAccount.objects.exists()


def test_only_a_fund_keeper_in_scope_opens_an_account(personas):
    values = {"name": "县级配套资金", "source": "county", "region_code": COUNTY}
    for user in (personas.county_leader, personas.auditor, personas.township_clerk):
        with pytest.raises(PermissionDenied):
            funds.fund_account_create(actor=user, **values)
    with pytest.raises(Http404):
        funds.fund_account_create(actor=personas.other_county_officer, **values)
    assert not FundAccount.objects.exists()


# --- entries --------------------------------------------------------------------------------


def test_an_allocation_is_booked_with_its_document_and_audited(personas, account):
    entry = allocate(personas.county_officer, account, "120000.00")
    assert entry.amount == D("120000.00") and entry.account == account
    assert entry.document_number == "皖财社〔2026〕12号"
    event = AuditEvent.objects.get(action="fund.entry", object_id=str(account.pk))
    assert event.changes["amount"] == "120000.00"
    assert event.changes["balance"] == "120000.00"
    assert event.actor == personas.county_officer


@pytest.mark.parametrize(
    ("amount", "number", "day", "field", "message"),
    [
        ("0", "文1", TODAY, "amount", "资金拨入金额必须大于0"),
        ("-5.00", "文1", TODAY, "amount", "资金拨入金额必须大于0"),
        ("10.005", "文1", TODAY, "amount", funds.ENTRY_AMOUNT_FEN),
        ("abc", "文1", TODAY, "amount", funds.ENTRY_AMOUNT_INVALID),
        ("1000000000000", "文1", TODAY, "amount", funds.ENTRY_AMOUNT_TOO_LARGE),
        ("100", "  ", TODAY, "document_number", funds.ENTRY_DOCUMENT_REQUIRED),
        ("100", "文1", TODAY + datetime.timedelta(days=1), "entry_date", funds.ENTRY_DATE_FUTURE),
    ],
)
def test_it_refuses_an_allocation_that_is_not_well_formed(
    personas, account, amount, number, day, field, message
):
    with pytest.raises(PaymentError) as refused:
        funds.fund_entry_add(
            actor=personas.county_officer,
            account=account,
            kind=Kind.ALLOCATION,
            amount=amount,  # type: ignore[arg-type]
            entry_date=day,
            document_number=number,
        )
    assert refused.value.errors[field] == [message]
    assert not FundEntry.objects.exists()


def test_it_refuses_money_given_as_a_float(personas, account):
    with pytest.raises(PaymentError):
        allocate(personas.county_officer, account, 0.1)
    assert not FundEntry.objects.exists()


def test_trailing_zeros_beyond_the_fen_are_accepted(personas, account):
    assert allocate(personas.county_officer, account, "100.500").amount == D("100.50")


def test_an_adjustment_is_signed_with_a_reason_and_never_overdraws(personas, account):
    officer = personas.county_officer
    allocate(officer, account, "1000.00")

    def adjust(amount, note="更正2026年10月误记拨款"):
        return funds.fund_entry_add(
            actor=officer,
            account=account,
            kind=Kind.ADJUSTMENT,
            amount=D(amount),
            entry_date=TODAY,
            note=note,
        )

    with pytest.raises(PaymentError) as refused:
        adjust("0")
    assert refused.value.errors == {"amount": [funds.ENTRY_AMOUNT_ZERO]}
    with pytest.raises(PaymentError) as refused:
        adjust("-10.00", note="")
    assert refused.value.errors == {"note": [funds.ENTRY_NOTE_REQUIRED]}
    with pytest.raises(PaymentError) as refused:
        adjust("-1000.01")
    assert "-0.01" in refused.value.errors["amount"][0]
    adjust("-999.99")
    adjust("0.49")
    assert funds.fund_balance(account) == D("0.50")


def test_only_a_fund_keeper_books_by_hand(personas, account):
    for user in (personas.county_leader, personas.auditor, personas.township_clerk, None):
        with pytest.raises(PermissionDenied):
            allocate(user, account, "10.00")
    with pytest.raises(Http404):
        allocate(personas.other_county_officer, account, "10.00")
    assert not FundEntry.objects.exists()


def test_the_entries_of_runs_carry_their_sign_and_may_be_booked_by_the_system(personas, account):
    officer = personas.county_officer
    allocate(officer, account, "500.00")
    run = approved_run(officer, account, "0.00")

    def book(kind, amount, actor=officer):
        return funds.fund_entry_add(
            actor=actor, account=account, kind=kind, amount=D(amount), entry_date=TODAY, run=run
        )

    for kind, wrong in [
        (Kind.DISBURSEMENT, "300.00"),
        (Kind.REISSUE, "20.00"),
        (Kind.BANK_RETURN, "-20.00"),
        (Kind.RECOVERY, "0.00"),
    ]:
        with pytest.raises(PaymentError) as refused:
            book(kind, wrong)
        assert list(refused.value.errors) == ["amount"]
    book(Kind.DISBURSEMENT, "-300.00")
    book(Kind.BANK_RETURN, "20.00", actor=None)
    book(Kind.REISSUE, "-20.00")
    book(Kind.RECOVERY, "300.50", actor=None)
    with pytest.raises(PermissionDenied):
        book(Kind.BANK_RETURN, "1.00", actor=personas.county_leader)
    assert funds.fund_balance(account) == D("500.50")
    assert FundEntry.objects.filter(run=run).count() == 4


def test_an_entry_of_a_run_of_another_county_is_refused(personas, account):
    run = approved_run(personas.county_officer, account, "0.00", region_code="640324000000")
    with pytest.raises(PaymentError) as refused:
        funds.fund_entry_add(
            actor=None,
            account=account,
            kind=Kind.BANK_RETURN,
            amount=D("1.00"),
            entry_date=TODAY,
            run=run,
        )
    assert list(refused.value.errors) == ["run"]


def test_no_allocation_into_a_closed_account(personas, account):
    FundAccount.objects.filter(pk=account.pk).update(is_active=False)
    account.refresh_from_db()
    with pytest.raises(PaymentError) as refused:
        allocate(personas.county_officer, account, "10.00")
    assert refused.value.errors == {"account": [funds.ENTRY_ACCOUNT_INACTIVE]}


# --- balances and statements ----------------------------------------------------------------


def test_balance_and_statement_across_periods_to_the_fen(personas, account):
    officer = personas.county_officer
    run = approved_run(officer, account, "0.00")
    allocate(officer, account, "0.10", day=datetime.date(2026, 9, 30), number="文A")
    allocate(officer, account, "10000.20", day=datetime.date(2026, 10, 1), number="文B")
    late = allocate(officer, account, "0.30", day=datetime.date(2026, 10, 1), number="文C")
    funds.fund_entry_add(
        actor=officer,
        account=account,
        kind=Kind.DISBURSEMENT,
        amount=D("-3005.05"),
        entry_date=datetime.date(2026, 10, 15),
        run=run,
    )
    funds.fund_entry_add(
        actor=None,
        account=account,
        kind=Kind.BANK_RETURN,
        amount=D("300.51"),
        entry_date=datetime.date(2026, 10, 31),
        run=run,
    )
    allocate(officer, account, "7.77", day=datetime.date(2026, 11, 1), number="文D")

    assert funds.fund_balance(account, datetime.date(2026, 9, 30)) == D("0.10")
    assert funds.fund_balance(account, datetime.date(2026, 10, 1)) == D("10000.60")
    assert funds.fund_balance(account, datetime.date(2026, 10, 31)) == D("7296.06")
    assert funds.fund_balance(account) == D("7303.83")

    st = funds.fund_statement(account, datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    assert st.opening == D("0.10")
    assert [(line.entry.amount, line.balance) for line in st.lines] == [
        (D("10000.20"), D("10000.30")),
        (D("0.30"), D("10000.60")),
        (D("-3005.05"), D("6995.55")),
        (D("300.51"), D("7296.06")),
    ]
    assert st.lines[1].entry == late
    assert st.money_in == D("10301.01") and st.money_out == D("3005.05")
    assert st.closing == D("7296.06") == st.opening + st.money_in - st.money_out
    assert st.totals_by_kind[Kind.ALLOCATION] == D("10000.50")
    assert st.totals_by_kind[Kind.DISBURSEMENT] == D("-3005.05")
    assert st.totals_by_kind[Kind.BANK_RETURN] == D("300.51")
    assert st.totals_by_kind[Kind.REISSUE] == D("0.00")
    assert all(isinstance(v, Decimal) for v in st.totals_by_kind.values())

    november = funds.fund_statement(account, datetime.date(2026, 11, 1), TODAY)
    assert november.opening == st.closing
    assert november.closing == D("7303.83")
    empty = funds.fund_statement(account, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    assert empty.opening == empty.closing == D("0.00") and empty.lines == []


def test_a_statement_period_must_not_end_before_it_starts(account):
    with pytest.raises(PaymentError):
        funds.fund_statement(account, TODAY, TODAY - datetime.timedelta(days=1))


def test_available_money_leaves_out_what_approved_runs_will_take(personas, account):
    officer = personas.county_officer
    allocate(officer, account, "10000.00")
    first = approved_run(officer, account, "3000.25")
    approved_run(officer, account, "1500.50", month=datetime.date(2026, 10, 1))
    locked = approved_run(officer, account, "999.00", month=datetime.date(2026, 9, 1))
    PayrollRun.objects.filter(pk=locked.pk).update(status=RunStatus.LOCKED)
    other = funds.fund_account_create(
        actor=officer, name="县级配套资金", source="county", region_code=COUNTY
    )
    approved_run(officer, other, "100.00", program="tekun")

    assert funds.fund_balance(account) == D("10000.00")
    assert funds.fund_available(account) == D("5499.25")
    assert funds.fund_available(account, excluding=first) == D("8499.50")
