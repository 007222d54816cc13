"""A month's 低保 payroll in a real browser, as two users: the county officer starts the run on
the page and watches its progress bar until the lines are written (the job is run here, as the
task worker would, while the page polls), checks it; the county leader records the collective
approval against the fund account; the officer locks it, sends it to the banks and downloads a
bank file."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from minzheng.payments.models import PayrollRun, RunStatus
from minzheng.payments.services import funds, payroll
from tests.payments.conftest import world  # noqa: F401  (fixtures, re-exported)
from tests.payments.support import COUNTY
from tests.programs.conftest import standards  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("MINZHENG_SHOTS", "")


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=False)


def switch_user(page, login, user):
    page.context.clear_cookies()
    return login(user)


def status_is(page, label):
    page.locator("#run-status", has_text=label).wait_for()


@pytest.fixture
def account(personas):
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
        amount=Decimal("50000.00"),
        entry_date=timezone.localdate(),
        document_number="皖财社〔2026〕8号",
    )
    return account


def test_a_month_is_paid_from_the_start_page_to_the_bank_file(
    login,
    personas,
    world,  # noqa: F811
    account,
    settings,
    tmp_path,
):
    # the job waits in the queue (no worker here): the page shows the run generating
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    officer, leader = personas.county_officer, personas.county_leader
    today = timezone.localdate()
    assert today >= datetime.date(2026, 1, 1), "the paying world starts in January 2026"

    page = login(officer)
    page.goto(reverse("payments:run_list"))
    page.get_by_role("link", name="发起发放").click()
    page.get_by_label("救助项目").select_option("dibao_rural")
    assert page.get_by_label("发放区划").input_value() == COUNTY
    assert page.get_by_label("发放月份").input_value() == f"{today:%Y-%m}"
    page.get_by_role("button", name="开始生成").click()

    progress = page.locator("#run-progress")
    progress.get_by_role("heading", name="正在生成发放明细").wait_for()
    status_is(page, "正在生成")
    run = PayrollRun.objects.get()
    assert run.status == RunStatus.GENERATING

    # the bar follows the job (polled every second) ...
    PayrollRun.objects.filter(pk=run.pk).update(cases_total=9, cases_done=3)
    progress.get_by_text("已处理 3 / 9 个案件").wait_for()
    assert progress.locator("progress").get_attribute("value") == "33"
    shot(page, "payroll-progress")
    # ... and the page reloads itself when the job is done
    payroll.run_generate(run_id=run.pk)
    status_is(page, "待审核")
    assert page.locator("#run-progress").is_hidden()
    assert page.get_by_role("heading", name="审核报告").is_visible()
    assert "新增" in page.locator("#change-new").inner_text()
    total = sum((c.monthly_amount for c in world.cases), Decimal("0.00"))
    assert f"{total:,.2f}" in page.locator("#payable").inner_text()
    shot(page, "payroll-draft")

    page.get_by_role("button", name="审核通过").click()
    status_is(page, "已审核")
    page.get_by_text("发放批次已审核通过").wait_for()

    # the bureau's leadership records the meeting and the fund account that pays
    page = switch_user(page, login, leader)
    page.goto(reverse("payments:run_detail", args=[run.pk]))
    page.get_by_label("会议日期").fill(today.isoformat())
    page.get_by_label("参会人员").fill("张局长、李副局长、王股长")
    page.get_by_label("会议决定").fill("同意按审核结果发放")
    page.get_by_label("支付专户").select_option(str(account.pk))
    shot(page, "payroll-approval")
    page.get_by_role("button", name="登记集体审批").click()
    status_is(page, "已集体审批")
    assert "张局长、李副局长、王股长" in page.locator("body").inner_text()

    # the officer locks the run and sends it to the banks
    page = switch_user(page, login, officer)
    page.goto(reverse("payments:run_detail", args=[run.pk]))
    page.get_by_role("button", name="锁定批次").click()
    status_is(page, "已锁定")
    page.get_by_role("button", name="生成银行文件并报送").click()
    status_is(page, "已报送银行")
    shot(page, "payroll-sent")

    run.refresh_from_db()
    files = list(run.bank_files.order_by("id"))
    assert len(files) == 2
    first = files[0]
    with page.expect_download() as download:
        page.get_by_role("link", name=first.file_name).click()
    assert download.value.suggested_filename == first.file_name
    saved = tmp_path / "bank-file"
    download.value.save_as(saved)
    assert saved.read_bytes() == bytes(first.content)
    assert page.get_by_role("link", name="导入回盘").count() == 2

    # the lines, narrowed to a township on the page
    page.get_by_role("link", name="发放明细").click()
    page.get_by_text("共 9 笔").wait_for()
    page.get_by_label("区划").select_option("341503100000")
    page.get_by_text("共 6 笔").wait_for()
    shot(page, "payroll-lines")
    page.goto(reverse("payments:run_list"))
    assert run.number in page.locator("#results").inner_text()
    shot(page, "payroll-list")
