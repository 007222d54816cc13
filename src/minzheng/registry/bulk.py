"""Set-based writes of many households at once (imports, the demo county, benchmarks).

The ORM is the slow path at this size (STACK-NOTES: bulk_create of 1M rows ~50 s). Here the
rows are validated beforehand by the caller; this module derives the search keys, assigns
primary keys up front, and writes persons, households, memberships and one audit event per
household with PostgreSQL COPY or SQLite executemany, inside the caller's transaction.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from minzheng.core.idnumbers import birth_date_of, sex_of
from minzheng.core.models import User
from minzheng.registry.models import JoinReason, Relationship
from minzheng.registry.names import pinyin_keys

PERSON_COLUMNS = [
    "id",
    "id_number",
    "id_number_reversed",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "hukou_type",
    "region_code",
    "marital_status",
    "education",
    "labour_capacity",
    "disability_category",
    "disability_grade",
    "disability_certificate",
    "serious_illness",
    "death_date",
    "created_at",
    "updated_at",
]
HOUSEHOLD_COLUMNS = [
    "id",
    "head_id",
    "address",
    "region_code",
    "bank_name",
    "bank_account_name",
    "bank_account_number",
    "created_at",
    "updated_at",
]
MEMBERSHIP_COLUMNS = [
    "household_id",
    "person_id",
    "relationship",
    "valid_from",
    "join_reason",
    "valid_to",
    "leave_reason",
]
AUDIT_COLUMNS = [
    "at",
    "actor_id",
    "actor_username",
    "actor_role",
    "actor_region_code",
    "action",
    "object_type",
    "object_id",
    "region_code",
    "changes",
    "reason",
]


@dataclass
class PersonRow:
    """A validated person: id_number is the normalized 18-digit number."""

    id_number: str
    name: str
    hukou_type: str
    region_code: str
    ethnicity: str = "汉族"
    phone: str = ""
    marital_status: str = ""
    education: str = ""
    labour_capacity: str = "full"
    disability_category: str = ""
    disability_grade: int | None = None
    disability_certificate: str = ""
    serious_illness: str = ""
    death_date: datetime.date | None = None


@dataclass
class HouseholdRow:
    """A validated household; members[0] is the head."""

    address: str
    region_code: str
    members: list[tuple[PersonRow, str]] = field(default_factory=list)  # (person, relationship)
    bank_name: str = ""
    bank_account_name: str = ""
    bank_account_number: str = ""


@dataclass(frozen=True)
class BulkResult:
    households: int
    persons: int


def reserve_ids(table: str, n: int) -> list[int]:
    """n fresh primary keys for `table`, reserved so that concurrent writers never collide."""
    if n == 0:
        return []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return [r[0] for r in cur.fetchall()]
        # SQLite: the write transaction (BEGIN IMMEDIATE) holds the database lock.
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed table name
        start = int(cur.fetchone()[0]) + 1
        return list(range(start, start + n))


def write_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    cols = ", ".join(columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            raw = cur.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608


def _chunks(rows: Sequence[HouseholdRow], size: int) -> Iterator[Sequence[HouseholdRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def households_bulk_create(
    *,
    households: Sequence[HouseholdRow],
    actor: User | None,
    valid_from: datetime.date,
    reason: str = "",
    chunk_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Write the households and their members. Must run inside a transaction (the caller's
    atomic block makes the whole import one unit). `progress(n)` is called after each chunk with
    the number of households written in it."""
    now = timezone.now()
    actor_fields = (
        actor.pk if actor else None,
        actor.username if actor else "system",
        actor.role if actor else "",
        actor.region_id if actor else "",
    )
    persons_total = 0
    for chunk in _chunks(households, chunk_size):
        n_persons = sum(len(h.members) for h in chunk)
        person_ids = iter(reserve_ids("registry_person", n_persons))
        household_ids = reserve_ids("registry_household", len(chunk))
        person_rows: list[tuple[object, ...]] = []
        household_rows: list[tuple[object, ...]] = []
        membership_rows: list[tuple[object, ...]] = []
        audit_rows: list[tuple[object, ...]] = []
        for hid, h in zip(household_ids, chunk, strict=True):
            head_id = None
            for person, relationship in h.members:
                pid = next(person_ids)
                head_id = head_id or pid
                full, initials = pinyin_keys(person.name)
                person_rows.append(
                    (
                        pid,
                        person.id_number,
                        person.id_number[::-1],
                        person.name,
                        full,
                        initials,
                        sex_of(person.id_number),
                        birth_date_of(person.id_number),
                        person.ethnicity,
                        person.phone,
                        person.hukou_type,
                        person.region_code,
                        person.marital_status,
                        person.education,
                        person.labour_capacity,
                        person.disability_category,
                        person.disability_grade,
                        person.disability_certificate,
                        person.serious_illness,
                        person.death_date,
                        now,
                        now,
                    )
                )
                membership_rows.append(
                    (
                        hid,
                        pid,
                        relationship if head_id != pid else Relationship.HEAD.value,
                        valid_from,
                        JoinReason.FOUNDING.value,
                        None,
                        "",
                    )
                )
            household_rows.append(
                (
                    hid,
                    head_id,
                    h.address,
                    h.region_code,
                    h.bank_name,
                    h.bank_account_name,
                    h.bank_account_number,
                    now,
                    now,
                )
            )
            changes = {
                "head": [None, h.members[0][0].id_number],
                "members": [None, len(h.members)],
                "address": [None, h.address],
                "region_code": [None, h.region_code],
            }
            audit_rows.append(
                (
                    now,
                    *actor_fields,
                    "household.create",
                    "Household",
                    str(hid),
                    h.region_code,
                    json.dumps(changes, ensure_ascii=False),
                    reason,
                )
            )
        write_rows("registry_person", PERSON_COLUMNS, person_rows)
        write_rows("registry_household", HOUSEHOLD_COLUMNS, household_rows)
        write_rows("registry_membership", MEMBERSHIP_COLUMNS, membership_rows)
        write_rows("core_auditevent", AUDIT_COLUMNS, audit_rows)
        persons_total += n_persons
        if progress:
            progress(len(chunk))
    return BulkResult(households=len(households), persons=persons_total)
