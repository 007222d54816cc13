"""Loading the division table: the national list shipped with the project (provinces, cities,
counties, and townships of chosen counties), or a county's own table from CSV/XLSX."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from minzheng.core.audit import audit_record
from minzheng.core.models import Region, User
from minzheng.core.regions import RegionCodeError, code_level, normalize_code, parent_code

DATA = Path(__file__).resolve().parent.parent / "data" / "regions"

REGION_HEADERS = {"code": ("code", "区划代码", "代码"), "name": ("name", "名称", "区划名称")}
REGION_OPTIONAL = {"urban_rural_code": ("urban_rural_code", "城乡分类代码", "城乡分类")}


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    urban_rural_code: str = ""


class RegionFileError(ValueError):
    """The file was refused whole; `errors` lists (row number, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"第{n}行: {m}" if n else m for n, m in errors[:20]))


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        yield from csv.DictReader(f)


def national_rows(*, townships_of: Iterable[str] = ()) -> list[RegionRow]:
    """Provinces, cities and counties of the whole country, plus the townships of the given
    6-digit county codes (all townships if `townships_of` contains "*")."""
    rows = [
        RegionRow(normalize_code(r["code"]), r["name"]) for r in _read_csv(DATA / "provinces.csv")
    ]
    rows += [
        RegionRow(normalize_code(r["code"]), r["name"]) for r in _read_csv(DATA / "cities.csv")
    ]
    rows += [RegionRow(normalize_code(r["code"]), r["name"]) for r in _read_csv(DATA / "areas.csv")]
    wanted = set(townships_of)
    if wanted:
        rows += [
            RegionRow(normalize_code(r["code"]), r["name"])
            for r in _read_csv(DATA / "streets.csv.gz")
            if "*" in wanted or r["areaCode"] in wanted
        ]
    return rows


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, h in enumerate(header):
        if (h or "").strip().lower() in names:
            return i
    return None


def read_region_file(path: Path) -> list[RegionRow]:
    """Rows of a division table in CSV (UTF-8 or GBK) or XLSX with columns 区划代码/code and
    名称/name (and optionally 城乡分类代码). Refuses the whole file on any bad row."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        table = [
            ["" if v is None else str(v).strip() for v in row]
            for row in wb.worksheets[0].iter_rows(values_only=True)
        ]
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    if not table:
        raise RegionFileError([(0, "文件为空")])
    header, body = table[0], table[1:]
    code_i = _pick(header, REGION_HEADERS["code"])
    name_i = _pick(header, REGION_HEADERS["name"])
    ur_i = _pick(header, REGION_OPTIONAL["urban_rural_code"])
    if code_i is None or name_i is None:
        raise RegionFileError([(1, "表头应包含“区划代码”和“名称”两列")])
    rows: list[RegionRow] = []
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    for n, cells in enumerate(body, start=2):
        if not any(cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        try:
            code = normalize_code(cells[code_i])
        except RegionCodeError as e:
            errors.append((n, str(e)))
            continue
        if not cells[name_i]:
            errors.append((n, "名称不能为空"))
        elif code in seen:
            errors.append((n, f"区划代码{code}在文件中重复"))
        else:
            seen.add(code)
            ur = cells[ur_i] if ur_i is not None else ""
            rows.append(RegionRow(code, cells[name_i], ur))
    if errors:
        raise RegionFileError(errors)
    if not rows:
        raise RegionFileError([(0, "文件中没有区划数据")])
    return rows


@transaction.atomic
def regions_upsert(*, rows: list[RegionRow], actor: User | None = None, source: str = "") -> int:
    """Insert or update the rows, parents first. A row whose parent is neither in the file nor
    in the table is refused (with the whole batch)."""
    by_level = sorted(rows, key=lambda r: (code_level(r.code), r.code))
    known = set(Region.objects.values_list("code", flat=True)) | {r.code for r in rows}
    orphans = [
        (0, f"{r.code} {r.name}: 上级区划{parent_code(r.code)}不存在")
        for r in by_level
        if parent_code(r.code) not in (None, *known)
    ]
    if orphans:
        raise RegionFileError(orphans)
    objs = [
        Region(
            code=r.code,
            name=r.name,
            level=code_level(r.code),
            parent_id=parent_code(r.code),
            urban_rural_code=r.urban_rural_code,
        )
        for r in by_level
    ]
    Region.objects.bulk_create(
        objs,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "parent", "urban_rural_code"],
    )
    audit_record(
        actor=actor,
        action="regions.load",
        object_type="Region",
        object_id=source or "-",
        region_code=actor.region_id if actor else "000000000000",
        changes={"rows": len(objs)},
    )
    return len(objs)
