"""Division codes (区划代码): 12 digits = province 2 + city 2 + county 2 + township 3 + village 3.

A code's level is read from its trailing zeros; its scope prefix is the significant part, so that
every code beneath it starts with that prefix (341503 is the county, 341503100 one of its towns).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

CODE_LENGTH = 12
# level -> number of significant digits
LEVEL_DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
LEVEL_NAMES = {1: "省", 2: "市", 3: "县(区)", 4: "乡镇(街道)", 5: "村(社区)"}


class RegionCodeError(ValueError):
    pass


def normalize_code(code: str) -> str:
    """Pad a 2/4/6/9/12-digit division code to 12 digits, refusing anything else."""
    code = (code or "").strip()
    if not code.isdigit() or len(code) not in LEVEL_DIGITS.values():
        raise RegionCodeError(f"区划代码“{code}”应为2、4、6、9或12位数字")
    return code.ljust(CODE_LENGTH, "0")


def code_level(code: str) -> int:
    """1 province .. 5 village, from a 12-digit code."""
    for level in (5, 4, 3, 2):
        digits = LEVEL_DIGITS[level]
        lower = LEVEL_DIGITS[level - 1]
        if code[lower:digits].strip("0"):
            return level
    return 1


def code_prefix(code: str) -> str:
    """The significant digits of a 12-digit code: every code beneath it starts with them."""
    return code[: LEVEL_DIGITS[code_level(code)]]


def parent_code(code: str) -> str | None:
    level = code_level(code)
    if level == 1:
        return None
    return code[: LEVEL_DIGITS[level - 1]].ljust(CODE_LENGTH, "0")


def prefix_q(field: str, prefix: str) -> Q:
    """A Q object keeping rows whose `field` starts with `prefix` ("" keeps everything).

    Written so that each database answers it from a plain index: PostgreSQL's LIKE 'p%' uses the
    varchar_pattern_ops index Django adds beside every indexed CharField, whatever the collation;
    SQLite's LIKE is case-insensitive and skips indexes, but a range in its binary (code point)
    order uses one."""
    if not prefix:
        return Q()
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})
