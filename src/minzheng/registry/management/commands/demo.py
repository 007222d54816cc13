"""`minzheng demo --households N`: the demo county 六安市裕安区 with N households, their
declarations and one user per role (see docs/demo.md)."""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from minzheng.core.models import Role
from minzheng.registry.demo_load import (
    DEMO_PASSWORD,
    demo_load,
    demo_users_ensure,
    region_path,
)
from minzheng.registry.demo_regions import DEFAULT_SEED, DEMO_COUNTY
from minzheng.registry.models import Person
from minzheng.registry.signals import demo_loaded

ALREADY_LOADED = "已有居民数据,跳过演示数据(--if-empty)"


class Command(BaseCommand):
    help = "生成演示县(六安市裕安区):区划、家庭和居民、经济状况申报,以及每个角色一个演示账号"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=int, default=3000, help="家庭户数(默认3000)")
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="随机种子,相同种子结果相同"
        )
        parser.add_argument("--if-empty", action="store_true", help="已有居民数据时什么也不做")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Person.objects.exists():
            self.stdout.write(ALREADY_LOADED)
            return
        n = options["households"]
        if n < 0:
            raise CommandError("户数不能为负数")
        started = time.monotonic()
        self.stderr.style_func = None  # a plain progress bar, not an error-red one
        with tqdm(total=n, unit="户", desc="生成演示数据", file=self.stderr, disable=None) as bar:
            result = demo_load(households=n, seed=options["seed"], progress=bar.update)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"已生成 {result.households} 户、{result.persons} 人、"
            f"{result.declarations} 份经济状况申报"
            f"({result.incomes} 项收入、{result.assets} 项财产),"
            f"用时 {seconds:.1f} 秒"
        )
        self._users()
        replies = demo_loaded.send(
            sender=self.__class__, county_code=DEMO_COUNTY, seed=options["seed"], households=n
        )
        for _receiver, summary in replies:
            if summary:
                self.stdout.write(str(summary))

    def _users(self) -> None:
        rows = [("用户名", "密码", "角色", "区划")]
        for user, created in demo_users_ensure():
            password = DEMO_PASSWORD if created else "(已存在,未修改)"
            label = str(Role(user.role).label)
            rows.append(
                (
                    user.username,
                    password,
                    label,
                    f"{region_path(user.region_code)}({user.region_code})",
                )
            )
        self.stdout.write("演示账号:")
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = [cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)]
            self.stdout.write("  ".join(cells).rstrip())


def _width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
