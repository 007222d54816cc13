"""Payroll runs: who is paid what for a month, as payment lines written by set-based SQL.

Entitlement of a case for month K (the rule every line follows):
    the amount of the case's newest BenefitPeriod with valid_from <= K, when
    case.start_month <= K and (case.end_month is null or K <= case.end_month); else 0.
A run for (program, region, month M) writes
  - REGULAR  one line per case with entitlement(M) > 0 (month = M);
  - ARREARS  for an earlier month K that a live run of this program already covered, when the
             case was entitled in K but has no payment for K (approved late, resumed ...);
  - ADJUSTMENT  for such a K when what was paid differs from the entitlement now (a standard
             raised backwards: + 差额补发; a death learnt late: - 追回);
  - GRANT    one-off grants (programs.Grant) granted up to M and not yet paid (临时救助 runs pay
             temporary grants; 特困 runs pay funeral grants).
Only cases with a BenefitPeriod created since the previous run started are examined for arrears
and adjustments, so a normal month is one INSERT ... SELECT.

Idempotent and resumable: lines are inserted in chunks of case ids, each chunk its own
transaction with ON CONFLICT DO NOTHING against payment_once_per_month /
payment_line_once_per_run / payment_grant_once. Killing the process, running it again, or two
users starting the same run never writes a second payment."""

from __future__ import annotations

