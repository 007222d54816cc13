"""Broken files: each bad row is reported with its row number, column and reason, and in strict
mode nothing at all is written, not even the good households beside the bad ones."""

from __future__ import annotations

import datetime
import os
import time

import pytest
from stdnum.cn import ric

from minzheng.core.idnumbers import ID_AREA, ID_BIRTH_DATE, ID_CHECKSUM, make_id_number
from minzheng.core.models import AuditEvent
from minzheng.registry.importer import checking, reading
from minzheng.registry.models import Household, ImportJob, Person
from minzheng.registry.services import (
    PERSON_DUPLICATE_ELSEWHERE,
    PERSON_DUPLICATE_IN_SCOPE,
    REGION_NOT_VILLAGE,
    REGION_UNKNOWN,
)
from tests.conftest import OTHER_TOWNSHIP_VILLAGE
from tests.factories import make_person, new_id_number
from tests.registry.import_files import (
    errors_of,
    family,
    person,
    run_import,
    table,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


def refused(job: ImportJob) -> bool:
    """The job failed and the registry is untouched."""
    return (
        job.status == ImportJob.Status.FAILED
        and job.households_imported == 0
        and not Household.objects.exists()
        and not Person.objects.filter(name__in=["张建国", "李秀兰", "坏人"]).exists()
    )


def import_rows(actor, tmp_path, rows, mode="strict"):
    good = family("GOOD", 2)  # a good household beside the bad rows: never half a file
    return run_import(actor, write_xlsx(tmp_path / "bad.xlsx", table(good + rows)), mode)


def test_missing_headers_refuse_the_file_at_once_naming_them(personas, tmp_path):
    headers = ["户编号", "与户主关系", "姓名", "身份证号", "户籍性质", "家庭住址"]
    path = write_xlsx(tmp_path / "h.xlsx", [headers, ["H1", "户主", "张三", "x", "农村", "y"]])

    job = run_import(personas.township_clerk, path)

    assert refused(job)
    assert job.message == checking.HEADERS_MISSING.format(
        headers="身份证号码、户籍所在地区划代码、所在村(社区)区划代码"
    )
    assert AuditEvent.objects.get(action="household.import").changes["status"] == [None, "failed"]


def test_unknown_headers_refuse_the_file(personas, tmp_path):
    rows = table(family("H1"))
    rows[0] = [*rows[0], "备注"]
    job = run_import(personas.township_clerk, write_csv(tmp_path / "h.csv", rows))
    assert refused(job)
    assert job.message == checking.HEADERS_UNKNOWN.format(headers="备注")


def test_invalid_id_numbers_are_reported_with_the_validators_message(personas, tmp_path):
    valid = new_id_number()
    bad_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    first17 = "342401" + "19701399" + "011"
    bad_date = first17 + ric.calc_check_digit(first17 + "0")
    bad_area = make_id_number("990000", datetime.date(1970, 1, 1), 11)
    rows = [
        person("B1", "户主", "坏人", id_number=bad_check),
        person("B2", "户主", "坏人", id_number=bad_date),
        person("B3", "户主", "坏人", id_number=bad_area),
    ]
    job = import_rows(personas.township_clerk, tmp_path, rows)

    assert refused(job)
    assert errors_of(job)[0] == (4, "身份证号码", ID_CHECKSUM)
    assert errors_of(job)[1] == (5, "身份证号码", ID_BIRTH_DATE)
    assert errors_of(job)[2] == (6, "身份证号码", ID_AREA)
    assert job.error_count == 3


def test_an_18_digit_number_stored_as_an_excel_number_is_explained(personas, tmp_path):
    rows = table([person("H1", "户主", "坏人")])
    rows[1][rows[0].index("身份证号码")] = float(rows[1][rows[0].index("身份证号码")][:17] + "0")
    job = run_import(personas.township_clerk, write_xlsx(tmp_path / "n.xlsx", rows))
    assert refused(job)
    assert errors_of(job) == [(2, "身份证号码", checking.NUMBER_LOST)]


def test_duplicates_inside_the_file_name_the_other_row(personas, tmp_path):
    number = new_id_number()
    rows = [person("B1", "户主", "坏人", id_number=number), person("B1", "子女", "坏人")]
    rows.append(person("B2", "户主", "坏人", id_number=number))
    job = import_rows(personas.township_clerk, tmp_path, rows)

    assert refused(job)
    assert errors_of(job) == [(6, "身份证号码", checking.DUPLICATE_IN_FILE.format(row=4))]


def test_duplicates_against_the_database_name_the_record_only_within_scope(personas, tmp_path):
    mine = make_person(personas.township_clerk, region_code="341503100201", name="王老五")
    other = make_person(personas.other_township_clerk, region_code=OTHER_TOWNSHIP_VILLAGE)
    rows = [
        person("B1", "户主", "坏人", id_number=mine.id_number),
        person("B2", "户主", "坏人", id_number=other.id_number),
    ]
    job = import_rows(personas.township_clerk, tmp_path, rows)

    assert refused(job)
    named = PERSON_DUPLICATE_IN_SCOPE.format(
        id_number=mine.id_number, name="王老五", region="陶洪村"
    )
    assert errors_of(job) == [
        (4, "身份证号码", named),
        (5, "身份证号码", PERSON_DUPLICATE_ELSEWHERE),
    ]


def test_region_codes_unknown_out_of_scope_or_not_a_village_are_refused(personas, tmp_path):
    rows = [
        person("B1", "户主", "坏人", 户籍所在地区划代码="341503100999"),
        person("B2", "户主", "坏人", 户籍所在地区划代码=OTHER_TOWNSHIP_VILLAGE),
        person("B3", "户主", "坏人", **{"所在村(社区)区划代码": "341503100000"}),
        person("B4", "户主", "坏人", 户籍所在地区划代码="3415031002"),
    ]
    job = import_rows(personas.township_clerk, tmp_path, rows)

    assert refused(job)
    assert errors_of(job) == [
        (4, "户籍所在地区划代码", REGION_UNKNOWN.format(code="341503100999")),
        (
            5,
            "户籍所在地区划代码",
            checking.REGION_OUT_OF_SCOPE.format(code=OTHER_TOWNSHIP_VILLAGE),
        ),
        (6, "所在村(社区)区划代码", REGION_NOT_VILLAGE),
        (7, "户籍所在地区划代码", checking.REGION_FORMAT),
    ]


def test_a_household_needs_exactly_one_head(personas, tmp_path):
    rows = [person("NOHEAD", "配偶", "坏人"), person("NOHEAD", "子女", "坏人")]
    rows += [person("TWO", "户主", "坏人"), person("TWO", "户主", "坏人")]
    job = import_rows(personas.township_clerk, tmp_path, rows)

    assert refused(job)
    assert errors_of(job) == [
        (4, "与户主关系", checking.HEAD_MISSING.format(key="NOHEAD")),
        (7, "与户主关系", checking.HEAD_MULTIPLE.format(key="TWO", rows="6、7")),
    ]


def test_unknown_coded_values_and_missing_cells_are_reported(personas, tmp_path):
    rows = [
        person("B1", "户主", "坏人", 户籍性质="农业", 婚姻状况="单身", 民族="火星族"),
        person("B1", "表哥", "", 残疾等级="5级", 联系电话="call me"),
        person("", "子女", "坏人", 残疾类别="肢体残疾"),
    ]
    job = import_rows(personas.township_clerk, tmp_path, rows)

    assert refused(job)
    hukou = checking.VALUE_UNKNOWN.format(value="农业", column="户籍性质", allowed="城镇、农村")
    married = checking.VALUE_UNKNOWN.format(
        value="单身", column="婚姻状况", allowed="未婚、已婚、离婚、丧偶"
    )
    found = errors_of(job)
    assert (4, "户籍性质", hukou) in found
    assert (4, "婚姻状况", married) in found
    assert (4, "民族", checking.ETHNICITY_UNKNOWN.format(value="火星族")) in found
    assert (5, "姓名", checking.CELL_REQUIRED) in found
    assert (5, "残疾等级", checking.GRADE_UNKNOWN.format(value="5级")) in found
    assert (5, "联系电话", checking.PHONE_FORMAT) in found
    assert [e[:2] for e in found if e[0] == 5 and e[1] == "与户主关系"] == [(5, "与户主关系")]
    assert (6, "户编号", checking.CELL_REQUIRED) in found
    assert (6, "残疾等级", "请填写残疾等级(1-4级)") in found


@pytest.mark.parametrize("name", ["empty.xlsx", "empty.csv"])
def test_an_empty_file_is_refused(personas, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    job = run_import(personas.township_clerk, path)
    assert refused(job) and job.message == reading.FILE_EMPTY


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_file_with_headers_only_is_refused(personas, tmp_path, suffix):
    rows = table([])
    path = tmp_path / f"headers.{suffix}"
    write_xlsx(path, rows) if suffix == "xlsx" else write_csv(path, rows)
    job = run_import(personas.township_clerk, path)
    assert refused(job) and job.message == reading.FILE_NO_DATA


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("junk.xlsx", reading.FILE_EXCEL_UNREADABLE),
        ("junk.csv", None),
        ("junk", None),
    ],
)
def test_ten_megabytes_of_junk_fail_fast_and_cleanly(personas, tmp_path, name, message):
    path = tmp_path / name
    path.write_bytes(os.urandom(10 * 1024 * 1024))
    started = time.monotonic()

    job = run_import(personas.township_clerk, path)

    assert time.monotonic() - started < 5
    assert refused(job)
    if message:
        assert job.message == message
    else:  # random bytes may even decode; then the header line is what gives them away
        clean = {reading.FILE_ENCODING, reading.FILE_NO_HEADER, reading.FILE_CSV_UNREADABLE}
        assert job.message.format(row=1) in {m.format(row=1) for m in clean} or (
            job.message.startswith("文件缺少必需的表头")
        )


