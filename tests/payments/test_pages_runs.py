"""The pages of a payroll run's cycle: the list (filtered, exported), starting a run, the run's
page with its progress bar, check report and the actions of each role, the lines, the bank
files and the return files - for the right roles, 404 outside the scope, 403 for a role
without the verb, 409 for a stale page."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.payments.models import (
    BankFile,
    BankReturn,
    FundAccount,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.services import approval, bank, funds
from minzheng.payments.services.errors import RUN_CHANGED_MEANWHILE
from tests.payments.support import COUNTY, OCT, TOWNSHIP, make_run
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = datetime.date(2026, 11, 5)
LIST = reverse("payments:run_list")
START = reverse("payments:run_start")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 5), tick=False):
        yield


def url(name: str, run: PayrollRun, *args) -> str:
    return reverse(f"payments:{name}", args=[run.pk, *args])


def fresh(run: PayrollRun) -> PayrollRun:
    return PayrollRun.objects.get(pk=run.pk)


@pytest.fixture
def account(personas) -> FundAccount:
    officer = personas.county_officer
    account = funds.fund_account_create(
        actor=officer,
        name="裕安区城乡低保资金专户",
        source="central",
        region_code=COUNTY,
        program="dibao_rural",
    )
    funds.fund_entry_add(
        actor=officer,
        account=account,
        kind="allocation",
        amount=Decimal("100000.00"),
        entry_date=TODAY,
        document_number="皖财社〔2026〕8号",
    )
    return account


def xlsx_rows(response) -> list[list]:
    assert response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


# --- the list -------------------------------------------------------------------------------------


def test_the_run_list_shows_the_runs_in_scope(client, personas, world):
    run = make_run(world)
    client.force_login(personas.county_officer)
    html = client.get(LIST).content.decode()
    assert "发放批次" in html and run.number in html
    assert "农村最低生活保障" in html and "裕安区" in html and "2026-11" in html
    assert "待审核" in html and "发起发放" in html
    # a township sees the county's run that covers it; another county does not
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert run.number in html and "发起发放" not in html
    client.force_login(personas.other_county_officer)
    assert run.number not in client.get(LIST).content.decode()


def test_the_list_filters_by_program_month_and_status(client, personas, world):
    run = make_run(world)
    client.force_login(personas.county_officer)
    part = client.get(LIST, {"month": "2026-11", "status": "draft"}, **HTMX).content.decode()
    assert "<html" not in part and run.number in part
    for query in ({"month": "2026-10"}, {"status": "locked"}, {"program": "tekun"}):
        part = client.get(LIST, query, **HTMX).content.decode()
        assert run.number not in part and "没有符合条件的发放批次" in part


def test_the_list_exports_to_excel(client, personas, world):
    run = make_run(world)
    client.force_login(personas.county_officer)
    response = client.get(LIST, {"export": "xlsx", "month": "2026-11"})
    assert quote("发放批次") in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert rows[0][:5] == ["批次编号", "救助项目", "发放区划", "发放月份", "状态"]
    assert rows[1][0] == run.number and rows[1][2] == "裕安区" and rows[1][4] == "待审核"
    assert Decimal(str(rows[1][7])) == world.amounts()


def test_roles_without_payroll_get_403(client, personas, world):
    run = make_run(world)
    for user in (personas.village_assistant, personas.hospital_clerk):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert client.get(url("run_detail", run)).status_code == 403


def test_the_menu_lists_the_payroll_pages_for_readers(client, personas):
    client.force_login(personas.county_officer)
    html = client.get(LIST).content.decode()
    for label in ("资金发放", "发放批次", "失败重发", "追回台账", "资金专户", "银行文件模板"):
        assert label in html
    client.force_login(personas.township_clerk)
    html = client.get(reverse("dashboard")).content.decode()
    assert "发放批次" in html and "资金专户" not in html and "银行文件模板" not in html
    client.force_login(personas.village_assistant)
    assert "发放批次" not in client.get(reverse("dashboard")).content.decode()


# --- starting a run ---------------------------------------------------------------------------


def test_the_officer_starts_a_run_and_lands_on_its_page(
    client, personas, world, django_capture_on_commit_callbacks
):
    client.force_login(personas.county_officer)
    html = client.get(START).content.decode()
    assert "发起发放" in html and "裕安区(全县/区)" in html and "苏埠镇" in html
    assert 'value="2026-11"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            START, {"program": "dibao_rural", "region_code": COUNTY, "month": "2026-11"}
        )
    run = PayrollRun.objects.get()
    assert response.status_code == 302 and response["Location"] == url("run_detail", run)
    assert run.status == RunStatus.DRAFT  # the test settings run the task at once
    assert run.line_count == len(world.cases)
    html = client.get(response["Location"]).content.decode()
    assert f"已发起发放批次{run.number}" in html
    assert "待审核" in html and "审核通过" in html


def test_a_refused_start_shows_the_reason_on_the_form(client, personas, world):
    client.force_login(personas.county_officer)
    response = client.post(
        START, {"program": "dibao_rural", "region_code": COUNTY, "month": "2027-03"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "最晚只能发起下月" in html
    assert not PayrollRun.objects.exists()
    html = client.post(START, {"program": "", "region_code": COUNTY, "month": "11月"}).content
    assert "请按“年-月”填写月份" in html.decode()


def test_only_operators_start_runs(client, personas, world):
    for user in (personas.county_leader, personas.township_clerk, personas.auditor):
        client.force_login(user)
        assert client.get(START).status_code == 403
        response = client.post(
            START, {"program": "dibao_rural", "region_code": COUNTY, "month": "2026-11"}
        )
        assert response.status_code == 403
    assert not PayrollRun.objects.exists()


# --- the run's page -------------------------------------------------------------------------------


def test_a_draft_shows_the_check_report_preview_and_the_officers_actions(client, personas, world):
    run = make_run(world)
    client.force_login(personas.county_officer)
    html = client.get(url("run_detail", run)).content.decode()
    for text in ("生成", "审核", "集体审批", "锁定", "报送银行", "对账"):
        assert f">{text}" in html
    assert "审核报告" in html and "预览" in html
    assert "新增" in html and "增发" in html and "减发" in html and "停发" in html
    assert "苏埠镇" in html and "韩摆渡镇" in html and "当月发放" in html
    assert world.cases[0].number in html  # a sample row of the new cases
    assert "审核通过" in html and "重新生成" in html and "作废批次" in html
    assert f'name="version" value="{run.version}"' in html
    # a village's printable list
    pdf = reverse("payments:village_payroll_pdf", args=[run.pk, world.cases[0].region_code])
    assert pdf in html and "打印发放名单" in html


def test_the_leader_and_the_auditor_read_without_the_officers_actions(client, personas, world):
    run = make_run(world)
    for user in (personas.county_leader, personas.auditor, personas.township_clerk):
        client.force_login(user)
        html = client.get(url("run_detail", run)).content.decode()
        assert run.number in html and "审核报告" in html
        assert url("run_check", run) not in html and "作废批次" not in html


def test_a_township_reads_the_county_run_with_its_own_samples_only(client, personas, world):
    run = make_run(world)
    client.force_login(personas.other_township_clerk)  # 韩摆渡镇: the last three cases
    html = client.get(url("run_detail", run)).content.decode()
    # the run's figures by township: its own township only
    assert "审核报告" in html and "韩摆渡镇" in html and "苏埠镇" not in html
    assert world.cases[-1].number in html
    assert world.cases[0].number not in html  # a case of 苏埠镇


def test_a_run_outside_the_scope_is_not_found(client, personas, world):
    county_run = make_run(world)
    township_run = make_run(world, month=OCT, region_code=TOWNSHIP)
    client.force_login(personas.other_county_officer)
    for name in ("run_detail", "run_lines", "run_progress"):
        assert client.get(url(name, county_run)).status_code == 404
    response = client.post(url("run_check", county_run), {"version": county_run.version})
    assert response.status_code == 404
    client.force_login(personas.other_township_clerk)  # 韩摆渡镇: not in 苏埠镇's run
    assert client.get(url("run_detail", township_run)).status_code == 404
    assert client.get(url("run_detail", county_run)).status_code == 200


def test_the_progress_bar_polls_while_generating_and_reloads_when_done(client, personas, world):
    run = make_run(world, status=RunStatus.GENERATING)
    PayrollRun.objects.filter(pk=run.pk).update(cases_total=9, cases_done=3, stage="正在汇总")
    client.force_login(personas.township_clerk)
    html = client.get(url("run_detail", run)).content.decode()
    assert "正在生成发放明细" in html and 'hx-trigger="every 1s"' in html
    assert url("run_progress", run) in html
    part = client.get(url("run_progress", run), **HTMX)
    text = part.content.decode()
    assert "<html" not in text and 'value="33"' in text and "已处理 3 / 9 个案件" in text
    assert "正在汇总" in text
    PayrollRun.objects.filter(pk=run.pk).update(status=RunStatus.DRAFT)
    done = client.get(url("run_progress", run), **HTMX)
    assert done["HX-Refresh"] == "true"
    html = client.get(url("run_detail", run)).content.decode()
    assert 'hx-trigger="every 1s"' not in html


def test_the_whole_cycle_through_the_pages(client, personas, world, account):
    officer, leader = personas.county_officer, personas.county_leader
    run = make_run(world)

    client.force_login(officer)
    response = client.post(url("run_check", run), {"version": run.version})
    assert response.status_code == 302
    run = fresh(run)
    assert run.status == RunStatus.CHECKED and run.check_report
    html = client.get(url("run_detail", run)).content.decode()
    assert "发放批次已审核通过" in html and "预览" not in html and "审核报告" in html
    assert "登记集体审批" not in html  # the officer does not record the meeting

    client.force_login(leader)
    html = client.get(url("run_detail", run)).content.decode()
    assert "集体审批登记" in html and account.name in html and "可用余额 100,000.00 元" in html
    response = client.post(
        url("run_approve", run),
        {
            "version": run.version,
            "meeting_date": "2026-11-04",
            "attendees": "张局长、李副局长、王股长",
            "decision": "同意按审核结果发放",
            "fund_account": account.pk,
        },
    )
    assert response.status_code == 302
    run = fresh(run)
    assert run.status == RunStatus.APPROVED and run.fund_account == account
    html = client.get(url("run_detail", run)).content.decode()
    assert "集体审批记录" in html and "张局长、李副局长、王股长" in html
    assert "支付专户" in html and "可用余额" in html

    client.force_login(officer)
    assert client.post(url("run_lock", run), {"version": run.version}).status_code == 302
    run = fresh(run)
    assert run.status == RunStatus.LOCKED
    html = client.get(url("run_detail", run)).content.decode()
    assert "生成银行文件并报送" in html
    assert client.post(url("run_send", run), {"version": run.version}).status_code == 302
    run = fresh(run)
    assert run.status == RunStatus.SENT
    files = list(run.bank_files.order_by("id"))
    assert len(files) == 2  # 农商行 and 邮储银行
    html = client.get(url("run_detail", run)).content.decode()
    assert "已生成银行文件并报送(2个文件)" in html
    for f in files:
        assert reverse("payments:bank_file_download", args=[f.pk]) in html
        assert reverse("payments:bank_return_upload", args=[f.pk]) in html


def test_a_stale_version_answers_409_with_the_fresh_page(client, personas, world):
    run = make_run(world)
    stale = run.version
    approval.run_check(actor=personas.county_officer, run=run, version=stale)
    client.force_login(personas.county_officer)
    response = client.post(url("run_check", run), {"version": stale})
    assert response.status_code == 409
    html = response.content.decode()
    assert RUN_CHANGED_MEANWHILE in html and "已审核" in html
    response = client.post(url("run_cancel", run), {"version": stale, "reason": "重复"})
    assert response.status_code == 409
    assert fresh(run).status == RunStatus.CHECKED


def test_actions_of_another_role_are_forbidden(client, personas, world, account):
    run = make_run(world)
    client.force_login(personas.county_leader)
    for name in ("run_check", "run_lock", "run_send", "run_regenerate", "run_cancel"):
        assert client.post(url(name, run), {"version": run.version}).status_code == 403
    client.force_login(personas.county_officer)
    assert client.post(url("run_approve", run), {"version": run.version}).status_code == 403
    client.force_login(personas.township_clerk)
    assert client.post(url("run_check", run), {"version": run.version}).status_code == 403
    assert client.get(url("run_check", run)).status_code in (403, 405)
    assert fresh(run).status == RunStatus.DRAFT


def test_the_approval_form_shows_the_rules_refusals(client, personas, world, account):
    run = make_run(world, status=RunStatus.CHECKED)
    client.force_login(personas.county_leader)
    data = {
        "version": run.version,
        "meeting_date": "2026-11-04",
        "attendees": "张局长",
        "decision": "同意",
        "fund_account": account.pk,
    }
    html = client.post(url("run_approve", run), data).content.decode()
    assert "集体研究须至少两名参会人员" in html
    assert fresh(run).status == RunStatus.CHECKED
    # not enough money on the account
    funds.fund_entry_add(
        actor=personas.county_officer,
        account=account,
        kind="adjustment",
        amount=Decimal("-99999.00"),
        entry_date=TODAY,
        note="调出",
    )
    data["attendees"] = "张局长、李副局长"
    html = client.post(url("run_approve", run), data).content.decode()
    assert "不足以支付本批次应付银行金额" in html
    assert fresh(run).status == RunStatus.CHECKED


def test_a_wrong_status_action_is_refused_with_the_reason(client, personas, world):
    run = make_run(world)
    client.force_login(personas.county_officer)
    response = client.post(url("run_lock", run), {"version": run.version})
    assert response.status_code == 200
    assert "只有“已集体审批”的批次可以" in response.content.decode()
    assert fresh(run).status == RunStatus.DRAFT


def test_the_officer_cancels_a_draft_with_a_reason(client, personas, world):
    run = make_run(world)
    client.force_login(personas.county_officer)
    html = client.post(url("run_cancel", run), {"version": run.version, "reason": ""}).content
    assert "这个字段是必填项" in html.decode() or "必填" in html.decode()
    response = client.post(url("run_cancel", run), {"version": run.version, "reason": "月份选错"})
    assert response.status_code == 302
    run = fresh(run)
    assert run.status == RunStatus.CANCELLED
    html = client.get(url("run_detail", run)).content.decode()
    assert "该批次已作废" in html and "月份选错" in html
    assert not PaymentLine.objects.filter(run=run).exists()


def test_the_officer_regenerates_a_draft(
    client, personas, world, django_capture_on_commit_callbacks
):
    client.force_login(personas.county_officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(START, {"program": "dibao_rural", "region_code": COUNTY, "month": "2026-11"})
    run = PayrollRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("run_regenerate", run), {"version": run.version})
    assert response.status_code == 302
    run = fresh(run)
    assert run.status == RunStatus.DRAFT and run.line_count == len(world.cases)


def test_a_run_whose_worker_died_is_resumed_from_its_page(
    client, personas, world, django_capture_on_commit_callbacks
):
    client.force_login(personas.county_officer)
    run = PayrollRun.objects.create(
        number="FF202611-stuck",
        program="dibao_rural",
        region_code=COUNTY,
        month=datetime.date(2026, 11, 1),
        status=RunStatus.GENERATING,
        created_by=personas.county_officer,
    )
    html = client.get(url("run_detail", run)).content.decode()
    assert "继续生成" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("run_resume", run), {"version": run.version})
    assert response.status_code == 302
    run = fresh(run)
    assert run.status == RunStatus.DRAFT and run.line_count == len(world.cases)


# --- the lines --------------------------------------------------------------------------------


def test_the_lines_page_filters_and_pages(client, personas, world):
    run = make_run(world)
    client.force_login(personas.county_officer)
    html = client.get(url("run_lines", run)).content.decode()
    assert "发放明细" in html and "共 9 笔" in html and "陶洪村" in html
    assert world.cases[0].applicant.name in html
    part = client.get(url("run_lines", run), {"region": TOWNSHIP}, **HTMX).content.decode()
    assert "<html" not in part and "共 6 笔" in part and "戚桥村" not in part
    name = world.cases[0].applicant.name
    part = client.get(url("run_lines", run), {"q": name}, **HTMX).content.decode()
    assert name in part
    part = client.get(url("run_lines", run), {"status": "failed"}, **HTMX).content.decode()
    assert "没有符合条件的发放明细" in part


def test_a_township_sees_only_its_lines(client, personas, world):
    run = make_run(world)
    client.force_login(personas.township_clerk)
    html = client.get(url("run_lines", run)).content.decode()
    assert "共 6 笔" in html and "戚桥村" not in html


def test_the_lines_export_holds_every_line_of_the_filter(client, personas, world):
    run = make_run(world)
    client.force_login(personas.county_officer)
    rows = xlsx_rows(client.get(url("run_lines", run), {"export": "xlsx"}))
    assert rows[0][:3] == ["所在村(社区)", "姓名", "身份证号码"]
    assert len(rows) == 1 + len(world.cases)
    assert sum(Decimal(str(r[6])) for r in rows[1:]) == world.amounts()
    rows = xlsx_rows(client.get(url("run_lines", run), {"export": "xlsx", "region": TOWNSHIP}))
    assert len(rows) == 1 + 6 and {r[0] for r in rows[1:]} == {"陶洪村", "苏埠社区"}


# --- bank files and returns ---------------------------------------------------------------------


@pytest.fixture
def sent_run(personas, world, account) -> PayrollRun:
    officer, leader = personas.county_officer, personas.county_leader
    run = make_run(world)
    run = approval.run_check(actor=officer, run=run)
    run = approval.run_approve(
        actor=leader,
        run=run,
        meeting_date=TODAY,
        attendees="张局长、李副局长",
        decision="同意",
        fund_account=account,
    )
    run = approval.run_lock(actor=officer, run=run)
    bank.run_send(actor=officer, run=run)
    return fresh(run)


def test_a_bank_file_downloads_with_its_chinese_name(client, personas, sent_run):
    bank_file = sent_run.bank_files.order_by("id").first()
    client.force_login(personas.auditor)
    response = client.get(reverse("payments:bank_file_download", args=[bank_file.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(bank_file.file_name)}" in disposition
    assert b"".join(response.streaming_content) == bytes(bank_file.content)
    # another county, and a township (the county's file holds every township's accounts)
    for user in (personas.other_county_officer, personas.township_clerk):
        client.force_login(user)
        response = client.get(reverse("payments:bank_file_download", args=[bank_file.pk]))
        assert response.status_code == 404
        html = client.get(url("run_detail", sent_run)).content.decode()
        assert reverse("payments:bank_file_download", args=[bank_file.pk]) not in html


def return_file(bank_file: BankFile, *, fail_first: bool, extra: list[list[str]]) -> bytes:
    """The bank's answer to the file: every row paid (the first failed), plus `extra` rows."""
    text = bytes(bank_file.content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["账号", "户名", "金额", "处理结果", "失败原因"])
    for i, row in enumerate(rows):
        failed = fail_first and i == 0
        writer.writerow(
            [
                row["账号"],
                row["户名"],
                row["金额"],
                "失败" if failed else "成功",
                "账户已销户" if failed else "",
            ]
        )
    writer.writerows(extra)
    return out.getvalue().encode("gbk")


