"""Synthetic persons for the probabilistic matching bench: a county's residents (`people`) and
an external dataset without usable ID numbers (`records`) that holds most of them again with
the mistakes clerks make, plus people who are not residents. Deterministic for a seed.

people: one county (341503, 20 townships x 15 villages), in households: a head, a spouse of
another surname, children of the head's surname born 20-40 years after the parents, and half
the time sharing a generation character (建军, 建国, 建华). Each village has two clan surnames
that a third of its households carry (张庄 is mostly 张). Surnames follow their frequency in
China (Faker's zh_CN table); given names come from the demo's cohort fashions (建国 for
the 1950s, 子轩 for the 2010s), Faker's list and, for the rest, one or two characters of a
common given-name pool: many residents share a name, as they do. Some children are twins.
A fifth of those born before 1960 have the birth date the hukou gave when none was known
(1 January, or the first of a month).

records (row_no, name, sex, birth_date, region_code, true_person_id):
- MATCH_SHARE of them are distinct residents, each with independent mistakes: the name with
  one character replaced by a homophone (张->章, 明->鸣), by an accent confusion (陈->程,
  宁->玲) or by another character (a similar-looking one where known, else any common given-name
  character), or with a space in it; the birth date with one digit changed, day and month
  swapped, the lunar birthday given for the solar one, or missing; the region moved to another
  village of the township or another township, reduced to the county, or missing; sex missing
  or wrong.
- the rest are not residents (true_person_id NULL): names copied from random residents (so
  common names are common here too and every one has namesakes in `people`), their own birth
  dates and sexes, living half in the county and half in the neighbouring county.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

COUNTY = "341503"
NEIGHBOUR = "341502"
TOWNSHIPS = 20
VILLAGES = 15
AS_OF = datetime.date(2026, 11, 1)
MATCH_SHARE = 0.9

MALE_POOL = (
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊峰建国志文海东亮成新春晓永康德立中"
    "金光学兵剑锋毅武振兴家祥福贵荣生义安红卫民忠勤宏达昌盛发财广庆才林松柏"
)
FEMALE_POOL = (
    "芳娜敏静丽艳娟霞燕玲丹萍红梅莉婷晶颖雪琳倩佳慧月兰英凤桂秀玉珍云华琴蓉洁璐瑶怡欣"
    "悦雅婉淑惠琼翠娥菊香彩美荷花莲春秋冬芬"
)
# Characters clerks confuse by their shape.
_SIMILAR_PAIRS = (
    "王玉 玉王 土士 己已 未末 末未 日曰 大太 太大 人入 千干 天夫 "
    "明朋 兰兴 建健 健建 国图 军车 华毕 英荚 秀透 梅海 海梅 杨扬 "
    "扬杨 张弦 刘浏 陈阵 李季 季李 徐涂 孙逊 胡湖 林材 郭廓 何河 "
    "高亮 亮高 罗萝 梁粱 宋宗 宗宋 郑邓 邓郑 谢射 韩鞘 唐塘 冯马 "
    "马冯 于干 董懂 萍苹 平乎 芳方 方万 万方 红江 江红 云去 玲铃 "
    "珍诊 丽丙 辉晖 晖辉 伟传 传伟 斌彬 彬斌 浩皓 皓浩 波坡 涛寿 "
    "静净 婷停 琳淋 敏繁 刚钢 勇甬 杰木 鹏朋 飞非 俊浚 峰锋 锋峰 "
    "东乐 凤风 风凤 桂挂 "
)
SIMILAR = {pair[0]: pair[1] for pair in _SIMILAR_PAIRS.split()}


@dataclass(frozen=True)
class Cumulative:
    items: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, float]]) -> Cumulative:
        return cls(tuple(p[0] for p in pairs), tuple(itertools.accumulate(p[1] for p in pairs)))

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def villages(county: str = COUNTY) -> list[str]:
    return [
        f"{county}{100 + t:03d}{200 + v:03d}" for t in range(TOWNSHIPS) for v in range(VILLAGES)
    ]


@cache
def _gb2312_level1(ch: str) -> bool:
    """Among the 3,755 most common characters (GB2312 level 1): a typo a clerk's input method
    offers, not an obscure one."""
    try:
        code = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0xB0 <= code[0] <= 0xD7


@cache
def sound_alikes() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(homophones, accent confusions) of every common character: same toneless pinyin; same
    accent-tolerant pinyin but another pinyin."""
    from minzheng.matching.pinyin import char_rows

    common = [(ch, py, fz) for ch, py, fz in char_rows() if _gb2312_level1(ch)]
    by_py: dict[str, list[str]] = {}
    by_fz: dict[str, list[tuple[str, str]]] = {}
    for ch, py, fz in common:
        by_py.setdefault(py, []).append(ch)
        by_fz.setdefault(fz, []).append((ch, py))
    homophones = {ch: [c for c in by_py[py] if c != ch] for ch, py, _ in common}
    accents = {ch: [c for c, p in by_fz[fz] if p != py] for ch, py, fz in common}
    return homophones, accents


