"""What every matching endpoint shares: the role checks (matching/permissions.py), the caller's
county, and how the services' refusals become HTTP answers (MatchingError 400 with its field
errors, MatchingConflict 409, a role refusal 403)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework.exceptions import PermissionDenied, ValidationError

from minzheng.core.api import ROLE_NOT_ALLOWED, Conflict, roles_required
from minzheng.core.models import User
from minzheng.matching.errors import MatchingConflict, MatchingError
from minzheng.matching.permissions import (
    DATASET_KEEPERS,
    DATASET_READERS,
    FLAG_WORKERS,
    MATCH_OPERATORS,
    MATCH_READERS,
    RULE_EDITORS,
)
from minzheng.programs.services.cases import NOT_ALLOWED
from minzheng.programs.services.errors import NON_FIELD

MatchReaders = roles_required(MATCH_READERS, "MatchReaders")
DatasetReaders = roles_required(DATASET_READERS, "DatasetReaders")
DatasetKeepers = roles_required(DATASET_KEEPERS, "DatasetKeepers")
MatchOperators = roles_required(MATCH_OPERATORS, "MatchOperators")
FlagWorkers = roles_required(FLAG_WORKERS, "FlagWorkers")
RuleEditors = roles_required(RULE_EDITORS, "RuleEditors")

_ROLE_REFUSALS = ({NON_FIELD: [ROLE_NOT_ALLOWED]}, {NON_FIELD: [NOT_ALLOWED]})


def county_of(user: User) -> str:
    """The county (区县) of the caller's region: datasets, runs and rule settings are a
    county's."""
    return user.region_id[:6] + "000000"


@contextmanager
def matching_errors(rename: dict[str, str] | None = None) -> Iterator[None]:
    """Answer the services' refusals: MatchingError 400 with its field errors ("__all__"
    becomes non_field_errors; `rename` maps a service's key to the request's field),
    MatchingConflict 409, a role refusal 403."""
    try:
        yield
    except MatchingError as e:
        if e.errors in _ROLE_REFUSALS:
            raise PermissionDenied(e.message) from None
        raise ValidationError({(rename or {}).get(k, k): v for k, v in e.errors.items()}) from None
    except MatchingConflict as e:
        raise Conflict(e.message) from None


@contextmanager
def state_conflicts() -> Iterator[None]:
    """A refusal that names no field is the object's state (a dataset being validated cannot
    be mapped again): someone changed it first, 409."""
    try:
        yield
    except MatchingError as e:
        if set(e.errors) == {NON_FIELD} and e.errors not in _ROLE_REFUSALS:
            raise MatchingConflict(e.message) from None
        raise
