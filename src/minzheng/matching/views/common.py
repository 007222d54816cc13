"""What the 信息比对 pages share: who may read and act (403 for a role without the verb; 404
outside the scope is the selectors' business), how a MatchingError lands on a form, status
tags, and the deadline of a flag."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from minzheng.core.models import Role, User
from minzheng.matching.errors import MatchingError
from minzheng.matching.models import DatasetStatus, FlagStatus, RunStatus
from minzheng.matching.permissions import (
    DATASET_KEEPERS,
    DATASET_READERS,
    FLAG_WORKERS,
    MATCH_OPERATORS,
    MATCH_READERS,
    RULE_EDITORS,
)
from minzheng.programs.policies import program_label
from minzheng.programs.services.errors import NON_FIELD
from minzheng.programs.views.common import overdue_days
from minzheng.registry.views.common import requires

CONFLICT_STATUS = 409
EXPORT = "xlsx"

match_reader = requires(MATCH_READERS)
dataset_reader = requires(DATASET_READERS)
dataset_keeper = requires(DATASET_KEEPERS)
match_operator = requires(MATCH_OPERATORS)
flag_worker = requires(FLAG_WORKERS)
rule_editor = requires(RULE_EDITORS)


def may(user: User, roles: set[Role]) -> bool:
    return bool(user.is_authenticated and user.role in roles)


def wants_export(request: HttpRequest) -> bool:
    return request.GET.get("export") == EXPORT


def add_matching_errors(form: forms.BaseForm, error: MatchingError) -> list[str]:
    """Put a MatchingError's messages under the fields it names; the rest are returned (the
    page shows them above the form)."""
    rest: list[str] = []
    for key, texts in error.errors.items():
        if key != NON_FIELD and key in form.fields and not form.fields[key].widget.is_hidden:
            for text in texts:
                form.add_error(key, text)
        else:
            rest.extend(texts)
    return rest


DATASET_TAGS: dict[str, str] = {
    DatasetStatus.ACTIVE: "ok",
    DatasetStatus.VALIDATING: "soon",
    DatasetStatus.UPLOADED: "info",
    DatasetStatus.REFUSED: "late",
    DatasetStatus.FAILED: "late",
}
RUN_TAGS: dict[str, str] = {
    RunStatus.DONE: "ok",
    RunStatus.RUNNING: "soon",
    RunStatus.QUEUED: "soon",
    RunStatus.FAILED: "late",
    RunStatus.CANCELLED: "warn",
}
FLAG_TAGS: dict[str, str] = {FlagStatus.CONFIRMED: "warn", FlagStatus.DISMISSED: "ok"}


def dataset_tag(status: str) -> str:
    return DATASET_TAGS.get(status, "")


def run_tag(status: str) -> str:
    return RUN_TAGS.get(status, "info")


def flag_tag(status: str) -> str:
    return FLAG_TAGS.get(status, "info")


def late(due_on: datetime.date | None, day: datetime.date, is_open: bool) -> tuple[int, bool]:
    """(working days past the deadline, provisional) of an open flag; (0, False) otherwise."""
    return overdue_days(due_on, day) if is_open else (0, False)


# Programs a flag may name that are not (yet) run on this platform's case engine: the rolls
# other departments keep, and the ones a 漏保 candidate should join.
OTHER_PROGRAMS: dict[str, Any] = {
    "age_allowance": _("高龄津贴"),
    "disability_care": _("重度残疾人护理补贴"),
    "dibao_edge": _("低保边缘家庭"),
    "dibao": _("城乡最低生活保障"),
}


def program_name(code: str) -> str:
    """A program's name in the active language (the case engine's, else one of the others)."""
    if code in OTHER_PROGRAMS:
        return str(OTHER_PROGRAMS[code])
    return program_label(code) if code else ""


def user_label(user: Any) -> str:
    if user is None:
        return ""
    return str(getattr(user, "full_name", "") or getattr(user, "username", ""))
