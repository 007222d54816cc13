"""A 低保 application from the one window to county approval, in a real browser, as three
users: the township clerk accepts it and does the authorization and the household survey, the
county officer the economic verification, the clerk the township review and the public notice,
and the county officer approves. The case ends 在保 with its monthly amount on the page."""

from __future__ import annotations

import datetime
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from minzheng.programs.models import Case, CaseStatus, Step
from tests.programs.conftest import COUNTY, make_family

pytestmark = pytest.mark.browser

# Set MINZHENG_SHOTS to a folder (outside the repository) to keep screenshots of the pages.
SHOTS = os.environ.get("MINZHENG_SHOTS", "")


@pytest.fixture
def family(personas):
    from minzheng.programs.standard_defaults import standards_seed

    standards_seed(region_code=COUNTY, valid_from=datetime.date(2020, 1, 1))
    return make_family(personas.township_clerk)


def switch_user(page, login, user):
    page.context.clear_cookies()
    return login(user)


def now_at(page, step):
    """Wait until the case page shows `step` as its open step."""
    page.get_by_role("heading", name=f"当前环节:{step}").wait_for()


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=False)


def test_a_dibao_application_goes_from_the_window_to_county_approval(login, personas, family):
    clerk, officer = personas.township_clerk, personas.county_officer
    today = timezone.localdate()

    # the township window: find the household by a member's name, take the application
    page = login(clerk)
    page.goto(reverse("programs:case_accept"))
    page.locator("#accept-q").press_sequentially("李秀英", delay=30)
    page.get_by_role("link", name="为王大山户申请").click()
    page.locator("#id_program").select_option("dibao_rural")
    page.locator("#id_applicant").select_option(str(family.head.pk))
    page.locator("#id_reason").fill("因病致贫,收入低")
    shot(page, "accept-form")
    page.get_by_role("button", name="受理", exact=True).click()
    now_at(page, "核对授权")
    case = Case.objects.get()
    assert case.number in page.inner_text("h1")

    # authorization: a rule's message first, then done
    page.get_by_role("button", name="确认已授权").click()
    page.get_by_text("请确认申请家庭成员已签署家庭经济状况核对授权书").wait_for()
    page.get_by_label("申请人及家庭成员已签署家庭经济状况核对授权书").check()
    page.get_by_role("button", name="确认已授权").click()
    now_at(page, "入户调查")

    page.get_by_label("调查人员").fill("张敏、刘伟")
    page.get_by_label("入户调查日期").fill(today.isoformat())
    page.get_by_label("调查情况").fill("家中无大额资产,户主患病")
    page.get_by_role("button", name="提交调查结果").click()
    now_at(page, "经济状况核对")

    # the county: from the inbox to the verification
    page = switch_user(page, login, officer)
    page.goto(reverse("programs:inbox"))
    shot(page, "inbox")
    page.locator("#results tr", has_text=case.number).get_by_role(
        "link", name="经济状况核对"
    ).click()
    page.get_by_label("符合条件", exact=True).check()
    page.get_by_label("核对报告编号").fill("HD2026-001")
    page.get_by_role("button", name="提交核对结果").click()
    now_at(page, "乡镇审核")
    assert "低保标准" in page.inner_text("table.calc")

    # the township: review, notice (its period over), end of the notice
    page = switch_user(page, login, clerk)
    page.goto(reverse("programs:case_detail", args=[case.pk]))
    page.get_by_label("同意", exact=True).check()
    page.get_by_role("button", name="提交审核意见").click()
    now_at(page, "公示")
    notice = Step.objects.get(case=case, code="public_notice")
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    notice.data = {**notice.data, "ends_on": yesterday}
    notice.save(update_fields=["data"])
    page.reload()
    page.get_by_role("button", name="结束公示").click()
    now_at(page, "审批确认")

    # the county approves
    page = switch_user(page, login, officer)
    page.goto(reverse("programs:case_detail", args=[case.pk]))
    shot(page, "case-approval")
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("意见说明").fill("经审核符合条件,同意纳入")
    page.get_by_role("button", name="提交审批意见").click()
    page.get_by_role("heading", name="办理状态").wait_for()

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert case.monthly_amount > 0
    head = page.locator(".toolbar").first.inner_text()
    assert "在保" in head
    assert f"{case.monthly_amount}" in page.locator("dl.case-head").inner_text()
    shot(page, "case-active")
