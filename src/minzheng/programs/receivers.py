"""The case engine listening to the registry (connected in ProgramsConfig.ready)."""

from __future__ import annotations

import datetime
from typing import Any

from minzheng.core.models import User
from minzheng.registry.models import Person


def on_person_died(
    sender: Any, *, actor: User, person: Person, death_date: datetime.date, **kwargs: Any
) -> None:
    """A recorded death suspends the payments it ends and opens the reviews it calls for."""
    from minzheng.programs.services.reviews import person_death_recorded

    person_death_recorded(actor=actor, person=person, death_date=death_date)


def on_demo_loaded(
    sender: Any, *, county_code: str, seed: int, households: int, **kwargs: Any
) -> str:
    """`minzheng demo`: the demo county's standards and cases on the households just made."""
    from minzheng.programs.demo import demo_cases

    return demo_cases(county_code=county_code, seed=seed, count_hint=households).summary()
