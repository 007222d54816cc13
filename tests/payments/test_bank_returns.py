"""The banks' return files (回盘): paid and failed rows applied, every mismatched row reported with
its row number and nothing applied wrongly, a second import changing nothing, the run
reconciled when all is settled; the reissue of failed payments once the account is fixed."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from openpyxl import load_workbook

from minzheng.core.models import AuditEvent
from minzheng.payments.models import (
    BankFile,
    BankReturn,
    FundEntry,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.services import bank
from minzheng.payments.services.errors import PaymentError
from minzheng.payments.services.funds import fund_balance
from minzheng.registry.models import Household
from minzheng.registry.services import household_update
from tests.payments.test_bank_support import (
    PSBC,
    RNS,
    funded_run,
    return_csv,
    return_rows,
    return_xlsx,
    sent_payees,
)
from tests.programs.conftest import at

D = Decimal
TODAY = datetime.date(2026, 12, 8)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 12, 8), tick=False):
        yield


@pytest.fixture
def sent(world, personas) -> tuple[PayrollRun, BankFile, BankFile]:
    """The world's November run sent: (run, 农商行 file of 5 rows, 邮储 file of 4 rows)."""
    run = funded_run(world)
    files = {f.bank_name: f for f in bank.run_send(actor=personas.county_officer, run=run)}
    run.refresh_from_db()
    return run, files[RNS], files[PSBC]


def import_return(officer, bank_file, content, name="回盘.csv"):
    return bank.bank_return_import(
        actor=officer, bank_file=bank_file, content=content, file_name=name
    )


def row_lines(bank_file, row):
    return PaymentLine.objects.filter(bank_file=bank_file, bank_row=row)


def statuses(bank_file):
    return dict(PaymentLine.objects.filter(bank_file=bank_file).values_list("bank_row", "status"))


def bank_returns():
    return FundEntry.objects.filter(kind=FundEntry.Kind.BANK_RETURN)


@pytest.mark.parametrize("kind", ["csv-gbk", "csv-utf8", "xlsx"])
def test_paid_and_failed_rows_are_applied(sent, personas, kind):
    officer = personas.county_officer
    run, rns, _ = sent
    balance = fund_balance(run.fund_account)
    rows = return_rows(rns, {2: ("失败", "户名与账号不符"), 4: ("交易失败", "账户已销户")})
    content = {
        "csv-gbk": lambda: return_csv(rows),
        "csv-utf8": lambda: return_csv(rows, encoding="utf-8-sig"),
        "xlsx": lambda: return_xlsx(rows),
    }[kind]()

    returned = import_return(officer, rns, content)

    failed_amount = sum(line.amount for r in (2, 4) for line in row_lines(rns, r))
    assert returned.rows == 5 and returned.problems == []
    assert (returned.paid_count, returned.failed_count) == (3, 2)
    assert returned.failed_amount == failed_amount
    assert returned.paid_amount == rns.total_amount - failed_amount
    assert statuses(rns) == {
        1: LineStatus.PAID,
        2: LineStatus.FAILED,
        3: LineStatus.PAID,
        4: LineStatus.FAILED,
        5: LineStatus.PAID,
    }
    assert row_lines(rns, 2).get().failure_reason == "户名与账号不符"
    assert row_lines(rns, 1).get().paid_on == TODAY
    entry = bank_returns().get()
    assert entry.amount == failed_amount and entry.run == run
    assert entry.account == run.fund_account and entry.entry_date == TODAY
    assert fund_balance(run.fund_account) == balance + failed_amount
    rns.refresh_from_db()
    assert rns.status == BankFile.Status.RETURNED
    run.refresh_from_db()
    assert run.status == RunStatus.SENT  # the other bank has not answered yet
    event = AuditEvent.objects.get(action="payroll.bank_return")
    assert (event.changes["paid"], event.changes["failed"]) == (3, 2)


