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

from minzheng.payments.models import (
    BankFile,
    BankTemplate,
    FundAccount,
    FundEntry,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.services import funds
from minzheng.registry.models import Household
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


# --- 失败重发 ---------------------------------------------------------------------------------


@pytest.fixture
def failed(world, account, personas):
    """A sent run paid from the account; the first two cases' payments failed, and the first
    household's account has been corrected since."""
    run = make_run(world, status=RunStatus.SENT)
    PayrollRun.objects.filter(pk=run.pk).update(fund_account=account)
    book(personas, account, Kind.ALLOCATION, "10000.00", TODAY, "皖财社〔2026〕5号")
    first, second = world.cases[0], world.cases[1]
    PaymentLine.objects.filter(run=run).update(status="paid", paid_on=TODAY)
    PaymentLine.objects.filter(run=run, case__in=[first, second]).update(
        status="failed", paid_on=None, failure_reason="户名与账号不符"
    )
    Household.objects.filter(pk=first.household_id).update(bank_account_number="6228489999000011")
    return run


def queue_line(run, case) -> PaymentLine:
    return PaymentLine.objects.get(run=run, case=case)


def test_the_reissue_queue_shows_failed_payments_and_fixed_accounts(
    client, personas, world, failed
):
    client.force_login(personas.county_officer)
    page = client.get(reverse("payments:reissue_queue"))
    assert page.status_code == 200
    text = page.content.decode()
    first, second = world.cases[0], world.cases[1]
    assert first.applicant.name in text and second.applicant.name in text
    assert world.cases[2].applicant.name not in text  # paid
    assert "户名与账号不符" in text
    assert "账户已更正" in text and "账户未更正" in text
    assert "6228489999000011" in text
    assert failed.number in text
    assert "陶洪村" in text
    assert reverse("registry:household_edit", args=[first.household_id]) in text
    # Only the corrected one can be ticked.
    assert f'value="{queue_line(failed, first).pk}"' in text
    assert f'value="{queue_line(failed, second).pk}"' not in text
    assert page.context["amount"] == D("701.00")


def test_a_township_clerk_sees_the_townships_failures_without_acting(
    client, personas, world, failed
):
    client.force_login(personas.township_clerk)
    page = client.get(reverse("payments:reissue_queue"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "重新报送勾选的明细" not in text
    assert 'name="lines"' not in text
    line = queue_line(failed, world.cases[0])
    response = client.post(reverse("payments:reissue_queue"), {"lines": [line.pk]})
    assert response.status_code == 403
    client.force_login(personas.other_township_clerk)
    assert (
        world.cases[0].applicant.name
        not in client.get(reverse("payments:reissue_queue")).content.decode()
    )


def test_the_operator_reissues_the_corrected_ones(client, personas, world, failed, account):
    line = queue_line(failed, world.cases[0])
    client.force_login(personas.county_officer)
    response = client.post(reverse("payments:reissue_queue"), {"lines": [line.pk]}, follow=True)
    assert "已重新报送1笔,生成重发银行文件1个" in response.content.decode()
    line.refresh_from_db()
    assert (line.status, line.account_number) == ("sent", "6228489999000011")
    assert BankFile.objects.filter(run=failed, kind="reissue").count() == 1
    assert FundEntry.objects.get(account=account, kind=Kind.REISSUE).amount == D("-300.50")


def test_an_uncorrected_account_or_nothing_ticked_is_refused_in_chinese(
    client, personas, world, failed
):
    client.force_login(personas.county_officer)
    nothing = client.post(reverse("payments:reissue_queue"), {}, follow=True)
    assert "请勾选要重新发放的明细" in nothing.content.decode()
    unfixed = queue_line(failed, world.cases[1])
    refused = client.post(reverse("payments:reissue_queue"), {"lines": [unfixed.pk]}, follow=True)
    assert "银行账户尚未更正,不能重新发放" in refused.content.decode()
    unfixed.refresh_from_db()
    assert unfixed.status == "failed"
    assert not BankFile.objects.filter(kind="reissue").exists()


def test_another_countys_failures_are_not_there(client, personas, world, failed):
    client.force_login(personas.other_county_officer)
    page = client.get(reverse("payments:reissue_queue"))
    assert world.cases[0].applicant.name not in page.content.decode()
    line = queue_line(failed, world.cases[0])
    client.post(reverse("payments:reissue_queue"), {"lines": [line.pk]})
    line.refresh_from_db()
    assert line.status == "failed"


# --- 追回台账 ---------------------------------------------------------------------------------


@pytest.fixture
def owed(world, personas):
    """A sent run in which the first case owes 200.00 (a death learnt late)."""
    run = make_run(world, status=RunStatus.SENT)
    PaymentLine.objects.filter(run=run, case=world.cases[0]).update(
        kind="adjustment", amount=D("-200.00"), status="to_recover", note="死亡后多发,应追回"
    )
    return PaymentLine.objects.get(run=run, case=world.cases[0])


def test_the_recovery_list_with_totals(client, personas, world, owed):
    for user in (personas.county_officer, personas.auditor, personas.township_clerk):
        client.force_login(user)
        page = client.get(reverse("payments:recovery_list"))
        assert page.status_code == 200
        text = page.content.decode()
        assert "追回台账" in text
        assert world.cases[0].applicant.name in text
        assert "死亡后多发,应追回" in text
        assert page.context["open_amount"] == D("200.00")
        assert ("登记追回" in text) == (user == personas.county_officer)
    client.force_login(personas.other_township_clerk)
    page = client.get(reverse("payments:recovery_list"))
    assert world.cases[0].applicant.name not in page.content.decode()
    client.force_login(personas.village_assistant)
    assert client.get(reverse("payments:recovery_list")).status_code == 403


def test_the_operator_records_a_recovery(client, personas, world, owed, account):
    url = reverse("payments:recovery_record", args=[owed.pk])
    client.force_login(personas.county_officer)
    form = client.get(url)
    assert form.status_code == 200
    assert "裕安区低保资金专户" in form.content.decode()
    response = client.post(
        url,
        {"receipt": "缴款书No.0012", "recovered_on": "2026-11-19", "fund_account": account.pk},
        follow=True,
    )
    assert "已登记追回" in response.content.decode()
    owed.refresh_from_db()
    assert owed.status == "recovered"
    entry = FundEntry.objects.get(account=account, kind=Kind.RECOVERY)
    assert (entry.amount, entry.document_number) == (D("200.00"), "缴款书No.0012")
    again = client.get(url)
    assert "该款项已登记追回" in again.content.decode()


def test_a_recovery_form_says_what_is_wrong_in_chinese(client, personas, world, owed, account):
    url = reverse("payments:recovery_record", args=[owed.pk])
    client.force_login(personas.county_officer)
    empty = client.post(url, {})
    assert "该字段是必填项" in empty.content.decode()
    too_much = client.post(
        url,
        {
            "receipt": "缴款书No.0013",
            "recovered_on": "2026-11-19",
            "fund_account": account.pk,
            "amount": "250.00",
        },
    )
    assert "追回金额必须大于0且不超过应追回金额200.00元" in too_much.content.decode()
    owed.refresh_from_db()
    assert owed.status == "to_recover"


def test_recording_a_recovery_is_for_operators_in_scope(client, personas, world, owed, account):
    url = reverse("payments:recovery_record", args=[owed.pk])
    data = {"receipt": "x", "recovered_on": "2026-11-19", "fund_account": account.pk}
    client.force_login(personas.county_leader)
    assert client.post(url, data).status_code == 403
    client.force_login(personas.other_county_officer)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    owed.refresh_from_db()
    assert owed.status == "to_recover"


# --- 银行文件模板 -----------------------------------------------------------------------------

TEMPLATE_POST = {
    "region_code": COUNTY,
    "bank_name": "中国邮政储蓄银行",
    "file_format": "csv",
    "encoding": "gbk",
    "delimiter": "|",
    "columns": "序号\n收款人户名=户名\n收款账号=account_number\n金额\n附言=摘要",
    "remark_template": "{year}年{month}月{program}",
    "return_account_number": "收款账号",
    "return_account_name": "收款人户名",
    "return_id_number": "",
    "return_amount": "金额",
    "return_result": "交易状态",
    "return_reason": "失败原因",
    "success_values": "成功,S",
}


def test_a_county_officer_sets_a_banks_template(client, personas):
    client.force_login(personas.county_officer)
    form = client.get(reverse("payments:bank_template_new"))
    assert form.status_code == 200
    text = form.content.decode()
    assert "新建银行文件模板" in text
    assert "身份证号码" in text and "id_number" in text  # the fields to choose from
    response = client.post(reverse("payments:bank_template_new"), TEMPLATE_POST)
    assert response.status_code == 302
    template = BankTemplate.objects.get()
    assert template.region_code == COUNTY
    assert template.delimiter == "|"
    assert template.columns == [
        {"header": "序号", "field": "serial"},
        {"header": "收款人户名", "field": "account_name"},
        {"header": "收款账号", "field": "account_number"},
        {"header": "金额", "field": "amount"},
        {"header": "附言", "field": "remark"},
    ]
    assert template.return_columns["result"] == "交易状态"
    assert "id_number" not in template.return_columns
    assert template.success_values == ["成功", "S"]
    listing = client.get(reverse("payments:bank_templates")).content.decode()
    assert "中国邮政储蓄银行" in listing and "收款人户名" in listing


def test_a_template_form_says_what_is_wrong_in_chinese(client, personas):
    client.force_login(personas.county_officer)
    unknown = client.post(
        reverse("payments:bank_template_new"), {**TEMPLATE_POST, "columns": "收款人=性别"}
    )
    assert "第1行“收款人=性别”:不认识的字段“性别”" in unknown.content.decode()
    no_account = client.post(
        reverse("payments:bank_template_new"), {**TEMPLATE_POST, "columns": "户名\n金额"}
    )
    assert "批量文件必须包含“账号”列" in no_account.content.decode()
    no_result = client.post(
        reverse("payments:bank_template_new"), {**TEMPLATE_POST, "return_result": ""}
    )
    assert "该字段是必填项" in no_result.content.decode()
    assert not BankTemplate.objects.exists()


def test_a_template_is_changed_on_its_page(client, personas):
    client.force_login(personas.county_officer)
    client.post(reverse("payments:bank_template_new"), TEMPLATE_POST)
    template = BankTemplate.objects.get()
    url = reverse("payments:bank_template_edit", args=[template.pk])
    page = client.get(url)
    assert "收款人户名=户名" in page.content.decode()
    changed = {**TEMPLATE_POST, "file_format": "xlsx", "columns": "账号\n金额\n户名"}
    assert client.post(url, changed).status_code == 302
    template.refresh_from_db()
    assert template.file_format == "xlsx"
    assert [c["field"] for c in template.columns] == ["account_number", "amount", "account_name"]
    assert BankTemplate.objects.count() == 1


def test_templates_are_for_their_editors_in_scope(client, personas):
    client.force_login(personas.system_admin)
    assert client.get(reverse("payments:bank_templates")).status_code == 200
    client.post(reverse("payments:bank_template_new"), TEMPLATE_POST)
    template = BankTemplate.objects.get()
    for user in (personas.county_leader, personas.auditor, personas.township_clerk):
        client.force_login(user)
        assert client.get(reverse("payments:bank_templates")).status_code == 403
        assert client.post(reverse("payments:bank_template_new"), TEMPLATE_POST).status_code == 403
    client.force_login(personas.other_county_officer)
    url = reverse("payments:bank_template_edit", args=[template.pk])
    assert client.get(url).status_code == 404
    assert "中国邮政储蓄银行" not in client.get(reverse("payments:bank_templates")).content.decode()
