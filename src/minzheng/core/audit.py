"""Writing audit events. Every service that changes business data calls `audit_record` inside
its transaction, so the event exists exactly when the change does."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.utils.functional import Promise

from minzheng.core.models import AuditEvent, User

# How events read in Chinese. Each app registers the actions it writes (and the keys of
# `changes` that are not fields of a model) from its AppConfig.ready(), so that the audit
# search, the dashboard and a household's history all say the same thing.
ACTION_LABELS: dict[str, Promise] = {}
CHANGE_LABELS: dict[str, Promise] = {}


def register_audit_labels(
    *, actions: dict[str, Promise], changes: dict[str, Promise] | None = None
) -> None:
    ACTION_LABELS.update(actions)
    CHANGE_LABELS.update(changes or {})


def action_label(action: str) -> str:
    """The action in the reader's language; actions of later modules show their code until
    they register a label."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def _plain(value: Any) -> Any:
    """A JSON-safe rendering of a field value (money stays exact as a string)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Model):
        return str(value.pk)
    return value


def snapshot(obj: Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of a row, keyed by attribute name (FKs by their id)."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: _plain(getattr(obj, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose values differ."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any,
    region_code: str,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.username if actor else "system",
        actor_role=actor.role if actor else "",
        actor_region_code=actor.region_id if actor else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code,
        changes={
            k: _plain(v) if not isinstance(v, list) else [_plain(x) for x in v]
            for k, v in (changes or {}).items()
        },
        reason=reason,
    )
