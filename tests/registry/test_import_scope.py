"""Who may import what: only importer roles, only into regions within their scope."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from minzheng.registry.importer import checking
from minzheng.registry.importer.service import import_job_start
from minzheng.registry.models import Household, ImportJob
from tests.conftest import OTHER_COUNTY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.registry.import_files import errors_of, family, run_import, table, write_xlsx

pytestmark = pytest.mark.django_db


def rows_in(village: str) -> list[list[str]]:
    return table(
        family("H1", 2, **{"所在村(社区)区划代码": village, "户籍所在地区划代码": village})
    )


def test_a_township_clerk_cannot_import_into_another_township(personas, tmp_path):
    path = write_xlsx(tmp_path / "other.xlsx", rows_in(OTHER_TOWNSHIP_VILLAGE))

    job = run_import(personas.township_clerk, path)

    assert job.status == ImportJob.Status.FAILED and not Household.objects.exists()
    reason = checking.REGION_OUT_OF_SCOPE.format(code=OTHER_TOWNSHIP_VILLAGE)
    assert (2, "户籍所在地区划代码", reason) in errors_of(job)
    assert (2, "所在村(社区)区划代码", reason) in errors_of(job)


def test_a_county_officer_imports_anywhere_in_the_county_but_not_beyond(personas, tmp_path):
    mine = run_import(
        personas.county_officer, write_xlsx(tmp_path / "a.xlsx", rows_in(OTHER_TOWNSHIP_VILLAGE))
    )
    beyond = run_import(
        personas.county_officer, write_xlsx(tmp_path / "b.xlsx", rows_in(OTHER_COUNTY_VILLAGE))
    )
    assert mine.status == ImportJob.Status.DONE
    assert beyond.status == ImportJob.Status.FAILED


@pytest.mark.parametrize(
    "role",
    [
        "village_assistant",
        "township_leader",
        "county_leader",
        "auditor",
        "hospital_clerk",
    ],
)
def test_roles_that_may_not_import_are_refused(personas, role):
    with pytest.raises(PermissionDenied):
        import_job_start(actor=getattr(personas, role), file_name="x.xlsx", mode="strict")


def test_the_job_remembers_the_importers_region(personas, tmp_path):
    job = run_import(personas.township_clerk, write_xlsx(tmp_path / "a.xlsx", rows_in(VILLAGE)))
    assert job.region_code == "341503100000" and job.created_by == personas.township_clerk
