"""Probabilistic record linkage (模糊比对) of external rows whose ID number is missing or
mistyped: name (characters, pinyin, accent-tolerant pinyin), birth date, sex and region, with
Splink 5 on whichever engine the run uses.

The model is fixed, not trained on each run: the m and u probabilities below were estimated
once from the synthetic data of bench/matching_probabilistic.py (m from the known true pairs,
u from random pairs; `python bench/matching_probabilistic.py --estimate` prints them again)
and rounded; the levels no synthetic mistake reaches (a different name, a birth date two
digits off or unrelated, a region outside the county) keep a small m set by hand. A fixed
model gives identical weights on DuckDB and on Spark, costs no EM time (110 s of 138 s at
500k x 500k), and keeps a rule's threshold meaning the same thing from one month to the
next. Only the name levels look at the data: an exact name counts for less when
it is common among the people (1 in 10,000 or more, as 王秀英 among the elderly) and for more
when it is rare (below 1 in 100,000) - Splink's term-frequency adjustment in three fixed
steps, so that weights stay comparable and a tiny table does not make every name common.

The prior is fixed too: one chance in a million that a record and a person taken at random
are the same person (a county of a million residents). A weight is then the evidence, in bits,
for "same person" against that prior, and the same threshold means the same evidence in a
small county and a large one.

Every comparison is plain SQL available on both engines (equality, substr, length, ASCII
levenshtein): no Jaro-Winkler, whose Spark version needs Splink's jar on the session and
rounds differently from DuckDB's. Names are compared by characters and by pinyin built in SQL
(matching.pinyin); DuckDB's levenshtein counts bytes, so the one-character-typo level counts
differing positions with substr instead."""

from __future__ import annotations

import logging
import re
from typing import Any

from minzheng.matching.engines.base import Engine
from minzheng.matching.pinyin import NAME_CHARS, write_char_table

# The default threshold: weight 3 is posterior odds of 8 to 1 for "same person" against the
# one-in-a-million prior. On the bench (1,000,000 residents x 1,000,000 records, 10% of them
# non-residents carrying residents' names) it gives precision 0.9985 and recall 0.964 over
# the records whose person is a resident; 2 gives 0.998 / 0.972, 4 gives 0.999 / 0.959
# (`python bench/matching_probabilistic.py --sweep`). The higher of the thresholds that keep
# recall well above 0.95: most rows of a real delivery may be of people not on the list (a
# county's deaths against its beneficiaries), so precision deserves the margin - 0.37% of
# the non-residents get a namesake born the same day, and with 90% non-residents precision
# would be 0.966 at a million people (a rule for such a delivery may set 5 or more).
DEFAULT_THRESHOLD: float = 3.0

PRIOR = 1e-6
# A name is common when it is at least 1 in 10,000 of the people (王秀英 among a county's
# elderly), rare below 1 in 100,000; a list is counted as at least FREQUENCY_FLOOR people so
# that a small one (a test, a village) does not make every name common. In a list under
# 100,000 no name is rare: its exact names count as uncommon, the safe side.
COMMON, UNCOMMON = 1e-4, 1e-5
FREQUENCY_FLOOR = 100_000
CHARS_TABLE = "mz_pinyin_chars"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Splink logs every step at INFO; a run draws its own progress.
logging.getLogger("splink").setLevel(logging.WARNING)


def _level(
    sql: str, label: str, m: float | None = None, u: float | None = None, **extra: Any
) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if m is not None:
        level["m_probability"] = m
        level["u_probability"] = u
    else:
        level["is_null_level"] = True
    if sql != "ELSE":  # written in DuckDB's dialect, translated by Splink for Spark
        level["base_dialect_str"] = "duckdb"
    level.update(extra)
    return level


def _one_char_differs() -> str:
    """Same number of characters, exactly one position different (first NAME_CHARS compared
    by position, any rest compared whole)."""
    same = " + ".join(
        f"CASE WHEN substr(name_l, {i}, 1) = substr(name_r, {i}, 1) THEN 1 ELSE 0 END"
        for i in range(1, NAME_CHARS + 1)
    )
    return (
        f"length(name_l) = length(name_r) AND substr(name_l, {NAME_CHARS + 1}) = "
        f"substr(name_r, {NAME_CHARS + 1}) AND ({same}) = {NAME_CHARS - 1}"
    )