class Names:
    def __init__(self, rng: random.Random) -> None:
        from minzheng.registry.demo_names import COHORT_NAMES, cohort_of, faker_names

        self.rng = rng
        fn = faker_names()
        self.surnames = Cumulative(fn.surnames.items, fn.surnames.cumulative)
        self.faker = (fn.male, fn.female)
        self.cohorts = COHORT_NAMES
        self.cohort_of = cohort_of

    def given(self, male: bool, year: int, generation: str | None = None) -> str:
        rng = self.rng
        pool = MALE_POOL if male else FEMALE_POOL
        if generation:
            return generation + rng.choice(pool)
        draw = rng.random()
        if draw < 0.45:
            return rng.choice(self.cohorts[self.cohort_of(year)][0 if male else 1])
        if draw < 0.65:
            return rng.choice(self.faker[0 if male else 1])
        if draw < 0.75:
            return rng.choice(pool)
        return rng.choice(pool) + rng.choice(pool)


@dataclass
class Person:
    person_id: int
    name: str
    sex: str
    birth_date: datetime.date
    region_code: str


def _birth(rng: random.Random, age: int) -> datetime.date:
    """A birth date `age` years ago. Before 1960 many were never written down: the hukou
    got 1 January of the year, or the first of a month."""
    birth = AS_OF - datetime.timedelta(days=int(age * 365.2425) + rng.randrange(365))
    if birth.year < 1960:
        draw = rng.random()
        if draw < 0.12:
            return birth.replace(month=1, day=1)
        if draw < 0.2:
            return birth.replace(day=1)
    return birth


def _age(rng: random.Random, low: int, high: int) -> int:
    return max(0, min(100, rng.randint(low, high)))


def make_people(n: int, seed: int = 341503) -> list[Person]:
    """`n` residents in households of one to five."""
    rng = random.Random(seed)
    names = Names(rng)
    places = villages()
    clans = {v: (names.surnames.pick(rng), names.surnames.pick(rng)) for v in places}
    people: list[Person] = []

    def add(name: str, male: bool, birth: datetime.date, village: str) -> None:
        people.append(Person(len(people) + 1, name, "M" if male else "F", birth, village))

    while len(people) < n:
        village = rng.choice(places)
        surname = rng.choice(clans[village]) if rng.random() < 0.33 else names.surnames.pick(rng)
        head_age = _age(rng, 22, 95)
        head_male = rng.random() < 0.85
        head_birth = _birth(rng, head_age)
        add(surname + names.given(head_male, head_birth.year), head_male, head_birth, village)
        if rng.random() < 0.75 and len(people) < n:
            spouse_birth = _birth(rng, _age(rng, head_age - 5, head_age + 3))
            spouse_surname = names.surnames.pick(rng)
            given = names.given(not head_male, spouse_birth.year)
            add(spouse_surname + given, not head_male, spouse_birth, village)
        children = rng.choice((0, 0, 1, 1, 2, 2, 3))
        generation = None
        if rng.random() < 0.5:
            generation = rng.choice(MALE_POOL)
        for _ in range(children):
            if len(people) >= n:
                break
            age = head_age - rng.randint(20, 40)
            if age < 0:
                continue
            male = rng.random() < 0.52
            birth = _birth(rng, age)
            given = names.given(male, birth.year, generation if male and generation else None)
            add(surname + given, male, birth, village)
            if rng.random() < 0.015 and len(people) < n:  # twins
                male = rng.random() < 0.52
                given = names.given(male, birth.year, generation if male and generation else None)
                add(surname + given, male, birth, village)
    return people


def _replace(name: str, i: int, ch: str) -> str:
    return name[:i] + ch + name[i + 1 :]


def name_typo(rng: random.Random, name: str, kind: str) -> str:
    """`name` with one character changed by `kind`: homophone, accent, other."""
    homophones, accents = sound_alikes()
    positions = list(range(len(name)))
    rng.shuffle(positions)
    if kind in ("homophone", "accent"):
        table = homophones if kind == "homophone" else accents
        for i in positions:
            options = table.get(name[i])
            if options:
                return _replace(name, i, rng.choice(options))
        kind = "other"
    i = positions[0]
    if name[i] in SIMILAR and rng.random() < 0.5:
        return _replace(name, i, SIMILAR[name[i]])
    pool = MALE_POOL + FEMALE_POOL
    while True:
        ch = rng.choice(pool)
        if ch != name[i]:
            return _replace(name, i, ch)


