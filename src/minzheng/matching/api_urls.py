"""API of 信息比对 under /api/v1/ (apis/)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # type: ignore[type-arg]
