"""The pages of the fund accounts (专户 list, a new account, the statement of a period on screen,
printable and in Excel, 资金拨入 and 调账 by hand): who sees and does what, Chinese errors, and
the statement's figures to the fen."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.payments.models import FundAccount, FundEntry, RunStatus
from minzheng.payments.services import funds
from tests.payments.support import COUNTY, make_run
from tests.programs.conftest import at

D = Decimal
Kind = FundEntry.Kind
TODAY = datetime.date(2026, 11, 20)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 20), tick=False):
        yield


@pytest.fixture
def account(personas) -> FundAccount:
    return funds.fund_account_create(
        actor=personas.county_officer,
        name="裕安区低保资金专户",
        source="central",
        region_code=COUNTY,
        program="dibao_rural",
        bank_name="中国农业银行六安裕安支行",
        account_number="12345678901234",
    )


def book(personas, account, kind, amount, day, number="", note="", run=None) -> FundEntry:
    return funds.fund_entry_add(
        actor=personas.county_officer,
        account=account,
        kind=kind,
        amount=D(amount),
        entry_date=day,
        document_number=number,
        note=note,
        run=run,
    )


@pytest.fixture
def booked(personas, account, world):
    """2025: 1,000.00 in. 2026: 100,000.10 in, a run's 3,904.50 out, 0.33 adjusted down."""
    run = make_run(world, status=RunStatus.LOCKED)
    book(
        personas,
        account,
        Kind.ALLOCATION,
        "1000.00",
        datetime.date(2025, 12, 30),
        "裕财社〔2025〕9号",
    )
    book(
        personas,
        account,
        Kind.ALLOCATION,
        "100000.10",
        datetime.date(2026, 1, 15),
        "皖财社〔2026〕3号",
    )
    book(personas, account, Kind.DISBURSEMENT, "-3904.50", datetime.date(2026, 11, 5), run=run)
    book(personas, account, Kind.ADJUSTMENT, "-0.33", datetime.date(2026, 11, 6), note="银行手续费")
    return run


