"""Guessing which heading of a delivered file holds which canonical column, from the schema's
aliases, and checking a mapping chosen on the screen."""

from __future__ import annotations

import re

from minzheng.matching.intake.messages import FILE_HEADING_MISSING
from minzheng.matching.schemas import Column, DatasetSchema

_SPACES = re.compile(r"[\s\u3000\u00a0\ufeff]+")
_UNIT = re.compile(r"[(（][^()（）]*[)）]$")

MAPPING_REQUIRED = "请为必填项“{label}”选择文件中的列"
MAPPING_UNKNOWN_COLUMN = "“{name}”不是{kind}数据的字段"


def normalize_heading(text: object) -> str:
    """A heading as compared with aliases: no spaces (full-width ones too), lower case."""
    return _SPACES.sub("", str(text or "")).casefold()


def _keys(column: Column) -> list[str]:
    keys = [normalize_heading(a) for a in column.aliases]
    keys += [normalize_heading(column.label), normalize_heading(column.name)]
    return [k for k in dict.fromkeys(keys) if k]


def heading_column(schema: DatasetSchema, heading: object) -> Column | None:
    """The schema column a heading names (by an alias, its label or name), if any; a unit in
    brackets at the end is ignored ("车辆价值(元)" names `value`)."""
    text = normalize_heading(heading)
    for candidate in dict.fromkeys((text, _UNIT.sub("", text))):
        if not candidate:
            continue
        for column in schema.columns:
            if candidate in _keys(column):
                return column
    return None


def alias_hits(schema: DatasetSchema, cells: list[str]) -> int:
    """How many cells of a row are headings of the schema (the header row has at least 2)."""
    return sum(1 for cell in cells if heading_column(schema, cell) is not None)


def guess_mapping(schema: DatasetSchema, headers: list[str]) -> dict[str, str]:
    """Canonical column -> heading ("" when none matches). Each heading is used once; for each
    column the heading matching its earliest alias wins."""
    normalized = [normalize_heading(h) for h in headers]
    stripped = [_UNIT.sub("", h) for h in normalized]
    used: set[int] = set()
    mapping: dict[str, str] = {}
    for column in schema.columns:
        mapping[column.name] = ""
        for key in _keys(column):
            index = next(
                (
                    i
                    for i in range(len(headers))
                    if i not in used and key in (normalized[i], stripped[i])
                ),
                None,
            )
            if index is not None:
                used.add(index)
                mapping[column.name] = headers[index]
                break
    return mapping


def mapping_errors(schema: DatasetSchema, headers: list[str], mapping: dict[str, str]) -> list[str]:
    """Chinese messages: each required column left unmapped, each heading the file lacks, each
    key that is not a column of the schema. Empty when the mapping can be used."""
    names = set(schema.names)
    present = set(headers)
    return [
        *(
            MAPPING_UNKNOWN_COLUMN.format(name=name, kind=schema.label)
            for name in mapping
            if name not in names
        ),
        *(
            MAPPING_REQUIRED.format(label=column.label)
            for column in schema.columns
            if column.required and not (mapping.get(column.name) or "").strip()
        ),
        *(
            FILE_HEADING_MISSING.format(heading=heading)
            for name, heading in mapping.items()
            if heading and name in names and heading not in present
        ),
    ]