def test_the_officer_imports_a_return_file_and_reads_its_problems(client, personas, sent_run):
    bank_file = sent_run.bank_files.order_by("id").first()
    upload = reverse("payments:bank_return_upload", args=[bank_file.pk])
    client.force_login(personas.county_officer)
    html = client.get(upload).content.decode()
    assert "导入银行回盘" in html and bank_file.file_name in html

    content = return_file(
        bank_file, fail_first=True, extra=[["6228489999999999", "无名氏", "100.00", "成功", ""]]
    )
    response = client.post(upload, {"file": _named(content, "回盘.csv")})
    result = BankReturn.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:bank_return_detail", args=[result.pk])
    assert result.failed_count == 1 and result.paid_count == bank_file.row_count - 1
    html = client.get(response["Location"]).content.decode()
    assert "回盘结果" in html and "账号不在本批次文件中" in html and "6228489999999999" in html
    assert "失败重发" in html
    assert PaymentLine.objects.filter(status=LineStatus.FAILED).count() >= 1

    rows = xlsx_rows(
        client.get(reverse("payments:bank_return_detail", args=[result.pk]), {"export": "xlsx"})
    )
    assert rows[0] == ["行号", "账号", "户名", "金额", "原因"]
    assert rows[1][1] == "6228489999999999" and rows[1][4] == "账号不在本批次文件中"

    # the run's page links the return
    html = client.get(url("run_detail", sent_run)).content.decode()
    assert reverse("payments:bank_return_detail", args=[result.pk]) in html


