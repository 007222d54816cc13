"""A good file, as XLSX or CSV in any of the encodings clerks produce, imports exactly its
households with their members and relationships."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import load_workbook

from minzheng.core.idnumbers import make_id_number
from minzheng.core.models import AuditEvent
from minzheng.registry.importer.reading import DATA_SHEET
from minzheng.registry.importer.template import EXAMPLE_SHEET, template_workbook
from minzheng.registry.models import Household, ImportJob, Membership, Person
from tests.conftest import VILLAGE
from tests.registry.import_files import (
    family,
    person,
    run_import,
    table,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


def members_of(household: Household) -> list[tuple[str, str]]:
    return [
        (m.person.name, m.relationship)
        for m in Membership.objects.filter(household=household).select_related("person")
    ]


def test_it_imports_households_with_members_and_relationships_from_xlsx(personas, tmp_path):
    rows = family("H1", 3, 联系电话="13805641234", 开户银行="农商银行", 银行账号="6228480000123")
    rows += family("H2", 1)
    path = write_xlsx(tmp_path / "good.xlsx", table(rows))

    job = run_import(personas.township_clerk, path)

    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.households_imported, job.persons_imported, job.error_count) == (2, 4, 0)
    assert job.total_rows == 4 and job.percent == 100
    h1 = Household.objects.get(address="陶洪村H1号")
    assert h1.region_code == VILLAGE and h1.bank_name == "农商银行"
    assert h1.bank_account_number == "6228480000123"
    assert h1.head is not None and h1.head.name == "张建国" and h1.head.phone == "13805641234"
    assert members_of(h1) == [("张建国", "head"), ("李秀兰", "spouse"), ("张小0", "child")]
    assert Person.objects.get(name="李秀兰").sex == "F"


def test_it_leaves_an_audit_event_per_household_and_one_for_the_job(personas, tmp_path):
    path = write_xlsx(tmp_path / "good.xlsx", table(family("H1") + family("H2")))

    job = run_import(personas.township_clerk, path)

    assert AuditEvent.objects.filter(action="household.create").count() == 2
    event = AuditEvent.objects.get(action="household.import")
    assert event.object_id == str(job.pk) and event.actor == personas.township_clerk
    assert event.changes["households_imported"] == [None, 2]
    assert event.changes["persons_imported"] == [None, 6]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_it_imports_csv_in_the_encodings_clerks_save(personas, tmp_path, encoding):
    rows = family("H1", 2, 民族="回族", 婚姻状况="已婚", 文化程度="高中/中专")
    path = write_csv(tmp_path / "good.csv", table(rows), encoding)

    job = run_import(personas.township_clerk, path)

    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    head = Person.objects.get(name="张建国")
    assert (head.ethnicity, head.marital_status, head.education) == ("回族", "married", "senior")


def test_it_groups_rows_of_a_household_that_are_not_adjacent(personas, tmp_path):
    a, b = family("A", 2), family("B", 2)
    path = write_xlsx(tmp_path / "mixed.xlsx", table([a[1], b[0], a[0], b[1]]))

    job = run_import(personas.township_clerk, path)

    assert job.households_imported == 2
    household = Household.objects.get(address="陶洪村A号")
    assert members_of(household) == [("张建国", "head"), ("李秀兰", "spouse")]


def test_it_reads_coded_columns_by_their_chinese_labels(personas, tmp_path):
    rows = [
        person(
            "H1",
            "户主",
            "王芳",
            残疾类别="肢体残疾",
            残疾等级="二级",
            残疾证号="34150319700101123442",
            劳动能力="部分丧失劳动能力",
            重大疾病="尿毒症",
            户籍性质="城镇",
        ),
        person("H1", "儿媳", "赵丽"),
    ]
    path = write_xlsx(tmp_path / "coded.xlsx", table(rows))

    job = run_import(personas.township_clerk, path)

    assert job.status == ImportJob.Status.DONE, job.errors
    head = Person.objects.get(name="王芳")
    assert (head.disability_category, head.disability_grade) == ("physical", 2)
    assert (head.labour_capacity, head.serious_illness, head.hukou_type) == (
        "partial",
        "尿毒症",
        "urban",
    )
    assert Membership.objects.get(person__name="赵丽").relationship == "child_in_law"


def test_it_upgrades_15_digit_numbers_and_reads_numeric_excel_cells(personas, tmp_path):
    eighteen = make_id_number("342401", datetime.date(1965, 4, 3), 123)
    fifteen = eighteen[:6] + eighteen[8:17]
    rows = table([person("H1", "户主", "老张", id_number=fifteen)])
    rows[1][rows[0].index("身份证号码")] = int(fifteen)  # typed as a number in Excel
    rows[1][rows[0].index("所在村(社区)区划代码")] = int(VILLAGE)
    path = write_xlsx(tmp_path / "old.xlsx", rows)

    job = run_import(personas.township_clerk, path)

    assert job.status == ImportJob.Status.DONE, job.errors
    assert Person.objects.get(name="老张").id_number == eighteen


def test_the_downloaded_template_filled_with_its_example_imports(personas, tmp_path):
    wb = load_workbook(io.BytesIO(template_workbook(example_village=VILLAGE)))
    data, example = wb[DATA_SHEET], wb[EXAMPLE_SHEET]
    for row in example.iter_rows(min_row=2, values_only=True):
        data.append(row)
    path = tmp_path / "模板.xlsx"
    wb.save(path)

    job = run_import(personas.township_clerk, path)

    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.households_imported, job.persons_imported) == (1, 3)
    assert Person.objects.get(name="李秀兰").disability_grade == 3


def test_rows_are_numbered_as_excel_shows_them_when_the_table_starts_lower(personas, tmp_path):
    rows = table([person("H1", "户主", "张三"), person("H1", "子女", "")])
    shifted = [[], [], *[["", *r] for r in rows]]  # header in B3
    path = write_xlsx(tmp_path / "shifted.xlsx", shifted)

    job = run_import(personas.township_clerk, path)

    assert [(e["row"], e["column"]) for e in job.errors] == [(5, "姓名")]
