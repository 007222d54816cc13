"""Recalculating every paying case of a program after a standard changes, set-based.

A case keeps what its amount was computed from (per_capita_income, counted_members,
extra_members, care_level, support_mode), so a new standard needs no household facts: the
program's `recalculator` (the same pure function its `benefit` uses) recomputes the amount from
those inputs under the standards of the case's township, and the rows go back in bulk:

- read: one streaming query (a server-side cursor on PostgreSQL) over the cases, with the
  benefit period in force at the month each case is recalculated from;
- compute: in Python, per case, with the standards of its township (a township's own numbers
  override its county's) looked up once per township and month;
- write: the new BenefitPeriods (reason standard_change) with PostgreSQL COPY (SQLite
  executemany), a period of the same month updated in place; the cases' current amounts
  through a temporary table and one `UPDATE ... FROM`.

The inputs are those of the last assessment: a member who has turned 60 since is an elder from
the next review on, not from a standard change. Only cases in 在保 (active) are recalculated: a
case in its gradual exit (渐退期) keeps the amount it had when the exit began, and suspended or
ended cases receive nothing. One-off programs (临时救助) have nothing to recalculate.
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
PERIOD_COLUMNS = "case_id, valid_from, monthly_amount, reason, calculation, created_at"
REASON = BenefitPeriod.Reason.STANDARD_CHANGE.value

# The period in force at the month each case is recalculated from (its start, when later).
_MONTH = "CASE WHEN c.start_month > %s THEN c.start_month ELSE %s END"
_PREVIOUS = (
    "SELECT bp.{column} FROM programs_benefitperiod bp WHERE bp.case_id = c.id "  # noqa: S608
    f"AND bp.valid_from <= {_MONTH} ORDER BY bp.valid_from DESC LIMIT 1"
)
_CASES = (
    "SELECT c.id, c.region_code, c.per_capita_income, c.counted_members, "
    "{extras}, c.care_level, c.support_mode, c.start_month, {previous}, c.monthly_amount "
    "FROM programs_case c {join} "
    "WHERE c.program = %s AND c.status IN ({statuses}) AND {region}"
)


def affects_amount(program: str, parameter: str) -> bool:
    """Whether a change of `parameter` can change the monthly amounts of `program`."""
    policy = POLICIES.get(program)
    return bool(policy and parameter in policy.amount_parameters)


def _money(value: Any) -> Decimal | None:
    """A money column as Decimal: PostgreSQL gives Decimal, SQLite a float or an int."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(repr(value)).quantize(FEN)


