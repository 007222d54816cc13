"""Fixtures of the shared kernel's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from tests.conftest import Personas


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """The working-day calendar caches each year's CalendarDay rows in the process-wide cache;
    a test's rows are rolled back without a signal, so no cached table may outlive a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def system_admin_client(personas: Personas) -> Client:
    """The test client logged in as the county's system administrator, who reaches the admin
    site as `user_create` would have made him: staff, not superuser."""
    personas.system_admin.is_staff = True
    personas.system_admin.save(update_fields=["is_staff"])
    client = Client()  # not the `client` fixture: a test may use both, as different people
    client.force_login(personas.system_admin)
    return client
