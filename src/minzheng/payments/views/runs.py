"""Stub (being written)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def run_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_start(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_progress(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_lines(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_check(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_approve(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_lock(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_send(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_regenerate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def run_cancel(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
