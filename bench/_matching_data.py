"""Synthetic files for the matching benchmarks, written by DuckDB SQL straight to Parquet (no
Python loop over rows): N beneficiaries (the `beneficiaries` table of matching.rules), the same
persons as `residents`, and M rows of an external death dataset in the canonical layout of an
imported delivery (schema columns + row_no + id_valid), of which 1% of the beneficiaries' IDs
are true hits.

ID numbers are 18 characters with a valid check digit: the i-th person's number comes from a
bijection of i onto (area code of a 六安 county, birth date 1940-2019, sequence 000-999), so
numbers never repeat and beneficiaries (i < N) and the external file's other persons (i >= N)
never share one. Beneficiaries live in the demo county's villages (裕安区, the 324 codes of
`minzheng demo`); names are drawn from a pool of common names with their pinyin.

Files are cached under BENCH_DATA_DIR (default var/bench-data/matching) in a folder named by
the sizes, seed and generator version: a rerun with the same sizes skips generation."""

from __future__ import annotations

import datetime
import os
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = 1  # bump when the files' content changes, so caches are not reused
SEED = 341503
COUNTY = "341503"
AREAS = 7  # ID area codes per birth year (六安's counties of that year, see area_codes)
FIRST_BIRTH = datetime.date(1940, 1, 1)
BIRTH_DAYS = 29_200  # to 2019-12-12
SEQUENCES = 1000
SPACE = AREAS * BIRTH_DAYS * SEQUENCES  # 204,400,000 distinct numbers
MULTIPLIER = 40_503  # coprime with SPACE (2^7 * 5^5 * 7 * 73): i -> i * MULTIPLIER % SPACE is 1:1
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
HIT_EVERY = 100  # beneficiary i is in the external file when i % 100 == HIT_AT
HIT_AT = 37
NAME_POOL = 4000
PROGRAMS = (  # (program, share of cases in per mille, monthly standard)
    ("dibao_rural", 800, "790.00"),
    ("dibao_urban", 920, "880.00"),
    ("tekun", 1000, "1027.00"),
)
AS_OF = datetime.date(2026, 11, 1)


@dataclass(frozen=True)
class MatchingFiles:
    folder: Path
    beneficiaries: Path
    residents: Path
    external: Path  # the death dataset
    n_beneficiaries: int
    n_external: int
    hits: int  # beneficiaries whose ID is in the external file = flags the death rule raises


def hit_count(beneficiaries: int) -> int:
    """Beneficiaries i < N with i % HIT_EVERY == HIT_AT (1%)."""
    return 0 if beneficiaries <= HIT_AT else (beneficiaries - HIT_AT - 1) // HIT_EVERY + 1