def test_the_header_is_found_below_a_title_and_rows_are_numbered_as_in_excel(sent, personas):
    _, rns, _ = sent
    rows = return_rows(rns)
    rows[2][0] = "6228489999999999"
    content = return_csv(rows, title="安徽裕安农村商业银行代发工资回盘文件")
    returned = import_return(personas.county_officer, rns, content)
    # title = row 1, header = row 2, data from row 3: the third data row is row 5
    assert [(p["row"], p["reason"]) for p in returned.problems] == [(5, bank.ROW_UNKNOWN_ACCOUNT)]
    assert returned.paid_count == 4


def test_an_excel_header_below_empty_and_title_rows_numbers_rows_as_excel_does(sent, personas):
    _, rns, _ = sent
    rows = return_rows(rns)
    rows[1][0] = "6228489999999999"
    content = return_xlsx(rows, title="代发回盘")
    returned = import_return(personas.county_officer, rns, content, name="回盘.xlsx")
    # row 1 empty, title row 2, empty row 3, header row 4: the second data row is row 6
    assert [(p["row"], p["reason"]) for p in returned.problems] == [(6, bank.ROW_UNKNOWN_ACCOUNT)]
    assert returned.paid_count == 4


def test_mismatched_rows_are_reported_and_nothing_is_applied_for_them(sent, personas):
    officer = personas.county_officer
    _, rns, _ = sent
    rows = return_rows(rns, {5: ("失败", "账户冻结")})
    rows[0][0] = "6228480000099999"  # row 2: an account not in the file
    sent_amount = rows[1][3]
    rows[1][3] = "1.00"  # row 3: amount differs
    rows[2][4] = "处理中"  # row 4: unknown result
    rows.append(list(rows[3]))  # rows 5 and 7: the same account twice
    rows[4][2] = "34150319600504999X"  # row 6 (the failed one): another ID number
    rows.append(["", "", "", "合计", "", ""])  # a total line: skipped

    returned = import_return(officer, rns, return_csv(rows))

    problems = [(p["row"], p["reason"]) for p in returned.problems]
    assert problems == [
        (2, bank.ROW_UNKNOWN_ACCOUNT),
        (3, bank.ROW_AMOUNT_DIFFERS.format(sent=sent_amount, returned="1.00")),
        (4, bank.ROW_RESULT_UNKNOWN.format(value="处理中")),
        (5, bank.ROW_DUPLICATE),
        (6, bank.ROW_ID_DIFFERS),
        (7, bank.ROW_DUPLICATE),
    ]
    assert returned.problems[0]["account_number"] == "6228480000099999"
    assert (returned.paid_count, returned.failed_count) == (0, 0)
    assert set(statuses(rns).values()) == {LineStatus.SENT}
    assert not bank_returns().exists()
    rns.refresh_from_db()
    assert rns.status == BankFile.Status.SENT


def test_a_second_import_of_the_same_return_changes_nothing(sent, personas):
    officer = personas.county_officer
    run, rns, _ = sent
    content = return_csv(return_rows(rns, {1: ("失败", "账号不存在")}))
    import_return(officer, rns, content)
    before = statuses(rns)
    balance = fund_balance(run.fund_account)

    again = import_return(officer, rns, content)

    assert (again.paid_count, again.failed_count) == (0, 0)
    assert [p["reason"] for p in again.problems] == [bank.ROW_ALREADY_APPLIED] * 5
    assert [p["row"] for p in again.problems] == [2, 3, 4, 5, 6]
    assert statuses(rns) == before
    assert bank_returns().count() == 1
    assert fund_balance(run.fund_account) == balance
    assert BankReturn.objects.count() == 2


def test_the_run_is_reconciled_when_every_row_is_settled(sent, personas):
    officer = personas.county_officer
    run, rns, psbc = sent
    import_return(officer, rns, return_csv(return_rows(rns)))
    xlsx = return_xlsx(return_rows(psbc, {3: ("失败", "账户已销户")}))
    import_return(officer, psbc, xlsx, name="邮储回盘.xlsx")

    run.refresh_from_db()
    assert run.status == RunStatus.RECONCILED and run.reconciled_at is not None
    assert set(BankFile.objects.values_list("status", flat=True)) == {BankFile.Status.RETURNED}
    assert AuditEvent.objects.filter(action="payroll.reconcile", object_id=str(run.pk)).exists()
    assert PaymentLine.objects.filter(run=run, status=LineStatus.FAILED).count() == 1


