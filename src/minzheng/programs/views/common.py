"""What every case page shares: role checks (403 for a role without the verb, 404 outside the
scope, as in the registry), the registry's htmx and paging helpers, and how a service's
CaseError lands on a form."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django import forms
from django.http.response import HttpResponseBase
from django.utils import timezone

from minzheng.core.models import Role, User
from minzheng.core.workdays import CalendarUnknownYear, working_days_between
from minzheng.programs.permissions import (
    CASE_ACCEPTORS,
    CASE_READERS,
    CASE_SUPERVISORS,
    ONLINE_APPLICANTS,
    STANDARD_EDITORS,
)
from minzheng.programs.services.errors import NON_FIELD, CaseError
from minzheng.registry.views.common import requires

View = Callable[..., HttpResponseBase]

# 超期督办: the county bureau watches every township's deadlines.
SUPERVISORS = CASE_SUPERVISORS
APPLICATION_TAKERS = CASE_ACCEPTORS | ONLINE_APPLICANTS


case_reader = requires(CASE_READERS)
application_taker = requires(APPLICATION_TAKERS)
supervisor = requires(SUPERVISORS)
standard_editor = requires(STANDARD_EDITORS)


def add_case_errors(
    form: forms.BaseForm, error: CaseError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's CaseError under the form fields it names (the rest on top)."""
    for key, messages in error.errors.items():
        name = (aliases or {}).get(key, key)
        field = name if name != NON_FIELD and name in form.fields else None
        for message in messages:
            form.add_error(field, message)


def overdue_days(due_on: datetime.date | None, day: datetime.date) -> tuple[int, bool]:
    """(working days past the deadline, whether the count is provisional): 0 when not overdue.
    Across a year whose holidays are not known yet the count is Monday to Friday."""
    if due_on is None or due_on >= day:
        return 0, False
    try:
        return working_days_between(due_on, day), False
    except CalendarUnknownYear:
        n, d = 0, due_on
        while d < day:
            d += datetime.timedelta(days=1)
            if d.weekday() < 5:
                n += 1
        return n, True


def today() -> datetime.date:
    return timezone.localdate()


def may(user: User, roles: set[Role] | set[str]) -> bool:
    return bool(user.is_authenticated and user.role in roles)
