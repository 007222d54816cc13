"""Matching listening to the registry's demo (connected in MatchingConfig.ready)."""

from __future__ import annotations

from typing import Any


def on_demo_loaded(
    sender: Any, *, county_code: str, seed: int, households: int, **kwargs: Any
) -> str:
    """`minzheng demo`: the departments' deliveries, a match run and two worked flags (after the
    cases' and payments' demo, whose receivers are connected before this one)."""
    from minzheng.matching.demo import demo_matching

    return demo_matching(county_code=county_code, seed=seed).summary()