def test_a_partial_return_leaves_the_file_open(sent, personas):
    _, rns, _ = sent
    import_return(personas.county_officer, rns, return_csv(return_rows(rns)[:3]))
    rns.refresh_from_db()
    assert rns.status == BankFile.Status.SENT
    assert list(statuses(rns).values()).count(LineStatus.SENT) == 2


def test_an_excel_account_stored_as_a_number_is_reported(sent, personas):
    _, rns, _ = sent
    content = return_xlsx(return_rows(rns))
    book = load_workbook(io.BytesIO(content))
    book.active["A2"].value = int(book.active["A2"].value)  # 16 digits: Excel keeps 15
    out = io.BytesIO()
    book.save(out)
    returned = import_return(personas.county_officer, rns, out.getvalue())
    assert [(p["row"], p["reason"]) for p in returned.problems] == [
        (2, bank.ROW_ACCOUNT_LOST_DIGITS)
    ]
    assert returned.paid_count == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", bank.RETURN_EMPTY),
        ("账号,金额\r\n6228480000000001,300.50\r\n".encode("gbk"), None),
        ("账号,金额,处理结果\r\n".encode("gbk"), bank.RETURN_NO_DATA),
        (b"PK\x03\x04 not really a workbook", bank.RETURN_UNREADABLE),
        (b"\xff\xfe\x00\x00\x81\x00garbage", None),
    ],
)
def test_an_unreadable_file_is_refused_whole(sent, personas, content, message):
    _, rns, _ = sent
    with pytest.raises(PaymentError) as refused:
        import_return(personas.county_officer, rns, content)
    if message:
        assert refused.value.message == message
    assert not BankReturn.objects.exists()
    assert set(statuses(rns).values()) == {LineStatus.SENT}


def test_a_missing_result_column_names_the_headers_needed(sent, personas):
    _, rns, _ = sent
    with pytest.raises(PaymentError) as refused:
        import_return(personas.county_officer, rns, "账号,金额\r\n1,2\r\n".encode("gbk"))
    assert refused.value.message == bank.RETURN_NO_HEADER.format(headers="账号、金额、处理结果")


def test_returns_are_imported_by_the_countys_operator_only(sent, personas):
    _, rns, _ = sent
    content = return_csv(return_rows(rns))
    with pytest.raises(PermissionDenied):
        import_return(personas.township_clerk, rns, content)
    with pytest.raises(Http404):
        import_return(personas.other_county_officer, rns, content)


# --- reissue ---------------------------------------------------------------------------------


def failed_line(sent, personas) -> PaymentLine:
    _, rns, psbc = sent
    officer = personas.county_officer
    import_return(officer, rns, return_csv(return_rows(rns, {2: ("失败", "账户已销户")})))
    import_return(officer, psbc, return_csv(return_rows(psbc)))
    return row_lines(rns, 2).get()


def test_failed_lines_wait_in_the_queue_until_the_account_is_fixed(sent, personas):
    officer = personas.county_officer
    line = failed_line(sent, personas)
    queue = bank.reissue_queue(officer)
    assert [(q.pk, q.account_fixed) for q in queue] == [(line.pk, False)]
    assert list(bank.reissue_queue(personas.other_county_officer)) == []
    assert [q.pk for q in bank.reissue_queue(personas.township_clerk)] == (
        [line.pk] if line.region_code.startswith("341503100") else []
    )

    with pytest.raises(PaymentError) as refused:
        bank.reissue(actor=officer, lines=[line])
    assert refused.value.message == bank.REISSUE_ACCOUNT_UNCHANGED.format(names=line.person.name)
    Household.objects.filter(pk=line.household_id).update(bank_account_number="")
    assert not bank.reissue_queue(officer).get().account_fixed


