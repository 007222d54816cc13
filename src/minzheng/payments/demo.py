"""Demo data of payments (helper E fills this in)."""

from __future__ import annotations


def demo_payments(*, county_code: str, seed: int) -> str:
    return ""
