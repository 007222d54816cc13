"""Recalculating every paying case of a program after a standard changes, set-based.

A case keeps what its amount was computed from (per_capita_income, counted_members,
extra_members, care_level, support_mode), so a new standard needs no household facts: the
program's `recalculator` (the same pure function its `benefit` uses) recomputes the amount from
those inputs under the standards of the case's township, and the rows go back in bulk:

- read: one streaming query (a server-side cursor on PostgreSQL) over the cases, with the
  amount in force for the month each case is recalculated from;
- compute: in Python, per case, with the standards of its township (a township's own numbers
  override its county's) looked up once per township and month;
- write: the changed amounts into a temporary table (PostgreSQL COPY, SQLite executemany), then
  one `UPDATE ... FROM` of the cases and one `INSERT ... SELECT ... ON CONFLICT` of their
  BenefitPeriods (reason standard_change; a period of the same month is replaced).

Only cases in 在保 (active) are recalculated: a case in its gradual exit (渐退期) keeps the
amount it had when the exit began, and suspended or ended cases receive nothing. One-off
programs (临时救助) have nothing to recalculate.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from minzheng.core.audit import audit_record
from minzheng.core.models import User
from minzheng.core.regions import CODE_LENGTH, code_prefix
from minzheng.programs.models import BenefitPeriod, CaseStatus
from minzheng.programs.policies import POLICIES, policy_for
from minzheng.programs.policies.common import Recalculator
from minzheng.programs.services.standards import standards_for

RECALC_STATUSES = (CaseStatus.ACTIVE,)
CHUNK = 20_000
FEN = Decimal("0.01")
TEMP_TABLE = "programs_recalc_amount"

_SELECT = """
SELECT c.id, c.region_code, c.per_capita_income, c.counted_members, c.extra_members,
       c.care_level, c.support_mode, c.start_month,
       COALESCE((
           SELECT bp.monthly_amount FROM programs_benefitperiod bp
           WHERE bp.case_id = c.id
             AND bp.valid_from <= CASE WHEN c.start_month > %s THEN c.start_month ELSE %s END
           ORDER BY bp.valid_from DESC LIMIT 1
       ), c.monthly_amount)
FROM programs_case c
WHERE c.program = %s AND c.status IN ({statuses}) AND {region}
"""


def affects_amount(program: str, parameter: str) -> bool:
    """Whether a change of `parameter` can change the monthly amounts of `program`."""
    policy = POLICIES.get(program)
    return bool(policy and parameter in getattr(policy, "amount_parameters", ()))


def _rows(
    program: str, prefix: str, from_month: datetime.date
) -> Iterator[Sequence[tuple[Any, ...]]]:
    statuses = ", ".join(["%s"] * len(RECALC_STATUSES))
    if connection.vendor == "postgresql":
        region, region_params = "c.region_code LIKE %s", [prefix + "%"]
    else:
        region, region_params = (
            "c.region_code >= %s AND c.region_code < %s",
            [
                prefix,
                prefix + "\U0010ffff",
            ],
        )
    sql = _SELECT.format(statuses=statuses, region=region)
    params: list[Any] = [
        from_month,
        from_month,
        program,
        *[str(s) for s in RECALC_STATUSES],
        *region_params,
    ]
    with connection.chunked_cursor() as cur:
        cur.execute(sql, params)
        while True:
            chunk = cur.fetchmany(CHUNK)
            if not chunk:
                return
            yield chunk


def _money(value: Any) -> Decimal | None:
    """A money column as Decimal: PostgreSQL gives Decimal, SQLite a float or an int."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(repr(value)).quantize(FEN)


class _Rules:
    """The recalculator of each (township, month), built from its standards once."""

    def __init__(self, policy: Any, program: str) -> None:
        self.make: Callable[[Any], Recalculator] = policy.recalculator
        self.program = program
        self.cache: dict[tuple[str, datetime.date], Recalculator] = {}

    def get(self, region_code: str, month: datetime.date) -> Recalculator:
        key = (region_code[:9], month)
        rule = self.cache.get(key)
        if rule is None:
            township = region_code[:9].ljust(CODE_LENGTH, "0")
            standards = standards_for(program=self.program, region_code=township, day=month)
            rule = self.cache[key] = self.make(standards)
        return rule


