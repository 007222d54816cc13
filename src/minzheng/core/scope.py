"""Data scope: a user sees and changes only what lies beneath the user's region.

Every selector passes its queryset through `scoped()`; every service checks `require_in_scope()`
before it writes. Outside the scope an object simply does not exist for the user (pages and the
API answer 404, never 403, so that nothing about other regions leaks)."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from minzheng.core.models import Role, User
from minzheng.core.regions import prefix_q

M = TypeVar("M", bound=Model)

OUT_OF_SCOPE = "该记录不在您的管辖范围内"


def scoped(qs: QuerySet[M], user: User, field: str = "region_code") -> QuerySet[M]:
    """Keep only the rows whose `field` (a 12-digit region code) lies in the user's scope."""
    return qs.filter(prefix_q(field, user.scope_prefix))


def in_scope(user: User, region_code: str) -> bool:
    return region_code.startswith(user.scope_prefix)


def require_in_scope(user: User, region_code: str) -> None:
    """Raise Http404 (pages, API) when the region lies outside the user's scope."""
    if not in_scope(user, region_code):
        raise Http404(OUT_OF_SCOPE)


# What each role may do. Reads are further limited by scope; these are the verbs.
REGISTRY_EDITORS = {
    Role.VILLAGE_ASSISTANT,
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_LEADER,
    Role.COUNTY_OFFICER,
    Role.SYSTEM_ADMIN,
}
REGISTRY_READERS = REGISTRY_EDITORS | {Role.COUNTY_LEADER, Role.AUDITOR, Role.HOSPITAL_CLERK}
IMPORTERS = {Role.TOWNSHIP_CLERK, Role.COUNTY_OFFICER, Role.SYSTEM_ADMIN}
USER_ADMINS = {Role.SYSTEM_ADMIN}
AUDIT_READERS = {Role.AUDITOR, Role.SYSTEM_ADMIN, Role.COUNTY_LEADER}
# Roles that see identity numbers in full; everyone else sees 341503********1234.
FULL_ID_VIEWERS = {
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_LEADER,
    Role.COUNTY_OFFICER,
    Role.COUNTY_LEADER,
    Role.AUDITOR,
    Role.SYSTEM_ADMIN,
}


def can(user: User, roles: set[Role]) -> bool:
    return bool(user.is_authenticated and user.role in roles)
