"""Loading the division table: the national list shipped with the project (provinces, cities,
counties, and townships of chosen counties), or a county's own table from CSV/XLSX."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
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
NAME_MAX_LENGTH = 100
REGION_FILE_EMPTY = "文件为空"
REGION_FILE_NO_ROWS = "文件中没有区划数据"
REGION_HEADERS_MISSING = "表头应包含“区划代码”和“名称”两列"
REGION_NAME_EMPTY = "名称不能为空"
REGION_CODE_DUPLICATE = "区划代码{code}在文件中重复"
REGION_PARENT_MISSING = "{code} {name}: 上级区划{parent}不存在"
REGION_NAME_TOO_LONG = "名称不能超过{limit}个字"
REGION_URBAN_RURAL_CODE = "城乡分类代码“{value}”应为3位数字(如111、220)"
REGION_FILE_XLS = "不支持旧版Excel(.xls)文件,请另存为.xlsx或CSV后再导入"
REGION_FILE_UNREADABLE = "无法读取该Excel文件,请确认它是有效的.xlsx文件"


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    urban_rural_code: str = ""
    row: int = 0  # the row number in the file it came from (0: not from a file)


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
    # 东莞, 中山 and 儋州 have no counties: the list repeats each city as its own county
    # (441900 = 4419); keep one row per code (PostgreSQL refuses an upsert touching a row twice).
    unique: dict[str, RegionRow] = {}
    for row in rows:
        unique.setdefault(row.code, row)
    return list(unique.values())


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, h in enumerate(header):
        if (h or "").strip().lower() in names:
            return i
    return None


def _row_problem(name: str, urban_rural_code: str) -> str:
    """What is wrong with a row's name and urban-rural code ("" when nothing)."""
    if len(name) > NAME_MAX_LENGTH:
        return REGION_NAME_TOO_LONG.format(limit=NAME_MAX_LENGTH)
    if urban_rural_code and not (len(urban_rural_code) == 3 and urban_rural_code.isdigit()):
        return REGION_URBAN_RURAL_CODE.format(value=urban_rural_code)
    return ""


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text; codes typed as numbers come back without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_table(path: Path) -> list[list[str]]:
    """The cells of the first sheet (XLSX) or of the CSV file (UTF-8, else GBK/GB18030)."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise RegionFileError([(0, REGION_FILE_XLS)])
    if suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise RegionFileError([(0, REGION_FILE_UNREADABLE)]) from None
        return [
            [_cell_text(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)
        ]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def read_region_file(path: Path) -> list[RegionRow]:
    """Rows of a division table in CSV (UTF-8 or GBK) or XLSX with columns 区划代码/code and
    名称/name (and optionally 城乡分类代码). Refuses the whole file on any bad row."""
    table = _read_table(path)
    if not table:
        raise RegionFileError([(0, REGION_FILE_EMPTY)])
    header, body = table[0], table[1:]
    code_i = _pick(header, REGION_HEADERS["code"])
    name_i = _pick(header, REGION_HEADERS["name"])
    ur_i = _pick(header, REGION_OPTIONAL["urban_rural_code"])
    if code_i is None or name_i is None:
        raise RegionFileError([(1, REGION_HEADERS_MISSING)])
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
            errors.append((n, REGION_NAME_EMPTY))
        elif code in seen:
            errors.append((n, REGION_CODE_DUPLICATE.format(code=code)))
        else:
            seen.add(code)
            ur = cells[ur_i] if ur_i is not None else ""
            problem = _row_problem(cells[name_i], ur)
            if problem:
                errors.append((n, problem))
            else:
                rows.append(RegionRow(code, cells[name_i], ur, n))
    if errors:
        raise RegionFileError(errors)
    if not rows:
        raise RegionFileError([(0, REGION_FILE_NO_ROWS)])
    return rows


@transaction.atomic
def regions_upsert(*, rows: list[RegionRow], actor: User | None = None, source: str = "") -> int:
    """Insert or update the rows, parents first. A row whose parent is neither in the file nor
    in the table is refused (with the whole batch)."""
    by_level = sorted(rows, key=lambda r: (code_level(r.code), r.code))
    known = set(Region.objects.values_list("code", flat=True)) | {r.code for r in rows}
    orphans = [
        (r.row, REGION_PARENT_MISSING.format(code=r.code, name=r.name, parent=parent_code(r.code)))
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
