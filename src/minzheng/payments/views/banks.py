"""Stub (being written)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def bank_file_download(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def bank_return_upload(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def bank_return_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
