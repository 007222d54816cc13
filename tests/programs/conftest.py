"""Fixtures of the case engine: the demo county's standards and households that apply."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

import pytest

from minzheng.core.models import User
from minzheng.registry.models import Household, Person
from minzheng.registry.services import declaration_create, member_add
from tests.conftest import VILLAGE
from tests.factories import make_household, make_person, new_id_number

COUNTY = "341503000000"
CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 9) -> datetime.datetime:
    """A moment in the bureau's time zone, for time_machine.travel."""
    return datetime.datetime(year, month, day, hour, tzinfo=CHINA)


@pytest.fixture
def standards(regions, personas) -> None:
    """The demo county's numbers in force since 2020 (programs.standard_defaults)."""
    from minzheng.programs.standard_defaults import standards_seed

    standards_seed(region_code=COUNTY, valid_from=datetime.date(2020, 1, 1))


@dataclass
class Family:
    household: Household
    head: Person
    spouse: Person
    child: Person


def make_family(
    actor: User,
    *,
    region_code: str = VILLAGE,
    wages: str = "300.00",
    declared_on: datetime.date = datetime.date(2020, 6, 1),
) -> Family:
    """A rural household of three (head 46, spouse, child of 10) whose head earns `wages` a
    month: eligible for 低保 at the demo standard when wages are low."""
    head = make_person(
        actor,
        region_code=region_code,
        name="王大山",
        id_number=new_id_number(birth=datetime.date(1980, 3, 1)),
    )
    spouse = make_person(
        actor,
        region_code=region_code,
        name="李秀英",
        id_number=new_id_number(birth=datetime.date(1982, 7, 9), male=False),
    )
    child = make_person(
        actor,
        region_code=region_code,
        name="王小明",
        id_number=new_id_number(birth=datetime.date(2016, 1, 5)),
    )
    household = make_household(actor, region_code=region_code, head=head)
    for person, rel in ((spouse, "spouse"), (child, "child")):
        member_add(
            actor=actor,
            household=household,
            person=person,
            relationship=rel,
            valid_from=datetime.date(2020, 1, 1),
        )
    declaration_create(
        actor=actor,
        household=household,
        declared_on=declared_on,
        incomes=[{"person": head, "kind": "wages", "monthly_amount": wages}],
        assets=[],
    )
    return Family(household, head, spouse, child)


@pytest.fixture
def family(regions, personas) -> Family:
    return make_family(personas.township_clerk)
