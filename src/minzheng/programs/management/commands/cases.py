"""`minzheng cases daily`: the case engine's daily housekeeping, for cron (or a systemd timer)
on the application server, once a day before office hours:

    minzheng cases daily                  # today
    minzheng cases daily --date 2026-12-01

It opens the periodic reviews falling due within 30 days (动态管理) and ends the gradual exits
(渐退期) that ran out. Both are idempotent: running it twice a day does no harm."""

from __future__ import annotations

import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from minzheng.core.management.base import MinzhengCommand

DATE_INVALID = "日期格式应为YYYY-MM-DD,例如2026-12-01"
DONE = "{day}:生成复核任务{reviews}条,渐退期届满终止{ended}户"


class Command(MinzhengCommand):
    help = "社会救助每日处理:生成到期复核任务、终止渐退期届满的案件"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["daily"])
        parser.add_argument("--date", default="", help="按哪一天处理(默认今天)")

    def handle(self, *args: Any, **options: Any) -> None:
        from minzheng.programs.services.reviews import exit_grace_expire, reviews_generate_due

        try:
            day = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError(DATE_INVALID) from None
        reviews = reviews_generate_due(as_of=day)
        ended = exit_grace_expire(as_of=day)
        self.stdout.write(DONE.format(day=day.isoformat(), reviews=reviews, ended=ended))