def detail_url(account, **query) -> str:
    url = reverse("payments:fund_detail", args=[account.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_balance_and_available_to_fund_readers(client, personas, account, booked):
    for reader in (personas.county_officer, personas.county_leader, personas.auditor):
        client.force_login(reader)
        page = client.get(reverse("payments:fund_list"))
        assert page.status_code == 200
        text = page.content.decode()
        assert "资金专户" in text
        assert "裕安区低保资金专户" in text
        assert "中央资金" in text
        assert "农村最低生活保障" in text
        assert "97,095.27" in text  # 1,000.00 + 100,000.10 - 3,904.50 - 0.33
        assert ("新建专户" in text) == (reader == personas.county_officer)


def test_the_list_is_for_fund_readers_only(client, personas, account):
    for user in (personas.township_clerk, personas.village_assistant, personas.hospital_clerk):
        client.force_login(user)
        assert client.get(reverse("payments:fund_list")).status_code == 403


def test_another_countys_officer_sees_no_account(client, personas, account):
    client.force_login(personas.other_county_officer)
    page = client.get(reverse("payments:fund_list"))
    assert page.status_code == 200
    assert "裕安区低保资金专户" not in page.content.decode()
    assert client.get(detail_url(account)).status_code == 404
    assert client.get(reverse("payments:fund_entry_add", args=[account.pk])).status_code == 404


def test_the_available_money_leaves_out_what_approved_runs_will_take(
    client, personas, account, booked, world
):
    run = make_run(world, status=RunStatus.APPROVED, month=datetime.date(2026, 12, 1))
    type(run).objects.filter(pk=run.pk).update(fund_account=account)
    client.force_login(personas.county_officer)
    text = client.get(reverse("payments:fund_list")).content.decode()
    assert "97,095.27" in text
    assert "93,190.77" in text  # minus the approved run's 3,904.50


# --- a new account ---------------------------------------------------------------------------


def test_a_fund_keeper_opens_an_account(client, personas):
    client.force_login(personas.county_officer)
    form = client.get(reverse("payments:fund_create"))
    assert form.status_code == 200
    assert "新建资金专户" in form.content.decode()
    response = client.post(
        reverse("payments:fund_create"),
        {
            "name": "省级特困供养资金",
            "source": "provincial",
            "program": "tekun",
            "region_code": COUNTY,
        },
    )
    account = FundAccount.objects.get(name="省级特困供养资金")
    assert response.status_code == 302
    assert response["Location"] == detail_url(account)
    assert (account.source, account.program, account.region_code) == ("provincial", "tekun", COUNTY)


def test_a_new_account_needs_a_name_unique_in_the_county(client, personas, account):
    client.force_login(personas.county_officer)
    empty = client.post(
        reverse("payments:fund_create"), {"source": "county", "region_code": COUNTY}
    )
    assert empty.status_code == 200
    assert "该字段是必填项" in empty.content.decode()
    taken = client.post(
        reverse("payments:fund_create"),
        {"name": "裕安区低保资金专户", "source": "county", "region_code": COUNTY},
    )
    assert taken.status_code == 200
    assert "本县(区)已有名为“裕安区低保资金专户”的资金专户" in taken.content.decode()
    assert FundAccount.objects.count() == 1


def test_only_fund_keepers_open_accounts(client, personas):
    for user in (personas.county_leader, personas.auditor, personas.township_clerk):
        client.force_login(user)
        assert client.get(reverse("payments:fund_create")).status_code == 403
        response = client.post(
            reverse("payments:fund_create"),
            {"name": "不该有的专户", "source": "county", "region_code": COUNTY},
        )
        assert response.status_code == 403
    assert not FundAccount.objects.exists()


# --- the statement ---------------------------------------------------------------------------


def test_the_statement_of_this_year_by_default(client, personas, account, booked):
    client.force_login(personas.auditor)
    page = client.get(detail_url(account))
    assert page.status_code == 200
    statement = page.context["statement"]
    assert (statement.date_from, statement.date_to) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )
    assert statement.opening == D("1000.00")
    assert [r.balance for r in page.context["rows"]] == [
        D("101000.10"),
        D("97095.60"),
        D("97095.27"),
    ]
    assert statement.closing == D("97095.27")
    text = page.content.decode()
    for figure in ("1,000.00", "100,000.10", "3,904.50", "0.33", "97,095.27", "3,904.83"):
        assert figure in text
    assert "期初余额" in text and "期末余额" in text and "本期合计" in text
    assert "皖财社〔2026〕3号" in text
    assert booked.number in text
    assert reverse("payments:run_detail", args=[booked.pk]) in text
    assert "银行手续费" in text
    assert "记账(资金拨入、调账)" not in text  # the auditor reads only


def test_the_statement_of_a_chosen_period(client, personas, account, booked):
    client.force_login(personas.county_officer)
    page = client.get(detail_url(account, date_from="2026-11-01", date_to="2026-11-05"))
    statement = page.context["statement"]
    assert statement.opening == D("101000.10")
    assert [r.entry.kind for r in page.context["rows"]] == [Kind.DISBURSEMENT]
    assert statement.closing == D("97095.60")
    assert statement.money_out == D("3904.50")
    totals = dict(page.context["kind_totals"])
    assert totals["发放支出"] == D("-3904.50")
    assert totals["资金拨入"] == D("0.00")


def test_a_reversed_period_is_said_in_chinese(client, personas, account, booked):
    client.force_login(personas.county_officer)
    page = client.get(detail_url(account, date_from="2026-12-01", date_to="2026-11-01"))
    assert page.status_code == 200
    assert "起始日期不能晚于截止日期" in page.content.decode()


def test_the_statement_exports_to_excel_with_opening_and_closing(client, personas, account, booked):
    client.force_login(personas.county_leader)
    response = client.get(detail_url(account, export="xlsx"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "记账日期",
        "类别",
        "文号/凭证号",
        "发放批次",
        "摘要",
        "收入",
        "支出",
        "余额",
    ]
    assert rows[1][1] == "期初余额" and D(str(rows[1][7])) == D("1000.00")
    assert rows[2][1:4] == ["资金拨入", "皖财社〔2026〕3号", None]
    assert D(str(rows[2][5])) == D("100000.10")
    assert rows[3][1] == "发放支出" and rows[3][3] == booked.number
    assert D(str(rows[3][6])) == D("3904.50")
    assert D(str(rows[4][7])) == D("97095.27")
    assert rows[5][1] == "本期合计"
    assert (D(str(rows[5][5])), D(str(rows[5][6]))) == (D("100000.10"), D("3904.83"))
    assert rows[6][1] == "期末余额" and D(str(rows[6][7])) == D("97095.27")


def test_the_statement_prints_on_its_own_page(client, personas, account, booked):
    client.force_login(personas.county_officer)
    page = client.get(detail_url(account, print="1"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "裕安区低保资金专户 对账单" in text
    assert "制表人" in text and "审核人" in text
    assert "97,095.27" in text
    assert 'class="menu"' not in text


# --- booking by hand -------------------------------------------------------------------------


def entry_url(account) -> str:
    return reverse("payments:fund_entry_add", args=[account.pk])


def test_a_fund_keeper_books_an_allocation(client, personas, account):
    client.force_login(personas.county_officer)
    form = client.get(entry_url(account))
    assert form.status_code == 200
    assert "资金拨入" in form.content.decode() and "调账" in form.content.decode()
    response = client.post(
        entry_url(account),
        {
            "kind": "allocation",
            "amount": "50000.25",
            "entry_date": "2026-11-18",
            "document_number": "皖财社〔2026〕88号",
            "note": "第四季度",
        },
    )
    assert response.status_code == 302
    entry = FundEntry.objects.get(account=account)
    assert (entry.kind, entry.amount, entry.document_number) == (
        "allocation",
        D("50000.25"),
        "皖财社〔2026〕88号",
    )
    assert funds.fund_balance(account) == D("50000.25")


def test_an_allocation_needs_a_positive_amount_and_its_document(client, personas, account):
    client.force_login(personas.county_officer)
    page = client.post(
        entry_url(account), {"kind": "allocation", "amount": "-5", "entry_date": "2026-11-18"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "拨入金额应大于0" in text
    assert "资金拨入请填写拨款文号" in text
    fen = client.post(
        entry_url(account),
        {
            "kind": "allocation",
            "amount": "5.001",
            "entry_date": "2026-11-18",
            "document_number": "x",
        },
    )
    assert "2 位" in fen.content.decode()  # Django's own: no more than 2 decimal places
    assert not FundEntry.objects.exists()


def test_an_adjustment_is_signed_and_needs_its_reason(client, personas, account, booked):
    client.force_login(personas.county_officer)
    page = client.post(
        entry_url(account), {"kind": "adjustment", "amount": "0", "entry_date": "2026-11-18"}
    )
    text = page.content.decode()
    assert "调账金额不能为0" in text
    assert "调账请在摘要中写明原因" in text
    done = client.post(
        entry_url(account),
        {"kind": "adjustment", "amount": "-95.27", "entry_date": "2026-11-19", "note": "冲正"},
    )
    assert done.status_code == 302
    assert funds.fund_balance(account) == D("97000.00")


def test_the_services_refusals_land_on_the_form(client, personas, account):
    client.force_login(personas.county_officer)
    future = client.post(
        entry_url(account),
        {
            "kind": "allocation",
            "amount": "10",
            "entry_date": "2026-12-01",
            "document_number": "皖财社〔2026〕99号",
        },
    )
    assert "记账日期不能晚于今天" in future.content.decode()
    overdrawn = client.post(
        entry_url(account),
        {"kind": "adjustment", "amount": "-10", "entry_date": "2026-11-18", "note": "误记"},
    )
    assert "不能为负数" in overdrawn.content.decode()
    assert not FundEntry.objects.exists()


def test_only_fund_keepers_book(client, personas, account):
    for user in (personas.county_leader, personas.auditor):
        client.force_login(user)
        response = client.post(
            entry_url(account),
            {
                "kind": "allocation",
                "amount": "10",
                "entry_date": "2026-11-18",
                "document_number": "皖财社〔2026〕1号",
            },
        )
        assert response.status_code == 403
    assert not FundEntry.objects.exists()