# (label, m, u) per non-null level, in order; the SQL is in comparisons() below.
MODEL: dict[str, list[tuple[str, float, float]]] = {
    "name": [
        ("exact_common", 0.16, 3.7e-5),
        ("exact_uncommon", 0.265, 1.0e-5),
        ("exact_rare", 0.395, 1.0e-6),
        ("pinyin_common", 0.025, 2.1e-5),
        ("pinyin", 0.079, 5.0e-6),
        ("fuzzy_pinyin", 0.023, 1.1e-5),
        ("one_char", 0.052, 0.0041),
        ("else", 0.005, 0.996),
    ],
    "birth_date": [
        ("exact", 0.93, 7.6e-5),
        ("one_digit", 0.046, 0.0015),
        ("day_month_swapped", 0.006, 1.1e-5),
        ("within_50_days", 0.019, 0.0027),
        ("two_digits", 0.003, 0.012),
        ("else", 0.005, 0.984),
    ],
    "sex": [
        ("same", 0.994, 0.5),
        ("else", 0.006, 0.5),
    ],
    "region": [
        ("village", 0.86, 0.0031),
        ("township", 0.078, 0.044),
        ("county", 0.059, 0.90),
        ("else", 0.01, 0.05),
    ],
}


def comparisons() -> list[Any]:
    from splink.internals.comparison_library import CustomComparison

    def levels(column: str, null: str, conditions: list[tuple[str, dict[str, Any]]]) -> Any:
        model = MODEL[column]
        assert len(model) == len(conditions), column
        built: list[Any] = [_level(null, "null")]
        for (label, m, u), (sql, extra) in zip(model, conditions, strict=True):
            built.append(_level(sql, label, m, u, **extra))
        return CustomComparison(built, output_column_name=column)

    # The people's side carries the frequencies; which side that is is Splink's choice.
    freq = "coalesce(name_freq_l, name_freq_r)"
    py_freq = "coalesce(name_py_freq_l, name_py_freq_r)"

    return [
        levels(
            "name",
            "name_l IS NULL OR name_r IS NULL",
            [
                (f"name_l = name_r AND {freq} >= {COMMON}", {}),
                (f"name_l = name_r AND {freq} >= {UNCOMMON}", {}),
                ("name_l = name_r", {}),
                (f"name_py_l = name_py_r AND {py_freq} >= {COMMON}", {}),
                ("name_py_l = name_py_r", {}),
                ("name_fz_l = name_fz_r", {}),
                (_one_char_differs(), {}),
                ("ELSE", {}),
            ],
        ),
        levels(
            "birth_date",
            "dob_l IS NULL OR dob_r IS NULL",
            [
                ("dob_l = dob_r", {}),
                ("levenshtein(dob_l, dob_r) = 1", {}),
                (
                    "substr(dob_l, 1, 4) = substr(dob_r, 1, 4)"
                    " AND substr(dob_l, 5, 2) = substr(dob_r, 7, 2)"
                    " AND substr(dob_l, 7, 2) = substr(dob_r, 5, 2)",
                    {},
                ),
                ("abs(date_diff('day', birth_date_l, birth_date_r)) <= 50", {}),
                ("levenshtein(dob_l, dob_r) = 2", {}),
                ("ELSE", {}),
            ],
        ),
        levels(
            "sex",
            "sex_l IS NULL OR sex_r IS NULL",
            [("sex_l = sex_r", {}), ("ELSE", {})],
        ),
        levels(
            "region",
            "region_code_l IS NULL OR region_code_r IS NULL",
            [
                ("region_code_l = region_code_r", {}),
                ("substr(region_code_l, 1, 9) = substr(region_code_r, 1, 9)", {}),
                ("substr(region_code_l, 1, 6) = substr(region_code_r, 1, 6)", {}),
                ("ELSE", {}),
            ],
        ),
    ]


