"""Payments listening to the registry (connected in PaymentsConfig.ready)."""

from __future__ import annotations

from typing import Any


def on_demo_loaded(
    sender: Any, *, county_code: str, seed: int, households: int, **kwargs: Any
) -> str:
    """`minzheng demo`: fund accounts, bank templates and the last months' payroll runs."""
    from minzheng.payments.demo import demo_payments

    return demo_payments(county_code=county_code, seed=seed)
