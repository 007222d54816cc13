"""Stub (being written)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def py(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def village_payroll_pdf(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def person_payments(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def household_payments(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
