"""matching.probabilistic.link_persons on tiny hand-made tables with known answers (DuckDB), the
pinyin the SQL builds, and the same linkage on DuckDB and Spark with identical output."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import duckdb
import pytest

from minzheng.matching.engines.duckdb_engine import DuckDBEngine
from minzheng.matching.pinyin import fuzzy, name_pinyin
from minzheng.matching.probabilistic import (
    DEFAULT_THRESHOLD,
    MODEL,
    PRIOR,
    link_persons,
    prepare_sql,
    register_chars,
)

D = datetime.date
VILLAGE = "341503100201"
SAME_TOWNSHIP = "341503100202"
OTHER_COUNTY = "341502105203"

PEOPLE = [
    (1, "张伟", "M", D(1965, 3, 12), VILLAGE),
    (2, "张伟", "M", D(1971, 8, 2), VILLAGE),
    (3, "李明", "F", D(1980, 11, 5), VILLAGE),
    (4, "王建军", "M", D(1960, 1, 20), SAME_TOWNSHIP),
    (5, "王建国", "M", D(1960, 1, 20), SAME_TOWNSHIP),
    (6, "陈秀英", "F", D(1948, 6, 7), VILLAGE),
    (7, "陈秀英", "F", D(1948, 6, 7), VILLAGE),
    (8, "刘桂兰", "F", D(1952, 4, 9), SAME_TOWNSHIP),
]


def _weight(**levels: str) -> float:
    """The model's weight for a pair at the given level of each comparison (null: 0)."""
    total = math.log2(PRIOR / (1 - PRIOR))
    for comparison, label in levels.items():
        m, u = next((m, u) for name, m, u in MODEL[comparison] if name == label)
        total += math.log2(m / u)
    return total


def _table(con: duckdb.DuckDBPyConnection, name: str, key: str, rows: list[tuple]) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {name} ({key} BIGINT, name VARCHAR, sex VARCHAR, "
        "birth_date DATE, region_code VARCHAR)"
    )
    if rows:
        con.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?)", rows)  # noqa: S608


@pytest.fixture
def engine(tmp_path: Path):
    with DuckDBEngine(workdir=tmp_path) as engine:
        _table(engine.con, "people", "person_id", PEOPLE)
        yield engine


def link(engine: DuckDBEngine, records: list[tuple], threshold: float = DEFAULT_THRESHOLD):
    _table(engine.con, "records", "row_no", records)
    link_persons(engine, records="records", people="people", threshold=threshold, out="links")
    return {row_no: (pid, w) for row_no, pid, w in engine.fetch("SELECT * FROM links")}


def test_a_homophone_with_the_same_birth_date_matches(engine):
    links = link(
        engine,
        [
            (10, "章伟", "M", D(1965, 3, 12), VILLAGE),  # 张 -> 章
            (11, "黎明", "F", D(1980, 11, 5), VILLAGE),  # 李明 -> 黎明
            (12, "张 伟", None, D(1965, 3, 12), SAME_TOWNSHIP),  # a space, sex not given
        ],
    )
    assert links[10][0] == 1
    assert links[10][1] == pytest.approx(
        _weight(name="pinyin", birth_date="exact", sex="same", region="village")
    )
    assert links[11][0] == 3
    assert links[12][0] == 1
    assert links[12][1] == pytest.approx(
        _weight(name="exact_uncommon", birth_date="exact", region="township")
    )


def test_a_namesake_born_another_day_elsewhere_does_not_match(engine):
    links = link(engine, [(10, "张伟", "M", D(1990, 5, 23), OTHER_COUNTY)], threshold=-30)
    assert links == {} or links[10][1] < DEFAULT_THRESHOLD
    assert link(engine, [(10, "张伟", "M", D(1990, 5, 23), OTHER_COUNTY)]) == {}


def test_birth_date_typos_match(engine):
    links = link(
        engine,
        [
            (10, "李明", "F", D(1980, 11, 8), VILLAGE),  # one digit
            (11, "刘桂兰", "F", D(1952, 9, 4), SAME_TOWNSHIP),  # day and month swapped
            (12, "李明", "F", D(1986, 11, 5), VILLAGE),  # a digit of the year
            (13, "刘桂兰", "F", D(1952, 3, 10), SAME_TOWNSHIP),  # lunar birthday, 30 days before
            (14, "李明", "F", None, VILLAGE),  # no birth date: name, sex and village
            (15, "李明", None, None, SAME_TOWNSHIP),  # name and township alone: not enough
        ],
    )
    assert {row_no: pid for row_no, (pid, _) in links.items()} == {
        10: 3,
        11: 8,
        12: 3,
        13: 8,
        14: 3,
    }
    assert links[11][1] == pytest.approx(
        _weight(name="exact_uncommon", birth_date="day_month_swapped", sex="same", region="village")
    )
    assert links[14][1] == pytest.approx(
        _weight(name="exact_uncommon", sex="same", region="village")
    )


def test_the_threshold_is_respected(engine):
    record = [(10, "章伟", "M", D(1965, 3, 12), VILLAGE)]
    weight = link(engine, record, threshold=-30)[10][1]
    assert link(engine, record, threshold=weight - 0.001)[10][0] == 1
    assert link(engine, record, threshold=weight + 0.001) == {}