import datetime
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from minzheng.core.models import Region, User
from minzheng.core.regions import RegionCodeError, code_level, code_prefix, normalize_code
from minzheng.core.scope import require_in_scope
from minzheng.payments.models import (
    LIVE_RUN_STATUSES,
    LineKind,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.permissions import PAYROLL_OPERATORS
from minzheng.payments.services.errors import PaymentConflict, PaymentError
from minzheng.payments.services.events import run_audit
from minzheng.programs.deadlines import add_months, first_of_next_month
from minzheng.programs.models import BenefitPeriod, Case, CaseStatus, Grant
from minzheng.programs.policies import POLICIES, program_label
from minzheng.registry.models import Person

Progress = Callable[[int, int], None]  # (cases done, cases total)

ZERO = Decimal("0.00")
FEN = Decimal("0.01")

PAYROLL_NOT_ALLOWED = "只有县级社会救助经办人员可以发起、重新生成或作废发放批次"
PROGRAM_UNKNOWN = "未知的救助项目:{code}"
PROGRAM_NOT_PAID = "救助项目“{program}”不通过发放批次发放"
REGION_INVALID = "发放区划应为县(区)或乡镇(街道)的区划代码,“{code}”不是"
REGION_UNKNOWN = "区划代码“{code}”不存在"
MONTH_TOO_LATE = "不能发起{month}的发放批次:最晚只能发起下月({limit})的批次"
RUN_OVERLAPS = (
    "{month}{program}已有发放批次{number}(区划{region}),与本次发放的区划重叠,不能重复发放"
)
RUN_STATUS_REFUSED = "发放批次{number}当前状态为“{status}”,不能{action}"
CANCEL_REASON_REQUIRED = "请填写作废原因"
ACTION_GENERATE = "生成发放明细"
ACTION_REGENERATE = "重新生成发放明细"
ACTION_CANCEL = "作废"

STAGE_REGULAR = "正在生成当月发放明细"
STAGE_CHANGES = "正在核对补发和差额调整"
STAGE_GRANTS = "正在生成一次性救助明细"
STAGE_TOTALS = "正在汇总"
STAGE_DONE = "已生成"

ARREARS_NOTE = "补发{month}保障金"
ADJUSTMENT_NOTE = "{month}应发{due}元,已发{paid}元"
GRANT_NOTE = "{kind}({day}核定)"
DEATH_REASON = "死亡"

ONE_OFF_KINDS = ("one_off",)
PAYROLL_KINDS = ("monthly", "one_off")


# --- small helpers ------------------------------------------------------------------------------


def _require_operator(actor: User | None, region_code: str) -> None:
    """The CLI acts as the system (actor None); a person must operate payroll in scope."""
    if actor is None:
        return
    if actor.role not in PAYROLL_OPERATORS:
        raise PermissionDenied(PAYROLL_NOT_ALLOWED)
    require_in_scope(actor, region_code)


def _program_kind(program: str) -> str:
    policy = POLICIES.get(program)
    if policy is None:
        raise PaymentError({"program": [PROGRAM_UNKNOWN.format(code=program)]})
    if policy.kind not in PAYROLL_KINDS:
        raise PaymentError({"program": [PROGRAM_NOT_PAID.format(program=program)]})
    return policy.kind


def _region(code: str) -> str:
    try:
        code = normalize_code(code)
    except RegionCodeError as e:
        raise PaymentError({"region_code": [str(e)]}) from None
    if code_level(code) not in (3, 4):
        raise PaymentError({"region_code": [REGION_INVALID.format(code=code)]})
    if not Region.objects.filter(code=code).exists():
        raise PaymentError({"region_code": [REGION_UNKNOWN.format(code=code)]})
    return code


def _month(month: datetime.date) -> datetime.date:
    month = month.replace(day=1)
    limit = first_of_next_month(timezone.localdate())
    if month > limit:
        raise PaymentError(
            {"month": [MONTH_TOO_LATE.format(month=month_label(month), limit=month_label(limit))]}
        )
    return month


def month_label(month: datetime.date) -> str:
    """2026年9月."""
    return f"{month.year}年{month.month}月"


def _day_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _overlaps(a: str, b: str) -> bool:
    pa, pb = code_prefix(a), code_prefix(b)
    return pa.startswith(pb) or pb.startswith(pa)


def _covers(run_region: str, region_code: str) -> bool:
    return region_code.startswith(code_prefix(run_region))


def _date(value: datetime.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _fen(value: Any) -> Decimal:
    """An amount summed in fen by the database (exact on both engines) back to yuan."""
    return (Decimal(int(value or 0)) / 100).quantize(FEN)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# Sums are taken in whole fen: SQLite keeps decimals as doubles, whose sums are inexact.
FEN_SQL = "CAST(ROUND({col} * 100) AS BIGINT)"


# --- start ---------------------------------------------------------------------------------------


def _run_number(program: str, region_code: str, month: datetime.date) -> str:
    base = f"FF{month:%Y%m}-{program}-{code_prefix(region_code)}"
    taken = set(PayrollRun.objects.filter(number__startswith=base).values_list("number", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _serialize_starts(program: str, month: datetime.date) -> None:
    """On PostgreSQL, starts of the same program and month wait for each other (the overlap
    check reads rows that do not exist yet); SQLite's IMMEDIATE transactions already do."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"payroll:{program}:{month:%Y-%m}".encode()) - 2**31
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _live_runs(program: str, month: datetime.date) -> list[PayrollRun]:
    return list(
        PayrollRun.objects.filter(program=program, month=month, status__in=LIVE_RUN_STATUSES)
    )


def _existing_or_overlap(program: str, region_code: str, month: datetime.date) -> PayrollRun | None:
    for other in _live_runs(program, month):
        if other.region_code == region_code:
            return other
        if _overlaps(other.region_code, region_code):
            message = RUN_OVERLAPS.format(
                month=month_label(month),
                program=program_label(program),
                number=other.number,
                region=other.region_code,
            )
            raise PaymentError(message)
    return None


def run_start(
    *,
    actor: User | None,
    program: str,
    region_code: str,
    month: datetime.date,
    background: bool = True,
) -> PayrollRun:
    """Create the live run of (program, region, month), or return it when it exists (two users
    starting the same run get the same run). Checks: a monthly or one-off program on the case
    engine, a county or township inside the actor's scope, no overlapping live run (a township's
    run inside a county's run of the same month). Queues generation (django-tasks) when
    `background`, else leaves it to the caller (CLI: run_generate with a progress bar).
    `actor` None is the system (the CLI without --user): no role or scope check."""
    _program_kind(program)
    region_code = _region(region_code)
    _require_operator(actor, region_code)
    month = _month(month)
    with transaction.atomic():
        _serialize_starts(program, month)
        existing = _existing_or_overlap(program, region_code, month)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                run = PayrollRun.objects.create(
                    number=_run_number(program, region_code, month),
                    program=program,
                    region_code=region_code,
                    month=month,
                    status=RunStatus.GENERATING,
                    created_by=actor,
                )
        except IntegrityError:
            # Someone else created it meanwhile (the savepoint keeps our transaction usable).
            existing = _existing_or_overlap(program, region_code, month)
            if existing is None:
                raise
            return existing
        run_audit(run, actor, "payroll.start", program=program, month=month)
        if background:
            _enqueue_on_commit(run.pk)
    return run


def _enqueue_on_commit(run_id: int) -> None:
    from minzheng.payments.tasks import payroll_generate

    transaction.on_commit(lambda: payroll_generate.enqueue(run_id))


def run_resume(*, actor: User | None, run: PayrollRun) -> PayrollRun:
    """Queue the generation of a run left GENERATING (its worker died): it carries on where
    it stopped."""
    _require_operator(actor, run.region_code)
    if run.status != RunStatus.GENERATING:
        raise PaymentError(
            RUN_STATUS_REFUSED.format(
                number=run.number, status=run.get_status_display(), action=ACTION_GENERATE
            )
        )
    _enqueue_on_commit(run.pk)
    return run


# --- generation ----------------------------------------------------------------------------------


class _Stopped(Exception):
    """The run left the status generation started in (cancelled meanwhile)."""


LINE_COLUMNS = (
    "run_id, case_id, person_id, household_id, grant_id, program, region_code, month, kind, "
    "amount, note, status, account_name, bank_name, account_number, bank_file_id, bank_row, "
    "attempts, failure_reason, paid_on, created_at"
)


def _regular_sql(conflict: bool = True) -> str:
    """One chunk of REGULAR lines: the cases of the program in the region with ids in (lo, hi],
    started and not ended by the month, at the amount of their newest period in force (a
    scalar subquery: one probe of the (case, valid_from) index per case). The cases are a
    MATERIALIZED common table so that the subquery runs once per case: inlined, PostgreSQL's
    planner evaluates it twice (for the column and for `amount > 0`), ~40% of the time."""
    line, case, period = _table(PaymentLine), _table(Case), _table(BenefitPeriod)
    return (
        f"WITH t AS MATERIALIZED (SELECT c.id, c.applicant_id, c.household_id, c.program, "  # noqa: S608
        f"c.region_code, (SELECT bp.monthly_amount FROM {period} bp WHERE bp.case_id = c.id "
        f"AND bp.valid_from <= %s ORDER BY bp.valid_from DESC LIMIT 1) AS amount "
        f"FROM {case} c "
        f"WHERE c.program = %s AND c.region_code LIKE %s AND c.id > %s AND c.id <= %s "
        f"AND c.start_month <= %s AND (c.end_month IS NULL OR c.end_month >= %s)) "
        f"INSERT INTO {line} ({LINE_COLUMNS}) "
        f"SELECT %s, t.id, t.applicant_id, t.household_id, NULL, t.program, t.region_code, %s, "
        f"'{LineKind.REGULAR}', t.amount, '', '{LineStatus.PENDING}', '', '', '', "
        f"NULL, NULL, 0, '', NULL, %s "
        f"FROM t WHERE t.amount > 0" + (" ON CONFLICT DO NOTHING" if conflict else "")
    )


def _insert_chunk(params: list[Any]) -> None:
    """A chunk's lines. Usually none of them exists yet, and a plain INSERT skips the
    speculative insertion of ON CONFLICT (a third of the cost on PostgreSQL); when one does
    (a resumed or concurrent generation, a person paid through another case) the chunk is
    written again with ON CONFLICT DO NOTHING."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_regular_sql(conflict=False), params)
    except IntegrityError:
        with connection.cursor() as cursor:
            cursor.execute(_regular_sql(conflict=True), params)


def _case_range(run: PayrollRun) -> tuple[int, int, int]:
    """How many cases of the program in the region may be paid this month, and the lowest and
    highest of their ids (one scan; the chunks are ranges of ids)."""
    m = _date(run.month)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MIN(id), MAX(id) FROM {_table(Case)} "  # noqa: S608
            f"WHERE program = %s AND region_code LIKE %s AND start_month IS NOT NULL "
            f"AND start_month <= %s AND (end_month IS NULL OR end_month >= %s)",
            [run.program, code_prefix(run.region_code) + "%", m, m],
        )
        total, first, last = cursor.fetchone()
    return int(total or 0), int(first or 0), int(last or 0)


def _resume_after(run: PayrollRun) -> int:
    """Every chunk up to the highest case id holding a regular line of the run is committed
    (a chunk's lines are written in one transaction): go on after it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX(case_id) FROM {_table(PaymentLine)} WHERE run_id = %s AND kind = %s",  # noqa: S608
            [run.pk, LineKind.REGULAR.value],
        )
        row = cursor.fetchone()
    return int(row[0] or 0)


def _step(run: PayrollRun, in_status: str, **fields: Any) -> None:
    """Record progress inside the current transaction, or stop when the run left `in_status`
    (cancelled meanwhile: the row lock orders this with the cancellation)."""
    done = PayrollRun.objects.filter(pk=run.pk, status=in_status).update(**fields)
    if not done:
        raise _Stopped()
    for name, value in fields.items():
        setattr(run, name, value)


def _pause() -> None:
    seconds = float(getattr(settings, "PAYROLL_CHUNK_PAUSE", 0) or 0)
    if seconds > 0:
        time.sleep(seconds)


def _generate_regular(run: PayrollRun, status: str, progress: Progress | None) -> None:
    """REGULAR lines in chunks of PAYROLL_CHUNK_SIZE case ids, each chunk one transaction, from
    where an earlier attempt stopped. Progress counts cases in proportion to the ids covered."""
    chunk = max(1, int(getattr(settings, "PAYROLL_CHUNK_SIZE", 20000)))
    total, first, last = _case_range(run)
    span = max(1, last - first + 1)

    def done_at(upper: int) -> int:
        return 0 if upper < first else min(total, total * (upper - first + 1) // span)

    lo = max(_resume_after(run), first - 1)
    with transaction.atomic():
        _step(run, status, cases_total=total, cases_done=done_at(lo), stage=STAGE_REGULAR)
    if progress:
        progress(run.cases_done, total)
    m = _date(run.month)
    prefix = code_prefix(run.region_code) + "%"
    while total and lo < last:
        hi = min(last, lo + chunk)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with transaction.atomic():
            _step(run, status, cases_done=done_at(hi))
            _insert_chunk([m, run.program, prefix, lo, hi, m, m, run.pk, m, now])
        lo = hi
        if progress:
            progress(run.cases_done, total)
        if lo < last:
            _pause()


# Arrears and adjustments ------------------------------------------------------------------------


def _previous_runs(run: PayrollRun) -> list[PayrollRun]:
    """Live runs of the program for earlier months whose region overlaps the run's."""
    runs = PayrollRun.objects.filter(
        program=run.program, month__lt=run.month, status__in=LIVE_RUN_STATUSES
    ).exclude(pk=run.pk)
    return [r for r in runs if _overlaps(r.region_code, run.region_code)]


def _since(run: PayrollRun, previous: Sequence[PayrollRun]) -> datetime.datetime:
    """Changes made after this moment may touch months already paid: the start of the latest
    earlier run covering the whole region, else of the earliest overlapping one."""
    covering = [r for r in previous if _covers(r.region_code, run.region_code)]
    if covering:
        return max(covering, key=lambda r: (r.month, r.created_at)).created_at
    return min(r.created_at for r in previous)


def _differences_sql(
    run: PayrollRun, since: datetime.datetime, covered: Sequence[tuple[datetime.date, str]]
) -> tuple[str, list[Any]]:
    """(case, month, due, paid, once) in fen for every month K < M a live run covered of every
    case that changed since `since` (a period written, the case changed or approved), where
    the case is owed a month it was not paid (once = 0, due > 0) or was paid a different
    amount (once > 0, due <> paid). A period replaced in place keeps its created_at, but the
    services that replace one also change the case."""
    case, period, line = _table(Case), _table(BenefitPeriod), _table(PaymentLine)
    months = " UNION ALL ".join("SELECT %s AS month, %s AS prefix" for _ in covered)
    months_params = [x for m, code in covered for x in (_date(m), code_prefix(code) + "%")]
    fen_period, fen_line = FEN_SQL.format(col="bp.monthly_amount"), FEN_SQL.format(col="l.amount")
    when = connection.ops.adapt_datetimefield_value(since)
    sql = (
        f"SELECT x.id, x.month, x.due, x.paid, x.once FROM (SELECT c.id, k.month, "  # noqa: S608
        f"CASE WHEN c.end_month IS NULL OR c.end_month >= k.month THEN COALESCE(("
        f"SELECT {fen_period} FROM {period} bp WHERE bp.case_id = c.id "
        f"AND bp.valid_from <= k.month ORDER BY bp.valid_from DESC LIMIT 1), 0) ELSE 0 END AS due, "
        f"COALESCE((SELECT SUM({fen_line}) FROM {line} l "
        f"WHERE l.case_id = c.id AND l.month = k.month), 0) AS paid, "
        f"(SELECT COUNT(*) FROM {line} l WHERE l.case_id = c.id AND l.month = k.month "
        f"AND l.kind IN ('{LineKind.REGULAR}', '{LineKind.ARREARS}')) AS once "
        f"FROM {case} c JOIN ({months}) k ON k.month >= c.start_month "
        f"AND c.region_code LIKE k.prefix "
        f"WHERE c.program = %s AND c.region_code LIKE %s AND c.start_month IS NOT NULL "
        f"AND c.start_month < %s AND (c.updated_at >= %s OR c.decided_at >= %s "
        f"OR c.id IN (SELECT case_id FROM {period} WHERE created_at >= %s))) x "
        f"WHERE (x.once = 0 AND x.due > 0) OR (x.once > 0 AND x.due <> x.paid) "
        f"ORDER BY x.id, x.month"
    )
    params = [*months_params, run.program, code_prefix(run.region_code) + "%"]
    params += [_date(run.month), when, when, when]
    return sql, params


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _change_lines(run: PayrollRun, rows: Sequence[tuple[Any, ...]]) -> list[PaymentLine]:
    """ARREARS for a month owed and not paid, ADJUSTMENT (signed) for one paid differently."""
    cases = {
        pk: (person, household, region)
        for pk, person, household, region in Case.objects.filter(
            pk__in={row[0] for row in rows}
        ).values_list("pk", "applicant_id", "household_id", "region_code")
    }
    now = timezone.now()
    lines = []
    for case_id, raw_month, due_fen, paid_fen, once in rows:
        month, due, paid = _as_date(raw_month), _fen(due_fen), _fen(paid_fen)
        person, household, region = cases[case_id]
        if once:
            kind, amount = LineKind.ADJUSTMENT, due - paid
            note = ADJUSTMENT_NOTE.format(month=month_label(month), due=due, paid=paid)
        else:
            kind, amount, note = (
                LineKind.ARREARS,
                due,
                ARREARS_NOTE.format(month=month_label(month)),
            )
        lines.append(
            PaymentLine(
                run=run,
                case_id=case_id,
                person_id=person,
                household_id=household,
                program=run.program,
                region_code=region,
                month=month,
                kind=kind,
                amount=amount,
                note=note,
                created_at=now,
            )
        )
    return lines


def _generate_changes(run: PayrollRun, status: str) -> None:
    """Arrears and adjustments for the months earlier runs paid, of the cases changed since
    the previous run started (one query finds what differs; only that is read into Python).
    A person already paid a month through another case gets no arrears for it (the
    payment_once_per_month conflict is ignored)."""
    previous = _previous_runs(run)
    if not previous:
        return
    with transaction.atomic():
        _step(run, status, stage=STAGE_CHANGES)
    covered = sorted({(r.month, r.region_code) for r in previous})
    sql, params = _differences_sql(run, _since(run, previous), covered)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for start in range(0, len(rows), 1000):
        with transaction.atomic():
            _step(run, status, stage=STAGE_CHANGES)
            lines = _change_lines(run, rows[start : start + 1000])
            PaymentLine.objects.bulk_create(lines, ignore_conflicts=True)


def _generate_grants(run: PayrollRun, status: str) -> None:
    end = first_of_next_month(run.month) - datetime.timedelta(days=1)
    lined = PaymentLine.objects.filter(grant_id__isnull=False).values("grant_id")
    grants = (
        Grant.objects.filter(
            case__program=run.program,
            case__region_code__startswith=code_prefix(run.region_code),
            granted_on__lte=end,
            amount__gt=0,
        )
        .exclude(pk__in=lined)
        .select_related("case")
        .order_by("pk")
    )
    with transaction.atomic():
        _step(run, status, stage=STAGE_GRANTS)
        now = timezone.now()
        lines = [
            PaymentLine(
                run=run,
                case_id=g.case_id,
                person_id=g.case.applicant_id,
                household_id=g.case.household_id,
                grant_id=g.pk,
                program=run.program,
                region_code=g.case.region_code,
                month=g.granted_on.replace(day=1),
                kind=LineKind.GRANT,
                amount=g.amount,
                note=GRANT_NOTE.format(kind=g.get_kind_display(), day=_day_label(g.granted_on)),
                created_at=now,
            )
            for g in grants
        ]
        PaymentLine.objects.bulk_create(lines, ignore_conflicts=True)


def _generate_one_off_progress(run: PayrollRun, status: str) -> None:
    with transaction.atomic():
        _step(run, status, cases_total=1, cases_done=0, stage=STAGE_GRANTS)


def run_generate(*, run_id: int, progress: Progress | None = None) -> PayrollRun:
    """Write the run's lines (see module doc), updating cases_done/stage as it goes, then the
    totals; the run ends DRAFT. Safe to call again at any time while the run is GENERATING or
    DRAFT (resumes / completes; nothing doubles). A run cancelled meanwhile stops quietly."""
    run = PayrollRun.objects.get(pk=run_id)
    status = run.status
    if status not in (RunStatus.GENERATING, RunStatus.DRAFT):
        raise PaymentError(
            RUN_STATUS_REFUSED.format(
                number=run.number, status=run.get_status_display(), action=ACTION_GENERATE
            )
        )
    try:
        if run.started_at is None:
            with transaction.atomic():
                _step(run, status, started_at=timezone.now())
        if POLICIES[run.program].kind in ONE_OFF_KINDS:
            _generate_one_off_progress(run, status)
        else:
            _generate_regular(run, status, progress)
            _generate_changes(run, status)
        _generate_grants(run, status)
        _finish(run, status)
    except _Stopped:
        run.refresh_from_db()
        return run
    if progress:
        progress(run.cases_total, run.cases_total)
    return run


def _finish(run: PayrollRun, status: str) -> None:
    with transaction.atomic():
        _step(run, status, stage=STAGE_TOTALS)
        run_totals(run)
        fields: dict[str, Any] = {"stage": STAGE_DONE, "cases_done": run.cases_total}
        if status == RunStatus.GENERATING:
            fields |= {
                "status": RunStatus.DRAFT,
                "generated_at": timezone.now(),
                "version": run.version + 1,
            }
        _step(run, status, **fields)
        kinds = dict(
            PaymentLine.objects.filter(run=run)
            .values("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        )
        run_audit(
            run,
            None,
            "payroll.generate",
            status=[status, run.status],
            line_count=run.line_count,
            total_amount=run.total_amount,
            payable_amount=run.payable_amount,
            recovery_amount=run.recovery_amount,
            kinds=kinds,
        )


# --- regenerate, cancel ------------------------------------------------------------------------


def _locked(run: PayrollRun, version: int | None) -> PayrollRun:
    current = PayrollRun.objects.select_for_update().get(pk=run.pk)
    expected = run.version if version is None else version
    if current.version != expected:
        raise PaymentConflict()
    return current


def run_move(
    run: PayrollRun, *, before: str, to: str, version: int | None = None, **fields: Any
) -> None:
    """Move the run from status `before` to `to` (version + 1, with `fields`) by a conditional
    UPDATE on its status and version (`run.version` unless given): PaymentConflict when someone
    moved it meanwhile. The instance follows the row."""
    expected = run.version if version is None else version
    moved = PayrollRun.objects.filter(pk=run.pk, status=before, version=expected).update(
        status=to, version=F("version") + 1, **fields
    )
    if not moved:
        raise PaymentConflict()
    run.refresh_from_db()


def _refuse(run: PayrollRun, action: str) -> PaymentError:
    return PaymentError(
        RUN_STATUS_REFUSED.format(number=run.number, status=run.get_status_display(), action=action)
    )


def _delete_lines(run: PayrollRun) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(PaymentLine)} WHERE run_id = %s", [run.pk])  # noqa: S608
        return int(cursor.rowcount or 0)


def run_regenerate(
    *,
    actor: User | None,
    run: PayrollRun,
    version: int | None = None,
    background: bool = True,
) -> PayrollRun:
    """Drop the lines of a DRAFT or CHECKED run and generate again (cases changed since). The
    run is GENERATING again (its check is void); generation is queued, or done at once when
    not `background`."""
    _require_operator(actor, run.region_code)
    with transaction.atomic():
        current = _locked(run, version)
        if current.status not in (RunStatus.DRAFT, RunStatus.CHECKED):
            raise _refuse(current, ACTION_REGENERATE)
        before, lines_before = current.status, current.line_count
        dropped = _delete_lines(current)
        PayrollRun.objects.filter(pk=current.pk).update(
            status=RunStatus.GENERATING,
            version=F("version") + 1,
            cases_total=0,
            cases_done=0,
            stage="",
            message="",
            started_at=None,
            generated_at=None,
            line_count=0,
            beneficiary_count=0,
            total_amount=ZERO,
            payable_amount=ZERO,
            recovery_amount=ZERO,
            check_report={},
            checked_by=None,
            checked_at=None,
        )
        current.refresh_from_db()
        run_audit(
            current,
            actor,
            "payroll.regenerate",
            status=[before, current.status],
            line_count=[lines_before, 0],
            dropped=dropped,
        )
        if background:
            _enqueue_on_commit(current.pk)
    if not background:
        return run_generate(run_id=current.pk)
    return current


CANCELLABLE = (RunStatus.GENERATING, RunStatus.DRAFT, RunStatus.CHECKED, RunStatus.APPROVED)


def run_cancel(
    *, actor: User | None, run: PayrollRun, reason: str, version: int | None = None
) -> PayrollRun:
    """Cancel a run that is not locked yet: its lines are deleted, the run stays as CANCELLED."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError({"reason": [CANCEL_REASON_REQUIRED]})
    _require_operator(actor, run.region_code)
    with transaction.atomic():
        current = _locked(run, version)
        if current.status not in CANCELLABLE:
            raise _refuse(current, ACTION_CANCEL)
        dropped = _delete_lines(current)
        before = current.status
        PayrollRun.objects.filter(pk=current.pk).update(
            status=RunStatus.CANCELLED,
            version=F("version") + 1,
            cancel_reason=reason[:200],
            stage="",
        )
        current.refresh_from_db()
        run_audit(
            current,
            actor,
            "payroll.cancel",
            reason,
            status=[before, current.status],
            line_count=[current.line_count, 0],
            dropped=dropped,
        )
    return current


# --- totals ---------------------------------------------------------------------------------------


def run_totals(run: PayrollRun) -> None:
    """Recompute line_count, beneficiary_count, total_amount, payable_amount (per payee the
    positive net of its lines) and recovery_amount from the lines, and save them. Lines left
    out of the disbursement at locking (no bank account) count in the total, not in what is
    paid or recovered.

    A payee has at most one REGULAR line in a run (payment_once_per_month), so a payee whose
    only line is a positive REGULAR one pays exactly that: one scan sums those; only the few
    payees with other lines (arrears, adjustments, grants, nothing to pay, no account) are
    grouped. Grouping all of a million lines took 2 s, these two scans a fraction of it."""
    fen = FEN_SQL.format(col="amount")
    line = _table(PaymentLine)
    regular, no_account = LineKind.REGULAR.value, LineStatus.NO_ACCOUNT.value
    everything = (
        f"SELECT COUNT(*), COALESCE(SUM({fen}), 0), "  # noqa: S608
        f"COALESCE(SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN kind = %s THEN {fen} ELSE 0 END), 0) "
        f"FROM {line} WHERE run_id = %s"
    )
    special = (
        f"SELECT COUNT(*), COALESCE(SUM(reg_n), 0), COALESCE(SUM(reg_fen), 0), "  # noqa: S608
        f"COALESCE(SUM(CASE WHEN pay > 0 THEN pay ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN pay < 0 THEN -pay ELSE 0 END), 0) "
        f"FROM (SELECT person_id, "
        f"SUM(CASE WHEN status <> %s THEN {fen} ELSE 0 END) AS pay, "
        f"SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END) AS reg_n, "
        f"SUM(CASE WHEN kind = %s THEN {fen} ELSE 0 END) AS reg_fen "
        f"FROM {line} WHERE run_id = %s AND person_id IN (SELECT person_id FROM {line} "
        f"WHERE run_id = %s AND (kind <> %s OR amount <= 0 OR status = %s)) "
        f"GROUP BY person_id) s"
    )
    with connection.cursor() as cursor:
        cursor.execute(everything, [regular, regular, run.pk])
        lines, total, regular_n, regular_fen = cursor.fetchone()
        cursor.execute(special, [no_account, regular, regular, run.pk, run.pk, regular, no_account])
        odd_payees, odd_regular_n, odd_regular_fen, odd_pay, recovery = cursor.fetchone()
    fields = {
        "line_count": int(lines),
        "beneficiary_count": int(regular_n) - int(odd_regular_n) + int(odd_payees),
        "total_amount": _fen(total),
        "payable_amount": _fen(int(regular_fen) - int(odd_regular_fen) + int(odd_pay)),
        "recovery_amount": _fen(recovery),
    }
    PayrollRun.objects.filter(pk=run.pk).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


# --- the check report ---------------------------------------------------------------------------

SAMPLE_LIMIT = 200
CHANGE_LABELS = {
    "new": "新增",
    "increased": "增发",
    "decreased": "减发",
    "stopped": "停发",
}


def _changes_sql(run: PayrollRun, previous_ids: Sequence[int]) -> tuple[str, list[Any]]:
    """Per case: this month's regular amount (fen), last month's (the regular lines of last
    month's runs in this run's region), and the change. Read by run, through the index that
    starts with run_id."""
    fen = FEN_SQL.format(col="amount")
    runs = ", ".join(["%s"] * (1 + len(previous_ids)))
    inner = (
        f"SELECT case_id, run_id, {fen} AS fen FROM {_table(PaymentLine)} "  # noqa: S608
        f"WHERE run_id IN ({runs}) AND kind = %s AND region_code LIKE %s"
    )
    per_case = (
        f"SELECT case_id, "  # noqa: S608
        f"SUM(CASE WHEN run_id = %s THEN fen ELSE 0 END) AS now_fen, "
        f"SUM(CASE WHEN run_id <> %s THEN fen ELSE 0 END) AS before_fen, "
        f"MAX(CASE WHEN run_id = %s THEN 1 ELSE 0 END) AS in_now, "
        f"MAX(CASE WHEN run_id <> %s THEN 1 ELSE 0 END) AS in_before "
        f"FROM ({inner}) l GROUP BY case_id"
    )
    classified = (
        f"SELECT case_id, now_fen, before_fen, "  # noqa: S608
        f"CASE WHEN in_before = 0 THEN 'new' WHEN in_now = 0 THEN 'stopped' "
        f"WHEN now_fen > before_fen THEN 'increased' "
        f"WHEN now_fen < before_fen THEN 'decreased' ELSE 'same' END AS chg "
        f"FROM ({per_case}) p"
    )
    params: list[Any] = [run.pk] * 4 + [run.pk, *previous_ids]
    params += [LineKind.REGULAR.value, code_prefix(run.region_code) + "%"]
    return classified, params


def _case_reasons(case_ids: Iterable[int], month: datetime.date, stopped: bool) -> dict[int, str]:
    """Why a case's amount changed: a stopped case's status (or death), else the reason of
    its newest period in force."""
    ids = list(case_ids)
    status = dict(Case.objects.filter(pk__in=ids).values_list("pk", "status"))
    latest: dict[int, BenefitPeriod] = {}
    for row in BenefitPeriod.objects.filter(case_id__in=ids, valid_from__lte=month).order_by(
        "case_id", "valid_from"
    ):
        latest[row.case_id] = row
    reasons = {}
    for case_id in ids:
        period = latest.get(case_id)
        calculation = period.calculation if period is not None else None
        if stopped and isinstance(calculation, dict) and calculation.get("death"):
            reasons[case_id] = DEATH_REASON
            continue
        state = status.get(case_id, "")
        if stopped and state in (CaseStatus.SUSPENDED, CaseStatus.TERMINATED):
            reasons[case_id] = str(CaseStatus(state).label)
        elif period is not None:
            reasons[case_id] = str(period.get_reason_display())
        else:
            reasons[case_id] = ""
    return reasons


def _change_figures(run: PayrollRun, previous_ids: Sequence[int]) -> dict[str, Any]:
    """Counts and amounts by change (one query), and the first 200 cases of each (another)."""
    classified, params = _changes_sql(run, previous_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chg, COUNT(*), SUM(now_fen), SUM(before_fen) FROM ({classified}) c "  # noqa: S608
            f"GROUP BY chg",
            params,
        )
        figures = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT case_id, now_fen, before_fen, chg FROM (SELECT c.*, "  # noqa: S608
            f"ROW_NUMBER() OVER (PARTITION BY chg ORDER BY case_id) AS n "
            f"FROM ({classified}) c WHERE chg <> 'same') s "
            f"WHERE n <= {SAMPLE_LIMIT} ORDER BY chg, case_id",
            params,
        )
        sampled: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for case_id, now_fen, before_fen, change in cursor.fetchall():
            sampled[change].append((case_id, now_fen, before_fen))
    out: dict[str, Any] = {}
    for change, label in CHANGE_LABELS.items():
        count, now_fen, before_fen = figures.get(change, (0, 0, 0))
        amount = _fen(now_fen) - _fen(before_fen)
        if change in ("decreased", "stopped"):
            amount = -amount
        out[change] = {
            "label": label,
            "count": int(count),
            "amount": str(amount),
            "samples": _samples(run, sampled[change], change),
        }
    same = figures.get("same", (0, 0, 0))
    out["unchanged"] = {"label": "无变化", "count": int(same[0]), "amount": str(_fen(same[1]))}
    return out


def _samples(run: PayrollRun, rows: list[tuple[Any, ...]], change: str) -> list[dict[str, Any]]:
    ids = [row[0] for row in rows]
    cases = {
        pk: (number, person_id, region)
        for pk, number, person_id, region in Case.objects.filter(pk__in=ids).values_list(
            "pk", "number", "applicant_id", "region_code"
        )
    }
    names = dict(
        Person.objects.filter(pk__in=[c[1] for c in cases.values()]).values_list("pk", "name")
    )
    reasons = _case_reasons(ids, run.month, stopped=change == "stopped")
    samples = []
    for case_id, now_fen, before_fen in rows:
        number, person_id, region = cases.get(case_id, ("", 0, ""))
        samples.append(
            {
                "case_id": case_id,
                "case": number,
                "name": names.get(person_id, ""),
                "region_code": region,
                "before": str(_fen(before_fen)) if change != "new" else None,
                "after": str(_fen(now_fen)) if change != "stopped" else None,
                "reason": reasons.get(case_id, ""),
            }
        )
    return samples


def _by_township(run: PayrollRun) -> list[dict[str, Any]]:
    fen = FEN_SQL.format(col="amount")
    sql = (
        f"SELECT SUBSTR(region_code, 1, 9), COUNT(*), COUNT(DISTINCT person_id), "  # noqa: S608
        f"SUM({fen}) FROM {_table(PaymentLine)} WHERE run_id = %s "
        f"GROUP BY SUBSTR(region_code, 1, 9) ORDER BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk])
        rows = cursor.fetchall()
    codes = [row[0].ljust(12, "0") for row in rows]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [
        {
            "code": code,
            "name": names.get(code, ""),
            "lines": int(n),
            "persons": int(persons),
            "amount": str(_fen(total)),
        }
        for code, (_, n, persons, total) in zip(codes, rows, strict=True)
    ]


def _by_kind(run: PayrollRun) -> list[dict[str, Any]]:
    fen = FEN_SQL.format(col="amount")
    sql = (
        f"SELECT kind, COUNT(*), SUM({fen}) FROM {_table(PaymentLine)} WHERE run_id = %s "  # noqa: S608
        f"GROUP BY kind"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk])
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    return [
        {
            "kind": kind.value,
            "label": str(kind.label),
            "lines": int(found[kind.value][0]),
            "amount": str(_fen(found[kind.value][1])),
        }
        for kind in LineKind
        if kind.value in found
    ]


def check_report_build(run: PayrollRun) -> dict[str, object]:
    """The check (审核) figures: totals by township and by line kind, and the changes against
    the previous month's run of the same program and region by reason: new (新增), increased
    (增发), decreased (减发), stopped (停发, with the case's reason: suspended, terminated,
    death ...), each with count and amount and up to 200 sample rows (case, name, before,
    after, reason). JSON-serialisable (Decimals as strings).

    Last month is every regular line of the program for the month before in the run's region
    (whichever live run paid it: the county's or the township's); none: every case is new.
    Keys: run, program, month, previous_month, previous_runs, totals, by_kind, by_township,
    changes {new, increased, decreased, stopped: {label, count, amount, samples}, unchanged}.
    Only reads (a page may show it for a draft): the totals are the run's, as generation left
    them."""
    previous = add_months(run.month, -1)
    previous_runs = [
        r
        for r in PayrollRun.objects.filter(
            program=run.program, month=previous, status__in=LIVE_RUN_STATUSES
        ).order_by("number")
        if _overlaps(r.region_code, run.region_code)
    ]
    return {
        "run": run.number,
        "program": run.program,
        "program_label": program_label(run.program),
        "region_code": run.region_code,
        "month": f"{run.month:%Y-%m}",
        "previous_month": f"{previous:%Y-%m}",
        "previous_runs": [r.number for r in previous_runs],
        "totals": {
            "line_count": run.line_count,
            "beneficiary_count": run.beneficiary_count,
            "total_amount": str(run.total_amount),
            "payable_amount": str(run.payable_amount),
            "recovery_amount": str(run.recovery_amount),
        },
        "by_kind": _by_kind(run),
        "by_township": _by_township(run),
        "changes": _change_figures(run, [r.pk for r in previous_runs]),
    }
