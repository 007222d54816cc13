"""Rows of the registry's Excel exports. The caller passes a queryset already limited to the
user's scope and filtered as on the page; numbers are masked as on the page."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from minzheng.core.models import User
from minzheng.registry import selectors
from minzheng.registry.models import Household, Person

CHUNK = 2000
T = TypeVar("T")

PERSON_HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "年龄",
    "身份证号码",
    "民族",
    "户籍性质",
    "户籍所在地",
    "联系电话",
    "残疾类别",
    "残疾等级",
    "所在家庭户主",
]
HOUSEHOLD_HEADERS = [
    "户主",
    "户主身份证号码",
    "所在村(社区)",
    "区划代码",
    "家庭住址",
    "现有成员数",
    "开户银行",
    "账户名",
    "银行账号",
]


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def person_rows(user: User, persons: QuerySet[Person]) -> Iterator[list[Any]]:
    """One row per person, looked up a chunk at a time (regions, current household)."""
    today = timezone.localdate()
    for chunk in _chunks(persons.iterator(chunk_size=CHUNK)):
        regions = selectors.region_names(p.region_code for p in chunk)
        households = selectors.current_households_of(chunk)
        for p in chunk:
            h = households.get(p.pk)
            yield [
                p.name,
                p.get_sex_display(),
                p.birth_date,
                p.age_on(today),
                selectors.display_id_number(user, p.id_number),
                p.ethnicity,
                p.get_hukou_type_display(),
                regions.get(p.region_code, p.region_code),
                p.phone,
                p.get_disability_category_display() if p.disability_category else "",
                p.disability_grade or "",
                h.head.name if h is not None and h.head is not None else "",
            ]


def household_rows(user: User, households: QuerySet[Household]) -> Iterator[list[Any]]:
    for chunk in _chunks(households.iterator(chunk_size=CHUNK)):
        regions = selectors.region_names(h.region_code for h in chunk)
        counts = selectors.household_member_counts(h.pk for h in chunk)
        for h in chunk:
            yield [
                h.head.name if h.head else "",
                selectors.display_id_number(user, h.head.id_number) if h.head else "",
                regions.get(h.region_code, ""),
                h.region_code,
                h.address,
                counts.get(h.pk, 0),
                h.bank_name,
                h.bank_account_name,
                selectors.display_bank_account(user, h.bank_account_number),
            ]
