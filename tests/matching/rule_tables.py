"""Tiny hand-made tables for the rule tests, written as Parquet with DuckDB from Python lists:
the run's snapshot (beneficiaries, residents, with the column types matching.rules describes)
and datasets of any kind (canonical columns + row_no + id_valid)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from minzheng.matching.schemas import ColumnType, schema_for

MONEY = "DECIMAL(14,2)"

BENEFICIARY_COLUMNS = {
    "case_id": "BIGINT",
    "case_number": "VARCHAR",
    "program": "VARCHAR",
    "case_status": "VARCHAR",
    "household_id": "BIGINT",
    "region_code": "VARCHAR",
    "person_id": "BIGINT",
    "id_number": "VARCHAR",
    "name": "VARCHAR",
    "name_pinyin": "VARCHAR",
    "sex": "VARCHAR",
    "birth_date": "DATE",
    "counted": "BOOLEAN",
    "is_sole": "BOOLEAN",
    "counted_members": "INTEGER",
    "per_capita_income": MONEY,
    "monthly_amount": MONEY,
    "monthly_standard": MONEY,
    "max_vehicles": "INTEGER",
    "vehicle_exempt_value": MONEY,
    "max_houses": "INTEGER",
    "max_businesses": "INTEGER",
    "declared_wages": MONEY,
    "declared_pension": MONEY,
}
RESIDENT_COLUMNS = {
    "person_id": "BIGINT",
    "id_number": "VARCHAR",
    "name": "VARCHAR",
    "name_pinyin": "VARCHAR",
    "sex": "VARCHAR",
    "birth_date": "DATE",
    "region_code": "VARCHAR",
    "household_id": "BIGINT",
}
# How the intake stores each column type (a wider DECIMAL than the hits', on purpose).
DATASET_TYPES = {
    ColumnType.ID_NUMBER: "VARCHAR",
    ColumnType.TEXT: "VARCHAR",
    ColumnType.DATE: "DATE",
    ColumnType.MONTH: "DATE",
    ColumnType.DECIMAL: "DECIMAL(18,2)",
    ColumnType.INTEGER: "INTEGER",
    ColumnType.REGION: "VARCHAR",
    ColumnType.SEX: "VARCHAR",
}


def id_number(person_id: int) -> str:
    """A stand-in ID number (the rules compare IDs, they do not check them)."""
    return f"341503{person_id:011d}X"


def write_parquet(path: Path, columns: dict[str, str], rows: list[dict[str, Any]]) -> Path:
    """`rows` (dicts; missing columns are NULL) as a Parquet file of `columns` (name -> type)."""
    unknown = {k for row in rows for k in row} - set(columns)
    assert not unknown, f"unknown columns {unknown}"
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE t (" + ", ".join(f'"{n}" {t}' for n, t in columns.items()) + ")")
    if rows:
        marks = ", ".join("?" for _ in columns)
        con.executemany(
            f"INSERT INTO t VALUES ({marks})",  # noqa: S608
            [[row.get(n) for n in columns] for row in rows],
        )
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    con.close()
    return path


def beneficiary(
    person_id: int, case_id: int, *, counted: bool = True, **values: Any
) -> dict[str, Any]:
    """A beneficiaries row; the case's columns (program, status, household, limits) come from
    `values` (see CASE in the tests), the person's ID from person_id."""
    return {
        "person_id": person_id,
        "case_id": case_id,
        "case_number": f"C{case_id}",
        "id_number": id_number(person_id),
        "name": f"人员{person_id}",
        "sex": "M",
        "birth_date": datetime.date(1970, 1, 1) + datetime.timedelta(days=person_id),
        "counted": counted,
        "is_sole": False,
        "declared_wages": Decimal("0"),
        "declared_pension": Decimal("0"),
        **values,
    }


def resident(person_id: int, **values: Any) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "id_number": id_number(person_id),
        "name": f"人员{person_id}",
        "sex": "M",
        "birth_date": datetime.date(1970, 1, 1) + datetime.timedelta(days=person_id),
        **values,
    }


def dataset_columns(kind: str) -> dict[str, str]:
    columns = {c.name: DATASET_TYPES[c.type] for c in schema_for(kind).columns}
    return {**columns, "row_no": "BIGINT", "id_valid": "BOOLEAN"}


