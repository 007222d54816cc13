"""Search keys of a Chinese name: full pinyin and initials, so that `zs` and `zhangsan` find
张三. Every character takes pypinyin's common reading, surnames included (单 -> dan, not the
surname's shan): consistent for matching, so a clerk who types the common reading finds them."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=200_000)
def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower case ASCII, e.g. ("zhangsan", "zs")."""
    # Imported here: loading pypinyin's dictionaries costs ~0.2 s at every process start,
    # and most commands (user create, worker) never need it.
    from pypinyin import Style, lazy_pinyin

    syllables = [s for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore") if s]
    full = "".join(syllables).lower()
    initials = "".join(s[0] for s in syllables).lower()
    return full[:200], initials[:50]
