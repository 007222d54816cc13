"""Writing the demo county: regions, households (set-based, through registry.bulk), their
declarations, the membership changes since the registry was set up, and one user per role."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from minzheng.core.models import Region, Role, User
from minzheng.core.services.users import user_create
from minzheng.registry.bulk import (
    AUDIT_COLUMNS,
    households_bulk_create,
    reserve_ids,
    write_rows,
)
from minzheng.registry.demo import DemoHousehold, generate_households
from minzheng.registry.demo_declarations import birth_of
from minzheng.registry.demo_families import founding_date
from minzheng.registry.demo_regions import DEFAULT_SEED, ensure_demo_regions
from minzheng.registry.models import Person

DEMO_REASON = "演示数据"
# Documented in docs/demo.md: anyone can log in to a demo database, never load it in production.
DEMO_PASSWORD = "Minzheng-Demo-2026"  # noqa: S105

DECLARATION_COLUMNS = [
    "id",
    "household_id",
    "declared_on",
    "reference_months",
    "note",
    "created_at",
]
INCOME_COLUMNS = ["declaration_id", "person_id", "kind", "monthly_amount", "note"]
ASSET_COLUMNS = [
    "declaration_id",
    "person_id",
    "kind",
    "value",
    "area",
    "registration_number",
    "description",
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    region_code: str
    full_name: str


DEMO_USERS = [
    DemoUser("cun", Role.VILLAGE_ASSISTANT, "341503100201", "陶秀兰"),
    DemoUser("zhen", Role.TOWNSHIP_CLERK, "341503100000", "王建华"),
    DemoUser("zhen_leader", Role.TOWNSHIP_LEADER, "341503100000", "李志刚"),
    DemoUser("xian", Role.COUNTY_OFFICER, "341503000000", "张丽萍"),
    DemoUser("xian_leader", Role.COUNTY_LEADER, "341503000000", "陈国庆"),
    DemoUser("shenji", Role.AUDITOR, "341503000000", "刘敏"),
    DemoUser("yiyuan", Role.HOSPITAL_CLERK, "341503000000", "周婷婷"),
    DemoUser("admin", Role.SYSTEM_ADMIN, "341503000000", "系统管理员"),
]


@dataclass
class DemoResult:
    households: int = 0
    persons: int = 0
    declarations: int = 0
    incomes: int = 0
    assets: int = 0
    deaths: int = 0


def _batches(items: Iterable[DemoHousehold], size: int) -> Iterator[list[DemoHousehold]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _max_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed name
        return int(cur.fetchone()[0])


def _new_ids(sql: str, mark: int) -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute(sql, [mark])
        return {str(key): int(pk) for key, pk in cur.fetchall()}


def _audit_row(
    action: str, household_id: int, region_code: str, changes: Mapping[str, object]
) -> tuple[object, ...]:
    """An audit event of the household, by `system`, in the order of bulk.AUDIT_COLUMNS."""
    event = {
        "at": timezone.now(),
        "actor_id": None,
        "actor_username": "system",
        "actor_role": "",
        "actor_region_code": "",
        "action": action,
        "object_type": "Household",
        "object_id": str(household_id),
        "region_code": region_code,
        "changes": json.dumps(changes, ensure_ascii=False, default=str),
        "reason": DEMO_REASON,
    }
    return tuple(event[column] for column in AUDIT_COLUMNS)


def _membership_changes(
    batch: list[DemoHousehold],
    pids: dict[str, int],
    hids: dict[str, int],
    valid_from: datetime.date,
) -> int:
    """Members born after the registry was set up joined at birth; the few who died left then."""
    births, deaths, audit = [], [], []
    for h in batch:
        hid = hids[str(pids[h.members[0][0].id_number])]
        for person, _ in h.members:
            born = birth_of(person.id_number)
            if born > valid_from:
                births.append((born, pids[person.id_number]))
            if person.death_date:
                deaths.append((person.death_date, pids[person.id_number]))
                changes = {
                    "member": [person.id_number, None],
                    "valid_to": [None, person.death_date.isoformat()],
                    "leave_reason": [None, "death"],
                }
                audit.append(_audit_row("household.member_remove", hid, h.region_code, changes))
    with connection.cursor() as cur:
        if births:
            cur.executemany(
                "UPDATE registry_membership SET valid_from = %s, join_reason = 'birth'"
                " WHERE person_id = %s",
                births,
            )
        if deaths:
            cur.executemany(
                "UPDATE registry_membership SET valid_to = %s, leave_reason = 'death'"
                " WHERE person_id = %s",
                deaths,
            )
    write_rows("core_auditevent", AUDIT_COLUMNS, audit)
    return len(deaths)


def _declarations(
    batch: list[DemoHousehold], pids: dict[str, int], hids: dict[str, int], result: DemoResult
) -> None:
    surveyed = [(h, h.declaration) for h in batch if h.declaration is not None]
    ids = reserve_ids("registry_declaration", len(surveyed))
    now = timezone.now()
    rows, incomes, assets, audit = [], [], [], []
    for did, (h, plan) in zip(ids, surveyed, strict=True):
        member_ids = [pids[p.id_number] for p, _ in h.members]
        hid = hids[str(member_ids[0])]
        rows.append((did, hid, plan.declared_on, 12, "", now))
        incomes += [
            (did, member_ids[i.member], i.kind, i.monthly_amount, i.note) for i in plan.incomes
        ]
        assets += [
            (
                did,
                None if a.member is None else member_ids[a.member],
                a.kind,
                a.value,
                a.area,
                a.registration_number,
                a.description,
            )
            for a in plan.assets
        ]
        changes = {
            "declaration": [None, did],
            "declared_on": [None, plan.declared_on.isoformat()],
            "incomes": [None, len(plan.incomes)],
            "assets": [None, len(plan.assets)],
        }
        audit.append(_audit_row("declaration.create", hid, h.region_code, changes))
    write_rows("registry_declaration", DECLARATION_COLUMNS, rows)
    write_rows("registry_incomeitem", INCOME_COLUMNS, incomes)
    write_rows("registry_assetitem", ASSET_COLUMNS, assets)
    write_rows("core_auditevent", AUDIT_COLUMNS, audit)
    result.declarations += len(rows)
    result.incomes += len(incomes)
    result.assets += len(assets)


def demo_households_write(
    *,
    households: Iterable[DemoHousehold],
    valid_from: datetime.date,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 2000,
) -> DemoResult:
    """Write the households, members and declarations set-based. Runs inside the caller's
    transaction; `progress(n)` after each batch of n households."""
    result = DemoResult()
    for batch in _batches(households, batch_size):
        person_mark, household_mark = _max_id("registry_person"), _max_id("registry_household")
        written = households_bulk_create(
            households=batch,
            actor=None,
            valid_from=valid_from,
            reason=DEMO_REASON,
            chunk_size=batch_size,
        )
        pids = _new_ids("SELECT id_number, id FROM registry_person WHERE id > %s", person_mark)
        hids = _new_ids("SELECT head_id, id FROM registry_household WHERE id > %s", household_mark)
        result.deaths += _membership_changes(batch, pids, hids, valid_from)
        _declarations(batch, pids, hids, result)
        result.households += written.households
        result.persons += written.persons
        if progress:
            progress(len(batch))
    return result


def demo_load(
    *,
    households: int,
    seed: int = DEFAULT_SEED,
    as_of: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Regions, then `households` generated households, in one transaction. Adds to what is
    there: ID numbers already registered are never generated again."""
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        villages = ensure_demo_regions(seed=seed)
        taken = set(Person.objects.values_list("id_number", flat=True))
        rows = generate_households(
            n=households, villages=villages, seed=seed, as_of=as_of, taken=taken
        )
        return demo_households_write(
            households=rows, valid_from=founding_date(as_of), progress=progress
        )


def demo_users_ensure() -> list[tuple[DemoUser, bool]]:
    """The demo users, created with DEMO_PASSWORD if missing; (user, created) pairs. Existing
    accounts are left as they are (their password may have been changed)."""
    out = []
    for demo_user in DEMO_USERS:
        exists = User.objects.filter(username=demo_user.username).exists()
        if not exists:
            user_create(
                actor=None,
                username=demo_user.username,
                role=demo_user.role,
                region_code=demo_user.region_code,
                password=DEMO_PASSWORD,
                full_name=demo_user.full_name,
            )
        out.append((demo_user, not exists))
    return out


def region_path(code: str) -> str:
    """苏埠镇陶洪村: the names below the county, or the county's name for a county."""
    region = Region.objects.select_related("parent").filter(code=code).first()
    if region is None:
        return code
    if region.level == Region.Level.VILLAGE and region.parent:
        return f"{region.parent.name}{region.name}"
    return region.name
