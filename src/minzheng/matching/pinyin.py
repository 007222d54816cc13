"""Pinyin of names for the probabilistic rules, computed by the engine rather than in Python:
a table of every CJK character pypinyin knows with its toneless reading (`py`) and an
accent-tolerant reading (`fz`), registered on the engine; names are split into characters in
SQL and joined to it. Building the table takes ~0.5 s once per process (41,595 characters);
pinyin for a million names in Python would take ~20 s.

Each character takes pypinyin's most common reading (单 -> dan, 曾 -> ceng), the same as
registry.names.pinyin_keys: wrong for display, consistent for comparison, since both sides
go through the same table. Homophones (张/章, 王/汪, 李明/黎明) get equal `py`.

`fz` folds the confusions of Jianghuai and southern Mandarin speakers, who register people by
ear: zh/ch/sh -> z/c/s, n -> l (initials), eng/ing -> en/in (finals). 陈/程 and 宁/林 have
equal `fz`, not equal `py`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

# Characters of a name read through the table, by position; the rest (names of seven or more
# characters, rare outside transliterated names) are compared as written.
NAME_CHARS = 6

# CJK Unified Ideographs, Extension A and the supplementary planes' ideographs.
_RANGES = ((0x3400, 0x9FFF), (0x20000, 0x3FFFF))


def fuzzy(syllable: str) -> str:
    """The accent-tolerant form of one toneless syllable: 'zheng' -> 'zen', 'ning' -> 'lin'."""
    s = syllable
    if s[:2] in ("zh", "ch", "sh"):
        s = s[0] + s[2:]
    elif s[:1] == "n" and s[:2] != "ng":
        s = "l" + s[1:]
    if s.endswith(("eng", "ing")):
        s = s[:-1]
    return s


@cache
def char_rows() -> tuple[tuple[str, str, str], ...]:
    """(character, toneless pinyin, fuzzy pinyin) for every ideograph pypinyin reads."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    rows = []
    for code in sorted(pinyin_dict):
        if not any(lo <= code <= hi for lo, hi in _RANGES):
            continue
        ch = chr(code)
        py = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
        if py and py[0].isascii() and py[0].isalpha():
            rows.append((ch, py[0].lower(), fuzzy(py[0].lower())))
    return tuple(rows)


def char_table() -> Any:
    """The character table as a pyarrow Table (ch, py, fz)."""
    import pyarrow as pa

    rows = char_rows()
    return pa.table(
        {
            "ch": [r[0] for r in rows],
            "py": [r[1] for r in rows],
            "fz": [r[2] for r in rows],
        }
    )


def write_char_table(path: Path) -> Path:
    """Write the character table to Parquet at `path` (once; it never changes within a
    pypinyin version) and return the path."""
    import pyarrow.parquet as pq

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        pq.write_table(char_table(), tmp)
        tmp.replace(path)
    return path


@cache
def _char_map() -> dict[str, tuple[str, str]]:
    return {ch: (py, fz) for ch, py, fz in char_rows()}


def name_pinyin(name: str) -> tuple[str, str]:
    """(py, fz) of a name the way the SQL builds it: the readings of its first NAME_CHARS
    characters concatenated (a character the table does not know kept as it is), then the
    rest as written. For tests and the bench."""
    table = _char_map()
    head, rest = name[:NAME_CHARS], name[NAME_CHARS:]
    py = "".join(table.get(ch, (ch, ch))[0] for ch in head) + rest
    fz = "".join(table.get(ch, (ch, ch))[1] for ch in head) + rest
    return py, fz
