"""`minzheng import_households`: the same import from the command line."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from minzheng.registry.models import Household, ImportJob
from tests.registry.import_files import family, person, table, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def test_the_command_imports_a_file_as_the_given_user(personas, tmp_path):
    path = write_csv(tmp_path / "h.csv", table(family("H1", 3) + family("H2", 1)), "gbk")
    out = io.StringIO()

    call_command("import_households", str(path), "--user", "township", stdout=out)

    assert "已导入2户、4人" in out.getvalue()
    job = ImportJob.objects.get()
    assert job.created_by == personas.township_clerk and job.status == ImportJob.Status.DONE
    assert Household.objects.count() == 2
    assert path.exists()  # the clerk's own file is left alone


def test_the_command_prints_the_errors_and_fails_in_strict_mode(personas, tmp_path):
    rows = [*family("H1", 2), person("H2", "户主", "坏人", 身份证号码="12")]
    path = write_xlsx(tmp_path / "h.xlsx", table(rows))
    out = io.StringIO()

    with pytest.raises(CommandError, match="文件中有1处错误"):
        call_command("import_households", str(path), "--user", "township", stdout=out)

    assert "第4行 身份证号码:身份证号码应为18位(或15位旧号码)" in out.getvalue()
    assert not Household.objects.exists()


def test_skip_mode_from_the_command_line(personas, tmp_path):
    rows = [*family("H1", 2), person("H2", "户主", "坏人", 身份证号码="12")]
    path = write_xlsx(tmp_path / "h.xlsx", table(rows))
    out = io.StringIO()

    call_command("import_households", str(path), "--user", "county", "--mode", "skip", stdout=out)

    assert "已导入1户、2人;1户因有错误未导入" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.xlsx", "--user", "township"], "文件不存在"),
        (["{file}", "--user", "nobody"], "用户“nobody”不存在"),
        (["{file}", "--user", "village"], "您的角色不能批量导入居民和家庭"),
    ],
)
def test_the_command_refuses_what_it_cannot_do(personas, tmp_path, args, message):
    path = write_xlsx(tmp_path / "h.xlsx", table(family("H1")))
    args = [a.format(file=path) for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("import_households", *args)
