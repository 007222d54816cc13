"""The demo county's divisions: the national list, the townships of 裕安区 (341503) and 同心县
(640324), and generated villages and communities beneath them; and the ID area codes a person
of a county may carry in a given birth year (python-stdnum's cn/loc table)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from stdnum import numdb

from minzheng.core.models import Region
from minzheng.core.regions import prefix_q
from minzheng.core.services.regions import RegionRow, national_rows, regions_upsert
from minzheng.registry.demo_names import (
    BANKS_ANHUI,
    BANKS_NINGXIA,
    COMMUNITY_NAMES,
    VILLAGE_FIRST,
    VILLAGE_SECOND,
    Weighted,
)

DEMO_COUNTY = "341503"  # 六安市裕安区: 23 townships/streets, 324 villages/communities
SECOND_COUNTY = "640324"  # 吴忠市同心县: 11 townships, for cross-county scope
DEMO_VILLAGE_TOTAL = 324
DEFAULT_SEED = 341503
HUI_SHARE = {"640324": 0.86}  # 同心县 is mostly Hui; 裕安区 has a small Hui minority
PLATES = {"3415": "皖N", "6403": "宁C"}

# Villages and communities that tests and docs name (tests/conftest.py uses the same codes).
PINNED_NAMES = {
    "341503100201": "陶洪村",  # 苏埠镇: the demo village assistant's village
    "341503101201": "戚桥村",  # 韩摆渡镇
    "640324100201": "新区村",  # 同心县豫海镇
}


def _kind(township_code: str) -> str:
    """street (000-099), town (100-199), xiang (200-399); 400+ are development zones, farms."""
    n = int(township_code[6:9])
    return "street" if n < 100 else "town" if n < 200 else "xiang" if n < 400 else "park"


def _stem(name: str) -> str:
    return re.sub(r"(街道|镇|乡)$", "", name)


def _sizes(rng: random.Random, kinds: list[str], total: int | None, small: bool) -> list[int]:
    """Villages per township: a few each for `small`, else realistic sizes brought to `total`."""
    bounds = {"street": (6, 10), "town": (14, 20), "xiang": (9, 14), "park": (8, 14)}
    if small:
        return [rng.randint(3, 5) for _ in kinds]
    sizes = [rng.randint(*bounds[k]) for k in kinds]
    flexible = [i for i, k in enumerate(kinds) if k != "street"]
    while total is not None and sum(sizes) != total:
        i = rng.choice(flexible)
        sizes[i] += 1 if sum(sizes) < total else -1
        sizes[i] = max(sizes[i], 3)
    return sizes


def _community_types(rng: random.Random, kind: str, size: int) -> list[str]:
    """Urban-rural codes of a township's communities: a street is all communities (111 main
    urban, the last one or two 112 urban-rural fringe); a town has one or two (121 town
    centre); a development zone two or three (112); a 乡 none."""
    if kind == "street":
        fringe = rng.randint(1, 2)
        return ["112" if i > size - fringe else "111" for i in range(1, size + 1)]
    if kind == "town":
        return ["121"] * rng.randint(1, 2)
    return ["112"] * rng.randint(2, 3) if kind == "park" else []


class _Namer:
    """Believable names, unique within one county."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set(PINNED_NAMES.values())

    def _unique(self, make: Callable[[], str]) -> str:
        name = make()
        for _ in range(100):
            if name not in self.used:
                break
            name = make()
        else:  # pragma: no cover - the word lists give thousands of names
            name = self.rng.choice("东西南北") + name
        self.used.add(name)
        return name

    def village(self) -> str:
        return self._unique(
            lambda: self.rng.choice(VILLAGE_FIRST) + self.rng.choice(VILLAGE_SECOND) + "村"
        )

    def community(self, stem: str = "") -> str:
        if stem and stem + "社区" not in self.used:
            self.used.add(stem + "社区")
            return stem + "社区"
        return self._unique(lambda: self.rng.choice(COMMUNITY_NAMES) + "社区")


def village_rows(
    *, townships: Sequence[RegionRow], total: int | None, small: bool, seed: int
) -> list[RegionRow]:
    """Villages (村, 220) and communities (社区: 111/112 in streets, 121 in towns) for the
    townships of one county; codes are the township's 9 digits + 001.. for communities and
    + 201.. for villages, as the NBS numbers them."""
    rng = random.Random(f"{seed}:{townships[0].code[:6]}")
    namer = _Namer(rng)
    kinds = [_kind(t.code) for t in townships]
    rows: list[RegionRow] = []
    for township, kind, size in zip(
        townships, kinds, _sizes(rng, kinds, total, small), strict=True
    ):
        base, stem = township.code[:9], _stem(township.name) if kind != "park" else ""
        types = _community_types(rng, kind, size)
        rows += [
            RegionRow(f"{base}{i:03d}", namer.community(stem if i == 1 else ""), urban_rural)
            for i, urban_rural in enumerate(types, start=1)
        ]
        for i in range(201, 201 + size - len(types)):
            code = f"{base}{i:03d}"
            rows.append(RegionRow(code, PINNED_NAMES.get(code) or namer.village(), "220"))
    return rows


