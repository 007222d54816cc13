"""Audit events as a clerk reads them: who, when, what, on which object, in which region.

Actions of later modules show their code until they add a label to ACTION_LABELS."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from minzheng.core.audit import ACTION_LABELS, CHANGE_LABELS, action_label
from minzheng.core.models import AuditEvent, Role, User
from minzheng.core.regions import prefix_q
from minzheng.core.scope import USER_ADMINS, can
from minzheng.core.selectors import region_names

# object_type -> (app label, model name, related rows to fetch for its str())
OBJECT_MODELS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "Person": ("registry", "Person", ()),
    "Household": ("registry", "Household", ("head",)),
    "Declaration": ("registry", "Declaration", ("household__head",)),
    "ImportJob": ("registry", "ImportJob", ()),
    "User": ("core", "User", ()),
    "Region": ("core", "Region", ()),
    "CalendarDay": ("core", "CalendarDay", ()),
    "case": ("programs", "Case", ()),
    "tipoff": ("programs", "TipOff", ()),
    "relative_filing": ("programs", "RelativeFiling", ()),
    "standard": ("programs", "Standard", ()),
}
OBJECT_LABELS: dict[str, Promise] = {
    "Person": _("居民"),
    "Household": _("家庭"),
    "Declaration": _("经济状况申报"),
    "ImportJob": _("导入任务"),
    "User": _("用户"),
    "Region": _("行政区划"),
    "CalendarDay": _("节假日调整"),
    "case": _("救助案件"),
    "tipoff": _("举报投诉"),
    "relative_filing": _("近亲属备案"),
    "standard": _("救助标准"),
}
# object_type -> URL name of its page (a page only when the object is in the viewer's scope)
OBJECT_URLS = {
    "Person": "registry:person_detail",
    "Household": "registry:household_detail",
    "User": "user_edit",
    "case": "programs:case_detail",
}
# Where a changed field's label is looked up when the object's own model has no such field
# (a household event lists its member's or its declaration's fields).
RELATED_MODELS = [
    ("registry", "Person"),
    ("registry", "Membership"),
    ("registry", "Declaration"),
    ("programs", "Case"),
    ("programs", "Step"),
]
SYSTEM_ACTOR = _("系统")
SCOPE_FIELDS = {
    "Person": "region_code",
    "Household": "region_code",
    "ImportJob": "region_code",
    "User": "region__code",
    "case": "region_code",
    "tipoff": "region_code",
    "relative_filing": "region_code",
}
MAX_FIELDS_SHOWN = 6


@dataclass(frozen=True)
class EventLine:
    event: AuditEvent
    at: datetime.datetime
    who: str
    role: str
    action: str
    object_label: str
    object_name: str
    region_name: str
    fields: str
    url: str = ""

    @property
    def reason(self) -> str:
        return self.event.reason


def action_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in ACTION_LABELS.items()]


def object_type_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in OBJECT_LABELS.items()]


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _model(object_type: str) -> type[Model] | None:
    spec = OBJECT_MODELS.get(object_type)
    if spec is None:
        return None
    try:
        return apps.get_model(spec[0], spec[1])
    except LookupError:
        return None


def field_label(object_type: str, name: str) -> str:
    if name in CHANGE_LABELS:
        return str(CHANGE_LABELS[name])
    own = _model(object_type)
    models = [own] if own is not None else []
    for app_label, model_name in RELATED_MODELS:
        try:
            models.append(apps.get_model(app_label, model_name))
        except LookupError:
            continue
    for model in models:
        try:
            found = model._meta.get_field(name.removesuffix("_id"))
        except FieldDoesNotExist:
            continue
        return str(getattr(found, "verbose_name", name))
    return name


def _object_names(user: User, events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """str() of the objects the events name, fetched per type in one query and within the
    user's scope (an object since moved out of scope shows only its number)."""
    wanted: dict[str, set[str]] = {}
    for e in events:
        wanted.setdefault(e.object_type, set()).add(e.object_id)
    names: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        model = _model(object_type)
        if model is None:
            continue
        qs = model._default_manager.select_related(*OBJECT_MODELS[object_type][2])
        if object_type in SCOPE_FIELDS:
            qs = qs.filter(prefix_q(SCOPE_FIELDS[object_type], user.scope_prefix))
        for obj in qs.filter(pk__in=[i for i in ids if _is_key(model, i)]):
            names[(object_type, str(obj.pk))] = str(obj)
    return names


def _object_url(user: User, object_type: str, object_id: str) -> str:
    name = OBJECT_URLS.get(object_type)
    if name is None or (object_type == "User" and not can(user, USER_ADMINS)):
        return ""
    try:
        return reverse(name, args=[object_id])
    except NoReverseMatch:
        return ""


def _is_key(model: type[Model], value: str) -> bool:
    pk = model._meta.pk
    return pk is not None and (pk.get_internal_type() == "CharField" or value.isdigit())


def _fields_text(event: AuditEvent) -> str:
    changes: dict[str, Any] = event.changes or {}
    # sorted: PostgreSQL's jsonb keeps its own key order, SQLite the order written
    keys = sorted(k for k in changes if k not in {"id", "created_at", "updated_at"})
    shown = [field_label(event.object_type, k) for k in keys[:MAX_FIELDS_SHOWN]]
    more = "…" if len(keys) > MAX_FIELDS_SHOWN else ""
    return "、".join(shown) + more


def event_lines(*, user: User, events: list[AuditEvent]) -> list[EventLine]:
    objects = _object_names(user, events)
    regions = region_names({e.region_code for e in events})
    lines = []
    for e in events:
        who = (e.actor.full_name or e.actor.username) if e.actor else str(SYSTEM_ACTOR)
        key = (e.object_type, e.object_id)
        lines.append(
            EventLine(
                event=e,
                at=timezone.localtime(e.at),
                who=who,
                role=role_label(e.actor_role),
                action=action_label(e.action),
                object_label=str(OBJECT_LABELS.get(e.object_type, e.object_type)),
                object_name=objects.get(key, f"#{e.object_id}"),
                region_name=regions.get(e.region_code, e.region_code),
                fields=_fields_text(e),
                url=_object_url(user, *key) if key in objects else "",
            )
        )
    return lines