def test_only_the_best_match_ties_to_the_lowest_person_id(engine):
    links = link(
        engine,
        [
            (10, "张伟", "M", D(1965, 3, 12), VILLAGE),  # 1, not the namesake 2
            (11, "王建军", "M", D(1960, 1, 20), SAME_TOWNSHIP),  # 4 exact; 5 one character off
            (12, "陈秀英", "F", D(1948, 6, 7), VILLAGE),  # 6 and 7 alike: the lower id
        ],
        threshold=-30,
    )
    assert {row_no: pid for row_no, (pid, _) in links.items()} == {10: 1, 11: 4, 12: 6}
    assert engine.count("links") == 3


def test_a_common_name_is_weaker_evidence_than_a_rare_one(engine):
    # Twelve 王秀英 among the people: 12 in the (at least) 100,000 the list counts for.
    many = [(100 + i, "王秀英", "F", D(1940 + i, 2, 3), VILLAGE) for i in range(12)]
    engine.con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?)", many)
    links = link(
        engine,
        [
            (10, "王秀英", "F", D(1945, 2, 3), VILLAGE),
            (11, "刘桂兰", "F", D(1952, 4, 9), SAME_TOWNSHIP),
        ],
    )
    evidence = {"birth_date": "exact", "sex": "same", "region": "village"}
    assert links[10] == (105, pytest.approx(_weight(name="exact_common", **evidence)))
    assert links[11] == (8, pytest.approx(_weight(name="exact_uncommon", **evidence)))
    assert links[10][1] < links[11][1]


def test_the_bench_at_a_smoke_size():
    from bench import matching_probabilistic as bench

    result = bench.run(3000)
    assert result["with_truth"] == 2700
    assert result["precision"] > 0.97 and result["recall"] > 0.9


def test_no_records_no_links(engine):
    assert link(engine, []) == {}
    columns = engine.fetch("SELECT column_name, column_type FROM (DESCRIBE links)")
    assert columns == [("row_no", "BIGINT"), ("person_id", "BIGINT"), ("match_weight", "DOUBLE")]


def test_link_persons_leaves_only_its_output(engine):
    before = {r[0] for r in engine.fetch("SELECT table_name FROM duckdb_tables()")}
    link(engine, [(10, "章伟", "M", D(1965, 3, 12), VILLAGE)])
    after = {r[0] for r in engine.fetch("SELECT table_name FROM duckdb_tables()")}
    assert after - before == {"records", "links"}


def test_homophones_and_accents_in_pinyin():
    assert name_pinyin("张伟")[0] == name_pinyin("章伟")[0] == "zhangwei"
    assert name_pinyin("王明")[0] == name_pinyin("汪明")[0]
    assert name_pinyin("李明") == name_pinyin("黎明")
    assert name_pinyin("陈宁")[0] != name_pinyin("程玲")[0]
    assert name_pinyin("陈宁")[1] == name_pinyin("程玲")[1] == "cenlin"
    assert [fuzzy(s) for s in ("zheng", "shi", "ning", "nong", "ying", "an")] == [
        "zen",
        "si",
        "lin",
        "long",
        "yin",
        "an",
    ]


def test_the_sql_builds_the_same_pinyin_as_python(engine):
    names = [
        "张伟",
        "欧阳子墨",
        "买买提艾力江",
        "阿卜杜热合曼江",
        "王x明",
        "章 伟",
        "李·明",
        "",
        None,
    ]
    rows = [(i, n, None, None, None) for i, n in enumerate(names)]
    _table(engine.con, "names", "row_no", rows)
    register_chars(engine)
    prepared = prepare_sql("names", "row_no")
    query = f"SELECT uid, name, name_py, name_fz, surname_py, given_py FROM ({prepared})"  # noqa: S608
    got = {uid: tuple(rest) for uid, *rest in engine.fetch(query)}
    for i, raw in enumerate(names):
        clean = (raw or "").replace(" ", "").replace("·", "") or None
        if clean is None:
            assert got[i] == (None, None, None, None, None)
            continue
        py, fz = name_pinyin(clean)
        assert got[i][:3] == (clean, py, fz)
        assert got[i][3] + got[i][4] == py
    assert got[1][1:] == ("ouyangzimo", "ouyangzimo", "ou", "yangzimo")
    assert got[2][1] == "maimaitiailijiang"
    assert got[3][1] == "abodureheman江"  # the seventh character as written


@pytest.fixture(scope="module")
def two_engines(tmp_path_factory):
    """One DuckDB and one Spark engine (local[2], the session shared by the module) over the
    same Parquet files: 300 synthetic residents and 300 records with the bench's mistakes."""
    from bench import _matching_people as synthetic

    from minzheng.matching.engines import engine_open

    tmp = tmp_path_factory.mktemp("prob")
    people = synthetic.make_people(300, seed=7)
    records = synthetic.make_records(people, 300, seed=8)
    synthetic.write_people(people, tmp / "people.parquet")
    synthetic.write_records(records, tmp / "records.parquet")
    engines = []
    for name in ("duckdb", "spark"):
        engine = engine_open(name, workdir=tmp / name)
        engine.register_parquet("people", tmp / "people.parquet")
        engine.register_parquet("records", tmp / "records.parquet")
        engines.append(engine)
    yield engines
    for engine in engines:
        engine.close()


def test_duckdb_and_spark_link_alike(two_engines):
    results = []
    for engine in two_engines:
        link_persons(engine, records="records", people="people", threshold=-10.0, out="links")
        results.append(
            sorted(
                engine.fetch(
                    "SELECT row_no, person_id, round(match_weight, 6) FROM links ORDER BY row_no"
                )
            )
        )
    duck, spark = results
    assert len(duck) > 250
    assert duck == spark
