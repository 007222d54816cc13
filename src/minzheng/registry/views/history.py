"""Audit events read as a clerk would tell them: who, when, which action (in Chinese), and for
each changed field its Chinese name with the value before and after. Codes are shown by their
labels, region codes by their names, ID and account numbers masked as the reader's role
requires."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from minzheng.core.audit import CHANGE_LABELS, action_label
from minzheng.core.models import AuditEvent, Role, User
from minzheng.registry import selectors
from minzheng.registry.models import Household, Membership, Person
from minzheng.registry.views.presenters import EMPTY, choice_label

ID_KEYS = {"id_number", "member", "head"}
FACT_ACTIONS = {"household.member_add", "household.member_remove", "person.death"}
MODELS: dict[str, type[Model]] = {"Person": Person, "Household": Household}


@dataclass
class Change:
    label: str
    before: str
    after: str

    @property
    def value(self) -> str:
        """The one value worth showing for an event that states facts rather than edits."""
        return self.after if self.after != EMPTY else self.before


@dataclass
class HistoryEntry:
    at: datetime.datetime
    actor: str
    role: str
    action: str
    subject: str  # whose record, for events on a member's own record
    changes: list[Change]
    reason: str
    states_facts: bool  # a creation, a member joining or leaving: no "before" to compare


def _field(model: type[Model], key: str) -> Any:
    for m in (model, Membership):
        try:
            return m._meta.get_field(key)
        except FieldDoesNotExist:
            continue
    return None


class _Reader:
    """Renders values for one user, with the names it knows (regions, ID numbers)."""

    def __init__(self, user: User, events: list[AuditEvent]) -> None:
        self.user = user
        codes = {
            str(v)
            for e in events
            for k, pair in e.changes.items()
            if k == "region_code" and isinstance(pair, list)
            for v in pair
            if v
        }
        self.regions = selectors.region_names(codes)
        numbers = {
            str(v)
            for e in events
            for k, pair in e.changes.items()
            if k in ID_KEYS and isinstance(pair, list)
            for v in pair
            if v
        }
        self.people = dict(
            Person.objects.filter(id_number__in=numbers).values_list("id_number", "name")
        )

    def label(self, model: type[Model], key: str) -> str:
        if key in CHANGE_LABELS:
            return str(CHANGE_LABELS[key])
        f = _field(model, key)
        return str(f.verbose_name) if f is not None else key

    def value(self, model: type[Model], key: str, value: Any) -> str:
        if value in (None, ""):
            return EMPTY
        if key in ID_KEYS:
            name = self.people.get(str(value), "")
            shown = selectors.display_id_number(self.user, str(value))
            return f"{name}({shown})" if name else shown
        if key == "region_code":
            return f"{self.regions.get(str(value), '')}({value})"
        if key == "bank_account_number":
            return selectors.display_bank_account(self.user, str(value))
        f = _field(model, key)
        if f is not None and getattr(f, "choices", None):
            return choice_label(f.model, key, value)
        if isinstance(value, bool):
            return str(_("是") if value else _("否"))
        return str(value)


def _field_order(model: type[Model]) -> dict[str, int]:
    """Changes are listed in the order of the record's fields (as the form shows them)."""
    names = [f.name for f in model._meta.fields]
    return {name: i for i, name in enumerate(names)}


def history_entries(user: User, events: Iterable[AuditEvent]) -> list[HistoryEntry]:
    events = list(events)
    reader = _Reader(user, events)
    person_names = dict(
        Person.objects.filter(
            pk__in=[int(e.object_id) for e in events if e.object_type == "Person"]
        ).values_list("pk", "name")
    )
    entries = []
    for e in events:
        model = MODELS.get(e.object_type, Household)
        changes = [
            Change(
                reader.label(model, key),
                reader.value(model, key, pair[0]),
                reader.value(model, key, pair[1]),
            )
            for key, pair in sorted(
                e.changes.items(), key=lambda kv: _field_order(model).get(kv[0], 99)
            )
            if isinstance(pair, list) and len(pair) == 2 and (pair[0] or pair[1])
        ]
        actor = e.actor.full_name if e.actor and e.actor.full_name else e.actor_username
        entries.append(
            HistoryEntry(
                at=e.at,
                actor=actor,
                role=str(Role(e.actor_role).label) if e.actor_role in Role.values else "",
                action=action_label(e.action),
                subject=person_names.get(int(e.object_id), "") if e.object_type == "Person" else "",
                changes=changes,
                reason=e.reason,
                states_facts=e.action in FACT_ACTIONS or e.action.endswith(".create"),
            )
        )
    return entries
