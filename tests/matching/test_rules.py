"""Every rule on the tiny hand-made world of rule_tables, on DuckDB, with its exact hits; and
apply_rules' own behaviour (skipped rules, progress, hit types, the probabilistic hook)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from minzheng.matching import apply as apply_module
from minzheng.matching import rule_sql
from minzheng.matching.apply import apply_rules
from minzheng.matching.engines import DuckDBEngine
from minzheng.matching.engines.base import Engine
from minzheng.matching.rules import HIT_COLUMNS, RULES, RuleContext
from tests.matching.rule_tables import (
    AS_OF,
    EXPECTED,
    FUZZY_WEIGHT,
    World,
    hit_types,
    read_hits,
    sort_hits,
    world_write,
)

HIT_TYPES = [
    ("rule", "VARCHAR"),
    ("person_id", "BIGINT"),
    ("case_id", "BIGINT"),
    ("household_id", "BIGINT"),
    ("region_code", "VARCHAR"),
    ("program", "VARCHAR"),
    ("row_no", "BIGINT"),
    ("match_weight", "DOUBLE"),
    ("figure", "DECIMAL(14,2)"),
]


def link_by_name_and_birth(
    engine: Engine, *, records: str, people: str, threshold: float, out: str
) -> None:
    """Stand-in for probabilistic.link_persons: same name and birth date, a fixed weight."""
    link_by_name_and_birth.calls.append((records, people, threshold, out))  # type: ignore[attr-defined]
    query = (
        f"SELECT r.row_no, p.person_id, CAST({FUZZY_WEIGHT} AS DOUBLE) AS match_weight "  # noqa: S608
        f"FROM {records} AS r JOIN {people} AS p "
        "ON p.name = r.name AND p.birth_date = r.birth_date "
        f"WHERE {FUZZY_WEIGHT} >= {threshold}"
    )
    engine.create_table(out, query)


link_by_name_and_birth.calls = []  # type: ignore[attr-defined]


@pytest.fixture
def stand_in_linker(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(link_by_name_and_birth, "calls", calls)
    monkeypatch.setattr(apply_module, "_link_persons", link_by_name_and_birth)
    return calls


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return world_write(tmp_path_factory.mktemp("world"))


def context(code: str, **values: Any) -> RuleContext:
    rule = RULES[code]
    return RuleContext(
        as_of=values.pop("as_of", AS_OF),
        threshold=values.pop("threshold", rule.default_threshold),
        **values,
    )


def run(world: World, tmp_path: Path, codes: list[str], **options: Any) -> list[Any]:
    with DuckDBEngine(workdir=tmp_path / "work") as engine:
        return apply_rules(
            engine,
            beneficiaries=world.beneficiaries,
            residents=world.residents,
            datasets=options.pop("datasets", world.datasets),
            rules=[(RULES[c], context(c)) for c in codes],
            out_dir=tmp_path / "hits",
            **options,
        )


@pytest.mark.parametrize("code", list(RULES))
def test_rule_hits_exactly(code: str, world: World, tmp_path: Path, stand_in_linker: Any) -> None:
    [result] = run(world, tmp_path, [code])
    assert result.skipped == ""
    assert result.hits == len(EXPECTED[code])
    assert read_hits(result.hits_path) == sort_hits(EXPECTED[code])


def test_every_rule_has_sql_and_expected_hits() -> None:
    assert set(EXPECTED) == set(RULES)
    assert all(rule.sql is not None for rule in RULES.values())


def test_hits_have_the_contract_types(world: World, tmp_path: Path, stand_in_linker: Any) -> None:
    results = run(world, tmp_path, list(RULES))
    for result in results:
        assert result.hits_path == tmp_path / "hits" / f"{result.code}.parquet"
        assert hit_types(result.hits_path) == HIT_TYPES
    assert [name for name, _ in HIT_TYPES] == list(HIT_COLUMNS)


def test_a_rule_without_its_dataset_is_skipped_with_the_reason(
    world: World, tmp_path: Path
) -> None:
    progress: list[tuple[str, int, int]] = []
    results = run(
        world,
        tmp_path,
        ["vehicle", "double_enrollment_internal"],
        datasets={},
        progress=lambda label, done, total: progress.append((label, done, total)),
    )
    vehicle, internal = results
    assert (vehicle.hits_path, vehicle.hits, vehicle.skipped) == (
        None,
        0,
        "未提供机动车登记数据,本规则未执行",
    )
    assert internal.skipped == "" and internal.hits == 2
    assert progress == [
        ("登记比对数据", 0, 2),
        ("比对:家庭拥有机动车", 0, 2),
        ("比对:本县重复享受救助", 1, 2),
        ("比对完成", 2, 2),
    ]


def test_enrollment_is_read_from_the_rolls_only_when_delivered(
    world: World, tmp_path: Path
) -> None:
    """Without the county's program rolls, person 15 (on the age allowance roll) is a
    candidate too."""
    [result] = run(world, tmp_path, ["age_allowance_missing"], datasets={})
    assert {hit[1] for hit in read_hits(result.hits_path)} == {7, 10, 11, 15}


def test_age_threshold_is_the_rules_setting(world: World, tmp_path: Path) -> None:
    with DuckDBEngine(workdir=tmp_path / "work") as engine:
        [result] = apply_rules(
            engine,
            beneficiaries=world.beneficiaries,
            residents=world.residents,
            datasets=world.datasets,
            rules=[
                (
                    RULES["age_allowance_missing"],
                    context("age_allowance_missing", threshold=Decimal("85")),
                )
            ],
            out_dir=tmp_path / "hits",
        )
    assert {hit[1] for hit in read_hits(result.hits_path)} == set()
    # 90-year-old person 14 has the allowance, 87-year-old 15 is on the county's roll.


def test_hospital_threshold_is_the_rules_setting(world: World, tmp_path: Path) -> None:
    with DuckDBEngine(workdir=tmp_path / "work") as engine:
        [result] = apply_rules(
            engine,
            beneficiaries=world.beneficiaries,
            residents=world.residents,
            datasets=world.datasets,
            rules=[
                (
                    RULES["hospital_high_cost"],
                    context("hospital_high_cost", threshold=Decimal("19999.99")),
                )
            ],
            out_dir=tmp_path / "hits",
        )
    assert {(hit[1], hit[6]) for hit in read_hits(result.hits_path)} == {
        (10, 3),
        (3, 5),
        (7, 7),
        (11, 6),
    }


def test_death_fuzzy_links_rows_without_a_usable_id(
    world: World, tmp_path: Path, stand_in_linker: Any
) -> None:
    with DuckDBEngine(workdir=tmp_path / "work") as engine:
        apply_rules(
            engine,
            beneficiaries=world.beneficiaries,
            residents=world.residents,
            datasets=world.datasets,
            rules=[(RULES["death_fuzzy"], context("death_fuzzy", threshold=Decimal("9.5")))],
            out_dir=tmp_path / "hits",
        )
        records = engine.fetch("SELECT row_no, name FROM fuzzy_death_records ORDER BY row_no")
        people = engine.fetch("SELECT count(*), count(DISTINCT person_id) FROM fuzzy_people")
    assert stand_in_linker == [
        (rule_sql.FUZZY_RECORDS, rule_sql.FUZZY_PEOPLE, 9.5, rule_sql.FUZZY_LINKS)
    ]
    assert records == [(5, "人员2"), (6, "人员5")]
    # counted members only, one row per person
    assert people == [(10, 10)]


def test_death_fuzzy_default_threshold(world: World, tmp_path: Path, stand_in_linker: Any) -> None:
    run(world, tmp_path, ["death_fuzzy"])
    assert stand_in_linker[0][2] == float(RULES["death_fuzzy"].default_threshold or 0)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("城市低保", "dibao_urban"),
        ("城镇居民最低生活保障", "dibao_urban"),
        ("农村低保", "dibao_rural"),
        ("城乡低保", "dibao"),
        ("低保", "dibao"),
        (" 最低生活保障 ", "dibao"),
        ("低保边缘", "dibao_edge"),
        ("特困", "tekun"),
        ("特困供养", "tekun"),
        ("特困人员救助供养", "tekun"),
        ("农村五保", "tekun"),
        ("DIBAO_URBAN", "dibao_urban"),
        ("tekun", "tekun"),
        ("重度残疾人护理补贴", "disability_care"),
        ("高龄津贴", "age_allowance"),
        ("临时救助", "临时救助"),
        ("城市医疗救助", "城市医疗救助"),
        ("农村\u3000低保", "dibao_rural"),
        ("城市最低生活保障", "dibao_urban"),
    ],
)
def test_program_names_map_to_codes(text: str, code: str, tmp_path: Path) -> None:
    with DuckDBEngine(workdir=tmp_path) as engine:
        assert engine.fetch("SELECT " + rule_sql.program_code_sql(repr(text))) == [(code,)]


AGES = [
    (datetime.date(1946, 3, 1), datetime.date(2026, 3, 1), 80),
    (datetime.date(1946, 3, 2), datetime.date(2026, 3, 1), 79),
    (datetime.date(1944, 2, 29), datetime.date(2025, 2, 28), 80),
    (datetime.date(1944, 2, 29), datetime.date(2025, 3, 1), 81),
    (datetime.date(1944, 2, 29), datetime.date(2024, 2, 29), 80),
    (datetime.date(1944, 2, 29), datetime.date(2024, 2, 28), 79),
    (datetime.date(1945, 12, 31), datetime.date(2026, 1, 1), 80),
]


def ages_query() -> str:
    """The ages of AGES (in order) as one query."""
    union = " UNION ALL ".join(
        f"SELECT {i} AS i, {rule_sql.age_sql(f'DATE {born.isoformat()!r}', on)} AS age"
        for i, (born, on, _) in enumerate(AGES)
    )
    return "SELECT age FROM (" + union + ") AS a ORDER BY i"  # noqa: S608


def test_ages_in_whole_years(tmp_path: Path) -> None:
    with DuckDBEngine(workdir=tmp_path) as engine:
        rows = engine.fetch(ages_query())
    assert [r[0] for r in rows] == [age for _, _, age in AGES]


def test_death_fuzzy_with_splink(world: World, tmp_path: Path) -> None:
    """The real linker (matching.probabilistic) at the rule's default threshold: the mistyped
    ID and the missing ID are placed on the right beneficiaries, with Splink's weights."""
    probabilistic = pytest.importorskip("minzheng.matching.probabilistic")
    assert RULES["death_fuzzy"].default_threshold == Decimal(str(probabilistic.DEFAULT_THRESHOLD))
    [result] = run(world, tmp_path, ["death_fuzzy"])
    hits = read_hits(result.hits_path)
    assert [hit[:7] for hit in hits] == [hit[:7] for hit in EXPECTED["death_fuzzy"]]
    assert all(hit[7] >= probabilistic.DEFAULT_THRESHOLD for hit in hits)