def write_dataset(path: Path, kind: str, rows: list[dict[str, Any]]) -> Path:
    """A canonical dataset of `kind`: each row's `person` becomes its ID number (unless the row
    gives id_number), id_valid defaults to true, row_no to the row's line in a file with a
    heading (2, 3, ...)."""
    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        person = row.pop("person", None)
        if person is not None and "id_number" not in row:
            row["id_number"] = id_number(person)
            row.setdefault("name", f"人员{person}")
        row.setdefault("row_no", i + 2)
        row.setdefault("id_valid", row.get("id_number") is not None)
        out.append(row)
    return write_parquet(path, dataset_columns(kind), out)


def read_hits(path: Path | None) -> list[tuple[Any, ...]]:
    """The hits a rule wrote (a file or a directory of part files), as sorted tuples."""
    if path is None:
        return []
    source = path / "*.parquet" if path.is_dir() else path
    con = duckdb.connect(":memory:")
    rows = con.execute(f"SELECT * FROM read_parquet('{source}')").fetchall()  # noqa: S608
    con.close()
    return sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))


def hit_types(path: Path) -> list[tuple[str, str]]:
    source = path / "*.parquet" if path.is_dir() else path
    con = duckdb.connect(":memory:")
    types = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{source}')").fetchall()  # noqa: S608
    con.close()
    return [(t[0], t[1]) for t in types]


# --- the world every rule test runs on --------------------------------------------------------

V1 = "341503100201"  # 陶洪村, 苏埠镇
V2 = "341503101201"  # 戚桥村, 韩摆渡镇
OTHER_COUNTY = "341522000000"
AS_OF = datetime.date(2026, 3, 1)

_DIBAO = {
    "monthly_standard": Decimal("790"),
    "max_vehicles": 0,
    "vehicle_exempt_value": Decimal("10000"),
    "max_houses": 1,
    "max_businesses": 0,
}
# case -> its columns; 特困 has no asset limits set (NULL: the asset rules do not apply).
CASES: dict[int, dict[str, Any]] = {
    1: {
        "program": "dibao_rural",
        "case_status": "active",
        "household_id": 100,
        "region_code": V1,
        "counted_members": 2,
        "per_capita_income": Decimal("300"),
        **_DIBAO,
    },
    2: {
        "program": "dibao_urban",
        "case_status": "active",
        "household_id": 200,
        "region_code": V2,
        "counted_members": 2,
        "per_capita_income": Decimal("500"),
        **_DIBAO,
    },
    3: {
        "program": "tekun",
        "case_status": "active",
        "household_id": 300,
        "region_code": V1,
        "counted_members": 1,
        "per_capita_income": Decimal("0"),
        "monthly_standard": Decimal("1027"),
    },
    4: {
        "program": "dibao_rural",
        "case_status": "suspended",
        "household_id": 400,
        "region_code": V1,
        "counted_members": 1,
        "per_capita_income": Decimal("100"),
        **_DIBAO,
    },
    5: {
        "program": "tekun",
        "case_status": "active",
        "household_id": 500,
        "region_code": V2,
        "counted_members": 1,
        "per_capita_income": Decimal("0"),
        "monthly_standard": Decimal("1027"),
    },
    6: {
        "program": "dibao_urban",
        "case_status": "suspended",
        "household_id": 600,
        "region_code": V2,
        "counted_members": 1,
        "per_capita_income": Decimal("0"),
        **_DIBAO,
        "max_vehicles": 1,
    },
    7: {
        "program": "dibao_rural",
        "case_status": "active",
        "household_id": 700,
        "region_code": V2,
        "counted_members": 2,
        "per_capita_income": Decimal("200"),
        **_DIBAO,
    },
    8: {
        "program": "age_allowance",
        "case_status": "active",
        "household_id": 800,
        "region_code": V1,
        "counted_members": 1,
    },
    9: {
        "program": "disability_care",
        "case_status": "active",
        "household_id": 700,
        "region_code": V2,
        "counted_members": 1,
    },
}
# (person, case, counted, extra columns)
MEMBERS: list[tuple[int, int, bool, dict[str, Any]]] = [
    (1, 1, True, {}),
    (2, 1, True, {"declared_wages": Decimal("1200")}),
    (3, 1, False, {}),
    (4, 2, True, {}),
    (5, 2, True, {}),
    (6, 3, True, {}),
    (7, 4, True, {"declared_pension": Decimal("500"), "birth_date": datetime.date(1944, 2, 29)}),
    (4, 5, True, {}),
    (8, 6, True, {}),
    (8, 7, True, {}),
    (9, 7, True, {}),
    (16, 7, False, {}),
    (14, 8, True, {"birth_date": datetime.date(1936, 1, 1)}),
    (16, 9, True, {}),
]
# person -> household, village, birth date (residents)
RESIDENTS: dict[int, tuple[int, str, datetime.date | None]] = {
    1: (100, V1, datetime.date(1970, 1, 2)),
    2: (100, V1, datetime.date(1972, 1, 3)),
    3: (100, V1, datetime.date(1995, 1, 4)),
    4: (200, V2, datetime.date(1965, 1, 5)),
    5: (200, V2, datetime.date(1966, 1, 6)),
    6: (300, V1, datetime.date(1950, 1, 7)),
    7: (400, V1, datetime.date(1944, 2, 29)),  # 82 on 1 March 2026
    8: (700, V2, datetime.date(1980, 1, 9)),
    9: (700, V2, datetime.date(1982, 1, 10)),
    10: (1000, V1, datetime.date(1941, 5, 5)),  # 84
    11: (1100, V2, datetime.date(1946, 3, 1)),  # 80 today
    12: (1200, V1, datetime.date(1946, 3, 2)),  # 80 tomorrow
    13: (1300, V1, None),
    14: (800, V1, datetime.date(1936, 1, 1)),  # 90, in an age allowance case
    15: (1500, V2, datetime.date(1938, 6, 1)),  # 87, on the county's age allowance roll
    16: (700, V2, datetime.date(1990, 1, 1)),
}
FUZZY_WEIGHT = 15.5


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


