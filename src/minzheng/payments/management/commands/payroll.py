"""`minzheng payroll`: payroll runs from the command line (a county's finance officer, or cron):

    minzheng payroll run --program dibao_rural --month 2026-11 --region 341503000000
    minzheng payroll run --program 农村最低生活保障 --month 2026-11 --region 341503100 \\
        --user county01
    minzheng payroll list --month 2026-11
    minzheng payroll show FF202611-dibao_rural-341503

`run` starts the run (or takes the existing one) and generates its lines with a progress bar;
run again after an interruption it carries on where it stopped and pays nobody twice. Without
--user it acts as the system; with it, that user's role and scope apply."""

from __future__ import annotations

import datetime
import time
from argparse import ArgumentParser
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.http import Http404
from django.utils.translation import gettext
from tqdm import tqdm

from minzheng.core.management.base import MinzhengCommand
from minzheng.core.models import Region
from minzheng.core.regions import RegionCodeError, normalize_code
from minzheng.payments.models import LineKind, PaymentLine, PayrollRun, RunStatus
from minzheng.payments.services.errors import PaymentError
from minzheng.payments.services.payroll import (
    month_label,
    run_generate,
    run_start,
)
from minzheng.programs.policies import POLICIES, program_label

MONTH_INVALID = "月份格式应为YYYY-MM,例如2026-11"
RUN_UNKNOWN = "发放批次“{number}”不存在"
NO_RUNS = "没有发放批次"
NOT_REGENERATED = "该批次状态为“{status}”,明细已不再生成,以下为现有结果"
SUMMARY = (
    "发放批次 {number}:{program} {month} {region},状态:{status}\n"
    "明细 {lines} 笔,发放对象 {persons} 人,明细合计 {total} 元,"
    "应付银行 {payable} 元,待追回 {recovery} 元"
)
ELAPSED = "用时 {seconds:.1f} 秒"
KIND_LINE = "  {label}:{count} 笔,{amount} 元"


def parse_month(raw: str) -> datetime.date:
    try:
        year, month = raw.strip().split("-")[:2]
        return datetime.date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(MONTH_INVALID) from None


def program_code(raw: str) -> str:
    """The program's code; its Chinese name (农村低保) is accepted too."""
    raw = raw.strip()
    labels = {program_label(code): code for code in POLICIES}
    return labels.get(raw, raw)


def region_name(code: str) -> str:
    return Region.objects.filter(code=code).values_list("name", flat=True).first() or code


def summary(run: PayrollRun) -> str:
    return SUMMARY.format(
        number=run.number,
        program=program_label(run.program),
        month=month_label(run.month),
        region=region_name(run.region_code),
        status=run.get_status_display(),
        lines=run.line_count,
        persons=run.beneficiary_count,
        total=run.total_amount,
        payable=run.payable_amount,
        recovery=run.recovery_amount,
    )


class Command(MinzhengCommand):
    help = "发放批次:生成(run)、列出(list)、查看(show)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        run = sub.add_parser("run", help="发起(或继续)一个发放批次并生成发放明细")
        programs = ", ".join(f"{code}={program_label(code)}" for code in POLICIES)
        run.add_argument("--program", required=True, help=f"救助项目:{programs}")
        run.add_argument("--month", required=True, help="发放月份,如 2026-11")
        run.add_argument("--region", required=True, help="县(区)或乡镇区划代码,如 341503000000")
        run.add_argument("--user", default="", help="以该用户身份操作(检查其角色和管辖范围)")
        listing = sub.add_parser("list", help="列出发放批次")
        listing.add_argument("--month", default="", help="只列出该月份,如 2026-11")
        show = sub.add_parser("show", help="查看一个发放批次")
        show.add_argument("number", help="批次编号")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "run":
                self.run(options)
            elif action == "list":
                self.list(options["month"])
            else:
                self.show(options["number"])
        except PaymentError as e:
            raise CommandError(e.message) from None
        except (PermissionDenied, Http404) as e:
            raise CommandError(str(e)) from None

    def run(self, options: dict[str, Any]) -> None:
        try:
            region = normalize_code(options["region"])
        except RegionCodeError as e:
            raise CommandError(str(e)) from None
        started = time.monotonic()
        run = run_start(
            actor=self.actor(options["user"]),
            program=program_code(options["program"]),
            region_code=region,
            month=parse_month(options["month"]),
            background=False,
        )
        if run.status in (RunStatus.GENERATING, RunStatus.DRAFT):
            run = self.generate(run)
        else:
            self.stdout.write(NOT_REGENERATED.format(status=run.get_status_display()))
        self.stdout.write(summary(run))
        self.kinds(run)
        self.stdout.write(ELAPSED.format(seconds=time.monotonic() - started))

    def generate(self, run: PayrollRun) -> PayrollRun:
        self.stderr.style_func = None  # a plain progress bar, not an error-red one
        with tqdm(
            total=run.cases_total or None,
            unit="户",
            desc=gettext("生成发放明细"),
            file=self.stderr,
            disable=None,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            return run_generate(run_id=run.pk, progress=progress)

    def kinds(self, run: PayrollRun) -> None:
        rows = (
            PaymentLine.objects.filter(run=run)
            .values("kind")
            .annotate(count=Count("id"), amount=Sum("amount"))
            .order_by("kind")
        )
        for row in rows:
            amount = Decimal(row["amount"] or 0).quantize(Decimal("0.01"))
            label = LineKind(row["kind"]).label
            self.stdout.write(KIND_LINE.format(label=label, count=row["count"], amount=amount))

    def list(self, month: str) -> None:
        runs = PayrollRun.objects.order_by("-month", "program", "region_code", "id")
        if month:
            runs = runs.filter(month=parse_month(month))
        count = 0
        for run in runs:
            count += 1
            self.stdout.write(
                f"{run.number}\t{program_label(run.program)}\t{run.month:%Y-%m}\t"
                f"{run.region_code}\t{run.get_status_display()}\t{run.line_count}笔\t"
                f"{run.total_amount}元"
            )
        self.stdout.write(f"共{count}个发放批次" if count else NO_RUNS)

    def show(self, number: str) -> None:
        run = PayrollRun.objects.filter(number=number.strip()).first()
        if run is None:
            raise CommandError(RUN_UNKNOWN.format(number=number))
        self.stdout.write(summary(run))
        if run.status == RunStatus.GENERATING:
            self.stdout.write(f"进度:{run.stage} {run.cases_done}/{run.cases_total}")
        if run.cancel_reason:
            self.stdout.write(f"作废原因:{run.cancel_reason}")
        self.kinds(run)
