"""The run's snapshot of the rolls: columns exactly as matching.rules documents them, values
from the cases, members, declarations and standards."""

from __future__ import annotations

import datetime
from decimal import Decimal

import duckdb
import pytest

from minzheng.matching.snapshot import BENEFICIARY_COLUMNS, RESIDENT_COLUMNS, snapshot_write
from minzheng.programs.models import CaseMember
from tests.matching.support import AS_OF, COUNTY, county_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(regions, personas):
    return county_for(personas)


def rows(path, key="person_id"):
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM read_parquet('{path}') ORDER BY {key}")  # noqa: S608
    names = [d[0] for d in cursor.description]
    return {r[names.index(key)]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}


def types(path):
    con = duckdb.connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()  # noqa: S608
    return {r[0]: r[1] for r in described}


def test_it_writes_the_documented_columns_with_their_types(county, tmp_path):
    snap = snapshot_write(region_code=COUNTY, as_of=AS_OF, out_dir=tmp_path)
    b = types(snap.beneficiaries)
    assert tuple(b) == BENEFICIARY_COLUMNS
    assert b["counted"] == b["is_sole"] == "BOOLEAN"
    assert b["birth_date"] == "DATE"
    for money in ("per_capita_income", "monthly_amount", "monthly_standard", "declared_wages"):
        assert b[money] == "DECIMAL(14,2)"
    assert b["max_vehicles"] == "INTEGER"
    assert tuple(types(snap.residents)) == RESIDENT_COLUMNS


def test_beneficiaries_are_the_members_of_paying_and_suspended_cases(county, tmp_path):
    snap = snapshot_write(region_code=COUNTY, as_of=AS_OF, out_dir=tmp_path)
    got = rows(snap.beneficiaries)
    assert set(got) == {p.pk for p in county.beneficiaries}
    assert snap.beneficiary_count == len(county.beneficiaries)
    assert county.terminated_head.pk not in got
    assert got[county.suspended_head.pk]["case_status"] == "suspended"


def test_a_row_carries_the_case_person_and_standards(county, tmp_path):
    snap = snapshot_write(region_code=COUNTY, as_of=AS_OF, out_dir=tmp_path)
    head = rows(snap.beneficiaries)[county.head.pk]
    case = county.family_case
    assert head["case_id"] == case.pk
    assert head["case_number"] == case.number
    assert head["program"] == "dibao_rural"
    assert head["household_id"] == case.household_id
    assert head["region_code"] == case.region_code
    assert head["id_number"] == county.head.id_number
    assert head["name"] == "王大山"
    assert head["name_pinyin"] == county.head.name_pinyin
    assert head["sex"] == "M"
    assert head["birth_date"] == datetime.date(1980, 3, 1)
    assert head["counted"] is True
    assert head["is_sole"] is False
    assert head["counted_members"] == 4
    assert head["per_capita_income"] == Decimal("137.50")
    assert head["monthly_amount"] == Decimal("1210.00")
    # programs.standard_defaults for 农村低保
    assert head["monthly_standard"] > 0
    assert head["max_vehicles"] == 0
    assert head["vehicle_exempt_value"] == Decimal("10000.00")
    assert head["max_houses"] == 1
    assert head["max_businesses"] == 0


def test_declared_income_is_from_the_newest_declaration(county, tmp_path):
    snap = snapshot_write(region_code=COUNTY, as_of=AS_OF, out_dir=tmp_path)
    got = rows(snap.beneficiaries)
    assert got[county.head.pk]["declared_wages"] == Decimal("300.00")
    assert got[county.head.pk]["declared_pension"] == Decimal("0.00")
    assert got[county.spouse.pk]["declared_pension"] == Decimal("200.00")
    assert got[county.child.pk]["declared_wages"] == Decimal("0.00")
    # as of a day before the newest declaration, the one before counts
    earlier = snapshot_write(
        region_code=COUNTY, as_of=datetime.date(2026, 1, 1), out_dir=tmp_path / "earlier"
    )
    assert rows(earlier.beneficiaries)[county.head.pk]["declared_wages"] == Decimal("900.00")


def test_is_sole_marks_the_only_counted_member_and_the_tekun_person(county, tmp_path):
    snap = snapshot_write(region_code=COUNTY, as_of=AS_OF, out_dir=tmp_path)
    got = rows(snap.beneficiaries)
    assert got[county.sole.pk]["is_sole"] is True
    assert got[county.tekun.pk]["is_sole"] is True
    assert got[county.nephew.pk]["is_sole"] is False
    assert got[county.nephew.pk]["counted"] is False
    assert got[county.suspended_head.pk]["is_sole"] is False
    # 特困's income line is the local 低保 standard; it has no asset limits of its own
    assert got[county.tekun.pk]["monthly_standard"] > 0
    assert got[county.tekun.pk]["max_vehicles"] is None


def test_a_tekun_case_counts_its_applicant_alone(county, tmp_path):
    # the case engine lists every member of the household on the case, all counted
    CaseMember.objects.filter(case=county.tekun_case).update(counted=True)
    snap = snapshot_write(region_code=COUNTY, as_of=AS_OF, out_dir=tmp_path)
    got = rows(snap.beneficiaries)
    assert got[county.tekun.pk]["counted"] is True
    assert got[county.nephew.pk]["counted"] is False


def test_a_grade_2_disabled_member_and_elders_are_on_the_rolls(county, tmp_path):
    snap = snapshot_write(region_code=COUNTY, as_of=AS_OF, out_dir=tmp_path)
    got = rows(snap.beneficiaries)
    assert got[county.disabled.pk]["counted"] is True
    assert got[county.sole.pk]["birth_date"] == datetime.date(1941, 4, 1)


def test_residents_are_the_living_persons_of_the_county(county, tmp_path):
    snap = snapshot_write(region_code=COUNTY, as_of=AS_OF, out_dir=tmp_path)
    got = rows(snap.residents)
    assert county.elder.pk in got
    assert county.dead.pk not in got
    assert county.outsider.pk not in got
    assert county.head.pk in got
    elder = got[county.elder.pk]
    assert elder["region_code"] == county.elder.region_code
    assert elder["household_id"] is not None
    assert elder["sex"] == "F"
    assert snap.resident_count == len(got)


def test_a_township_snapshot_holds_only_its_villages(county, tmp_path):
    snap = snapshot_write(region_code="341503101000", as_of=AS_OF, out_dir=tmp_path)
    got = rows(snap.beneficiaries)
    assert set(got) == {county.tekun.pk, county.nephew.pk}
