"""A small county for the matching tests (others may import it): paying 低保 and 特困 cases
with their members in three villages of two townships, a suspended and a terminated case,
persons of 80 and more, a disabled grade-2 member, a resident enrolled nowhere, a dead
resident and a person of another county.

    county = matching_county(personas.county_officer)   # needs the `standards` fixture

Helpers write hits and dataset Parquet files by hand (the tests of runs and flags do not need
the intake or the rules to exist)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from minzheng.core.models import User
from minzheng.programs.models import Case, CaseStatus
from minzheng.registry.models import Household, Person
from minzheng.registry.services import declaration_create, member_add
from tests.conftest import (
    OTHER_COUNTY_VILLAGE,
    OTHER_TOWNSHIP_VILLAGE,
    OTHER_VILLAGE_SAME_TOWNSHIP,
    VILLAGE,
)
from tests.factories import make_household, make_person, new_id_number
from tests.programs.dynamic_support import enrolled_case

COUNTY = "341503000000"
AS_OF = datetime.date(2026, 11, 22)
JOINED = datetime.date(2020, 1, 1)


@dataclass
class MatchingCounty:
    actor: User
    # 陶洪村: 低保 household of four, head earns 300 a month, spouse a 200 pension (transfers).
    household: Household
    head: Person
    spouse: Person
    child: Person
    disabled: Person  # grade 2, physical, counted member of `family_case`
    family_case: Case
    # 苏埠社区: an 85-year-old alone on 低保.
    sole: Person
    sole_case: Case
    # 戚桥村 (韩摆渡镇): a 特困 person of 82 with a nephew living with him (not counted).
    tekun: Person
    nephew: Person
    tekun_case: Case
    # 苏埠社区: an urban 低保 couple whose payment is suspended.
    suspended_head: Person
    suspended_spouse: Person
    suspended_case: Case
    # 戚桥村: a terminated case (not in the rolls).
    terminated_head: Person
    terminated_case: Case
    # 陶洪村: an 81-year-old enrolled nowhere, in a household of her own.
    elder: Person
    # A resident who died in 2025, and a person of 同心县.
    dead: Person
    outsider: Person
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def paying_cases(self) -> list[Case]:
        return [self.family_case, self.sole_case, self.tekun_case]

    @property
    def beneficiaries(self) -> list[Person]:
        """Every row the snapshot's beneficiaries hold (person of each enrolled case)."""
        return [
            self.head,
            self.spouse,
            self.child,
            self.disabled,
            self.sole,
            self.tekun,
            self.nephew,
            self.suspended_head,
            self.suspended_spouse,
        ]


def person(
    actor: User,
    region_code: str,
    name: str,
    birth: datetime.date,
    *,
    male: bool = True,
    **fields: Any,
) -> Person:
    return make_person(
        actor,
        region_code=region_code,
        name=name,
        id_number=new_id_number(birth=birth, male=male),
        **fields,
    )


def household_of(actor: User, head: Person, *others: tuple[Person, str]) -> Household:
    household = make_household(actor, region_code=head.region_code, head=head)
    for member, relationship in others:
        member_add(
            actor=actor,
            household=household,
            person=member,
            relationship=relationship,
            valid_from=JOINED,
        )
    return household