def blocking_rules() -> list[Any]:
    """Several rules, so that a typo in one field does not lose the pair: the same name by its
    accent-tolerant pinyin (homophones, accent confusions) born the same year (date typos
    within the year) or on the same month and day (typos in the year); the same surname on
    the same date (typos in the given name); the same given name on the same date (typos in
    the surname); the same name in the same township (no birth date, or one wrong beyond
    the rules above)."""
    from splink import block_on

    return [
        block_on("name_fz", "birth_year"),
        block_on("surname_py", "dob"),
        block_on("given_py", "dob"),
        block_on("name_fz", "birth_md"),
        block_on("name_fz", "township"),
    ]


def settings() -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        probability_two_random_records_match=PRIOR,
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def prepare_sql(source: str, id_column: str, *, people: bool = False) -> str:
    """DuckDB-dialect query over `source` giving the columns the model compares: uid, name
    (without spaces and the middle dot of transliterated names), name_py, name_fz,
    surname_py, given_py, sex, birth_date, dob ('YYYYMMDD'), birth_year, birth_md ('MMDD'),
    region_code, township (its first 9 digits), and for `people` the frequency of the name
    and of its pinyin among them (name_freq, name_py_freq; NULL on the records' side)."""
    base = _prepared(source, id_column)
    if not people:
        return (
            "SELECT b.*, CAST(NULL AS DOUBLE) AS name_freq, CAST(NULL AS DOUBLE) AS name_py_freq"
            f" FROM ({base}) b"
        )
    size = f"greatest(count(*) OVER (), {FREQUENCY_FLOOR})"
    return f"""SELECT b.*,
       CAST(count(*) OVER (PARTITION BY b.name) AS DOUBLE) / {size} AS name_freq,
       CAST(count(*) OVER (PARTITION BY b.name_py) AS DOUBLE) / {size} AS name_py_freq
FROM ({base}) b"""


def _prepared(source: str, id_column: str) -> str:
    nm = "s.name"
    joins = []
    py_parts: list[str] = []
    fz_parts: list[str] = []
    for i in range(1, NAME_CHARS + 1):
        joins.append(f"LEFT JOIN {CHARS_TABLE} c{i} ON c{i}.ch = substr({nm}, {i}, 1)")
        py_parts.append(f"coalesce(c{i}.py, substr({nm}, {i}, 1))")
        fz_parts.append(f"coalesce(c{i}.fz, substr({nm}, {i}, 1))")
    rest = f"substr({nm}, {NAME_CHARS + 1})"
    py = " || ".join([*py_parts, rest])
    fz = " || ".join([*fz_parts, rest])
    given = " || ".join([*py_parts[1:], rest])
    clean = "replace(replace(replace(trim(name), ' ', ''), '\u3000', ''), '\u00b7', '')"
    return f"""
SELECT s.uid, s.name,
       CASE WHEN s.name IS NOT NULL THEN {py} END AS name_py,
       CASE WHEN s.name IS NOT NULL THEN {fz} END AS name_fz,
       CASE WHEN s.name IS NOT NULL THEN {py_parts[0]} END AS surname_py,
       CASE WHEN s.name IS NOT NULL THEN {given} END AS given_py,
       s.sex,
       s.birth_date,
       strftime(s.birth_date, '%Y%m%d') AS dob,
       year(s.birth_date) AS birth_year,
       strftime(s.birth_date, '%m%d') AS birth_md,
       s.region_code,
       substr(s.region_code, 1, 9) AS township
FROM (
    SELECT CAST({id_column} AS BIGINT) AS uid,
           CASE WHEN {clean} <> '' THEN {clean} END AS name,
           CASE WHEN sex IN ('M', 'F') THEN sex END AS sex,
           CAST(birth_date AS DATE) AS birth_date,
           CASE WHEN trim(region_code) <> '' THEN trim(region_code) END AS region_code
    FROM {source}
) s
{chr(10).join(joins)}
"""


