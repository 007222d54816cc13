"""Data for the registry benchmarks: a county's region tree and households with valid, unique ID
numbers, as rows of the import template or as bulk HouseholdRows. Deterministic for a seed.
(Written here rather than borrowed from the demo so the benchmarks do not move when the demo
county's generator changes.)"""

from __future__ import annotations

import csv
import datetime
import random
from collections.abc import Iterator
from pathlib import Path

COUNTY = "341503"  # 六安市裕安区
TOWNSHIPS = 20
VILLAGES_PER_TOWNSHIP = 15
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文华建国志强玉兰红梅德明春花"
    "海燕晓东丽娟金凤子涵浩然欣怡宇轩梓萱一诺俊杰思远佳怡雨泽"
)
SIZES = [1] * 26 + [2] * 31 + [3] * 20 + [4] * 12 + [5] * 7 + [6] * 4  # mean ~2.55
RELATIONS = ["户主", "配偶", "子女", "子女", "父母", "孙子女"]


def region_rows() -> list[tuple[str, str, int, str | None, str]]:
    """(code, name, level, parent, urban_rural_code) of the bench county, top down."""
    rows: list[tuple[str, str, int, str | None, str]] = [
        ("340000000000", "安徽省", 1, None, ""),
        ("341500000000", "六安市", 2, "340000000000", ""),
        (f"{COUNTY}000000", "裕安区", 3, "341500000000", ""),
    ]
    for t in range(TOWNSHIPS):
        township = f"{COUNTY}{100 + t:03d}000"
        rows.append((township, f"第{t + 1}镇", 4, f"{COUNTY}000000", ""))
        for v in range(VILLAGES_PER_TOWNSHIP):
            code = f"{township[:9]}{200 + v:03d}"
            rows.append((code, f"第{t + 1}镇{v + 1}村", 5, township, "220"))
    return rows


def person_row(
    pid: int,
    i: int,
    village: str,
    now: datetime.datetime,
    *,
    name: str = "王五",
    pinyin: str = "wangwu",
    initials: str = "ww",
    sex: str = "M",
    birth: datetime.date = datetime.date(1960, 1, 1),
) -> tuple[object, ...]:
    """A registry_person row in registry.bulk.PERSON_COLUMNS order for bulk loading: the i-th
    bench person, with an ID number that is unique but never validated."""
    number = f"34150319{i:010d}"
    return (
        pid,
        number,
        number[::-1],
        name,
        pinyin,
        initials,
        sex,
        birth,
        "汉族",
        "",
        "rural",
        village,
        "",
        "",
        "none",
        "",
        None,
        "",
        "",
        None,
        now,
        now,
    )


def village_codes() -> list[str]:
    return [code for code, _, level, _, _ in region_rows() if level == 5]


class People:
    """Unique valid ID numbers: area code valid in the birth year, sequence of the right
    parity, never repeated."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def id_number(self, birth: datetime.date, male: bool) -> str:
        from minzheng.core.idnumbers import make_id_number

        area = "341503" if birth.year >= 1999 else "342401"
        while True:
            seq = 2 * self.rng.randrange(500) + 1 if male else 2 * self.rng.randrange(1, 500)
            number = make_id_number(area, birth, seq)
            if number not in self.used:
                self.used.add(number)
                return number

    def name(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def birth(self, low: int, high: int) -> datetime.date:
        age = self.rng.randint(low, high)
        return datetime.date(2025 - age, 1, 1) + datetime.timedelta(days=self.rng.randrange(365))


def template_rows(n: int, *, seed: int = 341503) -> Iterator[list[str]]:
    """Rows of the import template (HEADERS order) for `n` households."""
    people = People(seed)
    villages = village_codes()
    for h in range(n):
        village = people.rng.choice(villages)
        key = f"H{h + 1:07d}"
        for i in range(people.rng.choice(SIZES)):
            relation = RELATIONS[i]
            birth = people.birth(*((18, 85) if i < 2 else (0, 40)))
            male = i == 0 or (i != 1 and people.rng.random() < 0.5)
            phone = f"138{people.rng.randrange(10**8):08d}" if i < 2 else ""
            head = i == 0
            yield [
                key,
                relation,
                people.name(),
                people.id_number(birth, male),
                "汉族",
                phone,
                "农村",
                village,
                "已婚" if i < 2 else "",
                "初中" if i < 2 else "",
                "有劳动能力",
                "",
                "",
                "",
                "",
                f"{village[-6:]}村{h}号" if head else "",
                village if head else "",
                "农商银行" if head else "",
                "",
                f"62284800{h:011d}" if head else "",
            ]


def write_csv(path: Path, headers: list[str], rows: Iterator[list[str]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_xlsx(path: Path, headers: list[str], rows: Iterator[list[str]]) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导入数据")
    ws.append(headers)
    count = 0
    for row in rows:
        ws.append(row)
        count += 1
    wb.save(path)
    return count


RELATION_CODES = {
    "户主": "head",
    "配偶": "spouse",
    "子女": "child",
    "父母": "parent",
    "孙子女": "grandchild",
}


def bulk_households(persons: int, *, seed: int = 341503) -> Iterator[list[object]]:
    """Chunks of bulk.HouseholdRow totalling about `persons` persons (the same people as
    template_rows would write)."""
    from minzheng.registry.bulk import HouseholdRow, PersonRow

    chunk: list[object] = []
    current: HouseholdRow | None = None
    for count, row in enumerate(template_rows(persons, seed=seed)):
        _, relation, name, id_number, _, phone, _, region = row[:8]
        if relation == "户主":
            if count >= persons:
                break
            if len(chunk) == 5000:
                yield chunk
                chunk = []
            current = HouseholdRow(address=row[15], region_code=row[16], bank_name=row[17])
            chunk.append(current)
        assert current is not None
        person = PersonRow(id_number, name, "rural", region, phone=phone, marital_status="")
        current.members.append((person, RELATION_CODES[relation]))
    if chunk:
        yield chunk
