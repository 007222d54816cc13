"""What every registry view shares: the signed-in user, role checks, htmx fragments, paging,
and putting service errors on forms inside a transaction that rolls back."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar, cast

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme

from minzheng.core.models import Role, User
from minzheng.core.scope import REGISTRY_EDITORS, REGISTRY_READERS, can
from minzheng.registry.forms import apply_service_errors

PAGE_SIZE = 20
# Lists count at most this many rows: an exact total over a county's million persons costs a
# full index scan on every keystroke, and nobody pages past page 100 (they narrow the search).
COUNT_CAP = 2000
M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponseBase]


def current_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def requires(roles: set[Role]) -> Callable[[View], View]:
    """Signed-in users only (others go to the login page); a role without the verb gets 403.
    Objects outside the user's scope are the selectors' business: they answer 404."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(current_user(request), roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


reader = requires(REGISTRY_READERS)
editor = requires(REGISTRY_EDITORS)


def is_fragment(request: HttpRequest) -> bool:
    """An htmx request for a part of the page (not a boosted navigation, and not htmx
    restoring a page from history, which needs the whole page)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_page(
    request: HttpRequest, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """The whole page, or only its `partial` for htmx. The response varies on HX-Request so
    that a browser never shows a cached fragment as the page (back button, pushed URLs)."""
    name = f"{template}#{partial}" if is_fragment(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator that counts no further than COUNT_CAP (`capped` says there are more)."""

    @cached_property
    def _counted(self) -> int:
        items = cast("QuerySet[Any]", self.object_list)
        return items[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP


def paginate(request: HttpRequest, items: QuerySet[M]) -> Page[M]:
    return CappedPaginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def day_param(request: HttpRequest, name: str) -> datetime.date:
    """A date from the query string (ISO 8601), today when missing or unreadable."""
    try:
        return datetime.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return timezone.localdate()


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a form: the `next` parameter when it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class FormErrors(Exception):
    """A service refused the input; the errors are on the form and the transaction around the
    actions rolls back."""


@contextmanager
def errors_to(form: forms.BaseForm, aliases: Mapping[str, str] | None = None) -> Iterator[None]:
    try:
        yield
    except ValidationError as e:
        apply_service_errors(form, e, aliases)
        raise FormErrors from e