def _day(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


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


class _Changes:
    """What a chunk of cases changes besides its new periods (which are streamed): periods of
    the same month to replace, and the current amounts of the cases whose new period has
    begun; `count` is the number of cases changed."""

    def __init__(self) -> None:
        self.replaced: list[tuple[Any, ...]] = []
        self.current: list[tuple[Any, ...]] = []
        self.count = 0


class _Recalculation:
    """The per-case loop: reads a chunk of case rows and yields the new periods, noting the
    rest in a _Changes. A generator, so that PostgreSQL inserts while Python computes."""

    def __init__(self, policy: Any, program: str, from_month: datetime.date) -> None:
        self.rules = _Rules(policy, program)
        self.from_month = from_month
        self.this_month = timezone.localdate().replace(day=1)
        self.extras: dict[str, dict[str, int]] = {}

    def periods(
        self, chunk: Sequence[tuple[Any, ...]], changes: _Changes
    ) -> Iterator[tuple[Any, ...]]:
        # Look the standards up now, before the first period is written: no query may run
        # while PostgreSQL is copying.
        for row in chunk:
            start = row[7]
            self.rules.get(
                row[1], start if start is not None and start > self.from_month else self.from_month
            )
        return self._periods(chunk, changes)

    def _periods(
        self, chunk: Sequence[tuple[Any, ...]], changes: _Changes
    ) -> Iterator[tuple[Any, ...]]:
        from_month, this_month, extras_cache = self.from_month, self.this_month, self.extras
        for (
            case_id,
            region,
            pci,
            counted,
            extras,
            care,
            mode,
            start,
            p_from,
            p_amount,
            now,
        ) in chunk:
            month = start if start is not None and start > from_month else from_month
            parsed = extras_cache.get(extras)
            if parsed is None:
                parsed = extras_cache[extras] = json.loads(extras) if extras else {}
            new = self.rules.get(region, month).amount(_money(pci), counted, parsed, care, mode)
            p_from = _day(p_from)
            before = _money(p_amount if p_from is not None else now)
            if new == before:
                continue
            changes.count += 1
            calculation = _calculation(before)
            if month <= this_month:
                changes.current.append((case_id, new))
            if p_from == month:
                changes.replaced.append((new, REASON, calculation, case_id, month))
            else:
                yield (case_id, month, new, REASON, calculation)


class _Engine:
    """The database-specific parts: how the cases are read and the changes written."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = connection.ops.adapt_datetimefield_value(now)

    def rows(
        self, program: str, prefix: str, from_month: datetime.date
    ) -> Iterator[Sequence[tuple[Any, ...]]]:
        sql, params = self.select(program, prefix, from_month)
        with connection.chunked_cursor() as cur:
            cur.execute(sql, params)
            while chunk := cur.fetchmany(CHUNK):
                yield chunk

    def select(self, program: str, prefix: str, month: datetime.date) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def write(self, periods: Iterator[tuple[Any, ...]], changes: _Changes) -> None:
        """Write the chunk's new periods (consuming the iterator fills `changes`), then the
        rest of its changes."""
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def statuses(self) -> tuple[str, list[Any]]:
        return ", ".join(["%s"] * len(RECALC_STATUSES)), [str(s) for s in RECALC_STATUSES]


class _Postgres(_Engine):
    """Streams: new periods are COPYed straight into their table chunk by chunk; the current
    amounts are COPYed into a temporary table and applied in one UPDATE ... FROM at the end."""

    def __init__(self, now: datetime.datetime) -> None:
        super().__init__(now)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")
            cur.execute(
                f"CREATE TEMP TABLE {TEMP_TABLE} (case_id bigint, amount numeric(12, 2)) "
                "ON COMMIT DROP"
            )

    def select(self, program: str, prefix: str, month: datetime.date) -> tuple[str, list[Any]]:
        previous = (
            "SELECT bp.valid_from, bp.monthly_amount FROM programs_benefitperiod bp "  # noqa: S608
            f"WHERE bp.case_id = c.id AND bp.valid_from <= {_MONTH} "
            "ORDER BY bp.valid_from DESC LIMIT 1"
        )
        statuses, status_params = self.statuses()
        sql = _CASES.format(
            extras="c.extra_members::text",
            previous="p.valid_from, p.monthly_amount",
            join=f"LEFT JOIN LATERAL ({previous}) p ON true",
            statuses=statuses,
            region="c.region_code LIKE %s",
        )
        return sql, [month, month, program, *status_params, prefix + "%"]

    def write(self, periods: Iterator[tuple[Any, ...]], changes: _Changes) -> None:
        now = self.now
        with connection.cursor() as cur:
            raw = cur.cursor
            with raw.copy(f"COPY programs_benefitperiod ({PERIOD_COLUMNS}) FROM STDIN") as cp:
                for row in periods:
                    cp.write_row((*row, now))
            if changes.current:
                with raw.copy(f"COPY {TEMP_TABLE} (case_id, amount) FROM STDIN") as cp:
                    for row in changes.current:
                        cp.write_row(row)
            if changes.replaced:
                cur.executemany(
                    "UPDATE programs_benefitperiod SET monthly_amount = %s, reason = %s, "
                    "calculation = %s::jsonb WHERE case_id = %s AND valid_from = %s",
                    changes.replaced,
                )

    def finish(self) -> None:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE programs_case SET monthly_amount = t.amount, "  # noqa: S608
                "version = programs_case.version + 1, updated_at = %s "
                f"FROM {TEMP_TABLE} t WHERE programs_case.id = t.case_id",
                [self.now],
            )
            cur.execute(f"DROP TABLE {TEMP_TABLE}")


class _SQLite(_Engine):
    """Collects the changes (SQLite must not write a table a running SELECT reads) and writes
    them with executemany at the end."""

    def __init__(self, now: datetime.datetime) -> None:
        super().__init__(now)
        self.periods: list[tuple[Any, ...]] = []
        self.replaced: list[tuple[Any, ...]] = []
        self.current: list[tuple[Any, ...]] = []

    def select(self, program: str, prefix: str, month: datetime.date) -> tuple[str, list[Any]]:
        statuses, status_params = self.statuses()
        sql = _CASES.format(
            extras="c.extra_members",
            previous=", ".join(
                f"({_PREVIOUS.format(column=column)})"
                for column in ("valid_from", "monthly_amount")
            ),
            join="",
            statuses=statuses,
            region="c.region_code >= %s AND c.region_code < %s",
        )
        return sql, [
            month,
            month,
            month,
            month,
            program,
            *status_params,
            prefix,
            prefix + "\U0010ffff",
        ]

    def write(self, periods: Iterator[tuple[Any, ...]], changes: _Changes) -> None:
        self.periods += [(*row, self.now) for row in periods]
        self.replaced += changes.replaced
        self.current += changes.current

    def finish(self) -> None:
        marks = ", ".join(["%s"] * 6)
        with connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO programs_benefitperiod ({PERIOD_COLUMNS}) VALUES ({marks})",  # noqa: S608
                self.periods,
            )
            cur.executemany(
                "UPDATE programs_benefitperiod SET monthly_amount = %s, reason = %s, "
                "calculation = %s WHERE case_id = %s AND valid_from = %s",
                self.replaced,
            )
            cur.executemany(
                "UPDATE programs_case SET monthly_amount = %s, version = version + 1, "
                "updated_at = %s WHERE id = %s",
                [(amount, self.now, case_id) for case_id, amount in self.current],
            )


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
    if policy.kind != "monthly" or not policy.amount_parameters:
        return 0
    from_month = from_month.replace(day=1)
    now = timezone.now()
    engine: _Engine = _Postgres(now) if connection.vendor == "postgresql" else _SQLite(now)
    recalculation = _Recalculation(policy, program, from_month)
    changed = 0
    for chunk in engine.rows(program, code_prefix(region_code), from_month):
        changes = _Changes()
        engine.write(recalculation.periods(chunk, changes), changes)
        changed += changes.count
        if progress:
            progress(len(chunk))
    engine.finish()
    audit_record(
        actor=actor,
        action="standard.recalculate",
        object_type="standard",
        object_id=program,
        region_code=region_code,
        changes={"program": program, "from_month": from_month, "cases": changed},
    )
    return changed


def _calculation(before: Decimal | None) -> str:
    """A period's calculation, kept small (a million of them are written at once): the amount
    before. The period's month, amount and case give the rest (`standards_for` the case's
    township and that month gives every number and the row it came from)."""
    return f'{{"reason": "{REASON}", "previous_amount": "{before}"}}'
