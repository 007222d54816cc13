"""信息比对 in a real browser. The county officer receives the police's deaths on the page —
upload, the column mapping screen with the guessed headings, the validation's progress bar
(the job is run here, as the worker would, while the page polls), a report refusing a file
with a broken row, the corrected file put in use — then starts a run, watches its progress,
reads its hits per rule and township and dismisses a flag. The township clerk reads the run
with the township's column only, works a flag and sees the 漏保 candidates."""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from minzheng.matching.models import DatasetStatus, ExternalDataset, MatchFlag, MatchRun
from minzheng.matching.services import datasets as dataset_services
from minzheng.matching.services import runs as run_services
from tests.matching.pages_world import make_dataset
from tests.matching.support import VEHICLE_TYPES, county_for, vehicle_row, write_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("MINZHENG_SHOTS", "")
HEADINGS = ["序号", "死者姓名", "公民身份号码", "性别", "死亡日期", "死亡地点", "注销原因"]


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=False)


def switch_user(page, login, user):
    page.context.clear_cookies()
    return login(user)


def deaths_csv(county, *, broken: bool) -> bytes:
    """The police's deaths as they send them: GBK, their own headings, two of the county's
    beneficiaries among people who receive nothing."""
    rows = [
        ["1", county.sole.name, county.sole.id_number, "男", "2026-10-03", "家中", "死亡"],
        [
            "2",
            county.tekun.name,
            county.tekun.id_number,
            "男",
            "2026/10/20",
            "六安市人民医院",
            "死亡",
        ],
        ["3", county.dead.name, county.dead.id_number, "男", "2025-03-01", "家中", "死亡"],
        ["4", "陈桂兰", "341503193807150028", "女", "20261012", "苏埠镇卫生院", "死亡"],
        ["5", "刘德福", "", "男", "2026年10月25日", "家中", "死亡"],
    ]
    if broken:
        rows.append(["6", "黄明", "341503195502300011", "男", "2026-13-01", "家中", "死亡"])
    text = "\n".join(",".join(r) for r in [HEADINGS, *rows]) + "\n"
    return text.encode("gbk")


def upload_deaths(page, county, *, broken: bool) -> ExternalDataset:
    page.goto(reverse("matching:dataset_list"))
    page.get_by_role("link", name="上传数据").click()
    page.get_by_label("数据类别").select_option("death")
    page.get_by_label("提供单位").fill("裕安区公安分局")
    page.get_by_label("数据截止日期").fill("2026-10-31")
    page.get_by_label("备注").fill("2026年10月死亡注销人员")
    page.get_by_label("数据文件").set_input_files(
        {
            "name": "10月死亡人员.csv",
            "mimeType": "text/csv",
            "buffer": deaths_csv(county, broken=broken),
        }
    )
    page.get_by_role("button", name="上传").click()
    page.get_by_role("heading", name="对应字段:死亡人员").wait_for()
    return ExternalDataset.objects.latest("id")


def map_and_validate(page, dataset: ExternalDataset, name: str) -> None:
    assert page.get_by_label("身份证号码").input_value() == "公民身份号码"
    assert page.get_by_label("姓名").input_value() == "死者姓名"
    assert page.get_by_label("死亡日期", exact=True).input_value() == "死亡日期"
    page.get_by_label("死亡地点").select_option("死亡地点")
    shot(page, f"{name}-columns")
    page.get_by_role("button", name="确认对应并校验").click()
    progress = page.locator("#dataset-progress")
    progress.get_by_role("heading", name="正在校验数据").wait_for()
    ExternalDataset.objects.filter(pk=dataset.pk).update(percent=40, rows_done=2)
    progress.get_by_text("已读取 2 行").wait_for()
    shot(page, f"{name}-validating")
    dataset_services.dataset_validate(ExternalDataset.objects.get(pk=dataset.pk))
    page.locator("#dataset-progress").wait_for(state="hidden")


