"""A township clerk downloads the import template from the page, fills it in, uploads it and
reads the result report, in Debian's chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.registry.importer.columns import HEADERS
from minzheng.registry.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_template(template: Path, target: Path) -> None:
    """The example household into the data sheet, and a second household with a bad ID."""
    wb = load_workbook(template)
    data = wb["导入数据"]
    example = list(wb["填写示例"].iter_rows(min_row=2, values_only=True))
    for row in example:
        data.append(row)
    bad = list(example[0])
    bad[HEADERS.index("户编号")] = "H002"
    bad[HEADERS.index("姓名")] = "王五"
    bad[HEADERS.index("身份证号码")] = "34150319800101123"  # 17 digits
    data.append(bad)
    wb.save(target)


def test_a_township_clerk_imports_a_filled_template_and_reads_the_report(
    page, login, personas, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    login(personas.township_clerk)
    page.goto(reverse("registry:registry-import"))
    page.get_by_role("heading", name="批量导入居民和家庭").wait_for()

    with page.expect_download() as download:
        page.get_by_role("link", name="下载导入模板").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    assert template.name == "居民家庭导入模板.xlsx"
    filled = tmp_path / "陶洪村.xlsx"
    fill_template(template, filled)

    page.get_by_label("导入文件").set_input_files(str(filled))
    page.get_by_label("跳过有错误的家庭,导入其余家庭").check()
    page.get_by_role("button", name="上传并导入").click()

    status = page.locator("#import-status")
    status.get_by_text("已导入1户、3人;1户因有错误未导入").wait_for()
    assert status.locator("progress").get_attribute("value") == "100"
    error_row = status.locator("table.errors tbody tr")
    assert error_row.count() == 1
    assert error_row.locator("td").all_inner_texts() == [
        "5",
        "身份证号码",
        "身份证号码应为18位(或15位旧号码)",
    ]
    assert status.get_by_role("link", name="下载错误清单(Excel)").is_visible()
    assert Household.objects.get().head.name == "张建国"

    page.reload()  # the report is in the database, not in the page
    page.get_by_text("已导入1户、3人").wait_for()
