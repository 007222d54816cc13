"""A delivery's way through the pages with the real services: upload a GBK CSV, the mapping
screen with the guessed headings, validation (the background task runs at once in tests), and
the report — a file with broken rows refused with its problem rows, a clean one put in use."""

from __future__ import annotations

import datetime
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from minzheng.matching.models import DatasetStatus, ExternalDataset
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

UPLOAD = reverse("matching:dataset_upload")
HEADINGS = "序号,死者姓名,公民身份号码,性别,死亡日期,死亡地点\n"
CLEAN = HEADINGS + (
    "1,赵老汉,341503194104010012,男,2026-10-03,家中\n"
    "2,钱老太,34150319450303002X,女,2026/10/9,六安市人民医院\n"
)
BROKEN = CLEAN + "3,孙福来,341503194408080019,男,2026-13-01,家中\n"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 23), tick=False):
        yield


def upload(client, text: str) -> ExternalDataset:
    response = client.post(
        UPLOAD,
        {
            "kind": "death",
            "source": "裕安区公安分局",
            "data_date": "2026-10-31",
            "note": "10月死亡人员",
            "file": SimpleUploadedFile("死亡人员.csv", text.encode("gbk"), "text/csv"),
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    dataset = ExternalDataset.objects.latest("id")
    assert response.url == reverse("matching:dataset_columns", args=[dataset.pk])
    return dataset


def map_and_validate(client, dataset, django_capture_on_commit_callbacks) -> str:
    columns = reverse("matching:dataset_columns", args=[dataset.pk])
    html = client.get(columns).content.decode()
    assert '<option value="公民身份号码" selected>' in html
    assert '<option value="死者姓名" selected>' in html
    assert '<option value="死亡日期" selected>' in html
    assert "六安市人民医院" in html
    mapping = {"id_number": "公民身份号码", "name": "死者姓名", "sex": "性别"}
    mapping |= {"death_date": "死亡日期", "place": "死亡地点"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(columns, mapping)
    assert response.status_code == 302
    return client.get(response.url).content.decode()


def test_a_clean_delivery_is_put_in_use(client, personas, django_capture_on_commit_callbacks):
    client.force_login(personas.county_officer)
    dataset = upload(client, CLEAN)
    html = map_and_validate(client, dataset, django_capture_on_commit_callbacks)
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.ACTIVE and dataset.valid_rows == 2
    assert "校验通过,已启用" in html
    assert dataset.data_date == datetime.date(2026, 10, 31)


def test_a_delivery_with_broken_rows_is_refused_with_its_report(
    client, personas, django_capture_on_commit_callbacks
):
    client.force_login(personas.county_officer)
    dataset = upload(client, BROKEN)
    html = map_and_validate(client, dataset, django_capture_on_commit_callbacks)
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.REFUSED and dataset.error_rows == 1
    assert "有 1 行数据有问题,这批数据没有启用" in html
    assert "不是有效日期" in html and "2026-13-01" in html and "须更正" in html
    response = client.get(reverse("matching:dataset_problems", args=[dataset.pk]))
    assert response.status_code == 200


def test_an_excel_delivery_opens_its_mapping_screen(client, personas):
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "车主", "号牌号码", "车辆类型", "车辆价值"])
    sheet.append(["341503194104010012", "赵老汉", "皖N3K721", "小型轿车", 86000])
    content = BytesIO()
    book.save(content)
    client.force_login(personas.county_officer)
    response = client.post(
        UPLOAD,
        {
            "kind": "vehicle",
            "source": "裕安区交警大队",
            "data_date": "2026-10-31",
            "file": SimpleUploadedFile("机动车登记.xlsx", content.getvalue()),
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    html = client.get(response.url).content.decode()
    assert '<option value="号牌号码" selected>号牌号码(例:皖N3K721)' in html
    assert '<option value="车主" selected>' in html and "小型轿车" in html