def test_deaths_are_received_matched_and_worked(login, personas, regions, settings):
    # jobs wait in the queue (no worker here): the pages show their progress bars
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    county = county_for(personas)
    officer, clerk = personas.county_officer, personas.township_clerk
    path = write_dataset(
        django_settings.MATCHING_DIR / "datasets" / "browser-vehicles.parquet",
        [
            vehicle_row(2, county.head, "皖N3K721", "86000.00"),
            vehicle_row(3, county.suspended_head, "皖NB5390", "42000.00"),
            vehicle_row(4, county.nephew, "皖N9D117", "65000.00"),
        ],
        VEHICLE_TYPES,
    )
    make_dataset(officer, "vehicle", source="裕安区交警大队", parquet_path=str(path), valid_rows=3)

    # a delivery with a broken date is refused, with its report
    page = login(officer)
    broken = upload_deaths(page, county, broken=True)
    map_and_validate(page, broken, "matching-deaths")
    page.get_by_text("有 1 行数据有问题,这批数据没有启用").wait_for()
    assert "2026-13-01" in page.locator("main").inner_text()
    shot(page, "matching-report-refused")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载问题清单(Excel)").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    # the corrected file is put in use
    fixed = upload_deaths(page, county, broken=False)
    map_and_validate(page, fixed, "matching-deaths-fixed")
    page.get_by_text("校验通过,已启用").wait_for()
    shot(page, "matching-report-active")
    assert ExternalDataset.objects.get(pk=fixed.pk).status == DatasetStatus.ACTIVE
    page.goto(reverse("matching:dataset_list"))
    shot(page, "matching-datasets")

    # a run: rules without data are greyed, the progress bar follows the job
    page.goto(reverse("matching:run_list"))
    page.get_by_role("link", name="发起比对").click()
    assert page.locator("#rule-death_id").is_checked()
    assert page.locator("#rule-business").is_disabled()
    shot(page, "matching-run-start")
    page.get_by_role("button", name="开始比对").click()
    progress = page.locator("#run-progress")
    progress.get_by_role("heading", name="排队等待比对").wait_for()
    run = MatchRun.objects.get()
    MatchRun.objects.filter(pk=run.pk).update(status="running", percent=35, stage="比对:死亡人员")
    progress.get_by_text("比对:死亡人员").wait_for()
    page.reload()  # the bar survives a reload
    page.locator("#run-progress").get_by_text("35% · 比对:死亡人员").wait_for()
    shot(page, "matching-run-progress")
    MatchRun.objects.filter(pk=run.pk).update(status="queued", percent=0, stage="")
    run_services.run_execute(MatchRun.objects.get(pk=run.pk))
    page.locator("#run-status", has_text="已完成").wait_for()
    text = page.locator("main").inner_text()
    assert "死亡人员(身份证号)" in text and "韩摆渡镇" in text and "苏埠镇" in text
    shot(page, "matching-run-county")

    page.get_by_role("link", name="本批次疑点").click()
    page.locator("#results").wait_for()
    shot(page, "matching-flags-county")
    assert MatchFlag.objects.filter(person=county.tekun).exists()
    tekun_death = MatchFlag.objects.get(person=county.tekun, rule="death_id")
    page.goto(reverse("matching:flag_detail", args=[tekun_death.pk]))
    shot(page, "matching-flag-county")

    # the township clerk: the township's column only, its flags, and works one
    page = switch_user(page, login, clerk)
    page.goto(reverse("matching:run_detail", args=[run.pk]))
    text = page.locator("main").inner_text()
    assert "苏埠镇" in text and "韩摆渡镇" not in text
    shot(page, "matching-run-township")
    page.goto(reverse("matching:flag_list"))
    text = page.locator("#results").inner_text()
    assert county.sole.name in text and county.tekun.name not in text
    shot(page, "matching-flags-township")
    car = MatchFlag.objects.get(person=county.head, rule="vehicle")
    page.goto(reverse("matching:flag_detail", args=[car.pk]))
    shot(page, "matching-flag-township")
    page.get_by_label("不属实的理由").fill("该车已于2026年9月过户给他人,有车管所过户证明")
    page.get_by_role("button", name="核实不属实").click()
    page.locator("#flag-status", has_text="核实不属实").wait_for()
    assert "疑点已核实不属实" in page.locator("main").inner_text()
    shot(page, "matching-flag-dismissed")
    page.goto(reverse("matching:candidate_list"))
    shot(page, "matching-candidates")

    # the county's rules
    page = switch_user(page, login, officer)
    page.goto(reverse("matching:rule_list"))
    shot(page, "matching-rules")
    page.goto(reverse("matching:rule_edit", args=["death_fuzzy"]))
    shot(page, "matching-rule-edit")
    page.goto(reverse("matching:run_list"))
    shot(page, "matching-runs")
