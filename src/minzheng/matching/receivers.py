"""信息比对 listening to the case engine (connected in MatchingConfig.ready)."""

from __future__ import annotations

from typing import Any

from minzheng.core.models import User
from minzheng.programs.models import Review, ReviewKind


def on_review_completed(
    sender: Any, *, actor: User | None, review: Review, outcome: str, **kwargs: Any
) -> None:
    """A data-matching review concluded on the case page concludes its flag."""
    if review.kind != ReviewKind.DATA_MATCHING:
        return
    from minzheng.matching.services.flags import flag_review_completed

    flag_review_completed(actor=actor, review=review, outcome=outcome)