def matching_county(actor: User, outsider_actor: User | None = None) -> MatchingCounty:
    """Build the county (actor: the county officer; the demo standards must be seeded;
    outsider_actor: an officer of 同心县, by default the first user of that county)."""
    head = person(actor, VILLAGE, "王大山", datetime.date(1980, 3, 1))
    spouse = person(actor, VILLAGE, "李秀英", datetime.date(1962, 7, 9), male=False)
    child = person(actor, VILLAGE, "王小明", datetime.date(2016, 1, 5))
    disabled = person(
        actor,
        VILLAGE,
        "王二山",
        datetime.date(1985, 2, 2),
        disability_category="physical",
        disability_grade=2,
        labour_capacity="none",
    )
    household = household_of(
        actor, head, (spouse, "spouse"), (child, "child"), (disabled, "sibling")
    )
    declaration_create(
        actor=actor,
        household=household,
        declared_on=datetime.date(2025, 6, 1),
        incomes=[{"person": head, "kind": "wages", "monthly_amount": "900.00"}],
        assets=[],
    )
    declaration_create(
        actor=actor,
        household=household,
        declared_on=datetime.date(2026, 6, 1),
        incomes=[
            {"person": head, "kind": "wages", "monthly_amount": "300.00"},
            {"person": head, "kind": "business", "monthly_amount": "50.00"},
            {"person": spouse, "kind": "transfers", "monthly_amount": "200.00"},
        ],
        assets=[],
    )
    family_case = enrolled_case(actor, household, amount="1210.00")
    Case.objects.filter(pk=family_case.pk).update(per_capita_income=Decimal("137.50"))
    family_case.refresh_from_db()

    sole = person(
        actor, OTHER_VILLAGE_SAME_TOWNSHIP, "赵老汉", datetime.date(1941, 4, 1), hukou_type="urban"
    )
    sole_case = enrolled_case(
        actor, household_of(actor, sole), program="dibao_urban", amount="600.00"
    )

    tekun = person(actor, OTHER_TOWNSHIP_VILLAGE, "孙福来", datetime.date(1944, 8, 8))
    nephew = person(actor, OTHER_TOWNSHIP_VILLAGE, "孙小虎", datetime.date(1990, 9, 9))
    tekun_case = enrolled_case(
        actor,
        household_of(actor, tekun, (nephew, "other")),
        program="tekun",
        amount="900.00",
        counted=[tekun],
    )

    suspended_head = person(
        actor, OTHER_VILLAGE_SAME_TOWNSHIP, "周建华", datetime.date(1970, 1, 1), hukou_type="urban"
    )
    suspended_spouse = person(
        actor,
        OTHER_VILLAGE_SAME_TOWNSHIP,
        "吴丽",
        datetime.date(1972, 2, 2),
        male=False,
        hukou_type="urban",
    )
    suspended_case = enrolled_case(
        actor,
        household_of(actor, suspended_head, (suspended_spouse, "spouse")),
        program="dibao_urban",
        amount="700.00",
        status=CaseStatus.SUSPENDED,
    )

    terminated_head = person(actor, OTHER_TOWNSHIP_VILLAGE, "郑强", datetime.date(1975, 5, 5))
    terminated_case = enrolled_case(
        actor, household_of(actor, terminated_head), status=CaseStatus.TERMINATED
    )

    elder = person(actor, VILLAGE, "钱老太", datetime.date(1945, 3, 3), male=False)
    household_of(actor, elder)
    dead = person(
        actor, VILLAGE, "冯已故", datetime.date(1950, 1, 1), death_date=datetime.date(2025, 3, 1)
    )
    outsider_actor = outsider_actor or User.objects.get(region_id="640324000000")
    outsider = person(outsider_actor, OTHER_COUNTY_VILLAGE, "马外县", datetime.date(1960, 6, 6))
    return MatchingCounty(
        actor=actor,
        household=household,
        head=head,
        spouse=spouse,
        child=child,
        disabled=disabled,
        family_case=family_case,
        sole=sole,
        sole_case=sole_case,
        tekun=tekun,
        nephew=nephew,
        tekun_case=tekun_case,
        suspended_head=suspended_head,
        suspended_spouse=suspended_spouse,
        suspended_case=suspended_case,
        terminated_head=terminated_head,
        terminated_case=terminated_case,
        elder=elder,
        dead=dead,
        outsider=outsider,
    )


def seed_standards() -> None:
    """The demo county's numbers in force since 2020 (as tests/programs' `standards`)."""
    from minzheng.programs.standard_defaults import standards_seed

    standards_seed(region_code=COUNTY, valid_from=datetime.date(2020, 1, 1))


def county_for(personas: Any) -> MatchingCounty:
    """The county with its standards, built by the personas' county officer (a test module's
    fixture: `def county(regions, personas): return county_for(personas)`)."""
    seed_standards()
    return matching_county(personas.county_officer, personas.other_county_officer)


# --- hand-written Parquet ---------------------------------------------------------------------

HIT_SCHEMA = pa.schema(
    [
        ("rule", pa.string()),
        ("person_id", pa.int64()),
        ("case_id", pa.int64()),
        ("household_id", pa.int64()),
        ("region_code", pa.string()),
        ("program", pa.string()),
        ("row_no", pa.int64()),
        ("match_weight", pa.float64()),
        ("figure", pa.decimal128(14, 2)),
    ]
)


def hit(
    rule: str,
    who: Person,
    case: Case | None,
    *,
    row_no: int | None = None,
    figure: str | None = None,
    match_weight: float | None = None,
    program: str | None = None,
) -> dict[str, Any]:
    """One hit row as a rule returns it."""
    household_id = case.household_id if case is not None else None
    region = case.region_code if case is not None else who.region_code
    return {
        "rule": rule,
        "person_id": who.pk,
        "case_id": case.pk if case is not None else None,
        "household_id": household_id,
        "region_code": region,
        "program": program if program is not None else (case.program if case else ""),
        "row_no": row_no,
        "match_weight": match_weight,
        "figure": Decimal(figure) if figure is not None else None,
    }


