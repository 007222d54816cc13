"""`minzheng match`: 信息比对 from the command line (the county's officer, or cron):

    minzheng match run --region 341503000000 [--engine duckdb|spark] [--master URL] \\
        [--rules death_id,vehicle] [--as-of 2026-11-22] [--user county01]
    minzheng match import --kind death --source 县公安局 --date 2026-11-20 \\
        [--encoding gbk] [--map 身份证号=id_number,死亡日期=death_date] FILE
    minzheng match list
    minzheng match show BD3415032026110001

`run` starts a run and does it in this process with a progress bar, then prints per rule the
hits, the new flags and why a rule did not run. `import` receives a delivery (any size: the
file is streamed), validates it and prints the report; a refused delivery ends with exit
status 1 and its first problem rows. Without --user the command acts as the system; with it,
that user's role and scope apply."""

from __future__ import annotations

import datetime
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.http import Http404
from django.utils.translation import gettext
from tqdm import tqdm

from minzheng.core.management.base import MinzhengCommand
from minzheng.core.models import Region, User
from minzheng.matching.engines import ENGINES
from minzheng.matching.errors import MatchingConflict, MatchingError
from minzheng.matching.models import DatasetStatus, ExternalDataset, MatchRun, RunStatus
from minzheng.matching.rules import RULES
from minzheng.matching.schemas import SCHEMAS

DATE_INVALID = "日期格式应为YYYY-MM-DD,例如2026-11-22"
RUN_UNKNOWN = "比对批次“{number}”不存在"
NO_RUNS = "没有比对批次"
FILE_MISSING = "文件“{path}”不存在"
MAP_INVALID = "字段对应应写作“文件列名=标准字段”,多个用逗号分隔,例如 身份证号=id_number"
MAP_UNKNOWN_COLUMN = "比对数据类别“{kind}”没有字段“{column}”,可选:{columns}"
ENCODING_DIFFERS = "提示:文件编码识别为{found},与指定的{wanted}不同,按识别结果读取"
RUN_SUMMARY = (
    "比对批次 {number}:{region},基准日 {as_of},引擎 {engine},状态:{status}\n"
    "比对人数 {people} 人,命中 {hits} 条,新增疑点 {new} 条"
)
RULE_LINE = "  {label}:命中 {hits} 条,新增疑点 {new} 条({seconds} 秒)"
RULE_SKIPPED = "  {label}:未执行({reason})"
ELAPSED = "用时 {seconds:.1f} 秒"
IMPORT_SUMMARY = (
    "比对数据 {pk}:{kind},{source},截止 {date},文件 {file}\n"
    "状态:{status}。数据 {total} 行,有效 {valid} 行,错误 {errors} 行,"
    "身份证号无效 {invalid_ids} 行,重复 {duplicates} 行"
)
IMPORT_MESSAGE = "说明:{message}"
PROBLEMS_HEADING = "前{n}条问题数据:"
PROBLEM_LINE = "  第{row_no}行 {column}“{value}”:{reason}"
IMPORT_REFUSED = "比对数据校验未通过,未启用(共{rows}行有错误)"
IMPORT_FAILED = "比对数据导入失败:{message}"
PROBLEMS_SHOWN = 20


