"""Receiving a department's data (matching.services.datasets): upload, column mapping,
validation in the background, activation superseding the last delivery, refusal with the
report, failures, who may do it."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from minzheng.core.idnumbers import make_id_number
from minzheng.core.models import AuditEvent
from minzheng.matching import intake
from minzheng.matching.errors import MatchingError
from minzheng.matching.models import DatasetStatus, ExternalDataset
from minzheng.matching.services import datasets as services
from minzheng.matching.services.datasets import (
    active_datasets,
    dataset_map,
    dataset_report_rows,
    dataset_upload,
    dataset_validate,
    dataset_validate_enqueue,
)

COUNTY = "341503000000"
DATA_DATE = datetime.date(2026, 11, 20)
ID_A = make_id_number("341503", datetime.date(1950, 3, 4), 11)
ID_B = make_id_number("341503", datetime.date(1960, 7, 8), 12)

GOOD = [
    "裕安区死亡人员名单",
    "序号,姓名,身份证号码,死亡日期,死亡地点",
    f"1,张三,{ID_A},2026-11-01,家中",
    f"2,李四,{ID_B},2026/11/2,县医院",
    "3,王五,34150319500304123,2026年11月3日,",
    f"4,张三,{ID_A},2026-11-01,家中",
]
BROKEN = [
    "姓名,身份证号码,死亡日期",
    f"张三,{ID_A},2026-11-01",
    f"李四,{ID_B},2026-13-01",
    f",{ID_B},2026-11-02",
]


@pytest.fixture(autouse=True)
def matching_dir(settings: Any, tmp_path: Path) -> Path:
    settings.MATCHING_DIR = tmp_path / "matching"
    return settings.MATCHING_DIR


def csv_file(
    tmp_path: Path, lines: list[str], name: str = "deaths.csv", encoding: str = "gbk"
) -> Path:
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def upload(actor: Any, path: Path, kind: str = "death", **kwargs: Any) -> ExternalDataset:
    return dataset_upload(
        actor=actor,
        kind=kind,
        source="裕安区公安分局",
        data_date=DATA_DATE,
        file=path,
        file_name=path.name,
        **kwargs,
    )


def validated(actor: Any, dataset: ExternalDataset, capture: Any) -> ExternalDataset:
    """Map as guessed, queue the validation and let the task run (ImmediateBackend)."""
    dataset = dataset_map(actor=actor, dataset=dataset, mapping=dataset.column_mapping)
    with capture(execute=True):
        dataset = dataset_validate_enqueue(actor=actor, dataset=dataset)
        assert dataset.status == DatasetStatus.VALIDATING
    dataset.refresh_from_db()
    return dataset


def actions(dataset: ExternalDataset) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="external_dataset", object_id=str(dataset.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- upload -------------------------------------------------------------------------------------


def test_an_upload_stores_the_file_and_guesses_the_mapping(personas, tmp_path) -> None:
    path = csv_file(tmp_path, GOOD)
    dataset = upload(personas.county_officer, path)
    assert dataset.status == DatasetStatus.UPLOADED
    assert dataset.region_code == COUNTY
    assert (dataset.file_format, dataset.encoding) == ("csv", "gb18030")
    stored = Path(dataset.upload_path)
    assert stored.name == f"{dataset.pk}-deaths.csv"
    assert stored.read_bytes() == path.read_bytes()
    assert dataset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert dataset.file_size == path.stat().st_size
    assert dataset.headers == ["序号", "姓名", "身份证号码", "死亡日期", "死亡地点"]
    assert dataset.sample_rows[0] == ["1", "张三", ID_A, "2026-11-01", "家中"]
    assert len(dataset.sample_rows) == 4
    assert dataset.column_mapping == {
        "id_number": "身份证号码",
        "name": "姓名",
        "sex": "",
        "birth_date": "",
        "region_code": "",
        "death_date": "死亡日期",
        "place": "死亡地点",
    }
    assert actions(dataset) == ["matching.dataset_upload"]


def test_a_page_upload_over_the_limit_is_refused_but_not_a_file_from_the_cli(
    personas, tmp_path, settings, matching_dir
) -> None:
    path = csv_file(tmp_path, GOOD)
    settings.MATCHING_UPLOAD_MAX_BYTES = 100
    page_file = SimpleUploadedFile("deaths.csv", path.read_bytes())
    with pytest.raises(MatchingError) as e:
        dataset_upload(
            actor=personas.county_officer,
            kind="death",
            source="公安",
            data_date=DATA_DATE,
            file=page_file,
            file_name="deaths.csv",
        )
    assert "文件超过" in e.value.errors["file"][0]
    assert not ExternalDataset.objects.exists()
    assert list((matching_dir / "uploads").iterdir()) == []
    assert upload(personas.county_officer, path).file_size > 100


def test_a_page_upload_is_stored_in_chunks(personas, tmp_path) -> None:
    data = csv_file(tmp_path, GOOD, encoding="utf-8").read_bytes()
    dataset = dataset_upload(
        actor=personas.county_officer,
        kind="death",
        source="公安",
        data_date=DATA_DATE,
        file=SimpleUploadedFile("名单 (1).csv", data),
        file_name="C:\\导出\\名单 (1).csv",
    )
    assert dataset.file_name == "名单 (1).csv"
    assert Path(dataset.upload_path).name == f"{dataset.pk}-名单_1.csv"
    assert dataset.encoding == "utf-8"


def test_an_xlsx_is_read_whatever_name_it_is_stored_under(
    personas, tmp_path, django_capture_on_commit_callbacks
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["车主", "身份证号", "号牌号码", "车辆类型", "购置价", "初次登记日期"])
    book.active.append(["张三", ID_A, "皖N12345", "小型轿车", 128000.5, datetime.date(2020, 5, 1)])
    path = tmp_path / "车辆.xlsx"
    book.save(path)
    actor = personas.county_officer
    dataset = upload(actor, path, kind="vehicle")
    assert dataset.file_format == "xlsx"
    assert dataset.sample_rows == [["张三", ID_A, "皖N12345", "小型轿车", "128000.5", "2020-05-01"]]
    dataset = validated(actor, dataset, django_capture_on_commit_callbacks)
    assert dataset.status == DatasetStatus.ACTIVE
    page = SimpleUploadedFile("车辆.xlsx", path.read_bytes())
    again = dataset_upload(
        actor=actor,
        kind="vehicle",
        source="交警",
        data_date=DATA_DATE,
        file=page,
        file_name="车辆.xlsx",
    )
    assert again.headers[0] == "车主"


def test_an_upload_needs_a_kind_a_source_a_date_and_a_readable_file(personas, tmp_path) -> None:
    with pytest.raises(MatchingError) as e:
        dataset_upload(
            actor=personas.county_officer,
            kind="shoes",
            source=" ",
            data_date=datetime.date(2099, 1, 1),
            file=csv_file(tmp_path, GOOD),
            file_name="d.csv",
        )
    assert e.value.errors == {
        "kind": ["未知的比对数据类别:shoes"],
        "source": ["请填写提供单位"],
        "data_date": ["数据截止日期不能晚于今天"],
    }
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    with pytest.raises(MatchingError) as e:
        upload(personas.county_officer, xls)
    assert "另存为.xlsx" in e.value.errors["file"][0]
    assert not ExternalDataset.objects.exists()


@pytest.mark.parametrize("persona", ["village_assistant", "township_clerk", "county_leader"])
def test_only_county_officers_receive_data(personas, tmp_path, persona) -> None:
    with pytest.raises(PermissionDenied):
        upload(getattr(personas, persona), csv_file(tmp_path, GOOD))
    dataset = upload(personas.county_officer, csv_file(tmp_path, GOOD))
    with pytest.raises(PermissionDenied):
        dataset_map(actor=getattr(personas, persona), dataset=dataset, mapping={})
    with pytest.raises(PermissionDenied):
        dataset_validate_enqueue(actor=getattr(personas, persona), dataset=dataset)


def test_another_countys_officer_cannot_touch_the_dataset(personas, tmp_path) -> None:
    dataset = upload(personas.county_officer, csv_file(tmp_path, GOOD))
    other = personas.other_county_officer
    with pytest.raises(Http404):
        dataset_map(actor=other, dataset=dataset, mapping=dataset.column_mapping)
    with pytest.raises(Http404):
        dataset_validate_enqueue(actor=other, dataset=dataset)
    with pytest.raises(Http404):
        upload(other, csv_file(tmp_path, GOOD), region_code="341503")


# --- mapping ------------------------------------------------------------------------------------


def test_a_mapping_must_name_the_required_columns_and_headings_of_the_file(
    personas, tmp_path
) -> None:
    dataset = upload(personas.county_officer, csv_file(tmp_path, GOOD))
    with pytest.raises(MatchingError) as e:
        dataset_map(
            actor=personas.county_officer,
            dataset=dataset,
            mapping={"name": "", "death_date": "死亡时间", "id_number": "身份证号码"},
        )
    assert e.value.errors == {
        "mapping": ["请为必填项“姓名”选择文件中的列", "文件中没有“死亡时间”列"]
    }
    dataset = dataset_map(
        actor=personas.county_officer,
        dataset=dataset,
        mapping={"name": "姓名", "death_date": "死亡日期"},
    )
    assert dataset.column_mapping["id_number"] == ""
    assert dataset.column_mapping["death_date"] == "死亡日期"
    assert actions(dataset) == ["matching.dataset_upload", "matching.dataset_map"]


# --- validation ---------------------------------------------------------------------------------


def test_a_valid_delivery_is_activated_with_its_report(
    personas, tmp_path, django_capture_on_commit_callbacks
) -> None:
    actor = personas.county_officer
    dataset = validated(
        actor, upload(actor, csv_file(tmp_path, GOOD)), django_capture_on_commit_callbacks
    )
    assert dataset.status == DatasetStatus.ACTIVE
    assert dataset.activated_at is not None
    assert dataset.supersedes is None
    assert (dataset.total_rows, dataset.valid_rows, dataset.error_rows) == (4, 3, 0)
    assert (dataset.invalid_id_rows, dataset.duplicate_rows) == (1, 1)
    assert dataset.percent == 100
    assert dataset.message == "已启用:3行数据(剔除重复行1行)"
    path = Path(dataset.parquet_path)
    assert (
        path
        == Path(services.settings.MATCHING_DIR) / "datasets" / "death" / f"{dataset.pk}.parquet"
    )
    rows = duckdb.read_parquet(str(path)).order("row_no").fetchall()
    assert [(r[1], r[-2], r[-1]) for r in rows] == [
        ("张三", 3, True),
        ("李四", 4, True),
        ("王五", 5, False),
    ]
    assert dataset_report_rows(dataset) == [
        {
            "row_no": 5,
            "column": "身份证号码",
            "value": "34150319500304123",
            "reason": "身份证号码无效(保留,仅用于模糊比对)",
            "message": (
                "第5行 身份证号码“34150319500304123”不是有效的身份证号码,该行保留用于模糊比对"
            ),
            "code": "id_invalid",
            "error": False,
        },
        {
            "row_no": 6,
            "column": "整行",
            "value": f"张三 {ID_A}",
            "reason": "重复行(已剔除)",
            "message": "第6行与第3行完全相同,已剔除",
            "code": "duplicate",
            "error": False,
        },
    ]
    assert actions(dataset) == [
        "matching.dataset_upload",
        "matching.dataset_map",
        "matching.dataset_validate",
        "matching.dataset_activate",
    ]
    event = AuditEvent.objects.get(action="matching.dataset_activate")
    assert event.actor == actor
    assert event.changes["rows"] == 4
    assert event.changes["duplicate_rows"] == 1
    assert active_datasets("341503100201") == {"death": dataset}
    assert not list((Path(services.settings.MATCHING_DIR) / "tmp").iterdir())


def test_a_delivery_with_broken_rows_is_refused_and_nothing_is_used(
    personas, tmp_path, django_capture_on_commit_callbacks
) -> None:
    actor = personas.county_officer
    dataset = validated(
        actor, upload(actor, csv_file(tmp_path, BROKEN)), django_capture_on_commit_callbacks
    )
    assert dataset.status == DatasetStatus.REFUSED
    assert dataset.parquet_path == ""
    assert list((Path(services.settings.MATCHING_DIR) / "datasets" / "death").iterdir()) == []
    assert (dataset.total_rows, dataset.error_rows, dataset.valid_rows) == (3, 2, 1)
    assert dataset.message == "校验未通过:2行有错误,整批数据未启用,请修正后重新上传"
    assert [
        (r["row_no"], r["column"], r["value"], r["reason"]) for r in dataset_report_rows(dataset)
    ] == [
        (3, "死亡日期", "2026-13-01", "不是有效日期"),
        (4, "姓名", "", "必填项为空"),
    ]
    assert dataset.report["counts"] == {"bad_date": 1, "required": 1}
    assert actions(dataset)[-2:] == ["matching.dataset_validate", "matching.dataset_refuse"]
    assert active_datasets(COUNTY) == {}


def test_a_refused_delivery_can_be_mapped_again(
    personas, tmp_path, django_capture_on_commit_callbacks
) -> None:
    actor = personas.county_officer
    lines = ["姓名,身份证号码,死亡日期,备注", f"张三,{ID_A},2026-11-01,2026年补报"]
    dataset = upload(actor, csv_file(tmp_path, lines))
    dataset = dataset_map(
        actor=actor, dataset=dataset, mapping={"name": "姓名", "death_date": "备注"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        dataset_validate_enqueue(actor=actor, dataset=dataset)
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.REFUSED
    dataset = dataset_map(
        actor=actor, dataset=dataset, mapping={"name": "姓名", "death_date": "死亡日期"}
    )
    assert (dataset.status, dataset.report, dataset.error_rows) == (DatasetStatus.UPLOADED, {}, 0)
    with django_capture_on_commit_callbacks(execute=True):
        dataset_validate_enqueue(actor=actor, dataset=dataset)
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.ACTIVE


def test_a_new_delivery_supersedes_the_last_and_keeps_its_history(
    personas, tmp_path, django_capture_on_commit_callbacks
) -> None:
    actor = personas.county_officer
    capture = django_capture_on_commit_callbacks
    first = validated(actor, upload(actor, csv_file(tmp_path, GOOD, "a.csv")), capture)
    # A new delivery of the same kind is received while the first is in use.
    second = upload(actor, csv_file(tmp_path, GOOD[:3], "b.csv"))
    first.refresh_from_db()
    assert first.status == DatasetStatus.ACTIVE
    assert active_datasets(COUNTY) == {"death": first}
    second = validated(actor, second, capture)
    first.refresh_from_db()
    assert second.status == DatasetStatus.ACTIVE
    assert second.supersedes == first
    assert first.status == DatasetStatus.SUPERSEDED
    assert Path(first.parquet_path).exists()
    assert active_datasets(COUNTY) == {"death": second}
    event = AuditEvent.objects.filter(action="matching.dataset_activate").order_by("id").last()
    assert event is not None and event.changes["supersedes"] == first.pk
    # A refused third delivery leaves the second in use.
    third = validated(actor, upload(actor, csv_file(tmp_path, BROKEN, "c.csv")), capture)
    second.refresh_from_db()
    assert (third.status, second.status) == (DatasetStatus.REFUSED, DatasetStatus.ACTIVE)
    # Another kind is independent.
    lines = ["车主,身份证号,号牌号码,车辆类型", f"张三,{ID_A},皖N12345,小型轿车"]
    vehicles = validated(
        actor, upload(actor, csv_file(tmp_path, lines, "v.csv"), kind="vehicle"), capture
    )
    assert set(active_datasets(COUNTY)) == {"death", "vehicle"}
    assert vehicles.supersedes is None


def test_the_cli_validates_without_the_queue_and_sees_the_progress(personas, tmp_path) -> None:
    dataset = upload(None, csv_file(tmp_path, GOOD), region_code="341503")
    assert dataset.created_by is None
    dataset = dataset_map(actor=None, dataset=dataset, mapping=dataset.column_mapping)
    seen: list[tuple[int, int]] = []
    dataset = dataset_validate(dataset, progress=lambda done, total: seen.append((done, total)))
    assert dataset.status == DatasetStatus.ACTIVE
    assert seen[-1] == (4, 4)
    assert all(done <= total for done, total in seen)
    assert (
        AuditEvent.objects.filter(action="matching.dataset_activate").get().actor_username
        == "system"
    )


def test_a_file_that_cannot_be_read_fails_without_leaving_anything(
    personas, tmp_path, django_capture_on_commit_callbacks
) -> None:
    actor = personas.county_officer
    dataset = upload(actor, csv_file(tmp_path, GOOD))
    Path(dataset.upload_path).write_bytes(b"")
    dataset = validated(actor, dataset, django_capture_on_commit_callbacks)
    assert dataset.status == DatasetStatus.FAILED
    assert dataset.message == "导入失败:文件是空的"
    assert dataset.parquet_path == ""
    assert actions(dataset)[-1] == "matching.dataset_validate"
    # Fixed on disk, it can be validated again from FAILED.
    Path(dataset.upload_path).write_bytes(csv_file(tmp_path, GOOD).read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        dataset_validate_enqueue(actor=actor, dataset=dataset)
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.ACTIVE


def test_an_unexpected_failure_is_failed_with_a_chinese_message(
    personas, tmp_path, monkeypatch, matching_dir
) -> None:
    dataset = upload(personas.county_officer, csv_file(tmp_path, GOOD))

    def crash(**kwargs: Any) -> None:
        kwargs["target"].write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(intake, "validate_file", crash)
    dataset = dataset_validate(dataset)
    assert dataset.status == DatasetStatus.FAILED
    assert dataset.message == "导入失败,请联系系统管理员(内部错误:OSError)"
    assert list((matching_dir / "datasets" / "death").iterdir()) == []
    assert not (matching_dir / "tmp").exists() or not list((matching_dir / "tmp").iterdir())


def test_an_active_dataset_cannot_be_mapped_or_validated_again(
    personas, tmp_path, django_capture_on_commit_callbacks
) -> None:
    actor = personas.county_officer
    dataset = validated(
        actor, upload(actor, csv_file(tmp_path, GOOD)), django_capture_on_commit_callbacks
    )
    with pytest.raises(MatchingError, match="在用"):
        dataset_map(actor=actor, dataset=dataset, mapping=dataset.column_mapping)
    with pytest.raises(MatchingError, match="在用"):
        dataset_validate_enqueue(actor=actor, dataset=dataset)
    with pytest.raises(MatchingError, match="在用"):
        dataset_validate(dataset)