def test_a_fixed_account_is_reissued_in_a_new_file(sent, personas):
    officer = personas.county_officer
    run, rns, _ = sent
    line = failed_line(sent, personas)
    run.refresh_from_db()
    assert run.status == RunStatus.RECONCILED
    balance = fund_balance(run.fund_account)
    household = Household.objects.get(pk=line.household_id)
    household_update(
        actor=officer,
        household=household,
        data={"bank_account_number": "6217000000000000123", "bank_name": PSBC},
        reason="原账户已销户,更换为邮储银行账户",
    )
    assert bank.reissue_queue(officer).get().account_fixed

    files = bank.reissue(actor=officer, lines=[line])

    assert len(files) == 1
    reissued = files[0]
    assert reissued.kind == BankFile.Kind.REISSUE and reissued.bank_name == PSBC
    assert reissued.row_count == 1 and reissued.total_amount == line.amount
    assert "_重发_" in reissued.file_name
    line.refresh_from_db()
    assert line.status == LineStatus.SENT and line.attempts == 2
    assert line.account_number == "6217000000000000123" and line.bank_name == PSBC
    assert (line.bank_file, line.bank_row, line.failure_reason) == (reissued, 1, "")
    assert sent_payees(reissued)[0]["账号"] == "6217000000000000123"
    entry = FundEntry.objects.get(kind=FundEntry.Kind.REISSUE)
    assert entry.amount == -line.amount and entry.run == run
    assert fund_balance(run.fund_account) == balance - line.amount
    run.refresh_from_db()
    assert run.status == RunStatus.SENT and run.reconciled_at is None
    event = AuditEvent.objects.get(action="payroll.reissue")
    assert event.changes["lines"][0]["failure_reason"] == "账户已销户"
    assert list(bank.reissue_queue(officer)) == []

    # a line is reissued once
    with pytest.raises(PaymentError):
        bank.reissue(actor=officer, lines=[line])
    # the reissue's return reconciles the run again
    import_return(officer, reissued, return_csv(return_rows(reissued)))
    run.refresh_from_db()
    line.refresh_from_db()
    assert run.status == RunStatus.RECONCILED and line.status == LineStatus.PAID
    # the old return of the regular file does not touch the line any more
    before = fund_balance(run.fund_account)
    again = import_return(officer, rns, return_csv(return_rows(rns)))
    assert again.paid_count == again.failed_count == 0
    assert fund_balance(run.fund_account) == before


def test_reissue_is_for_the_countys_operator(sent, personas):
    line = failed_line(sent, personas)
    with pytest.raises(PermissionDenied):
        bank.reissue(actor=personas.county_leader, lines=[line])
    with pytest.raises(PaymentError):
        bank.reissue(actor=personas.county_officer, lines=[])


def test_a_line_left_out_for_want_of_an_account_is_sent_once_the_household_has_one(world, personas):
    """Locking leaves out a household without an account (NO_ACCOUNT, its money never
    disbursed); once the township records an account, the line goes out like a failed one."""
    officer = personas.county_officer
    run = funded_run(world)
    line = PaymentLine.objects.filter(run=run).order_by("id").first()
    assert line is not None
    PaymentLine.objects.filter(pk=line.pk).update(
        status=LineStatus.NO_ACCOUNT, account_number="", account_name="", bank_name=""
    )
    bank.run_send(actor=officer, run=run)
    line.refresh_from_db()
    assert line.status == LineStatus.NO_ACCOUNT and line.bank_file is None
    queued = bank.reissue_queue(officer).get()
    household = Household.objects.get(pk=line.household_id)
    # the household's account is the one locking would have copied: "fixed" means it now has
    # one that the line was not sent to
    assert queued.pk == line.pk and queued.account_fixed
    balance = fund_balance(run.fund_account)

    files = bank.reissue(actor=officer, lines=[line])

    line.refresh_from_db()
    assert line.status == LineStatus.SENT and line.account_number == household.bank_account_number
    assert files[0].total_amount == line.amount
    assert fund_balance(run.fund_account) == balance - line.amount
    assert list(bank.reissue_queue(officer)) == []