def _named(content: bytes, name: str):
    f = io.BytesIO(content)
    f.name = name
    return f


def test_an_unreadable_return_file_is_refused_on_the_form(client, personas, sent_run):
    bank_file = sent_run.bank_files.order_by("id").first()
    upload = reverse("payments:bank_return_upload", args=[bank_file.pk])
    client.force_login(personas.county_officer)
    content = "姓名,备注\n张三,无\n".encode("gbk")
    html = client.post(upload, {"file": _named(content, "错误.csv")}).content.decode()
    assert "回盘文件中找不到表头" in html
    assert not BankReturn.objects.exists()


def test_only_operators_import_returns(client, personas, sent_run):
    bank_file = sent_run.bank_files.order_by("id").first()
    upload = reverse("payments:bank_return_upload", args=[bank_file.pk])
    for user in (personas.county_leader, personas.auditor, personas.township_clerk):
        client.force_login(user)
        assert client.get(upload).status_code == 403
    client.force_login(personas.other_county_officer)
    assert client.get(upload).status_code == 404


def test_a_one_off_run_is_not_compared_with_last_month(client, personas, world):
    run = make_run(world, program="temporary_emergency")
    client.force_login(personas.county_officer)
    html = client.get(url("run_detail", run)).content.decode()
    assert "不与上月比较" in html and 'id="change-new"' not in html
