"""比对数据 pages: the kinds with their delivery in use and history, the upload form, the
column mapping screen (guessed headings preselected, the file's first rows shown), the
validation's progress bar and its report with the problem rows, on the page and in Excel.
County roles only; a township clerk is refused."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.matching.models import DatasetStatus
from tests.matching.pages_world import make_dataset
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("matching:dataset_list")
UPLOAD = reverse("matching:dataset_upload")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["序号", "死者姓名", "公民身份号码", "性别", "死亡日期", "火化单位"]
SAMPLES = [
    ["1", "赵老汉", "341503194104010012", "男", "2026-10-03", "六安市殡仪馆"],
    ["2", "钱老太", "34150319450303002X", "女", "2026/10/9", "六安市殡仪馆"],
]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 23), tick=False):
        yield


def url(name: str, dataset) -> str:
    return reverse(f"matching:{name}", args=[dataset.pk])


def uploaded(actor, **fields):
    return make_dataset(
        actor,
        "death",
        status=DatasetStatus.UPLOADED,
        headers=HEADERS,
        sample_rows=SAMPLES,
        column_mapping={"id_number": "公民身份号码", "name": "死者姓名", "death_date": "死亡日期"},
        **fields,
    )


def sample(row_no, column, value, reason, error):
    return {
        "row_no": row_no,
        "column": column,
        "field": "",
        "value": value,
        "code": "",
        "reason": reason,
        "error": error,
        "message": f"第{row_no}行 {column}“{value}”{reason}",
    }


def refused(actor):
    return make_dataset(
        actor,
        "death",
        status=DatasetStatus.REFUSED,
        headers=HEADERS,
        total_rows=1000,
        valid_rows=997,
        error_rows=3,
        invalid_id_rows=2,
        duplicate_rows=1,
        column_mapping={"id_number": "公民身份号码", "name": "死者姓名", "death_date": "死亡日期"},
        report={
            "reasons": [
                {
                    "code": "id_invalid",
                    "reason": "身份证号码无效(保留,仅用于模糊比对)",
                    "error": False,
                    "field": "id_number",
                    "column": "身份证号码",
                    "count": 2,
                },
                {
                    "code": "bad_date",
                    "reason": "不是有效日期",
                    "error": True,
                    "field": "death_date",
                    "column": "死亡日期",
                    "count": 3,
                },
            ],
            "samples": [
                sample(
                    7,
                    "身份证号码",
                    "34150319410401001",
                    "身份证号码无效(保留,仅用于模糊比对)",
                    False,
                ),
                sample(9, "死亡日期", "2026-13-01", "不是有效日期", True),
                sample(12, "死亡日期", "十月", "不是有效日期", True),
            ],
            "samples_truncated": False,
        },
    )


def test_the_list_shows_each_kind_with_its_delivery_in_use(client, personas):
    officer = personas.county_officer
    old = make_dataset(officer, "death", status=DatasetStatus.SUPERSEDED)
    make_dataset(
        officer, "death", data_date=old.data_date.replace(month=11, day=20), supersedes=old
    )
    client.force_login(officer)
    html = client.get(LIST).content.decode()
    for text in ("死亡人员", "机动车登记", "截至 2026-11-20", "裕安区公安分局", "在用", "未上传"):
        assert text in html
    assert "历次报送" in html and "已被新数据替代" in html and "上传新数据" in html
    part = client.get(LIST, {"kind": "vehicle"}, **HTMX).content.decode()
    assert "<html" not in part and "没有以前报送的数据" in part


@pytest.mark.parametrize("who", ["township_clerk", "village_assistant", "other_township_clerk"])
def test_township_and_village_roles_are_refused(client, personas, who):
    client.force_login(getattr(personas, who))
    assert client.get(LIST).status_code == 403
    assert client.get(UPLOAD).status_code == 403


def test_readers_see_but_do_not_upload(client, personas):
    dataset = refused(personas.county_officer)
    client.force_login(personas.county_leader)
    html = client.get(LIST).content.decode()
    assert "上传数据" not in html
    assert client.get(url("dataset_detail", dataset)).status_code == 200
    assert client.get(UPLOAD).status_code == 403
    assert client.get(url("dataset_columns", dataset)).status_code == 403
    client.force_login(personas.other_county_officer)
    assert client.get(url("dataset_detail", dataset)).status_code == 404


def test_the_upload_form_checks_the_file_and_the_date(client, personas):
    client.force_login(personas.county_officer)
    html = client.get(UPLOAD, {"kind": "vehicle"}).content.decode()
    assert '<option value="vehicle" selected' in html
    response = client.post(
        UPLOAD,
        {
            "kind": "death",
            "source": "裕安区公安分局",
            "data_date": "2026-12-31",
            "file": io.BytesIO(b"a,b\n1,2\n"),
        },
    )
    html = response.content.decode()
    assert "数据截止日期不能晚于今天" in html
    bad = io.BytesIO(b"x")
    bad.name = "死亡.xls"
    response = client.post(
        UPLOAD, {"kind": "death", "source": "公安", "data_date": "2026-10-31", "file": bad}
    )
    assert "旧版Excel(.xls)请另存为.xlsx" in response.content.decode()


def test_the_mapping_screen_preselects_the_guessed_headings(client, personas):
    dataset = uploaded(personas.county_officer)
    client.force_login(personas.county_officer)
    # the detail of an uploaded delivery opens the mapping screen
    response = client.get(url("dataset_detail", dataset))
    assert response.status_code == 302 and response.url == url("dataset_columns", dataset)
    html = client.get(url("dataset_columns", dataset)).content.decode()
    assert '<option value="公民身份号码" selected>公民身份号码(例:341503194104010012)' in html
    assert '<option value="死者姓名" selected>' in html
    assert '<option value="死亡日期" selected>' in html
    # the file's first rows, to see what each heading holds
    assert "文件前5行" in html and "六安市殡仪馆" in html and "2026/10/9" in html
    assert "身份证号码" in html and "死亡日期" in html and "死亡地点" in html


def test_the_mapping_screen_names_a_required_column_left_unmapped(client, personas):
    dataset = uploaded(personas.county_officer)
    client.force_login(personas.county_officer)
    response = client.post(
        url("dataset_columns", dataset),
        {"id_number": "公民身份号码", "name": "死者姓名", "death_date": ""},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "“死亡日期”是必需的列,请选择文件中对应的列" in html
    response = client.post(
        url("dataset_columns", dataset),
        {
            "id_number": "公民身份号码",
            "name": "死者姓名",
            "death_date": "死亡日期",
            "place": "死者姓名",
        },
    )
    assert "同时对应了" in response.content.decode()


def test_validation_shows_a_progress_bar_that_survives_a_reload(client, personas):
    dataset = make_dataset(
        personas.county_officer, status=DatasetStatus.VALIDATING, percent=35, rows_done=420000
    )
    client.force_login(personas.county_officer)
    html = client.get(url("dataset_detail", dataset)).content.decode()
    assert url("dataset_progress", dataset) in html and 'hx-trigger="every 1s"' in html
    assert 'value="35"' in html and "已读取 420000 行" in html.replace(",", "")
    dataset.status = DatasetStatus.ACTIVE
    dataset.save()
    response = client.get(url("dataset_progress", dataset), **HTMX)
    assert response.headers.get("HX-Refresh") == "true"


def test_the_report_lists_the_problem_rows_and_what_to_do(client, personas):
    dataset = refused(personas.county_officer)
    client.force_login(personas.county_officer)
    html = client.get(url("dataset_detail", dataset)).content.decode()
    assert "有 3 行数据有问题,这批数据没有启用" in html
    assert "交提供单位核对更正后重新报送" in html and "重新对应字段" in html
    assert "不是有效日期" in html and "身份证号码无效(保留,仅用于模糊比对)" in html
    assert "34150319410401001" in html and "2026-13-01" in html and "须更正" in html
    # errors before warnings in the counts
    assert html.index("不是有效日期</td>") < html.index("身份证号码无效(保留")
    response = client.get(url("dataset_problems", dataset))
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["行号", "列", "内容", "问题", "处理", "说明"]
    assert rows[1][:5] == [
        7,
        "身份证号码",
        "34150319410401001",
        "身份证号码无效(保留,仅用于模糊比对)",
        "仅提示",
    ]
    assert rows[2][:5] == [9, "死亡日期", "2026-13-01", "不是有效日期", "须更正"]
    assert len(rows) == 4


def test_an_active_delivery_says_it_is_in_use(client, personas):
    old = make_dataset(personas.county_officer, status=DatasetStatus.SUPERSEDED)
    new = make_dataset(personas.county_officer, supersedes=old, invalid_id_rows=4)
    client.force_login(personas.county_officer)
    html = client.get(url("dataset_detail", new)).content.decode()
    assert "校验通过,已启用" in html and "原来在用的截至 2026-10-31 的数据已被替代" in html
    assert "4 行身份证号缺失或有误" in html
    html = client.get(url("dataset_detail", old)).content.decode()
    assert "已被截至 2026-10-31 的数据替代" in html
