"""Editing a rule's settings for a county (on/off, threshold, deadline)."""

from __future__ import annotations

from decimal import Decimal

from minzheng.core.models import User
from minzheng.matching.models import MatchRule


def rule_update(
    *,
    actor: User,
    code: str,
    enabled: bool,
    threshold: Decimal | None,
    due_days: int | None,
    note: str = "",
) -> MatchRule:
    """Set the actor's county's row of the rule (created on first edit), audited with the
    before/after values. MatchingError for an unknown rule, a threshold on a rule without
    one, due_days outside 1..90."""
    raise NotImplementedError


def rule_settings(code: str, region_code: str) -> MatchRule:
    """The effective settings of a rule for a county: its own row, else the default row, else
    an unsaved row with the rule's defaults."""
    raise NotImplementedError