DATASETS: dict[str, list[dict[str, Any]]] = {
    "death": [
        {"person": 1, "death_date": _d("2026-02-01")},  # row 2
        {"person": 3, "death_date": _d("2026-02-01")},  # 3: not counted
        {"person": 7, "death_date": _d("2026-02-02")},  # 4: suspended case
        {
            "person": 2,
            "id_valid": False,
            "birth_date": _d("1970-01-03"),
            "sex": "M",
            "region_code": V1,
            "death_date": _d("2026-02-03"),
        },  # 5: mistyped ID -> fuzzy
        {
            "name": "人员5",
            "birth_date": _d("1970-01-06"),
            "sex": "M",
            "region_code": V2,
            "death_date": _d("2026-02-04"),
        },  # 6: no ID -> fuzzy
        {"person": 4, "death_date": _d("2026-02-05")},  # 7: counted in cases 2 and 5
        {"person": 10, "death_date": _d("2026-02-06")},  # 8: no case
    ],
    "cremation": [
        {"person": 6, "cremation_date": _d("2026-02-01")},
        {"person": 9, "id_valid": False, "cremation_date": _d("2026-02-01")},
    ],
    "vehicle": [
        {
            "person": 1,
            "plate_number": "皖N1",
            "vehicle_type": "小型轿车",
            "value": Decimal("50000"),
        },
        {"person": 3, "plate_number": "皖N2", "vehicle_type": "小型普通客车"},  # value unknown
        {
            "person": 2,
            "plate_number": "皖N3",
            "vehicle_type": "普通二轮摩托车",
            "value": Decimal("8000"),
        },
        {"person": 2, "plate_number": "皖N4", "vehicle_type": "小型轿车", "value": Decimal("9000")},
        {
            "person": 6,
            "plate_number": "皖N5",
            "vehicle_type": "小型轿车",
            "value": Decimal("60000"),
        },  # 特困: no limit set
        {
            "person": 8,
            "plate_number": "皖N6",
            "vehicle_type": "轻型货车",
            "value": Decimal("20000"),
        },  # case 6 allows one, case 7 none
    ],
    "real_estate": [
        {"person": 4, "usage": "住宅", "area": Decimal("90.5")},  # 2
        {"person": 5, "usage": "成套住宅", "area": Decimal("60")},  # 3
        {"person": 1, "usage": "住宅", "area": Decimal("100")},  # 4
        {"person": 2, "usage": "商业", "area": Decimal("30")},  # 5
        {"person": 2, "usage": "车位", "area": Decimal("12.5")},  # 6
        {"person": 1, "usage": "其他", "area": Decimal("5")},  # 7
        {"person": 4, "usage": "商铺", "area": Decimal("20")},  # 8
        {"person": 7, "usage": "住宅/商业", "area": Decimal("80")},  # 9
    ],
    "business": [
        {
            "person": 1,
            "uscc": "U1",
            "business_name": "甲商店",
            "status": "存续",
            "registered_capital": Decimal("100000"),
        },
        {"person": 2, "uscc": "U2", "business_name": "乙商店", "status": "注销"},
        {"person": 2, "uscc": "U3", "business_name": "丙商店"},
        {"person": 8, "uscc": "U4", "business_name": "丁商店", "status": "吊销"},
        {"person": 6, "uscc": "U5", "business_name": "戊商店", "status": "在业"},
    ],
    "employment": [
        {"person": 1, "monthly_wage": Decimal("1000"), "period": _d("2026-01-01")},  # 2
        {"person": 1, "monthly_wage": Decimal("5000"), "period": _d("2025-12-01")},  # 3 older
        {"person": 2, "monthly_wage": Decimal("1000"), "period": _d("2026-01-01")},  # 4 declared
        {"person": 8, "monthly_wage": Decimal("700"), "period": _d("2026-02-01")},  # 5
        {"person": 8, "monthly_wage": Decimal("400.01"), "period": _d("2026-02-01")},  # 6
        {"person": 9, "monthly_wage": Decimal("81")},  # 7 no period
        {"person": 7, "monthly_wage": Decimal("600"), "period": _d("2026-01-01")},  # 8 under
        {"person": 3, "monthly_wage": Decimal("5000"), "period": _d("2026-01-01")},  # 9 not counted
    ],
    "pension": [
        {"person": 6, "monthly_amount": Decimal("1027"), "period": _d("2026-02-01")},
        {"person": 7, "monthly_amount": Decimal("1200"), "period": _d("2026-02-01")},
    ],
    "public_employee": [
        {"person": 3, "employer": "某局"},
        {"person": 10, "employer": "某局"},
    ],
    "program_enrollment": [
        {"person": 1, "program": "农村低保", "enrolled_region": OTHER_COUNTY},  # 2
        {"person": 1, "program": "农村低保", "enrolled_region": V1},  # 3 our own
        {"person": 5, "program": "特困人员", "enrolled_region": V2},  # 4 exclusive
        {"person": 6, "program": "特困供养", "enrolled_region": V1},  # 5 our own
        {"person": 6, "program": "tekun", "enrolled_region": "640324100201"},  # 6 elsewhere
        {"person": 2, "program": "城乡低保", "enrolled_region": V1},  # 7 our own
        {"person": 2, "program": "城市 低保", "enrolled_region": V1},  # 8 urban vs rural
        {"person": 8, "program": "低保边缘", "enrolled_region": OTHER_COUNTY},  # 9
        {"person": 9, "program": "临时救助", "enrolled_region": OTHER_COUNTY},  # 10
        {"person": 15, "program": "高龄津贴", "enrolled_region": V2},  # 11
        {"person": 3, "program": "特困", "enrolled_region": OTHER_COUNTY},  # 12 not counted
        {"person": 9, "program": "重度残疾人护理补贴", "enrolled_region": V2},  # 13
    ],
    "disability": [
        {"person": 3, "disability_category": "肢体", "disability_grade": 1},  # 2
        {"person": 5, "disability_category": "肢体", "disability_grade": 3},  # 3
        {"person": 7, "disability_category": "视力", "disability_grade": 2},  # 4 suspended
        {"person": 4, "disability_category": "听力", "disability_grade": 2},  # 5 two cases
        {"person": 9, "disability_category": "肢体", "disability_grade": 1},  # 6 enrolled (roll)
        {"person": 14, "disability_category": "肢体", "disability_grade": 1},  # 7 no 低保
        {"person": 16, "disability_category": "智力", "disability_grade": 1},  # 8 enrolled
    ],
    "hospital": [
        {"person": 10, "out_of_pocket": Decimal("25000")},  # 2
        {"person": 10, "out_of_pocket": Decimal("30000.50")},  # 3 highest
        {"person": 1, "out_of_pocket": Decimal("50000")},  # 4 低保
        {"person": 3, "out_of_pocket": Decimal("20000")},  # 5 not counted
        {"person": 11, "out_of_pocket": Decimal("19999.99")},  # 6 under
        {"person": 7, "out_of_pocket": Decimal("40000")},  # 7 suspended case
        {"person": 99, "out_of_pocket": Decimal("90000")},  # 8 not a resident
    ],
}


