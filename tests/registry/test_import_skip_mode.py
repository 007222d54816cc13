"""Skip mode: households with any bad row are left out whole; every other household imports."""

from __future__ import annotations

import pytest

from minzheng.registry.models import Household, ImportJob, Person
from tests.conftest import OTHER_TOWNSHIP_VILLAGE
from tests.factories import make_person
from tests.registry.import_files import errors_of, family, person, run_import, table, write_xlsx

pytestmark = pytest.mark.django_db


def test_skip_mode_imports_exactly_the_good_households(personas, tmp_path):
    existing = make_person(personas.township_clerk, region_code="341503100201")
    bad_member = family("BAD1", 3)
    bad_member[2]["身份证号码"] = "123"  # one bad child spoils the household
    bad_head = family("BAD2", 2)
    bad_head[0]["所在村(社区)区划代码"] = OTHER_TOWNSHIP_VILLAGE
    duplicate = family("BAD3", 2)
    duplicate[1]["身份证号码"] = existing.id_number
    no_head = [person("BAD4", "子女", "孤儿")]
    rows = family("OK1", 2) + bad_member + bad_head + family("OK2", 4) + duplicate + no_head
    path = write_xlsx(tmp_path / "mixed.xlsx", table(rows))

    job = run_import(personas.township_clerk, path, mode="skip")

    assert job.status == ImportJob.Status.DONE
    assert (job.households_imported, job.persons_imported) == (2, 6)
    assert job.households_skipped == 4 and job.error_count == 4
    assert sorted(Household.objects.values_list("address", flat=True)) == [
        "陶洪村OK1号",
        "陶洪村OK2号",
    ]
    assert Person.objects.count() == 6 + 1
    assert [row for row, _, _ in errors_of(job)] == [6, 7, 14, 15]
    assert job.message == "已导入2户、6人;4户因有错误未导入,请修改后单独导入"


def test_skip_mode_with_nothing_good_imports_nothing_and_says_so(personas, tmp_path):
    rows = [person("B1", "户主", "坏人", 身份证号码="1")]
    job = run_import(personas.township_clerk, write_xlsx(tmp_path / "b.xlsx", table(rows)), "skip")

    assert job.status == ImportJob.Status.DONE
    assert job.households_imported == 0 and job.households_skipped == 1
    assert not Person.objects.exists()
