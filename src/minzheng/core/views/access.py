"""Who may open a page. Pages answer 404 (never 403) to a role that may not use them, as they do
for objects outside the user's scope, so that nothing about them leaks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from minzheng.core.models import Role, User
from minzheng.core.scope import can

NOT_FOR_ROLE = "页面不存在"

View = Callable[..., HttpResponseBase]


def current_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404(NOT_FOR_ROLE)
    return user


def roles_required(roles: set[Role]) -> Callable[[View], View]:
    """Log in first; then 404 unless the user's role is one of `roles`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not can(current_user(request), roles):
                raise Http404(NOT_FOR_ROLE)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator
