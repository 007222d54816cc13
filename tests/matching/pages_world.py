"""Datasets, runs and flags written straight into the database for the page and selector
tests (the services that make them in real life are tested on their own)."""

from __future__ import annotations

import datetime
import hashlib
from itertools import count
from typing import Any

from django.utils import timezone

from minzheng.core.models import User
from minzheng.matching.models import (
    DatasetStatus,
    ExternalDataset,
    FlagStatus,
    MatchFlag,
    MatchRun,
    RunStatus,
)
from minzheng.matching.rules import RULES
from minzheng.programs.models import Case
from minzheng.registry.models import Person

COUNTY = "341503000000"
_numbers = count(1)


def make_dataset(
    actor: User,
    kind: str = "death",
    *,
    status: str = DatasetStatus.ACTIVE,
    data_date: datetime.date = datetime.date(2026, 10, 31),
    **fields: Any,
) -> ExternalDataset:
    values: dict[str, Any] = {
        "kind": kind,
        "region_code": COUNTY,
        "source": "裕安区公安分局",
        "data_date": data_date,
        "status": status,
        "file_name": f"{kind}-{data_date:%Y%m%d}.csv",
        "file_format": "csv",
        "encoding": "GBK",
        "file_size": 123456,
        "total_rows": 1200,
        "valid_rows": 1200,
        "created_by": actor,
    }
    if status == DatasetStatus.ACTIVE:
        values["activated_at"] = timezone.now()
    values.update(fields)
    return ExternalDataset.objects.create(**values)


def make_run(
    actor: User | None,
    *,
    status: str = RunStatus.DONE,
    rules: list[str] | None = None,
    rule_counts: dict[str, Any] | None = None,
    **fields: Any,
) -> MatchRun:
    n = next(_numbers)
    values: dict[str, Any] = {
        "number": f"BD{COUNTY[:6]}-2026{n:04d}",
        "region_code": COUNTY,
        "as_of": datetime.date(2026, 11, 22),
        "status": status,
        "rules": rules if rules is not None else ["death_id", "vehicle"],
        "rule_counts": rule_counts or {},
        "created_by": actor,
    }
    if status == RunStatus.DONE:
        values |= {"percent": 100, "finished_at": timezone.now(), "seconds": "3.2"}
    values.update(fields)
    return MatchRun.objects.create(**values)


def make_flag(
    run: MatchRun,
    rule: str,
    who: Person,
    case: Case | None = None,
    *,
    status: str = FlagStatus.OPEN,
    due_on: datetime.date | None = datetime.date(2026, 12, 14),
    evidence: dict[str, Any] | None = None,
    region_code: str | None = None,
    **fields: Any,
) -> MatchFlag:
    evidence = evidence or {"id_number": who.id_number, "name": who.name}
    key = hashlib.sha256(repr(sorted(evidence.items())).encode()).hexdigest()
    values: dict[str, Any] = {
        "rule": rule,
        "action": RULES[rule].action,
        "run": run,
        "last_run": run,
        "person": who,
        "case": case,
        "household_id": case.household_id if case else None,
        "region_code": region_code or (case.region_code if case else who.region_code),
        "program": case.program if case else "",
        "evidence_key": key,
        "evidence": evidence,
        "summary": f"{RULES[rule].label}:{who.name}",
        "status": status,
        "due_on": due_on,
    }
    values.update(fields)
    return MatchFlag.objects.create(**values)
