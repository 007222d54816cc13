from typing import Any

from django.http import HttpRequest


def layout(request: HttpRequest) -> dict[str, Any]:
    """What the shared layout needs: the user's role label and region in scope."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"scope_region": user.region, "role_label": user.role_label}