def parse_date(raw: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(DATE_INVALID) from None


def region_name(code: str) -> str:
    return Region.objects.filter(code=code).values_list("name", flat=True).first() or code


def rule_label(code: str) -> str:
    rule = RULES.get(code)
    return str(rule.label) if rule else code


def run_summary(run: MatchRun) -> str:
    return RUN_SUMMARY.format(
        number=run.number,
        region=region_name(run.region_code),
        as_of=run.as_of.isoformat(),
        engine=run.engine,
        status=run.get_status_display(),
        people=run.beneficiary_count,
        hits=run.hit_count,
        new=run.new_flag_count,
    )


def parse_mapping(raw: str, kind: str) -> dict[str, str]:
    """ "身份证号=id_number,死亡日期=death_date" -> {canonical column: the file's heading}."""
    mapping: dict[str, str] = {}
    names = SCHEMAS[kind].names
    for part in (p.strip() for p in raw.replace(",", ",").split(",")):
        if not part:
            continue
        heading, sep, column = part.rpartition("=")
        if not sep or not heading.strip() or not column.strip():
            raise CommandError(MAP_INVALID)
        if column.strip() not in names:
            raise CommandError(
                MAP_UNKNOWN_COLUMN.format(
                    kind=kind, column=column.strip(), columns="、".join(names)
                )
            )
        mapping[column.strip()] = heading.strip()
    return mapping


class Command(MinzhengCommand):
    help = "信息比对:执行比对(run)、导入比对数据(import)、列出(list)、查看(show)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        run = sub.add_parser("run", help="发起一个比对批次并在本进程中执行")
        run.add_argument("--region", default="", help="县(区)区划代码,如 341503000000")
        run.add_argument("--engine", default="duckdb", choices=ENGINES, help="比对引擎")
        run.add_argument("--master", default="", help="Spark 集群地址(默认 local[*])")
        run.add_argument("--rules", default="", help="只执行这些规则,逗号分隔,如 death_id,vehicle")
        run.add_argument("--as-of", default="", help="比对基准日,如 2026-11-22(默认今天)")
        run.add_argument("--user", default="", help="以该用户身份操作(检查其角色和管辖范围)")
        imp = sub.add_parser("import", help="导入一份比对数据(CSV、XLSX 或 Parquet)并校验")
        kinds = ", ".join(f"{k}={s.label}" for k, s in SCHEMAS.items())
        imp.add_argument("--kind", required=True, choices=list(SCHEMAS), help=f"数据类别:{kinds}")
        imp.add_argument("--source", required=True, help="提供单位,如 县公安局")
        imp.add_argument("--date", required=True, help="数据截止日期,如 2026-11-20")
        imp.add_argument("--encoding", default="", help="CSV 文件编码(utf-8 或 gbk,默认自动识别)")
        imp.add_argument("--map", default="", help="字段对应:文件列名=标准字段,逗号分隔")
        imp.add_argument("--region", default="", help="所属县(区)区划代码(默认用户所在县)")
        imp.add_argument("--note", default="", help="备注")
        imp.add_argument("--user", default="", help="以该用户身份操作")
        imp.add_argument("file", help="数据文件路径")
        sub.add_parser("list", help="列出比对批次")
        show = sub.add_parser("show", help="查看一个比对批次")
        show.add_argument("number", help="批次编号")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "run":
                self.run(options)
            elif action == "import":
                self.import_file(options)
            elif action == "list":
                self.list()
            else:
                self.show(options["number"])
        except (MatchingError, MatchingConflict) as e:
            raise CommandError(e.message) from None
        except (PermissionDenied, Http404) as e:
            raise CommandError(str(e)) from None

    # --- run ---------------------------------------------------------------------------------

    def run(self, options: dict[str, Any]) -> None:
        from minzheng.matching.services.runs import run_execute, run_start

        started = time.monotonic()
        rules = [c.strip() for c in options["rules"].split(",") if c.strip()] or None
        run = run_start(
            actor=self.actor(options["user"]),
            region_code=options["region"] or None,
            engine=options["engine"],
            rules=rules,
            as_of=parse_date(options["as_of"]) if options["as_of"] else None,
            enqueue=False,
        )
        self.stderr.style_func = None  # a plain progress bar, not an error-red one
        with tqdm(
            total=100, unit="%", desc=gettext("信息比对"), file=self.stderr, disable=None
        ) as bar:

            def progress(stage: str, percent: int) -> None:
                bar.set_description_str(stage)
                bar.n = percent
                bar.refresh()

            run = run_execute(run, progress=progress, master=options["master"] or None)
        self.stdout.write(run_summary(run))
        self.rules(run)
        self.stdout.write(ELAPSED.format(seconds=time.monotonic() - started))
        if run.status != RunStatus.DONE:
            raise CommandError(run.message or run.get_status_display())

    def rules(self, run: MatchRun) -> None:
        counts = run.rule_counts or {}
        for code in run.rules:
            c = counts.get(code)
            if c is None:
                continue
            if c.get("skipped"):
                self.stdout.write(RULE_SKIPPED.format(label=rule_label(code), reason=c["skipped"]))
            else:
                self.stdout.write(
                    RULE_LINE.format(
                        label=rule_label(code),
                        hits=c.get("hits", 0),
                        new=c.get("new", 0),
                        seconds=c.get("seconds", 0),
                    )
                )

    # --- import ------------------------------------------------------------------------------

    def import_file(self, options: dict[str, Any]) -> None:
        from minzheng.matching.services.datasets import (
            dataset_map,
            dataset_report_rows,
            dataset_upload,
            dataset_validate,
        )

        path = Path(options["file"]).expanduser()
        if not path.is_file():
            raise CommandError(FILE_MISSING.format(path=path))
        kind = options["kind"]
        mapping = parse_mapping(options["map"], kind) if options["map"] else {}
        actor = self.actor(options["user"])
        dataset = dataset_upload(
            actor=actor,
            kind=kind,
            source=options["source"],
            data_date=parse_date(options["date"]),
            file=path,
            file_name=path.name,
            region_code=options["region"] or None,
            note=options["note"],
        )
        wanted = options["encoding"].strip().lower()
        if (
            wanted
            and dataset.encoding
            and wanted.replace("-", "") not in dataset.encoding.lower().replace("-", "")
        ):
            self.stderr.write(ENCODING_DIFFERS.format(found=dataset.encoding, wanted=wanted))
        if mapping:
            dataset = dataset_map(
                actor=actor, dataset=dataset, mapping={**dataset.column_mapping, **mapping}
            )
        dataset = self.validate(dataset, actor, dataset_validate)
        self.stdout.write(self.import_summary(dataset))
        if dataset.message:
            self.stdout.write(IMPORT_MESSAGE.format(message=dataset.message))
        if dataset.status == DatasetStatus.ACTIVE:
            return
        problems = dataset_report_rows(dataset)[:PROBLEMS_SHOWN]
        if problems:
            self.stdout.write(PROBLEMS_HEADING.format(n=len(problems)))
            for row in problems:
                self.stdout.write(
                    PROBLEM_LINE.format(
                        **{k: row.get(k, "") for k in ("row_no", "column", "value", "reason")}
                    )
                )
        if dataset.status == DatasetStatus.REFUSED:
            raise CommandError(IMPORT_REFUSED.format(rows=dataset.error_rows))
        raise CommandError(IMPORT_FAILED.format(message=dataset.message))

    def validate(
        self, dataset: ExternalDataset, actor: User | None, validate: Any
    ) -> ExternalDataset:
        with tqdm(
            total=None, unit="行", desc=gettext("校验比对数据"), file=self.stderr, disable=None
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total or None
                bar.n = done
                bar.refresh()

            return validate(dataset, progress=progress, actor=actor)  # type: ignore[no-any-return]

    def import_summary(self, dataset: ExternalDataset) -> str:
        return IMPORT_SUMMARY.format(
            pk=dataset.pk,
            kind=dataset.get_kind_display(),
            source=dataset.source,
            date=dataset.data_date.isoformat(),
            file=dataset.file_name,
            status=dataset.get_status_display(),
            total=dataset.total_rows,
            valid=dataset.valid_rows,
            errors=dataset.error_rows,
            invalid_ids=dataset.invalid_id_rows,
            duplicates=dataset.duplicate_rows,
        )

    # --- list, show --------------------------------------------------------------------------

    def list(self) -> None:
        count = 0
        for run in MatchRun.objects.order_by("-created_at", "-id"):
            count += 1
            self.stdout.write(
                f"{run.number}\t{run.region_code}\t{run.as_of:%Y-%m-%d}\t{run.engine}\t"
                f"{run.get_status_display()}\t命中{run.hit_count}条\t新增疑点{run.new_flag_count}条"
            )
        self.stdout.write(f"共{count}个比对批次" if count else NO_RUNS)

    def show(self, number: str) -> None:
        run = MatchRun.objects.filter(number=number.strip()).first()
        if run is None:
            raise CommandError(RUN_UNKNOWN.format(number=number))
        self.stdout.write(run_summary(run))
        if run.status == RunStatus.RUNNING:
            self.stdout.write(f"进度:{run.stage} {run.percent}%")
        if run.message:
            self.stdout.write(run.message)
        self.rules(run)
