"""Stub (being written)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def py(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def reissue_queue(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def recovery_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def recovery_record(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
