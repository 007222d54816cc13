"""What the shared layout asks of the user: `{% if user|may:"audit" %}`, and which menu entry
is the current page. Abilities name the role sets of core.scope (later modules add theirs)."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from minzheng.core.models import Role
from minzheng.core.scope import (
    AUDIT_READERS,
    IMPORTERS,
    REGISTRY_EDITORS,
    REGISTRY_READERS,
    USER_ADMINS,
    can,
)

register = template.Library()

ABILITIES: dict[str, set[Role]] = {
    "registry": REGISTRY_READERS,
    "registry_edit": REGISTRY_EDITORS,
    "import": IMPORTERS,
    "regions": REGISTRY_READERS,
    "users": USER_ADMINS,
    "calendar": USER_ADMINS,
    "audit": AUDIT_READERS,
}


def register_abilities(abilities: dict[str, set[Role]]) -> None:
    """Each business app names its abilities from its AppConfig.ready() (core imports no app)."""
    ABILITIES.update(abilities)


@register.filter
def may(user: Any, ability: str) -> bool:
    """Whether the user's role may use a part of the platform (unknown abilities: no)."""
    roles = ABILITIES.get(ability)
    return roles is not None and can(user, roles)


@register.filter
def current_for(request: HttpRequest, prefix: str) -> str:
    """'page' when the request's path lies under `prefix` (for aria-current)."""
    path = request.path
    if prefix == "/":
        return "page" if path == "/" else ""
    return "page" if path.startswith(prefix) else ""
