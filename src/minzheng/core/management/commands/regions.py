"""`minzheng regions`: load a county's division table, load the bundled national list, show a
region with its children.

    minzheng regions load divisions.xlsx   # 区划代码, 名称[, 城乡分类代码]; or CSV (UTF-8/GBK)
    minzheng regions load-national --townships-of 341503,640324
    minzheng regions show 341503
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db.models import Count

from minzheng.core.management.base import MinzhengCommand
from minzheng.core.models import Region, User
from minzheng.core.regions import LEVEL_NAMES, RegionCodeError, code_level, normalize_code, prefix_q
from minzheng.core.services.regions import (
    RegionFileError,
    RegionRow,
    national_rows,
    read_region_file,
    regions_upsert,
)
from minzheng.core.services.users import REGION_UNKNOWN

FILE_MISSING = "找不到文件:{path}"
FILE_REFUSED = "文件未导入:共{count}处错误,请改正后重新导入整个文件"
LOADED = "已导入{count}条区划({levels})"
NATIONAL_LOADED = "已导入全国区划{count}条({levels})"
COUNTY_CODE_INVALID = "“{code}”不是6位县级区划代码"
COUNTY_WITHOUT_TOWNSHIPS = "注意:{code}在全国区划表中没有乡镇(街道)"
CHILDREN_NONE = "没有下级区划"


def level_summary(rows: list[RegionRow]) -> str:
    """ "省 1, 市 1, 县(区) 1, 乡镇(街道) 23" for the levels present in the rows."""
    counts = Counter(code_level(r.code) for r in rows)
    return ", ".join(f"{LEVEL_NAMES[lv]} {counts[lv]}" for lv in sorted(counts))


def parse_counties(value: str) -> list[str]:
    """ "341503,640324" or "*" as a list of 6-digit county codes (or ["*"])."""
    codes = [c.strip() for c in value.split(",") if c.strip()]
    for code in codes:
        if code != "*" and not (len(code) == 6 and code.isdigit()):
            raise CommandError(COUNTY_CODE_INVALID.format(code=code))
    return codes


class Command(MinzhengCommand):
    help = "行政区划:导入区划表(load)、导入全国区划(load-national)、查看区划(show)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = sub.add_parser(
            "load", help="导入区划表:CSV(UTF-8或GBK)或XLSX,列为 区划代码、名称[、城乡分类代码]"
        )
        load.add_argument("file", type=Path, help="区划表文件")
        national = sub.add_parser(
            "load-national", help="导入随系统提供的全国省、市、县三级区划,及指定县的乡镇(街道)"
        )
        national.add_argument(
            "--townships-of",
            default="",
            metavar="CODES",
            help="要导入乡镇(街道)的县级代码,以逗号分隔,如 341503,640324;'*' 表示全部",
        )
        show = sub.add_parser("show", help="显示一个区划及其下级(不给代码时显示各省)")
        show.add_argument("code", nargs="?", default="", help="2、4、6、9或12位区划代码")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "load":
            self.load(options["file"])
        elif action == "load-national":
            self.load_national(parse_counties(options["townships_of"]))
        else:
            self.show(options["code"])

    def load(self, path: Path) -> None:
        if not path.is_file():
            raise CommandError(FILE_MISSING.format(path=path))
        try:
            rows = read_region_file(path)
            count = regions_upsert(rows=rows, source=path.name)
        except RegionFileError as e:
            self.write_errors(e)
            raise CommandError(FILE_REFUSED.format(count=len(e.errors))) from None
        self.stdout.write(LOADED.format(count=count, levels=level_summary(rows)))

    def load_national(self, counties: list[str]) -> None:
        rows = national_rows(townships_of=counties)
        with_townships = {r.code[:6] for r in rows if code_level(r.code) == 4}
        for code in counties:
            if code != "*" and code not in with_townships:
                self.stderr.write(COUNTY_WITHOUT_TOWNSHIPS.format(code=code))
        try:
            count = regions_upsert(rows=rows, source="national")
        except RegionFileError as e:
            self.write_errors(e)
            raise CommandError(FILE_REFUSED.format(count=len(e.errors))) from None
        self.stdout.write(NATIONAL_LOADED.format(count=count, levels=level_summary(rows)))

    def write_errors(self, error: RegionFileError) -> None:
        for row, message in error.errors:
            self.stderr.write(f"第{row}行: {message}" if row else message)

    def show(self, raw_code: str) -> None:
        if not raw_code:
            self.write_children(Region.objects.filter(parent__isnull=True))
            return
        try:
            code = normalize_code(raw_code)
        except RegionCodeError as e:
            raise CommandError(str(e)) from None
        region = Region.objects.select_related("parent").filter(code=code).first()
        if region is None:
            raise CommandError(REGION_UNKNOWN.format(code=code))
        chain: list[str] = []
        parent = region.parent
        while parent is not None:
            chain.insert(0, parent.name)
            parent = parent.parent
        users = User.objects.filter(prefix_q("region__code", region.prefix)).count()
        self.stdout.write(f"{region.code}  {region.name}  {region.get_level_display()}")
        if chain:
            self.stdout.write(f"上级:{' > '.join(chain)}")
        if region.urban_rural_code:
            self.stdout.write(f"城乡分类代码:{region.urban_rural_code}")
        if not region.is_active:
            self.stdout.write("状态:已停用")
        self.stdout.write(f"本级及下级用户:{users}个")
        self.write_children(region.children.all())

    def write_children(self, children: Any) -> None:
        rows = list(children.annotate(n=Count("children")).order_by("code"))
        if not rows:
            self.stdout.write(CHILDREN_NONE)
            return
        self.stdout.write(f"下级区划 {len(rows)} 个:")
        for child in rows:
            extra = f"  城乡分类 {child.urban_rural_code}" if child.urban_rural_code else ""
            below = f"  下级 {child.n} 个" if child.n else ""
            self.stdout.write(f"  {child.code}  {child.name}{below}{extra}")
