"""Stub (being written)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def py(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def fund_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def fund_create(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def fund_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def fund_entry_add(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
