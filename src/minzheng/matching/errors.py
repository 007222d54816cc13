"""Matching's errors: a MatchingError carries Chinese messages by field, as a form shows them
(pages re-render the form, the API answers 400); MatchingConflict is a 409."""

from __future__ import annotations

from minzheng.programs.services.errors import CaseConflict, CaseError


class MatchingError(CaseError):
    """A business rule refused the action (same shape as the case engine's errors)."""


class MatchingConflict(CaseConflict):
    """Someone else changed the dataset, run or flag first."""
