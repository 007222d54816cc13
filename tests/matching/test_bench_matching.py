"""The exact matching benchmark (bench/matching.py) at a tiny size, on the database the tests
use: its generator writes valid, unique ID numbers with 1% of the beneficiaries in the death
file, the run raises one flag per true hit, and the bare join finds the same rows."""

from __future__ import annotations

import duckdb
import pytest
from bench import _matching_data as data
from bench import matching as bench
from stdnum.cn import ric

from minzheng.matching.models import MatchFlag, MatchRun, RunStatus

pytestmark = pytest.mark.django_db
BENEFICIARIES = 2_000
EXTERNAL = 6_000


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> data.MatchingFiles:
    return data.generate(
        BENEFICIARIES, EXTERNAL, folder=tmp_path_factory.mktemp("bench") / "files", log=False
    )


def _rows(query: str, *files: object) -> list[tuple[object, ...]]:
    """Rows of `query` whose {} are the files' read_parquet (paths the test made)."""
    return duckdb.sql(query.format(*(f"read_parquet('{p}')" for p in files))).fetchall()


def test_the_generator_writes_valid_unique_ids_and_one_percent_of_hits(files):
    assert files.hits == data.hit_count(BENEFICIARIES) == 20
    b, d = files.beneficiaries, files.external
    distinct = "SELECT count(*), count(DISTINCT id_number) FROM {}"
    assert _rows(distinct, b) == [(2000, 2000)]
    assert _rows(distinct, d) == [(6000, 6000)]
    assert _rows("SELECT count(*) FROM {} AS b JOIN {} AS d USING (id_number)", b, d) == [(20,)]
    # the hits carry the beneficiary's own name, sex and birth date
    same = "SELECT count(*) FROM {} AS b JOIN {} AS d USING (id_number, name, sex, birth_date)"
    assert _rows(same, b, d) == [(20,)]
    sample = _rows(
        "SELECT id_number, birth_date, sex FROM {} UNION ALL "
        "SELECT id_number, birth_date, sex FROM {}",
        d,
        b,
    )
    for number, birth, sex in sample:
        assert ric.is_valid(number), number
        assert ric.get_birth_date(number) == birth
        assert (int(number[16]) % 2 == 1) == (sex == "M")
    villages = {v for (v,) in _rows("SELECT DISTINCT region_code FROM {}", b)}
    assert villages <= set(data.demo_villages())
    # a second call finds the files it wrote
    again = data.generate(BENEFICIARIES, EXTERNAL, folder=files.folder, log=False)
    assert again == files


def test_the_run_lands_one_flag_per_hit_and_the_bare_join_finds_the_same(files):
    seconds, flags, stages = bench.time_run(files)

    run = MatchRun.objects.get()
    assert run.status == RunStatus.DONE and run.engine == "duckdb"
    assert flags == files.hits == MatchFlag.objects.filter(run=run, rule="death_id").count()
    assert seconds > 0 and stages
    count_seconds, materialise_seconds, joined = bench.time_bare_join(files)
    assert joined == files.hits
    assert count_seconds > 0 and materialise_seconds > 0
    hit_ids = {
        number
        for (number,) in _rows(
            "SELECT id_number FROM {} WHERE (person_id - 1) % 100 = 37", files.beneficiaries
        )
    }
    flagged = set(MatchFlag.objects.values_list("person_id", flat=True))
    assert (data.HIT_EVERY, data.HIT_AT) == (100, 37)
    assert len(hit_ids) == len(flagged) == files.hits
    assert all((pid - 1) % data.HIT_EVERY == data.HIT_AT for pid in flagged)


def test_with_the_hit_households_cases_the_landing_opens_their_reviews(files):
    from minzheng.programs.models import Case, Review

    cases = bench.fill_hit_cases(files)
    assert cases == files.hits == Case.objects.count()  # no two hits share a household

    seconds, flags, stages = bench.time_run(files)

    assert flags == files.hits and seconds > 0 and stages
    assert Review.objects.count() == files.hits
    assert set(MatchFlag.objects.values_list("review__case_id", flat=True)) == set(
        Case.objects.values_list("pk", flat=True)
    )