def _tables(engine: Engine) -> set[str]:
    if engine.name == "spark":
        return {t.name for t in engine.spark.catalog.listTables()}  # type: ignore[attr-defined]
    return {row[0] for row in engine.fetch("SELECT table_name FROM duckdb_tables()")}


def _drop(engine: Engine, name: str) -> None:
    """Drop a table made with engine.create_table or by Splink (the Engine API has no drop)."""
    if engine.name == "spark":
        spark = engine.spark  # type: ignore[attr-defined]
        if spark.catalog.tableExists(name):
            spark.catalog.uncacheTable(name)
        spark.catalog.dropTempView(name)
    else:
        engine.con.execute(f"DROP TABLE IF EXISTS {name}")  # type: ignore[attr-defined]


def splink_api(engine: Engine) -> Any:
    """The engine's Splink API; on Spark one that keeps its intermediate tables with
    persist() (the default writes them under a checkpoint directory the session does not
    have) and does not look for Splink's Scala jar (none of its functions is used here)."""
    if engine.name == "spark":
        from splink import SparkAPI

        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=engine.spark,  # type: ignore[attr-defined]
            break_lineage_method="persist",
            register_udfs_automatically=False,
        )
    return engine.splink_api()


def register_chars(engine: Engine) -> None:
    path = write_char_table(engine.workdir / f"{CHARS_TABLE}.parquet")
    engine.register_parquet(CHARS_TABLE, path)


def link_persons(engine: Engine, *, records: str, people: str, threshold: float, out: str) -> None:
    """records: registered table (row_no BIGINT, name VARCHAR, sex 'M'/'F' or NULL,
    birth_date DATE or NULL, region_code VARCHAR(12) or NULL) — external rows to place;
    people: (person_id BIGINT, name, sex, birth_date, region_code). Creates table `out` on the
    engine (engine.create_table) with (row_no BIGINT, person_id BIGINT, match_weight DOUBLE):
    for each record the best-scoring person whose match weight >= threshold (ties: lowest
    person_id); records with no such person absent."""
    from splink import Linker

    for name in (records, people, out):
        if not _IDENT.match(name):
            raise ValueError(f"not a table name: {name!r}")
    left, right = f"{out}__records", f"{out}__people"
    before = _tables(engine)
    register_chars(engine)
    engine.create_table(left, prepare_sql(records, "row_no"))
    engine.create_table(right, prepare_sql(people, "person_id", people=True))
    db_api = splink_api(engine)
    try:
        frames = [
            db_api.register(left, dataset_display_name="records"),
            db_api.register(right, dataset_display_name="people"),
        ]
        linker = Linker(frames, settings(), log_level=None)
        predictions = linker.inference.predict(
            threshold_match_weight=float(threshold), warning_mode="never"
        )
        engine.create_table(out, best_sql(predictions.physical_name, float(threshold)))
    finally:
        db_api.delete_tables_created_by_splink_from_db()
        # Splink does not count every table it makes among its own (blocked id pairs).
        for name in _tables(engine) - before:
            if name in (left, right) or name.startswith("__splink__"):
                _drop(engine, name)


def best_sql(predictions: str, threshold: float) -> str:
    """The best person per record: highest weight (rounded to 9 places so that the engines'
    last bits do not reorder equal weights), then lowest person_id."""
    return f"""
SELECT row_no, person_id, match_weight FROM (
    SELECT row_no, person_id, match_weight,
           row_number() OVER (
               PARTITION BY row_no ORDER BY round(match_weight, 9) DESC, person_id
           ) AS rank_in_record
    FROM (
        SELECT CAST(CASE WHEN source_dataset_l = 'records' THEN uid_l
                         ELSE uid_r END AS BIGINT) AS row_no,
               CAST(CASE WHEN source_dataset_l = 'records' THEN uid_r
                         ELSE uid_l END AS BIGINT) AS person_id,
               CAST(match_weight AS DOUBLE) AS match_weight
        FROM {predictions}
        WHERE match_weight >= {threshold!r}
    ) p
) ranked
WHERE rank_in_record = 1
"""