def date_typo(rng: random.Random, birth: datetime.date, kind: str) -> datetime.date:
    """One digit of YYYYMMDD changed, day and month swapped (when that makes a date), or the
    lunar birthday written as if it were the solar one (19 to 50 days earlier)."""
    if kind == "lunar":
        return birth - datetime.timedelta(days=rng.randint(19, 50))
    if kind == "swap" and birth.day <= 12 and birth.day != birth.month:
        return birth.replace(month=birth.day, day=birth.month)
    digits = birth.strftime("%Y%m%d")
    for _ in range(100):
        i = rng.randrange(2, 8)  # the century is rarely mistyped
        d = str(rng.randrange(10))
        if d == digits[i]:
            continue
        text = digits[:i] + d + digits[i + 1 :]
        try:
            changed = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
        if changed <= AS_OF:
            return changed
    return birth + datetime.timedelta(days=1)  # pragma: no cover


@dataclass
class Record:
    row_no: int
    name: str
    sex: str | None
    birth_date: datetime.date | None
    region_code: str | None
    true_person_id: int | None
    mistakes: str  # e.g. "name:homophone,date:digit" ('' when none; 'nonresident')


def _mistaken(rng: random.Random, p: Person, row_no: int) -> Record:
    mistakes = []
    name, sex = p.name, p.sex
    birth: datetime.date | None = p.birth_date
    region: str | None = p.region_code
    draw = rng.random()
    kind = (
        "homophone"
        if draw < 0.10
        else "accent"
        if draw < 0.13
        else "other"
        if draw < 0.18
        else "space"
        if draw < 0.19
        else None
    )
    if kind == "space":
        name = name[:1] + " " + name[1:]
    elif kind:
        name = name_typo(rng, name, kind)
    if kind:
        mistakes.append(f"name:{kind}")
    draw = rng.random()
    if draw < 0.035:
        birth = date_typo(rng, p.birth_date, "digit")
        mistakes.append("date:digit")
    elif draw < 0.05:
        birth = date_typo(rng, p.birth_date, "swap")
        mistakes.append("date:swap")
    elif draw < 0.07:
        birth = date_typo(rng, p.birth_date, "lunar")
        mistakes.append("date:lunar")
    elif draw < 0.08:
        birth = None
        mistakes.append("date:missing")
    draw = rng.random()
    if draw < 0.08:
        region = f"{p.region_code[:9]}{200 + rng.randrange(VILLAGES):03d}"
        mistakes.append("region:village")
    elif draw < 0.13:
        region = f"{COUNTY}{100 + rng.randrange(TOWNSHIPS):03d}{200 + rng.randrange(VILLAGES):03d}"
        mistakes.append("region:township")
    elif draw < 0.15:
        region = None
        mistakes.append("region:missing")
    elif draw < 0.16:
        region = f"{COUNTY}000000"
        mistakes.append("region:county")
    draw = rng.random()
    if draw < 0.20:
        sex = None
        mistakes.append("sex:missing")
    elif draw < 0.205:
        sex = "F" if p.sex == "M" else "M"
        mistakes.append("sex:wrong")
    return Record(row_no, name, sex, birth, region, p.person_id, ",".join(mistakes))


def make_records(people: list[Person], n: int, seed: int = 341502) -> list[Record]:
    """`n` records: MATCH_SHARE distinct residents with mistakes, the rest non-residents."""
    rng = random.Random(seed)
    matched = min(len(people), round(n * MATCH_SHARE))
    chosen = rng.sample(range(len(people)), matched)
    records = [_mistaken(rng, people[i], 0) for i in chosen]
    here, there = villages(), villages(NEIGHBOUR)
    for _ in range(n - matched):
        donor = rng.choice(people)
        birth = _birth(rng, _age(rng, 0, 95))
        region = rng.choice(here if rng.random() < 0.5 else there)
        records.append(Record(0, donor.name, donor.sex, birth, region, None, "nonresident"))
    rng.shuffle(records)
    for i, r in enumerate(records, start=1):
        r.row_no = i
    return records


def write_people(people: list[Person], path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "person_id": pa.array([p.person_id for p in people], pa.int64()),
            "name": [p.name for p in people],
            "sex": [p.sex for p in people],
            "birth_date": pa.array([p.birth_date for p in people], pa.date32()),
            "region_code": [p.region_code for p in people],
        }
    )
    pq.write_table(table, path)
    return path


def write_records(records: list[Record], path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "row_no": pa.array([r.row_no for r in records], pa.int64()),
            "name": [r.name for r in records],
            "sex": pa.array([r.sex for r in records], pa.string()),
            "birth_date": pa.array([r.birth_date for r in records], pa.date32()),
            "region_code": pa.array([r.region_code for r in records], pa.string()),
            "true_person_id": pa.array([r.true_person_id for r in records], pa.int64()),
            "mistakes": [r.mistakes for r in records],
        }
    )
    pq.write_table(table, path)
    return path
