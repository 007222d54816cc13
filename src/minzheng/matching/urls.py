"""Pages of 信息比对 under /matching/ (views/)."""

from django.urls import path  # noqa: F401

app_name = "matching"

urlpatterns: list = []  # type: ignore[type-arg]