class _Writer:
    """Changed amounts, staged in a temporary table and applied in two statements."""

    COLUMNS = ("case_id", "valid_from", "amount", "is_current", "calculation")

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")
            cur.execute(
                f"CREATE TEMP TABLE {TEMP_TABLE} (case_id bigint, valid_from date, "
                "amount numeric(12, 2), is_current boolean, calculation text)"
            )

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cols = ", ".join(self.COLUMNS)
        with connection.cursor() as cur:
            if self.postgres:
                with cur.cursor.copy(f"COPY {TEMP_TABLE} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.COLUMNS))
                cur.executemany(f"INSERT INTO {TEMP_TABLE} ({cols}) VALUES ({marks})", rows)  # noqa: S608

    def apply(self) -> None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        calculation = "t.calculation::jsonb" if self.postgres else "t.calculation"
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE programs_case SET monthly_amount = t.amount, "  # noqa: S608
                f"version = programs_case.version + 1, updated_at = %s "
                f"FROM {TEMP_TABLE} t WHERE programs_case.id = t.case_id AND t.is_current",
                [now],
            )
            cur.execute(
                "INSERT INTO programs_benefitperiod "  # noqa: S608
                "(case_id, valid_from, monthly_amount, reason, calculation, created_at) "
                f"SELECT t.case_id, t.valid_from, t.amount, %s, {calculation}, %s "
                f"FROM {TEMP_TABLE} t WHERE true "
                "ON CONFLICT (case_id, valid_from) DO UPDATE SET "
                "monthly_amount = excluded.monthly_amount, reason = excluded.reason, "
                "calculation = excluded.calculation",
                [BenefitPeriod.Reason.STANDARD_CHANGE.value, now],
            )
            cur.execute(f"DROP TABLE {TEMP_TABLE}")


@transaction.atomic
def cases_recalculate(
    *,
    program: str,
    region_code: str,
    from_month: datetime.date,
    actor: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Recalculate the active cases of `program` in the region (and beneath it) from
    `from_month` under the standards then in force; a case that started later is recalculated
    from its start. Writes a BenefitPeriod (reason standard_change) for each case whose amount
    changes and, for periods already begun, the case's current amount. Returns the number of
    cases changed; `progress(n)` is called after each chunk of n cases read."""
    policy = policy_for(program)
    if policy.kind != "monthly" or not hasattr(policy, "recalculator"):
        return 0
    from_month = from_month.replace(day=1)
    this_month = timezone.localdate().replace(day=1)
    rules = _Rules(policy, program)
    writer = _Writer()
    extras_cache: dict[str, dict[str, int]] = {}
    changed = 0
    for chunk in _rows(program, code_prefix(region_code), from_month):
        out = []
        for case_id, region, pci, counted, extras, care, mode, start, previous in chunk:
            month = start if start is not None and start > from_month else from_month
            if isinstance(extras, str):
                parsed = extras_cache.get(extras)
                if parsed is None:
                    parsed = extras_cache[extras] = json.loads(extras)
                extras = parsed
            amount, formula = rules.get(region, month).compute(
                _money(pci), counted, extras or {}, care, mode
            )
            before = _money(previous)
            if amount == before:
                continue
            out.append(
                (
                    case_id,
                    month,
                    amount,
                    month <= this_month,
                    _calculation(month, before, amount, formula),
                )
            )
        writer.add(out)
        changed += len(out)
        if progress:
            progress(len(chunk))
    writer.apply()
    audit_record(
        actor=actor,
        action="standard.recalculate",
        object_type="standard",
        object_id=program,
        region_code=region_code,
        changes={"program": program, "from_month": from_month, "cases": changed},
    )
    return changed


def _calculation(
    month: datetime.date, before: Decimal | None, amount: Decimal, formula: str
) -> str:
    """The period's calculation, in the shape of Calculation.as_json() (kept small: one line)."""
    line = {"label": "月保障金额", "formula": formula, "value": f"{amount} 元"}
    return (
        f'{{"reason": "standard_change", "from_month": "{month.isoformat()}", '
        f'"previous_amount": "{before}", "amount": "{amount}", '
        f'"lines": [{json.dumps(line, ensure_ascii=False)}]}}'
    )
