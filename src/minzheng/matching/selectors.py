"""Reads of 信息比对, always scoped to the user's region."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from minzheng.core.models import User
from minzheng.matching.models import ExternalDataset, MatchFlag, MatchRun


def datasets_for(user: User) -> QuerySet[ExternalDataset]:
    """Datasets of the user's county (a county-level user's scope)."""
    raise NotImplementedError


def runs_for(user: User) -> QuerySet[MatchRun]:
    """Runs of counties in the user's scope, or of the county containing a township user."""
    raise NotImplementedError


def flags_for(user: User) -> QuerySet[MatchFlag]:
    """Flags whose region_code is in the user's scope, with person/case/household/review."""
    raise NotImplementedError


def run_summary(run: MatchRun, user: User) -> dict[str, Any]:
    """Hit counts per rule and township (only the user's townships), open/confirmed/dismissed
    per rule with the confirmed and dismissed rates."""
    raise NotImplementedError


def matching_figures(user: User, *, year: int | None = None) -> dict[str, Any]:
    """Dashboard figures for the statistics issue: runs, flags raised/confirmed/dismissed/open
    by rule and township, 漏保 candidates referred, cases suspended or terminated on a match."""
    raise NotImplementedError