def write_hits(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=HIT_SCHEMA), path)
    return path


def write_dataset(path: Path, rows: list[dict[str, Any]], types: dict[str, pa.DataType]) -> Path:
    """A dataset's canonical Parquet: `rows` carry row_no and the kind's columns; `types` gives
    each column's Arrow type (id_valid is added when missing)."""
    fields = [pa.field(name, kind) for name, kind in types.items()]
    if "id_valid" not in types:
        fields.append(pa.field("id_valid", pa.bool_()))
        rows = [{"id_valid": True, **r} for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(fields)), path)
    return path


DEATH_TYPES: dict[str, pa.DataType] = {
    "row_no": pa.int64(),
    "id_number": pa.string(),
    "name": pa.string(),
    "sex": pa.string(),
    "birth_date": pa.date32(),
    "region_code": pa.string(),
    "death_date": pa.date32(),
    "place": pa.string(),
}
VEHICLE_TYPES: dict[str, pa.DataType] = {
    "row_no": pa.int64(),
    "id_number": pa.string(),
    "name": pa.string(),
    "sex": pa.string(),
    "birth_date": pa.date32(),
    "region_code": pa.string(),
    "plate_number": pa.string(),
    "vehicle_type": pa.string(),
    "value": pa.decimal128(14, 2),
    "registered_on": pa.date32(),
}


def death_row(row_no: int, who: Person, death_date: datetime.date, place: str = "") -> dict:
    return {
        "row_no": row_no,
        "id_number": who.id_number,
        "name": who.name,
        "sex": who.sex,
        "birth_date": who.birth_date,
        "region_code": who.region_code,
        "death_date": death_date,
        "place": place or "家中",
    }


def vehicle_row(row_no: int, who: Person, plate: str, value: str = "85000.00") -> dict:
    return {
        "row_no": row_no,
        "id_number": who.id_number,
        "name": who.name,
        "sex": who.sex,
        "birth_date": who.birth_date,
        "region_code": who.region_code,
        "plate_number": plate,
        "vehicle_type": "小型轿车",
        "value": Decimal(value),
        "registered_on": datetime.date(2024, 5, 1),
    }


# --- datasets and a stand-in for the rules ------------------------------------------------------


def active_dataset(
    kind: str,
    path: Path,
    *,
    rows: int,
    data_date: datetime.date = datetime.date(2026, 11, 20),
    source: str = "县公安局",
    supersede: bool = True,
) -> Any:
    """An ACTIVE delivery of `kind` whose canonical Parquet is `path` (the intake's result,
    written directly); an earlier active one of the kind is superseded."""
    from minzheng.matching.models import DatasetStatus, ExternalDataset

    earlier = ExternalDataset.objects.filter(
        kind=kind, region_code=COUNTY, status=DatasetStatus.ACTIVE
    ).first()
    if earlier is not None and supersede:
        earlier.status = DatasetStatus.SUPERSEDED
        earlier.save(update_fields=["status"])
    return ExternalDataset.objects.create(
        kind=kind,
        region_code=COUNTY,
        source=source,
        data_date=data_date,
        status=DatasetStatus.ACTIVE,
        file_name=path.name,
        file_format="parquet",
        parquet_path=str(path),
        total_rows=rows,
        valid_rows=rows,
        supersedes=earlier,
    )


class StandInRules:
    """Replaces matching.apply.apply_rules: each rule "finds" the hits set for it here (a rule
    whose dataset is not given is skipped, as the real one does)."""

    def __init__(self) -> None:
        self.hits: dict[str, list[dict[str, Any]]] = {}
        self.calls = 0
        self.fail: Exception | None = None

    def __call__(
        self, engine, *, beneficiaries, residents, datasets, rules, out_dir, progress=None
    ):
        from minzheng.matching.apply import RuleResult

        self.calls += 1
        if self.fail is not None:
            raise self.fail
        results = []
        for done, (rule, _context) in enumerate(rules):
            if progress is not None:
                progress(f"比对:{rule.label}", done, len(rules))
            if rule.dataset_kind is not None and rule.dataset_kind not in datasets:
                results.append(RuleResult(rule.code, None, 0, 0.0, skipped="未提供数据"))
                continue
            rows = self.hits.get(rule.code, [])
            path = write_hits(Path(out_dir) / f"{rule.code}.parquet", rows)
            results.append(RuleResult(rule.code, path, len(rows), 0.01))
        return results


def stand_in_rules(monkeypatch: Any) -> StandInRules:
    from minzheng.matching import apply

    rules = StandInRules()
    monkeypatch.setattr(apply, "apply_rules", rules)
    return rules
