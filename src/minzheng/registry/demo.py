"""The demo county's people: households of believable composition, persons with valid ID numbers
consistent with their region and age, and the income and asset declarations of the households a
bureau would have surveyed. `generate_households` is the generator the benchmarks reuse:

    villages = ensure_demo_regions()
    for household in generate_households(n=1000, villages=villages, seed=1):
        ...  # a HouseholdRow for registry.bulk.households_bulk_create
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from stdnum import luhn

from minzheng.core.idnumbers import make_id_number
from minzheng.core.models import Region
from minzheng.registry.bulk import HouseholdRow, PersonRow
from minzheng.registry.demo_declarations import DeclarationPlan, declaration_plan
from minzheng.registry.demo_families import Families, Spec, founding_date
from minzheng.registry.demo_names import (
    COHORT_NAMES,
    DISABILITY_CATEGORIES,
    DISABILITY_CODES,
    DISABILITY_GRADES,
    EDUCATION,
    ESTATES,
    HUI_SURNAMES,
    ILLNESSES_ADULT,
    ILLNESSES_CHILD,
    OTHER_ETHNIC_GROUPS,
    PHONE_PREFIXES,
    ROADS,
    ROADS_NINGXIA,
    cohort_of,
    faker_names,
    group_name,
)
from minzheng.registry.demo_regions import (
    DEFAULT_SEED,
    DEMO_COUNTY,
    Place,
    area_codes_for,
    ensure_demo_regions,
)

__all__ = [
    "DEFAULT_SEED",
    "DemoHousehold",
    "ensure_demo_regions",
    "founding_date",
    "generate_households",
]

# Counties a spouse may have married in from (their ID keeps the old area code).
NEIGHBOURS = {
    "34": ("341502", "341522", "341523", "341524", "341525", "340104"),
    "64": ("640302", "640323", "640381", "640402"),
}
EDUCATION_YEARS = sorted(EDUCATION)
# (below age, share): disability ~6% of all (2006 survey: most are old), serious illness ~2%,
# mobile phones for nearly every adult but fewer of the very old.
DISABILITY_BY_AGE = ((18, 0.012), (45, 0.03), (60, 0.055), (75, 0.11), (999, 0.17))
ILLNESS_BY_AGE = ((18, 0.004), (45, 0.008), (60, 0.025), (999, 0.04))
PHONE_BY_AGE = ((16, 0.0), (20, 0.7), (60, 0.95), (75, 0.7), (999, 0.35))


def _by_age(table: tuple[tuple[int, float], ...], age: int) -> float:
    return next(share for below, share in table if age < below)


@dataclass
class DemoHousehold(HouseholdRow):
    """A household to write, with the declaration it made (if it was surveyed)."""

    declaration: DeclarationPlan | None = None


@dataclass
class _Generator:
    rng: random.Random
    as_of: datetime.date
    taken: Container[str]
    used: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.families = Families(self.rng, self.as_of)

    # --- persons -----------------------------------------------------------------------
    def _birth(self, age: int) -> datetime.date:
        days = int(age * 365.2425) + self.rng.randint(1, 364)
        return self.as_of - datetime.timedelta(days=days)

    def _id_number(self, county: str, birth: datetime.date, male: bool) -> str:
        """A number no one has: area code valid in the birth year, random sequence of the
        right parity (odd men, even women)."""
        area = self.rng.choice(area_codes_for(county, birth.year))
        for _ in range(500):
            seq = 2 * self.rng.randrange(500) + 1 if male else 2 * self.rng.randrange(1, 500)
            number = make_id_number(area, birth, seq)
            if number not in self.used and number not in self.taken:
                self.used.add(number)
                return number
        raise RuntimeError(f"no free ID sequence for {area} {birth}")  # pragma: no cover

    def _surnames(self, specs: list[Spec], hui: bool) -> list[str]:
        table = HUI_SURNAMES if hui else faker_names().surnames
        own = [table.pick(self.rng) for _ in specs]
        rels = [s.relationship for s in specs]
        spouse = own[rels.index("spouse")] if "spouse" in rels else own[0]
        family = own[0] if specs[0].male else spouse
        in_law = own[rels.index("child_in_law")] if "child_in_law" in rels else family
        chosen = {"family": family, "head": own[0], "in_law": in_law}
        return [chosen.get(s.surname_of, own[i]) for i, s in enumerate(specs)]

    def _given_name(self, male: bool, birth_year: int) -> str:
        if self.rng.random() < 0.3:
            names = faker_names().male if male else faker_names().female
        else:
            names = COHORT_NAMES[cohort_of(birth_year)][0 if male else 1]
        return self.rng.choice(names)

    def _phone(self, age: int) -> str:
        share = _by_age(PHONE_BY_AGE, age)
        if self.rng.random() >= share:
            return ""
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _education(self, age: int, urban: bool) -> str:
        if age < 6:
            return ""
        if age < 18:
            if age < 12:
                return "primary"
            return "junior" if age < 15 or self.rng.random() < 0.15 else "senior"
        i = bisect.bisect_right(EDUCATION_YEARS, self.as_of.year - age) - 1
        i = min(i + 1, len(EDUCATION_YEARS) - 1) if urban else i  # towns school longer
        return EDUCATION[EDUCATION_YEARS[i]].pick(self.rng)

    def _disability(self, age: int, number: str) -> tuple[str, int | None, str]:
        share = _by_age(DISABILITY_BY_AGE, age)
        if self.rng.random() >= share:
            return "", None, ""
        category = DISABILITY_CATEGORIES.pick(self.rng)
        grade = DISABILITY_GRADES.pick(self.rng)
        # 第二代残疾人证: the ID number + category digit + grade digit.
        return category, int(grade), f"{number}{DISABILITY_CODES[category]}{grade}"

    def _illness(self, age: int) -> str:
        share = _by_age(ILLNESS_BY_AGE, age)
        if self.rng.random() >= share:
            return ""
        return (ILLNESSES_CHILD if age < 18 else ILLNESSES_ADULT).pick(self.rng)

    @staticmethod
    def _labour(age: int, category: str, grade: int | None, illness: str) -> str:
        if age < 16 or age >= 75 or grade in (1, 2):
            return "none"
        if grade == 3 and category in ("intellectual", "mental"):
            return "none"
        return "partial" if age >= 60 or grade or illness else "full"

    def _person(self, spec: Spec, surname: str, place: Place, ethnicity: str) -> PersonRow:
        birth = self._birth(spec.age)
        county = place.county
        if spec.relationship in ("spouse", "child_in_law") and self.rng.random() < 0.12:
            county = self.rng.choice(NEIGHBOURS.get(county[:2], (county,)))
        number = self._id_number(county, birth, spec.male)
        category, grade, certificate = self._disability(spec.age, number)
        illness = self._illness(spec.age)
        return PersonRow(
            id_number=number,
            name=surname + self._given_name(spec.male, birth.year),
            hukou_type="urban" if place.urban else "rural",
            region_code=place.code,
            ethnicity=ethnicity,
            phone=self._phone(spec.age),
            marital_status=spec.marital,
            education=self._education(spec.age, place.urban),
            labour_capacity=self._labour(spec.age, category, grade, illness),
            disability_category=category,
            disability_grade=grade,
            disability_certificate=certificate,
            serious_illness=illness,
            death_date=spec.death,
        )

    # --- household ---------------------------------------------------------------------
    def _ethnicity(self, place: Place) -> str:
        if self.rng.random() < place.hui_share:
            return "回族"
        return "汉族" if self.rng.random() > 0.002 else self.rng.choice(OTHER_ETHNIC_GROUPS)

    def _address(self, place: Place) -> str:
        r = self.rng
        if not place.urban:
            return f"{place.address}{group_name(r.randint(1, 16))}{r.randint(1, 80)}号"
        if r.random() < 0.55:
            roads = ROADS_NINGXIA if place.county.startswith("64") else ROADS
            return f"{place.address}{r.choice(roads)}{r.randint(1, 300)}号"
        building = (
            f"{r.randint(1, 30)}栋{r.randint(1, 4)}单元{r.randint(1, 18)}0{r.randint(1, 4)}室"
        )
        return f"{place.address}{r.choice(ESTATES)}{building}"

    def _bank(self, place: Place, members: list[tuple[PersonRow, str]]) -> tuple[str, str, str]:
        """(bank, account name, card number) for most households: the head's account, or
        now and then the spouse's."""
        if self.rng.random() > 0.86:
            return "", "", ""
        bank = place.banks.pick(self.rng)
        holder = members[0][0]
        spouse = next((p for p, rel in members if rel == "spouse" and not p.death_date), None)
        if spouse and self.rng.random() < 0.1:
            holder = spouse
        body = place.bins[bank] + f"{self.rng.randrange(10**12):012d}"
        return bank, holder.name, body + luhn.calc_check_digit(body)

    def household(self, place: Place) -> DemoHousehold:
        specs = self.families.household()
        ethnicity = self._ethnicity(place)
        surnames = self._surnames(specs, ethnicity == "回族")
        persons = [
            self._person(s, n, place, ethnicity) for s, n in zip(specs, surnames, strict=True)
        ]
        members = [(p, s.relationship) for p, s in zip(persons, specs, strict=True)]
        bank_name, account_name, account_number = self._bank(place, members)
        return DemoHousehold(
            address=self._address(place),
            region_code=place.code,
            members=members,
            bank_name=bank_name,
            bank_account_name=account_name,
            bank_account_number=account_number,
            declaration=declaration_plan(
                rng=self.rng, as_of=self.as_of, place=place, members=members
            ),
        )


def _village_weight(village: Region) -> float:
    """Communities are bigger than villages; the second county gets a small share."""
    weight = {"111": 1.6, "112": 1.6, "121": 1.4}.get(village.urban_rural_code, 1.0)
    return weight if village.code.startswith(DEMO_COUNTY) else weight * 0.7


def generate_households(
    *,
    n: int,
    villages: Sequence[Region],
    seed: int = DEFAULT_SEED,
    as_of: datetime.date | None = None,
    taken: Container[str] = frozenset(),
) -> Iterator[DemoHousehold]:
    """`n` households spread over `villages` (communities weigh more), the same for the same
    seed and `as_of` (default today). ID numbers in `taken` are never produced."""
    if not villages:
        raise ValueError("generate_households needs at least one village")
    rng = random.Random(seed)
    places = [Place.of(v) for v in villages]
    cumulative = list(itertools.accumulate(_village_weight(v) for v in villages))
    generator = _Generator(rng, as_of or timezone.localdate(), taken)
    for _ in range(n):
        yield generator.household(rng.choices(places, cum_weights=cumulative)[0])