def test_ten_megabytes_of_readable_text_fail_at_the_header(personas, tmp_path):
    line = "这不是导入模板,只是一些文字,abc,123\n" * 10
    path = tmp_path / "text.csv"
    path.write_text(line * (10 * 1024 * 1024 // len(line.encode())), encoding="utf-8")
    started = time.monotonic()

    job = run_import(personas.township_clerk, path)

    assert time.monotonic() - started < 5
    assert refused(job) and job.message.startswith("文件缺少必需的表头:户编号、与户主关系")


def test_a_zip_that_is_not_a_workbook_is_refused(personas, tmp_path):
    import zipfile

    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "不是Excel")
    job = run_import(personas.township_clerk, path)
    assert refused(job) and job.message == reading.FILE_EXCEL_UNREADABLE


def test_a_file_above_the_size_limit_is_refused(personas, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1024
    path = write_csv(tmp_path / "big.csv", table(family("H1", 6) + family("H2", 6)))
    job = run_import(personas.township_clerk, path)
    assert refused(job) and job.message == reading.FILE_TOO_LARGE.format(limit="1KB")


def test_more_rows_than_the_cap_are_refused(personas, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 5
    path = write_xlsx(tmp_path / "many.xlsx", table(family("H1", 3) + family("H2", 3)))
    job = run_import(personas.township_clerk, path)
    assert refused(job) and job.message == reading.FILE_TOO_MANY_ROWS.format(limit=5)


def test_strict_mode_reports_the_error_count_and_writes_nothing(personas, tmp_path):
    job = import_rows(personas.township_clerk, tmp_path, [person("B1", "户主", "坏人", 姓名="")])
    assert refused(job)
    assert job.message == "文件中有1处错误。按“整体导入”方式,整个文件都未导入,请修改后重新导入"
    assert job.households_skipped == 2