def _case_hit(
    code: str,
    person: int,
    case: int,
    row: int | None,
    figure: Any = None,
    weight: float | None = None,
) -> tuple[Any, ...]:
    c = CASES[case]
    return (
        code,
        person,
        case,
        c["household_id"],
        c["region_code"],
        c["program"],
        row,
        weight,
        None if figure is None else Decimal(figure),
    )


def _candidate(
    code: str,
    person: int,
    program: str,
    row: int | None,
    figure: Any,
    household: int | None = None,
    region: str | None = None,
) -> tuple[Any, ...]:
    hh, village, _ = RESIDENTS[person]
    return (
        code,
        person,
        None,
        household or hh,
        region or village,
        program,
        row,
        None,
        Decimal(figure),
    )


EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    "death_id": [
        _case_hit("death_id", 1, 1, 2),
        _case_hit("death_id", 7, 4, 4),
        _case_hit("death_id", 4, 2, 7),
        _case_hit("death_id", 4, 5, 7),
    ],
    "death_fuzzy": [
        _case_hit("death_fuzzy", 2, 1, 5, weight=FUZZY_WEIGHT),
        _case_hit("death_fuzzy", 5, 2, 6, weight=FUZZY_WEIGHT),
    ],
    "cremation_id": [_case_hit("cremation_id", 6, 3, 2)],
    "vehicle": [
        _case_hit("vehicle", 1, 1, 2, "50000"),
        _case_hit("vehicle", 3, 1, 3),
        _case_hit("vehicle", 8, 7, 7, "20000"),
    ],
    "real_estate": [
        _case_hit("real_estate", 4, 2, 2, "90.5"),
        _case_hit("real_estate", 5, 2, 3, "60"),
        _case_hit("real_estate", 2, 1, 5, "30"),
        _case_hit("real_estate", 2, 1, 6, "12.5"),
        _case_hit("real_estate", 4, 2, 8, "20"),
    ],
    "business": [
        _case_hit("business", 1, 1, 2, "100000"),
        _case_hit("business", 2, 1, 4),
    ],
    "salary": [
        _case_hit("salary", 1, 1, 2, "800.00"),  # 300 + 1000 / 2
        _case_hit("salary", 8, 7, 5, "790.51"),  # 200 + 1181.01 / 2 = 790.505, half up
        _case_hit("salary", 8, 7, 6, "790.51"),
        _case_hit("salary", 9, 7, 7, "790.51"),
        _case_hit("salary", 8, 6, 5, "1100.01"),
        _case_hit("salary", 8, 6, 6, "1100.01"),
    ],
    "pension": [
        _case_hit("pension", 6, 3, 2, "1027.00"),
        _case_hit("pension", 7, 4, 3, "800.00"),  # 100 + (1200 - 500)
    ],
    "public_employee": [_case_hit("public_employee", 3, 1, 2)],
    "double_enrollment": [
        _case_hit("double_enrollment", 1, 1, 2),
        _case_hit("double_enrollment", 5, 2, 4),
        _case_hit("double_enrollment", 6, 3, 6),
        _case_hit("double_enrollment", 2, 1, 8),
    ],
    "double_enrollment_internal": [
        _case_hit("double_enrollment_internal", 4, 2, None),
        _case_hit("double_enrollment_internal", 4, 5, None),
    ],
    "disability_care_missing": [
        _candidate("disability_care_missing", 3, "disability_care", 2, 1),
        _candidate("disability_care_missing", 4, "disability_care", 5, 2),
    ],
    "age_allowance_missing": [
        _candidate("age_allowance_missing", 7, "age_allowance", None, 82),
        _candidate("age_allowance_missing", 10, "age_allowance", None, 84),
        _candidate("age_allowance_missing", 11, "age_allowance", None, 80),
    ],
    "hospital_high_cost": [
        _candidate("hospital_high_cost", 10, "temporary_expense", 3, "30000.50"),
        _candidate("hospital_high_cost", 3, "temporary_expense", 5, "20000"),
        _candidate("hospital_high_cost", 7, "temporary_expense", 7, "40000"),
    ],
}


def sort_hits(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))


@dataclass(frozen=True)
class World:
    beneficiaries: Path
    residents: Path
    datasets: dict[str, Path]


def world_write(directory: Path, *, kinds: tuple[str, ...] | None = None) -> World:
    """The world above as Parquet files under `directory` (every dataset, or `kinds`)."""
    rows = [
        beneficiary(person, case, counted=counted, **{**CASES[case], **extra})
        for person, case, counted, extra in MEMBERS
    ]
    people = [
        resident(person, household_id=hh, region_code=village, birth_date=born)
        for person, (hh, village, born) in RESIDENTS.items()
    ]
    return World(
        beneficiaries=write_parquet(directory / "beneficiaries.parquet", BENEFICIARY_COLUMNS, rows),
        residents=write_parquet(directory / "residents.parquet", RESIDENT_COLUMNS, people),
        datasets={
            kind: write_dataset(directory / f"ds_{kind}.parquet", kind, data)
            for kind, data in DATASETS.items()
            if kinds is None or kind in kinds
        },
    )
