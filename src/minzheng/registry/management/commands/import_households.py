"""`minzheng import_households FILE --user USERNAME --mode strict|skip`: the same import as the
upload page (same checks, same job record, same report), run in the foreground with a progress
bar. Exit status 1 when nothing was imported."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from tqdm import tqdm

from minzheng.core.management.base import MinzhengCommand
from minzheng.core.models import User
from minzheng.registry.importer.progress import CHECKING_SHARE
from minzheng.registry.importer.service import import_job_run, import_job_start
from minzheng.registry.models import ImportJob

USER_UNKNOWN = "用户“{username}”不存在"
FILE_MISSING = "文件不存在:{path}"
ERRORS_SHOWN = 20
ERROR_LINE = "第{row}行 {column}:{reason}"
MORE_ERRORS = "……共{count}处错误,完整清单见网页上的导入任务 {job}"


class Command(MinzhengCommand):
    help = "从Excel或CSV文件批量导入居民和家庭(与网页导入相同的检查和报告)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="导入文件(.xlsx、.xls 或 .csv,表头同导入模板)")
        parser.add_argument("--user", required=True, help="以该用户的身份和管辖范围导入")
        parser.add_argument(
            "--mode",
            choices=ImportJob.Mode.values,
            default=ImportJob.Mode.STRICT,
            help="strict:有任何错误则整个文件不导入(默认);skip:跳过有错误的家庭",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(USER_UNKNOWN.format(username=options["user"]))
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(FILE_MISSING.format(path=path))
        try:
            job = import_job_start(actor=user, file_name=path.name, mode=options["mode"])
        except PermissionDenied as e:
            raise CommandError(str(e)) from None
        with tqdm(total=100, unit="%", disable=None, desc=path.name) as bar:

            def listener(stage: str, done: int, total: int) -> None:
                share = done / max(total, 1)
                if stage == ImportJob.Stage.CHECKING:
                    percent = CHECKING_SHARE * share
                else:
                    percent = CHECKING_SHARE + (100 - CHECKING_SHARE) * share
                bar.set_postfix_str(str(ImportJob.Stage(stage).label))
                bar.update(int(percent) - bar.n)

            job = import_job_run(job_id=job.pk, path=path, listener=listener)
            bar.update(100 - bar.n)
        self.report(job)

    def report(self, job: ImportJob) -> None:
        for error in job.errors[:ERRORS_SHOWN]:
            self.stdout.write(ERROR_LINE.format(**error))
        if job.error_count > ERRORS_SHOWN:
            self.stdout.write(MORE_ERRORS.format(count=job.error_count, job=job.pk))
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.message)
        self.stdout.write(job.message)