def _county_regions(county: str) -> list[Region]:
    return list(
        Region.objects.filter(prefix_q("code", county))
        .filter(level=Region.Level.TOWNSHIP)
        .order_by("code")
    )


def ensure_demo_regions(*, seed: int = DEFAULT_SEED) -> list[Region]:
    """Load what is missing of the national list, the townships of 341503 (22 乡镇街道 and
    the 高新区: the bureau's 23) and 640324 (11), and their generated villages; return the
    villages and communities of both counties, with their ancestors loaded."""
    wanted = national_rows(townships_of=[DEMO_COUNTY, SECOND_COUNTY])
    have = set(
        Region.objects.filter(code__in=[r.code for r in wanted]).values_list("code", flat=True)
    )
    if len(have) < len(wanted):
        regions_upsert(rows=wanted, source="demo: national list")
    for county, total, small in (
        (DEMO_COUNTY, DEMO_VILLAGE_TOTAL, False),
        (SECOND_COUNTY, None, True),
    ):
        if Region.objects.filter(prefix_q("code", county), level=Region.Level.VILLAGE).exists():
            continue
        townships = [RegionRow(t.code, t.name) for t in _county_regions(county)]
        rows = village_rows(townships=townships, total=total, small=small, seed=seed)
        regions_upsert(rows=rows, source=f"demo: villages of {county}")
    return list(
        Region.objects.filter(prefix_q("code", DEMO_COUNTY) | prefix_q("code", SECOND_COUNTY))
        .filter(level=Region.Level.VILLAGE)
        .select_related("parent__parent__parent__parent")
        .order_by("code")
    )


@dataclass(frozen=True)
class _LocEntry:
    code: str
    name: str
    start: int
    end: int

    def valid_in(self, year: int) -> bool:
        return self.start <= year <= self.end


@cache
def _loc_table() -> tuple[_LocEntry, ...]:
    """stdnum's cn/loc table as (code, name, first year, last year) entries."""
    entries: list[_LocEntry] = []
    for _, province, _, _, counties in numdb.get("cn/loc").prefixes:
        for _, county, _, props, _ in counties:
            for part in props.get("county", "").split(","):
                m = re.fullmatch(r"(?:\[(\d*)-(\d*)\])?(.+)", part)
                if m:
                    start, end, name = m.groups()
                    entries.append(
                        _LocEntry(province + county, name, int(start or 0), int(end or 9999))
                    )
    return tuple(entries)


@cache
def _loc_province(province: str) -> tuple[_LocEntry, ...]:
    return tuple(e for e in _loc_table() if e.code.startswith(province))


@cache
def area_codes_for(county: str, year: int) -> tuple[str, ...]:
    """The ID area codes a person of `county` born in `year` can carry: the county's own code
    if it existed that year, else its predecessors (same name, or named after the prefecture:
    裕安区 people born before 1999 carry 六安市 342401 or 六安县 342421), else any county of the
    prefecture, then of the province. Never a prefecture's own xx00 code."""
    table = _loc_table()
    own = [e for e in table if e.code == county]
    if any(e.valid_in(year) for e in own):
        return (county,)
    counties = [
        e
        for e in _loc_province(county[:2])
        if e.valid_in(year) and not e.code.endswith("00") and e.name != "市辖区"
    ]
    names = {e.name for e in own}
    stems = {
        re.sub(r"(市|地区|自治州|盟)$", "", e.name) for e in table if e.code == county[:4] + "00"
    }
    for keep in (
        lambda e: e.name in names,
        lambda e: any(s and s in e.name for s in stems),
        lambda e: e.code[:4] == county[:4],
        lambda e: True,
    ):
        found = sorted({e.code for e in counties if keep(e)})
        if found:
            return tuple(found)
    raise LookupError(f"no ID area code for {county} in {year}")


@dataclass(frozen=True)
class Place:
    """What the household generator needs to know about a village or community."""

    code: str
    address: str  # 安徽省六安市裕安区苏埠镇陶洪村
    urban: bool
    county: str
    hui_share: float
    banks: Weighted
    bins: dict[str, str]
    plate: str  # 皖N: the licence plate prefix of the city
    deeds: str  # the authority named in a real-estate certificate number

    @classmethod
    def of(cls, village: Region) -> Place:
        chain: list[Region] = []
        region: Region | None = village
        while region is not None:
            chain.append(region)
            region = region.parent
        names = [r.name for r in reversed(chain)]
        county = village.code[:6]
        banks = BANKS_NINGXIA if county.startswith("64") else BANKS_ANHUI
        county_name = names[2] if len(names) > 2 else names[-1]
        city_name = names[1] if len(names) > 1 else county_name
        return cls(
            code=village.code,
            address="".join(names),
            urban=village.is_urban,
            county=county,
            hui_share=HUI_SHARE.get(county, 0.004),
            banks=Weighted.of([(b, w) for b, w, _ in banks]),
            bins={b: bin_ for b, _, bin_ in banks},
            plate=PLATES.get(county[:4], "皖A"),
            deeds=city_name if county_name.endswith("区") else county_name,
        )