def data_root() -> Path:
    return Path(os.environ.get("BENCH_DATA_DIR") or ROOT / "var" / "bench-data") / "matching"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def area_codes() -> list[list[str]]:
    """For each birth year from FIRST_BIRTH on, AREAS distinct ID area codes python-stdnum
    accepts for that year: the counties of 六安 (3415xx since 1999, the 六安地区 3424xx
    before), padded with other counties of 安徽 in the years 六安 had fewer."""
    from minzheng.registry.demo_regions import _loc_table

    table = [e for e in _loc_table() if e.code.startswith("34") and not e.code.endswith("00")]
    years = []
    for year in range(FIRST_BIRTH.year, FIRST_BIRTH.year + BIRTH_DAYS // 365 + 2):
        valid = sorted({e.code for e in table if e.valid_in(year) and e.name != "市辖区"})
        own = [c for c in valid if c[:4] in ("3415", "3424")]
        codes = (own + [c for c in valid if c not in own])[:AREAS]
        assert len(codes) == AREAS, year
        years.append(codes)
    return years


def _id_parts() -> str:
    """Macros computing the ID number, birth date and sex of person i (a BIGINT < SPACE): one
    definition for every file."""
    p = f"(i * {MULTIPLIER} % {SPACE})"
    areas = (
        "["
        + ", ".join("[" + ", ".join(f"'{c}'" for c in codes) + "]" for codes in area_codes())
        + "]"
    )
    birth = f"(DATE '{FIRST_BIRTH}' + (({p} // {AREAS}) % {BIRTH_DAYS})::INTEGER)"
    total = " + ".join(
        f"(ascii(substr(b17, {k + 1}, 1)) - 48) * {w}" for k, w in enumerate(WEIGHTS)
    )
    return f"""
    CREATE OR REPLACE MACRO person_b17(i) AS
        {areas}[year({birth}) - {FIRST_BIRTH.year} + 1][({p} % {AREAS})::INTEGER + 1]
        || strftime({birth}, '%Y%m%d')
        || lpad((({p} // {AREAS * BIRTH_DAYS}) % {SEQUENCES})::VARCHAR, 3, '0');
    CREATE OR REPLACE MACRO with_check(b17) AS
        b17 || substr('10X98765432', (({total}) % 11)::INTEGER + 1, 1);
    CREATE OR REPLACE MACRO person_id_number(i) AS with_check(person_b17(i));
    CREATE OR REPLACE MACRO person_birth(i) AS {birth};
    CREATE OR REPLACE MACRO person_sex(i) AS
        CASE WHEN (({p} // {AREAS * BIRTH_DAYS}) % {SEQUENCES}) % 2 = 1
             THEN 'M' ELSE 'F' END;
    """


def _pools(seed: int) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """(k, name, pinyin) of a pool of names, (k, code) of the demo county's villages."""
    from bench._registry_data import GIVEN, SURNAMES
    from minzheng.registry.names import pinyin_keys

    rng = random.Random(seed)
    names = []
    for k in range(NAME_POOL):
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        name = rng.choice(SURNAMES) + given
        names.append((k, name, pinyin_keys(name)[0]))
    return names, [(k, code) for k, code in enumerate(demo_villages(seed))]


def demo_villages(seed: int = SEED) -> list[str]:
    """The codes of the demo county's 324 villages and communities, as `minzheng demo` makes
    them (computed from the national list, no database)."""
    from minzheng.core.services.regions import national_rows
    from minzheng.registry.demo_regions import DEMO_VILLAGE_TOTAL, village_rows

    townships = [
        r
        for r in national_rows(townships_of=[COUNTY])
        if r.code.startswith(COUNTY) and r.code[6:9] != "000" and r.code.endswith("000")
    ]
    townships.sort(key=lambda r: r.code)
    rows = village_rows(townships=townships, total=DEMO_VILLAGE_TOTAL, small=False, seed=seed)
    return sorted(r.code for r in rows)


def _write(con: object, query: str, path: Path) -> None:
    con.execute(  # type: ignore[attr-defined]
        f"COPY ({query}) TO {_quote(path)} (FORMAT parquet, ROW_GROUP_SIZE 122880)"
    )


def generate(
    beneficiaries: int,
    external: int,
    *,
    folder: Path | None = None,
    seed: int = SEED,
    log: bool = True,
) -> MatchingFiles:
    """The three files for N beneficiaries x M external rows, generated unless `folder` (default:
    the cache folder for these sizes) already holds them."""
    import duckdb

    hits = hit_count(beneficiaries)
    if external < hits:
        raise ValueError(f"{external} external rows cannot hold {hits} hits")
    if beneficiaries + external > SPACE:
        raise ValueError(f"at most {SPACE} distinct persons")
    folder = folder or data_root() / f"v{VERSION}-b{beneficiaries}-e{external}-s{seed}"
    files = MatchingFiles(
        folder=folder,
        beneficiaries=folder / "beneficiaries.parquet",
        residents=folder / "residents.parquet",
        external=folder / "death.parquet",
        n_beneficiaries=beneficiaries,
        n_external=external,
        hits=hits,
    )
    done = folder / "DONE"
    if done.exists():
        if log:
            print(f"# data: cached in {folder}", flush=True)
        return files
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="mz-bench-gen-"))
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    names, villages = _pools(seed)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET temp_directory = {_quote(work)}")
        con.execute(_id_parts())
        con.execute("CREATE TABLE names (k INTEGER, name VARCHAR, pinyin VARCHAR)")
        con.executemany("INSERT INTO names VALUES (?, ?, ?)", names)
        con.execute("CREATE TABLE villages (k INTEGER, code VARCHAR)")
        con.executemany("INSERT INTO villages VALUES (?, ?)", villages)
        n_names, n_villages = len(names), len(villages)
        # Person i with i % 25 == 0 is a one-person 特困 case; the others pair up in
        # two-person 低保 households (1-2, 3-4, ..., 23-24), rural or urban by the case.
        persons = f"""
            SELECT i, c, id_number, name, name_pinyin, sex, birth_date, v.code AS region_code,
                   CASE WHEN i % 25 = 0 THEN 'tekun'
                        WHEN hash(c, 7) % 100 < 87 THEN 'dibao_rural'
                        ELSE 'dibao_urban' END AS program
            FROM (
                SELECT i, CASE WHEN i % 25 = 0 THEN i ELSE i - ((i % 25) + 1) % 2 END AS c,
                       person_id_number(i) AS id_number, n.name, n.pinyin AS name_pinyin,
                       person_sex(i) AS sex, person_birth(i) AS birth_date
                FROM range({beneficiaries}) r(i)
                JOIN names n ON n.k = hash(i, 1) % {n_names}
            ) p
            JOIN villages v ON v.k = hash(c, 2) % {n_villages}
        """
        income = "CASE WHEN program = 'tekun' THEN 0 ELSE 120 + hash(c, 3) % 300 END"
        standard = (
            "CASE program WHEN 'dibao_rural' THEN 790 WHEN 'dibao_urban' THEN 880 ELSE 1027 END"
        )
        beneficiary_rows = f"""
            SELECT c + 1 AS case_id,
                   CASE program WHEN 'tekun' THEN 'TK' WHEN 'dibao_rural' THEN 'NC'
                        ELSE 'CS' END || lpad((c + 1)::VARCHAR, 12, '0') AS case_number,
                   program, 'active' AS case_status, c + 1 AS household_id, region_code,
                   i + 1 AS person_id, id_number, name, name_pinyin, sex, birth_date,
                   true AS counted,
                   program = 'tekun' AS is_sole,
                   CASE WHEN program = 'tekun' THEN 1 ELSE 2 END AS counted_members,
                   ({income})::DECIMAL(14, 2) AS per_capita_income,
                   ({standard} - {income})::DECIMAL(14, 2) AS monthly_amount,
                   ({standard})::DECIMAL(14, 2) AS monthly_standard,
                   0 AS max_vehicles, 100000::DECIMAL(14, 2) AS vehicle_exempt_value,
                   1 AS max_houses, 0 AS max_businesses,
                   0::DECIMAL(14, 2) AS declared_wages, 0::DECIMAL(14, 2) AS declared_pension
            FROM ({persons})
        """
        _write(con, beneficiary_rows, staging / "beneficiaries.parquet")
        _write(
            con,
            "SELECT person_id, id_number, name, name_pinyin, sex, birth_date, region_code, "
            f"household_id FROM read_parquet({_quote(staging / 'beneficiaries.parquet')})",
            staging / "residents.parquet",
        )
        # The external file: row r is a hit when r % step == 0 and r // step < hits (evenly
        # spread through the file), the hits' persons being the beneficiaries with
        # (person_id - 1) % 100 == HIT_AT; any other row is person N + r (not in the rolls).
        con.execute(
            "CREATE TABLE hit_people AS "
            "SELECT row_number() OVER (ORDER BY person_id) - 1 AS j, id_number, name, sex, "
            "birth_date, region_code FROM read_parquet("
            f"{_quote(staging / 'beneficiaries.parquet')}) "
            f"WHERE (person_id - 1) % {HIT_EVERY} = {HIT_AT}"
        )
        real_hits = int(con.execute("SELECT count(*) FROM hit_people").fetchall()[0][0])
        step = max(1, external // max(real_hits, 1))
        places = "['家中', '县人民医院', '乡镇卫生院', '市第一人民医院', '养老机构']"
        external_rows = f"""
            SELECT coalesce(h.id_number, person_id_number({beneficiaries} + r)) AS id_number,
                   coalesce(h.name, n.name) AS name,
                   coalesce(h.sex, person_sex({beneficiaries} + r)) AS sex,
                   coalesce(h.birth_date, person_birth({beneficiaries} + r)) AS birth_date,
                   coalesce(h.region_code, v.code) AS region_code,
                   DATE '2026-01-01' + (hash(r, 4) % 300)::INTEGER AS death_date,
                   {places}[(hash(r, 5) % 5)::INTEGER + 1] AS place,
                   r + 2 AS row_no,
                   true AS id_valid
            FROM range({external}) t(r)
            LEFT JOIN hit_people h ON r % {step} = 0 AND h.j = r // {step}
            JOIN names n ON n.k = hash(r, 6) % {n_names}
            JOIN villages v ON v.k = hash(r, 8) % {n_villages}
        """
        _write(con, external_rows, staging / "death.parquet")
        written = con.execute(
            f"SELECT count(*) FROM read_parquet({_quote(staging / 'death.parquet')}) d "
            f"JOIN read_parquet({_quote(staging / 'beneficiaries.parquet')}) b USING (id_number)"
        ).fetchall()[0][0]
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    if written != real_hits or real_hits != hits:
        raise AssertionError(f"generated {written} hits, wanted {real_hits}")
    (staging / "DONE").write_text(f"hits {real_hits}\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    if log:
        print(
            f"# data: {beneficiaries} persons x {external} rows, {real_hits} hits, generated in "
            f"{time.perf_counter() - started:.0f} s into {folder}",
            flush=True,
        )
    return files
