"""Template helpers of the registry pages."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django import template
from django.core.paginator import Page

register = template.Library()


@register.simple_tag
def page_links(page: Page[Any]) -> list[int | str]:
    """Page numbers around the current page, with the first and last and "…" between."""
    pages: Iterator[int | str] = page.paginator.get_elided_page_range(
        page.number, on_each_side=2, on_ends=1
    )
    return list(pages)


@register.filter
def yuan(value: Decimal | None) -> str:
    """An amount in yuan with two decimals and thousands separators; "" for none."""
    if value is None:
        return ""
    return f"{value:,.2f}"
