"""Fixtures of the payments tests (the case engine's standards, a paying county)."""

from __future__ import annotations

import pytest

from tests.payments.support import PayingWorld, paying_world
from tests.programs.conftest import standards  # noqa: F401  (a fixture, re-exported)


@pytest.fixture
def world(personas, standards) -> PayingWorld:  # noqa: F811
    """Nine paying 低保 cases in three villages of two townships, since January 2026."""
    return paying_world(personas.county_officer)
