"""Search keys of a Chinese name: full pinyin and initials, so that `zs` and `zhangsan` find
张三. Surnames use pypinyin's surname style where it knows one (单 -> shan)."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=200_000)
def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower case ASCII, e.g. ("zhangsan", "zs")."""
    syllables = [s for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore") if s]
    full = "".join(syllables).lower()
    initials = "".join(s[0] for s in syllables).lower()
    return full[:200], initials[:50]
