"""Sending a locked run to the banks: one file per bank from the bank's template (CSV in the
bank's encoding or XLSX), one row per payee with the net of its lines, the lines SENT; payees
whose net is not positive get no row (OFFSET / TO_RECOVER) and their recovery is booked later.
And the templates themselves."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from openpyxl import load_workbook

from minzheng.core.models import AuditEvent
from minzheng.payments.models import (
    BankFile,
    BankTemplate,
    FundEntry,
    LineKind,
    LineStatus,
    PaymentLine,
    RunStatus,
)
from minzheng.payments.services import bank
from minzheng.payments.services.errors import PaymentConflict, PaymentError
from minzheng.payments.services.funds import fund_balance
from tests.payments.support import COUNTY, OCT, TOWNSHIP
from tests.payments.test_bank_support import PSBC, RNS, file_rows, funded_run
from tests.programs.conftest import at

D = Decimal
pytestmark = pytest.mark.django_db

GBK_COLUMNS = [
    {"header": "序号", "field": "serial"},
    {"header": "姓名", "field": "account_name"},
    {"header": "卡号", "field": "account_number"},
    {"header": "证件号码", "field": "id_number"},
    {"header": "发放金额", "field": "amount"},
    {"header": "备注", "field": "remark"},
    {"header": "村(社区)", "field": "village"},
]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 12, 3), tick=False):
        yield


def save_template(officer, bank_name=RNS, **overrides):
    fields = {
        "actor": officer,
        "region_code": COUNTY,
        "bank_name": bank_name,
        "file_format": "csv",
        "encoding": "gbk",
        "delimiter": ",",
        "columns": GBK_COLUMNS,
        "return_columns": dict(bank.DEFAULT_RETURN_COLUMNS),
        "success_values": ["成功"],
        "remark_template": "{year}年{month}月{program}",
    }
    fields.update(overrides)
    return bank.bank_template_save(**fields)


# --- sending ---------------------------------------------------------------------------------


def test_it_sends_one_file_per_bank_with_a_row_per_payee(world, personas):
    officer = personas.county_officer
    run = funded_run(world)
    version = run.version
    files = bank.run_send(actor=officer, run=run, version=version)

    assert [f.bank_name for f in files] == [PSBC, RNS]
    by_bank = {f.bank_name: f for f in files}
    assert by_bank[RNS].row_count == 5 and by_bank[PSBC].row_count == 4
    lines = PaymentLine.objects.filter(run=run)
    for f in files:
        mine = lines.filter(bank_file=f)
        assert f.total_amount == sum(line.amount for line in mine)
        assert sorted(line.bank_row for line in mine) == list(range(1, f.row_count + 1))
        assert f.status == BankFile.Status.SENT and f.kind == BankFile.Kind.REGULAR
        assert f.file_name.startswith(f"裕安区_{f.bank_name}_农村最低生活保障_202611_")
        assert f.file_name.endswith(".csv") and len(f.sha256) == 64
    assert set(lines.values_list("status", flat=True)) == {LineStatus.SENT}
    assert set(lines.values_list("attempts", flat=True)) == {1}
    assert run.status == RunStatus.SENT and run.version == version + 1
    assert run.sent_by == officer and run.sent_at == timezone.now()
    event = AuditEvent.objects.get(action="payroll.send", object_id=str(run.pk))
    assert [f["file_name"] for f in event.changes["files"]] == [f.file_name for f in files]


def test_the_default_file_is_utf8_csv_with_the_common_columns(world, personas):
    run = funded_run(world)
    files = bank.run_send(actor=personas.county_officer, run=run)
    content = bytes(files[0].content)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = file_rows(files[0])
    assert list(rows[0]) == [c["header"] for c in bank.DEFAULT_COLUMNS]
    # The county's default template was saved for the bank (a file points to its template).
    assert BankTemplate.objects.filter(region_code=COUNTY, bank_name=PSBC).count() == 1


def test_a_gbk_csv_reads_back_with_the_templates_columns_in_village_order(world, personas):
    officer = personas.county_officer
    save_template(officer)
    run = funded_run(world)
    files = bank.run_send(actor=officer, run=run)
    rns = next(f for f in files if f.bank_name == RNS)

    rows = file_rows(rns, encoding="gbk")
    assert list(rows[0]) == [c["header"] for c in GBK_COLUMNS]
    lines = {
        line.account_number: line
        for line in PaymentLine.objects.filter(bank_file=rns).select_related("person")
    }
    expected = sorted(lines.values(), key=lambda line: (line.region_code, line.person_id))
    assert [r["卡号"] for r in rows] == [line.account_number for line in expected]
    first = expected[0]
    assert rows[0] == {
        "序号": "1",
        "姓名": first.account_name,
        "卡号": first.account_number,
        "证件号码": first.person.id_number,
        "发放金额": f"{first.amount:.2f}",
        "备注": "2026年11月农村最低生活保障",
        "村(社区)": "苏埠社区",
    }
    assert all(
        r["发放金额"].count(".") == 1 and len(r["发放金额"].split(".")[1]) == 2 for r in rows
    )
    # the other bank has no template of its own: the default
    psbc = next(f for f in files if f.bank_name == PSBC)
    assert bytes(psbc.content).startswith(b"\xef\xbb\xbf")


def test_pipe_and_tab_delimited_files(world, personas):
    officer = personas.county_officer
    save_template(officer, delimiter="|")
    save_template(officer, bank_name=PSBC, delimiter="\t", encoding="gb18030")
    files = bank.run_send(actor=officer, run=funded_run(world))
    by_bank = {f.bank_name: bytes(f.content) for f in files}
    assert by_bank[RNS].decode("gbk").splitlines()[0] == "|".join(c["header"] for c in GBK_COLUMNS)
    assert by_bank[PSBC].decode("gb18030").splitlines()[0].split("\t")[0] == "序号"


def test_an_xlsx_file_keeps_account_and_id_numbers_as_text(world, personas):
    officer = personas.county_officer
    save_template(officer, file_format="xlsx")
    files = bank.run_send(actor=officer, run=funded_run(world))
    rns = next(f for f in files if f.bank_name == RNS)
    assert rns.file_name.endswith(".xlsx")

    sheet = load_workbook(io.BytesIO(bytes(rns.content))).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [c["header"] for c in GBK_COLUMNS]
    assert len(rows) == 1 + rns.row_count
    serial, _, account, id_number, amount, _, _ = rows[1]
    line = PaymentLine.objects.select_related("person").get(bank_file=rns, bank_row=1)
    assert serial.value == 1
    assert account.value == line.account_number and account.data_type == "s"
    assert account.number_format == "@"
    assert id_number.value == line.person.id_number and id_number.data_type == "s"
    assert amount.data_type == "n" and amount.number_format == "0.00"
    assert D(str(amount.value)) == line.amount
    total = sum(D(str(r[4].value)) for r in rows[1:])
    assert total == rns.total_amount


def test_a_name_gbk_cannot_write_is_an_error_naming_the_row(world, personas):
    officer = personas.county_officer
    save_template(officer)
    run = funded_run(world)
    line = (
        PaymentLine.objects.filter(run=run, bank_name=RNS).order_by("region_code", "person_id")
    )[1]
    PaymentLine.objects.filter(pk=line.pk).update(account_name="王𠮷")

    with pytest.raises(PaymentError) as refused:
        bank.run_send(actor=officer, run=run)
    assert "序号为2的一行(王𠮷)" in refused.value.message
    assert "“𠮷”" in refused.value.message
    run.refresh_from_db()
    assert run.status == RunStatus.LOCKED
    assert not BankFile.objects.exists()
    assert set(PaymentLine.objects.filter(run=run).values_list("status", flat=True)) == {
        LineStatus.PENDING
    }
    # GB18030 writes it.
    save_template(officer, encoding="gb18030", template=BankTemplate.objects.get(bank_name=RNS))
    files = bank.run_send(actor=officer, run=run)
    assert "王𠮷" in bytes(files[-1].content).decode("gb18030")


def test_sending_again_returns_the_same_files(world, personas):
    officer = personas.county_officer
    run = funded_run(world)
    first = bank.run_send(actor=officer, run=run, version=run.version)
    again = bank.run_send(actor=officer, run=run, version=run.version - 1)
    assert [f.pk for f in again] == [f.pk for f in first]
    assert BankFile.objects.count() == 2
    assert set(PaymentLine.objects.values_list("attempts", flat=True)) == {1}
    assert AuditEvent.objects.filter(action="payroll.send").count() == 1


def test_only_a_locked_run_is_sent_by_the_countys_operator(world, personas):
    run = funded_run(world, status="approved")
    with pytest.raises(PaymentError) as refused:
        bank.run_send(actor=personas.county_officer, run=run)
    assert refused.value.message == bank.SEND_NOT_LOCKED

    locked = funded_run(world, status="locked", month=OCT)
    with pytest.raises(PaymentConflict):
        bank.run_send(actor=personas.county_officer, run=locked, version=locked.version + 1)
    with pytest.raises(PermissionDenied):
        bank.run_send(actor=personas.county_leader, run=locked)
    with pytest.raises(Http404):
        bank.run_send(actor=personas.other_county_officer, run=locked)
    locked.refresh_from_db()
    assert locked.status == RunStatus.LOCKED


def test_a_payees_lines_make_one_row_and_arrears_are_marked(world, personas):
    officer = personas.county_officer
    run = funded_run(world)
    regular = PaymentLine.objects.filter(run=run, bank_name=RNS).order_by("id").first()
    PaymentLine.objects.create(
        **{
            f: getattr(regular, f)
            for f in (
                "run",
                "case",
                "person",
                "household",
                "program",
                "region_code",
                "account_name",
                "bank_name",
                "account_number",
            )
        },
        month=OCT,
        kind=LineKind.ARREARS,
        amount=D("120.25"),
        created_at=timezone.now(),
    )
    files = bank.run_send(actor=officer, run=run)
    rns = next(f for f in files if f.bank_name == RNS)
    assert rns.row_count == 5
    row = next(r for r in file_rows(rns) if r["账号"] == regular.account_number)
    assert row["金额"] == f"{regular.amount + D('120.25'):.2f}"
    assert row["摘要"] == "2026年11月农村最低生活保障(含补发)"
    both = PaymentLine.objects.filter(run=run, person=regular.person)
    assert {(line.status, line.bank_row) for line in both} == {(LineStatus.SENT, int(row["序号"]))}


def test_lines_without_an_account_are_left_out(world, personas):
    run = funded_run(world)
    line = PaymentLine.objects.filter(run=run).order_by("id").first()
    PaymentLine.objects.filter(pk=line.pk).update(account_number="", bank_name="")
    files = bank.run_send(actor=personas.county_officer, run=run)
    assert sum(f.row_count for f in files) == 8
    line.refresh_from_db()
    assert line.status == LineStatus.NO_ACCOUNT and line.bank_file is None


# --- a payee owing money: offset and recovery ------------------------------------------------


def owing_run(world, personas, cut="-1000.00"):
    """A run where one payee's overpayment of an earlier month exceeds this month's money."""
    run = funded_run(world)
    regular = PaymentLine.objects.filter(run=run, bank_name=RNS).order_by("id").first()
    clawback = PaymentLine.objects.create(
        run=run,
        case=regular.case,
        person=regular.person,
        household=regular.household,
        program=regular.program,
        region_code=regular.region_code,
        month=OCT,
        kind=LineKind.ADJUSTMENT,
        amount=D(cut),
        note="死亡后多发,追回",
        account_name=regular.account_name,
        bank_name=regular.bank_name,
        account_number=regular.account_number,
        created_at=timezone.now(),
    )
    files = bank.run_send(actor=personas.county_officer, run=run)
    regular.refresh_from_db()
    clawback.refresh_from_db()
    return run, files, regular, clawback


def test_a_payee_with_a_net_not_positive_gets_no_row(world, personas):
    _, files, regular, clawback = owing_run(world, personas)
    rns = next(f for f in files if f.bank_name == RNS)
    assert rns.row_count == 4
    assert regular.account_number not in {r["账号"] for r in file_rows(rns)}
    assert regular.status == LineStatus.OFFSET and regular.bank_file is None
    assert clawback.status == LineStatus.TO_RECOVER and clawback.bank_row is None
    assert regular.attempts == 0


def test_a_net_of_exactly_zero_gets_no_row(world, personas):
    run = funded_run(world)
    regular = PaymentLine.objects.filter(run=run, bank_name=PSBC).order_by("id").first()
    PaymentLine.objects.create(
        run=run,
        case=regular.case,
        person=regular.person,
        household=regular.household,
        program=regular.program,
        region_code=regular.region_code,
        month=OCT,
        kind=LineKind.ADJUSTMENT,
        amount=-regular.amount,
        account_name=regular.account_name,
        bank_name=regular.bank_name,
        account_number=regular.account_number,
        created_at=timezone.now(),
    )
    files = bank.run_send(actor=personas.county_officer, run=run)
    assert next(f for f in files if f.bank_name == PSBC).row_count == 3


def test_recovered_money_is_booked_and_closes_the_line(world, personas):
    officer = personas.county_officer
    run, _, regular, clawback = owing_run(world, personas)
    account = run.fund_account
    before = fund_balance(account)
    owed = -(clawback.amount + regular.amount)  # what was really overpaid after the offset

    with pytest.raises(PaymentError) as refused:
        bank.recovery_record(
            actor=officer,
            line=clawback,
            receipt="",
            recovered_on=datetime.date(2026, 12, 10),
            fund_account=account,
            amount=D("2000"),
        )
    assert set(refused.value.errors) == {"receipt", "recovered_on", "amount"}
    with pytest.raises(PaymentError):
        bank.recovery_record(
            actor=officer,
            line=regular,
            receipt="R1",
            recovered_on=datetime.date(2026, 12, 1),
            fund_account=account,
        )
    with pytest.raises(PermissionDenied):
        bank.recovery_record(
            actor=personas.township_clerk,
            line=clawback,
            receipt="R1",
            recovered_on=datetime.date(2026, 12, 1),
            fund_account=account,
        )

    line = bank.recovery_record(
        actor=officer,
        line=clawback,
        receipt="皖非税20261201-0007",
        recovered_on=datetime.date(2026, 12, 1),
        fund_account=account,
        amount=owed,
    )
    assert line.status == LineStatus.RECOVERED and line.paid_on == datetime.date(2026, 12, 1)
    entry = FundEntry.objects.get(kind=FundEntry.Kind.RECOVERY)
    assert entry.amount == owed and entry.run == run
    assert entry.document_number == "皖非税20261201-0007"
    assert fund_balance(account) == before + owed
    assert AuditEvent.objects.filter(action="payroll.recovery", object_id=str(run.pk)).exists()
    # once only
    with pytest.raises(PaymentError):
        bank.recovery_record(
            actor=officer,
            line=clawback,
            receipt="R2",
            recovered_on=datetime.date(2026, 12, 1),
            fund_account=account,
        )


def test_a_small_clawback_is_netted_in_the_payees_row(world, personas):
    _, files, regular, clawback = owing_run(world, personas, cut="-50.00")
    assert clawback.status == regular.status == LineStatus.SENT
    assert clawback.bank_row == regular.bank_row
    row = next(r for r in file_rows(files[-1]) if r["账号"] == regular.account_number)
    assert row["金额"] == f"{regular.amount - 50:.2f}"


def test_recovery_defaults_to_what_the_line_owes(world, personas):
    run, _, _, clawback = owing_run(world, personas, cut="-5000.00")
    line = bank.recovery_record(
        actor=personas.county_officer,
        line=clawback,
        receipt="R-9",
        recovered_on=datetime.date(2026, 12, 2),
        fund_account=run.fund_account,
    )
    assert line.status == LineStatus.RECOVERED
    assert FundEntry.objects.get(kind=FundEntry.Kind.RECOVERY).amount == D("5000.00")


# --- templates -------------------------------------------------------------------------------


def test_a_template_is_validated_field_by_field(personas):
    officer = personas.county_officer
    with pytest.raises(PaymentError) as refused:
        save_template(
            officer,
            bank_name=" ",
            file_format="pdf",
            encoding="latin-1",
            delimiter=";",
            columns=[
                {"header": "户名", "field": "account_name"},
                {"header": "户名", "field": "nickname"},
                {"header": "", "field": "amount"},
            ],
            return_columns={"account_number": "账号", "colour": "颜色", "amount": "账号"},
            success_values=[" "],
            remark_template="{year}年{who}",
        )
    errors = refused.value.errors
    assert errors["bank_name"] == [bank.TEMPLATE_BANK_MISSING]
    assert errors["file_format"] == [bank.TEMPLATE_FORMAT_INVALID]
    assert errors["encoding"] == [bank.TEMPLATE_ENCODING_INVALID]
    assert errors["delimiter"] == [bank.TEMPLATE_DELIMITER_INVALID]
    assert errors["columns"] == [
        bank.TEMPLATE_COLUMN_FIELD_INVALID.format(n=2, field="nickname"),
        bank.TEMPLATE_HEADER_DUPLICATE.format(header="户名"),
        bank.TEMPLATE_COLUMN_HEADER_MISSING.format(n=3),
        bank.TEMPLATE_COLUMN_REQUIRED.format(label="账号"),
    ]
    assert errors["return_columns"] == [
        bank.TEMPLATE_RETURN_FIELD_INVALID.format(field="colour"),
        bank.TEMPLATE_RETURN_REQUIRED.format(label="处理结果"),
        bank.TEMPLATE_HEADER_DUPLICATE.format(header="账号"),
    ]
    assert errors["success_values"] == [bank.TEMPLATE_SUCCESS_EMPTY]
    assert errors["remark_template"] == [bank.TEMPLATE_REMARK_INVALID]
    assert not BankTemplate.objects.exists()


def test_a_template_is_saved_for_the_county_and_found_for_its_townships(personas):
    officer = personas.county_officer
    template = save_template(officer, region_code=TOWNSHIP)
    assert template.region_code == COUNTY
    assert bank.template_for(TOWNSHIP, RNS) == template
    event = AuditEvent.objects.get(action="bank_template.save")
    assert event.object_type == "bank_template" and event.object_id == str(template.pk)

    with pytest.raises(PaymentError) as refused:
        save_template(officer)
    assert refused.value.errors["bank_name"] == [bank.TEMPLATE_TAKEN.format(bank=RNS)]

    updated = save_template(officer, template=template, encoding="gb18030")
    assert updated.pk == template.pk and updated.encoding == "gb18030"
    change = AuditEvent.objects.filter(action="bank_template.save").latest("id")
    assert change.changes["encoding"] == ["gbk", "gb18030"]

    default = bank.template_for(TOWNSHIP, PSBC)
    assert default.pk is None and default.encoding == "utf-8-sig" and default.file_format == "csv"
    assert default.columns == bank.DEFAULT_COLUMNS
    BankTemplate.objects.filter(pk=template.pk).update(is_active=False)
    assert bank.template_for(COUNTY, RNS).pk is None


def test_only_template_editors_in_scope_save_templates(personas):
    with pytest.raises(PermissionDenied):
        save_template(personas.township_clerk)
    with pytest.raises(Http404):
        save_template(personas.other_county_officer)
    assert save_template(personas.system_admin).pk
