"""Stub (being written)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def template_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def template_edit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
