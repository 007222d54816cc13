"""Registry records built through the services, so that tests see what users would create."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from minzheng.core.idnumbers import make_id_number
from minzheng.core.models import User
from minzheng.registry.models import Household, Person
from minzheng.registry.services import household_create, person_create

_sequence = itertools.count(1)


def new_id_number(*, birth: datetime.date | None = None, male: bool = True, area: str = "") -> str:
    """A valid number not used before in this test run. 裕安区 (341503) exists from 1999;
    people born before carry the code of its predecessor 六安市 (342401)."""
    n = next(_sequence)
    birth = birth or datetime.date(1970, 5, 1) + datetime.timedelta(days=n // 499)
    area = area or ("341503" if birth.year >= 1999 else "342401")
    slot = n % 499 + 1
    return make_id_number(area, birth, 2 * slot - 1 if male else 2 * slot)


def make_person(actor: User, *, region_code: str, **fields: Any) -> Person:
    data: dict[str, Any] = {
        "id_number": new_id_number(),
        "name": "张三",
        "hukou_type": "rural",
        "region_code": region_code,
    }
    data.update(fields)
    return person_create(actor=actor, data=data)


def make_household(
    actor: User, *, region_code: str, head: Person | None = None, **fields: Any
) -> Household:
    head = head or make_person(actor, region_code=region_code)
    data = {"address": "安徽省六安市裕安区某村1号", "region_code": region_code}
    data.update(fields)
    return household_create(actor=actor, head=head, data=data, valid_from=datetime.date(2020, 1, 1))
