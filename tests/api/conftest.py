"""API test helpers: a client that authenticates with a real token, and a small registry on
each side of the scope line (a household in 陶洪村 and one in 同心县's 新区村)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from minzheng.core.models import User
from minzheng.registry.models import Household, Person
from minzheng.registry.services import member_add
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE, Personas
from tests.factories import make_household, make_person, new_id_number


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    """Throttle counters live in the cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


ApiFor = Callable[[User], APIClient]


@pytest.fixture
def api_for(db: None) -> ApiFor:
    def make(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@dataclass
class Family:
    household: Household
    head: Person
    spouse: Person


def make_family(actor: User, region_code: str) -> Family:
    head = make_person(actor, region_code=region_code, name="张三")
    household = make_household(actor, region_code=region_code, head=head)
    spouse = make_person(
        actor, region_code=region_code, name="李四", id_number=new_id_number(male=False)
    )
    member_add(
        actor=actor,
        household=household,
        person=spouse,
        relationship="spouse",
        valid_from=datetime.date(2021, 5, 1),
        join_reason="marriage",
    )
    return Family(household=household, head=head, spouse=spouse)


@pytest.fixture
def family(personas: Personas) -> Family:
    """A household of 陶洪村 (in scope of the village, its township and the county)."""
    return make_family(personas.village_assistant, VILLAGE)


@pytest.fixture
def far_family(personas: Personas) -> Family:
    """A household of 同心县 (out of scope of every 裕安区 persona)."""
    return make_family(personas.other_county_officer, OTHER_COUNTY_VILLAGE)
