"""`minzheng payroll run|list|show`: a run from the command line with a progress bar and a
summary in Chinese; acting as a user applies that user's role and scope; errors are Chinese."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from minzheng.payments.models import PayrollRun, RunStatus
from tests.payments.support import COUNTY
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 5), tick=False):
        yield


class Terminal(io.StringIO):
    """Standard error on a terminal: tqdm draws its bar there."""

    def isatty(self) -> bool:
        return True


def payroll(*args: str, **kwargs) -> tuple[str, str]:
    out, err = io.StringIO(), Terminal()
    call_command("payroll", *args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


RUN = ("run", "--program", "dibao_rural", "--month", "2026-11", "--region", COUNTY)


def test_run_generates_with_a_progress_bar_and_a_summary(world):
    out, err = payroll(*RUN)

    assert "生成发放明细" in err and "9/9" in err
    assert (
        "发放批次 FF202611-dibao_rural-341503:农村最低生活保障 2026年11月 裕安区,状态:待审核" in out
    )
    assert "明细 9 笔,发放对象 9 人,明细合计 3904.50 元" in out
    assert "应付银行 3904.50 元,待追回 0.00 元" in out
    assert "当月发放:9 笔,3904.50 元" in out
    run = PayrollRun.objects.get()
    assert run.status == RunStatus.DRAFT and run.created_by is None


def test_run_again_changes_nothing_and_a_locked_run_is_only_shown(world):
    payroll(*RUN)
    out, _ = payroll(*RUN)
    assert "明细 9 笔" in out
    PayrollRun.objects.update(status=RunStatus.LOCKED)
    out, _ = payroll(*RUN)
    assert "已锁定" in out and "不再生成" in out and "明细 9 笔" in out
    assert PayrollRun.objects.count() == 1


def test_the_program_may_be_named_in_chinese_and_the_region_shortened(world):
    out, _ = payroll(
        "run", "--program", "农村最低生活保障", "--month", "2026-11", "--region", "341503100"
    )
    assert "FF202611-dibao_rural-341503100" in out and "明细 6 笔" in out


def test_acting_as_a_user_applies_the_role_and_scope(personas, world):
    payroll(*RUN, "--user", personas.county_officer.username)
    assert PayrollRun.objects.get().created_by == personas.county_officer
    with pytest.raises(CommandError, match="只有县级社会救助经办人员"):
        payroll(*RUN, "--user", personas.township_clerk.username)
    with pytest.raises(CommandError, match="不在您的管辖范围内"):
        payroll(*RUN, "--user", personas.other_county_officer.username)
    with pytest.raises(CommandError, match="不存在"):
        payroll(*RUN, "--user", "nobody")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2026/11"), "月份格式"),
        (("--month", "2027-03"), "最晚只能发起下月"),
        (("--program", "xyz"), "未知的救助项目"),
        (("--region", "341503100201"), "应为县"),
        (("--region", "3415"), "应为县"),
    ],
)
def test_errors_are_told_in_chinese(world, args, message):
    options = dict(zip(RUN[1::2], RUN[2::2], strict=True)) | dict([args])
    argv = ["run", *[x for item in options.items() for x in item]]
    with pytest.raises(CommandError, match=message):
        payroll(*argv)
    assert not PayrollRun.objects.exists()


def test_an_overlapping_run_is_refused(world):
    payroll(*RUN)
    with pytest.raises(CommandError, match="重叠"):
        payroll("run", "--program", "dibao_rural", "--month", "2026-11", "--region", "341503100")


def test_list_and_show(world):
    payroll(*RUN)
    out, _ = payroll("list", "--month", "2026-11")
    assert (
        "FF202611-dibao_rural-341503\t农村最低生活保障\t2026-11\t341503000000\t待审核\t9笔" in out
    )
    assert "共1个发放批次" in out
    assert "没有发放批次" in payroll("list", "--month", "2026-10")[0]

    out, _ = payroll("show", "FF202611-dibao_rural-341503")
    assert "明细合计 3904.50 元" in out and "当月发放:9 笔" in out
    with pytest.raises(CommandError, match="不存在"):
        payroll("show", "FF000000")
