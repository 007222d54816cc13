"""A match run (比对批次): snapshot the county's rolls, apply the enabled rules on an engine to
the active datasets, and land the hits as flags: new ones only (unique per rule, person and
evidence), each with its evidence row; death hits suspend the case from next month pending
confirmation, review hits open a data-matching review with a deadline, candidates wait in the
漏保 list.

Landing is set-based. The hits files are read by DuckDB, joined with their evidence rows (the
dataset's Parquet, by row_no), and turned into flag rows there: the evidence as JSON, its key
(sha256 of rule, person and the evidence's content), the summary from the rule's meaning. The
rows go to the database in one statement (PostgreSQL: COPY into a temporary table, then
INSERT ... SELECT ... ON CONFLICT DO NOTHING; SQLite: the same through chunks of INSERTs), so
that a flag already raised (open, confirmed or dismissed) is never raised again; it only
records the run that saw it last. The flags, their reviews, suspensions and the run's DONE are
one transaction: a run that fails or is cancelled leaves no flags."""

from __future__ import annotations

import datetime
import json
import logging
import shutil
import string
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone, translation

from minzheng.core.audit import audit_record
from minzheng.core.models import Region, User
from minzheng.core.regions import RegionCodeError, code_level, code_prefix, normalize_code
from minzheng.core.scope import require_in_scope
from minzheng.matching.engines import ENGINES, engine_open
from minzheng.matching.engines.duckdb_engine import _quote, duckdb_connect
from minzheng.matching.errors import MatchingError
from minzheng.matching.models import (
    ExternalDataset,
    FlagStatus,
    MatchFlag,
    MatchRun,
    RuleAction,
    RunStatus,
)
from minzheng.matching.permissions import MATCH_OPERATORS
from minzheng.matching.rules import RULES, Rule, RuleContext
from minzheng.matching.services.rule_settings import (
    county_of,
    rule_due_days,
    rule_settings,
    rule_threshold,
)
from minzheng.matching.snapshot import _funeral_programs, snapshot_write
from minzheng.programs.deadlines import Deadline, first_of_next_month, working_deadline
from minzheng.programs.models import (
    PAYING_STATUSES,
    BenefitPeriod,
    Case,
    CaseMember,
    CaseStatus,
    Review,
    ReviewKind,
)
from minzheng.programs.policies import POLICIES, program_label
from minzheng.registry.models import Person

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (stage label in Chinese, percent)

LIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
REVIEWABLE_STATUSES = (*PAYING_STATUSES, CaseStatus.SUSPENDED)

RUN_NOT_ALLOWED = "只有县(区)民政局经办人员可以发起信息比对"
RUN_REGION_INVALID = "比对区划应为县(区)及以上的区划代码,“{code}”不是"
RUN_REGION_UNKNOWN = "区划代码“{code}”不存在"
RUN_REGION_MISSING = "请指定比对区划"
RUN_ALREADY_LIVE = "{region}已有正在进行的比对批次{number},请等待其完成或取消后再发起"
RUN_ENGINE_UNKNOWN = "未知的比对引擎:{engine}(可选 duckdb、spark)"
RUN_RULE_UNKNOWN = "未知的比对规则:{code}"
RUN_NO_RULES = "没有可以执行的比对规则:请启用规则,或先导入规则所需的比对数据"
RUN_NOT_QUEUED = "比对批次{number}当前为“{status}”,不能执行"
RUN_CANCEL_REFUSED = "比对批次{number}当前为“{status}”,不能取消"
RUN_FAILED = "比对失败:{error}"
RUN_CANCELLED = "已由{user}取消"
RUN_DONE_MESSAGE = "比对{rules}条规则,命中{hits}条,新增疑点{new}条"
SUSPEND_REASON = "信息比对:{summary}"
MISSING_VALUE = "—"

STAGE_QUEUED = "排队中"
STAGE_SNAPSHOT = "导出名册"
STAGE_MATCH = "比对"
STAGE_LAND = "写入疑点"
STAGE_REVIEWS = "生成复核任务"
STAGE_DONE = "已完成"

# Percent of the progress bar at which each stage starts.
PERCENT_SNAPSHOT, PERCENT_MATCH, PERCENT_LAND, PERCENT_REVIEWS = 2, 10, 75, 90
LANDING_CHUNK = 5000

FLAG_LANDING_COLUMNS = (
    ("rule", "varchar(40)"),
    ("action", "varchar(12)"),
    ("person_id", "bigint"),
    ("case_id", "bigint"),
    ("household_id", "bigint"),
    ("region_code", "varchar(12)"),
    ("program", "varchar(32)"),
    ("dataset_id", "bigint"),
    ("row_no", "bigint"),
    ("evidence_key", "varchar(64)"),
    ("evidence", "text"),
    ("summary", "varchar(300)"),
    ("match_weight", "numeric(7,2)"),
    ("due_on", "date"),
)


class _Stopped(Exception):
    """The run left RUNNING meanwhile (cancelled)."""


# --- small helpers ------------------------------------------------------------------------------


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _today() -> datetime.date:
    return timezone.localdate()


def run_dir(run: MatchRun) -> Path:
    """The run's files (snapshot, engine work, hits) under MATCHING_DIR/runs/."""
    return Path(settings.MATCHING_DIR) / "runs" / run.number


def _run_audit(
    run: MatchRun, actor: User | None, action: str, reason: str = "", **changes: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="MatchRun",
        object_id=run.pk,
        region_code=run.region_code,
        changes=changes,
        reason=reason,
    )


def _region(code: str | None) -> str:
    if not code:
        raise MatchingError({"region_code": [RUN_REGION_MISSING]})
    try:
        code = normalize_code(code)
    except RegionCodeError as e:
        raise MatchingError({"region_code": [str(e)]}) from None
    if code_level(code) > 3:
        raise MatchingError({"region_code": [RUN_REGION_INVALID.format(code=code)]})
    if not Region.objects.filter(code=code).exists():
        raise MatchingError({"region_code": [RUN_REGION_UNKNOWN.format(code=code)]})
    return code


def _region_name(code: str) -> str:
    return Region.objects.filter(code=code).values_list("name", flat=True).first() or code


def active_datasets_of(region_code: str) -> dict[str, ExternalDataset]:
    """{kind: the active delivery} of the county (the intake's active_datasets)."""
    from minzheng.matching.services.datasets import active_datasets

    return active_datasets(region_code)


def _rule_codes(rules: list[str] | None, region_code: str) -> list[str]:
    if rules:
        unknown = [c for c in rules if c not in RULES]
        if unknown:
            raise MatchingError({"rules": [RUN_RULE_UNKNOWN.format(code=c) for c in unknown]})
        return list(dict.fromkeys(rules))
    return [c for c in RULES if rule_settings(c, region_code).enabled]


def _run_number(region_code: str, day: datetime.date) -> str:
    """BD + the region's significant digits + year and month + a 4-digit sequence."""
    base = f"BD{code_prefix(region_code)}{day:%Y%m}"
    taken = MatchRun.objects.filter(number__startswith=base).values_list("number", flat=True)
    highest = max((int(n[len(base) :]) for n in taken if n[len(base) :].isdigit()), default=0)
    return f"{base}{highest + 1:04d}"


def _serialize_starts(region_code: str) -> None:
    """On PostgreSQL, starts of the same region wait for each other (SQLite's IMMEDIATE
    transactions already do); the partial unique constraint is the last word."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"matching:{region_code}".encode()) - 2**31
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _live_run(region_code: str) -> MatchRun | None:
    return MatchRun.objects.filter(region_code=region_code, status__in=LIVE_STATUSES).first()


def _already_live(run: MatchRun) -> MatchingError:
    return MatchingError(
        RUN_ALREADY_LIVE.format(region=_region_name(run.region_code), number=run.number)
    )


# --- start ---------------------------------------------------------------------------------------


def run_start(
    *,
    actor: User | None,
    region_code: str | None = None,
    engine: str = "duckdb",
    rules: list[str] | None = None,
    as_of: datetime.date | None = None,
    enqueue: bool = True,
) -> MatchRun:
    """A QUEUED run of `rules` (default: every enabled rule) over the county's rolls and active
    datasets, on `engine`; queued as a background task unless enqueue=False (the CLI runs it in
    its own process). MatchingError when a run of the county is already queued or running, the
    engine is unknown, or no rule can run (no dataset); region defaults to the actor's county."""
    if actor is not None and actor.role not in MATCH_OPERATORS:
        raise PermissionDenied(RUN_NOT_ALLOWED)
    region = _region(region_code or (county_of(actor.region_id) if actor else None))
    if actor is not None:
        require_in_scope(actor, region)
    if engine not in ENGINES:
        raise MatchingError({"engine": [RUN_ENGINE_UNKNOWN.format(engine=engine)]})
    codes = _rule_codes(rules, region)
    datasets = active_datasets_of(region)
    kinds = {RULES[c].dataset_kind for c in codes} - {None}
    if not any(RULES[c].dataset_kind is None or RULES[c].dataset_kind in datasets for c in codes):
        raise MatchingError({"rules": [RUN_NO_RULES]})
    with transaction.atomic():
        _serialize_starts(region)
        live = _live_run(region)
        if live is not None:
            raise _already_live(live)
        try:
            with transaction.atomic():
                run = MatchRun.objects.create(
                    number=_run_number(region, _today()),
                    region_code=region,
                    engine=engine,
                    as_of=as_of or _today(),
                    stage=STAGE_QUEUED,
                    rules=codes,
                    datasets={k: d.pk for k, d in sorted(datasets.items()) if k in kinds},
                    created_by=actor,
                )
        except IntegrityError:
            live = _live_run(region)
            if live is None:
                raise
            raise _already_live(live) from None
        _run_audit(
            run,
            actor,
            "matching.run_start",
            engine=engine,
            rules=codes,
            datasets=run.datasets,
            as_of=run.as_of,
        )
        if enqueue:
            transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from minzheng.matching.tasks import match_run_task

    match_run_task.enqueue(run_id)


# --- progress ------------------------------------------------------------------------------------


def _step(run: MatchRun, progress: Progress | None, **fields: Any) -> None:
    """Save progress on the run while it is RUNNING; _Stopped when it was cancelled."""
    done = MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(**fields)
    if not done:
        raise _Stopped()
    for name, value in fields.items():
        setattr(run, name, value)
    if progress is not None and "stage" in fields:
        progress(run.stage, run.percent)


def _begin(run: MatchRun) -> None:
    moved = MatchRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), stage=STAGE_SNAPSHOT, percent=0
    )
    if not moved:
        run.refresh_from_db()
        if run.status == RunStatus.CANCELLED:
            raise _Stopped()
        raise MatchingError(
            RUN_NOT_QUEUED.format(number=run.number, status=run.get_status_display())
        )
    run.refresh_from_db()


# --- execute -------------------------------------------------------------------------------------


def run_execute(
    run: MatchRun, *, progress: Progress | None = None, master: str | None = None
) -> MatchRun:
    """Do the run (task or CLI): stages 导出名册 / 比对 (per rule) / 写入疑点 / 生成复核任务,
    progress saved on the run as it goes; DONE with counts per rule, or FAILED with the
    message (nothing half-landed: flags of a failed run are not kept). `master`: the Spark
    master URL (default settings.MATCHING_SPARK_MASTER)."""
    run = MatchRun.objects.get(pk=run.pk)
    try:
        _begin(run)
        _step(run, progress, stage=STAGE_SNAPSHOT, percent=PERCENT_SNAPSHOT)
        snap = snapshot_write(
            region_code=run.region_code, as_of=run.as_of, out_dir=run_dir(run) / "snapshot"
        )
        _step(run, None, beneficiary_count=snap.beneficiary_count)
        datasets = _dataset_paths(run)
    except _Stopped:
        return _stopped(run)
    except MatchingError:
        raise
    except Exception as e:
        return _fail(run, e)
    return run_execute_files(
        run,
        beneficiaries=snap.beneficiaries,
        residents=snap.residents,
        datasets=datasets,
        progress=progress,
        master=master,
    )


def _dataset_paths(run: MatchRun) -> dict[str, Path]:
    found = ExternalDataset.objects.filter(pk__in=list(run.datasets.values()))
    paths = {d.kind: Path(d.parquet_path) for d in found if d.parquet_path}
    return {k: p for k, p in paths.items() if k in run.datasets}


def run_execute_files(
    run: MatchRun,
    *,
    beneficiaries: Path,
    residents: Path,
    datasets: dict[str, Path],
    progress: Progress | None = None,
    master: str | None = None,
) -> MatchRun:
    """The run from its files on: apply the rules on the run's engine to the snapshot
    (`beneficiaries`, `residents`) and `datasets` (kind -> canonical Parquet), land the new
    flags with their evidence, open their reviews and suspensions (flags_land), DONE; FAILED
    with nothing landed on any error. A QUEUED run is started first."""
    try:
        if run.status == RunStatus.QUEUED:
            _begin(run)
        if not run.beneficiary_count:
            _step(run, None, beneficiary_count=_count_rows(beneficiaries))
        results = _apply(run, beneficiaries, residents, datasets, progress, master)
        _step(run, progress, stage=STAGE_LAND, percent=PERCENT_LAND)
        with transaction.atomic():
            _lock_running(run)
            counts = _land(run, results, datasets)
            if progress is not None:
                progress(STAGE_REVIEWS, PERCENT_REVIEWS)
            flags_land(run)
            _finish(run, counts)
    except _Stopped:
        return _stopped(run)
    except Exception as e:
        return _fail(run, e)
    if progress is not None:
        progress(STAGE_DONE, 100)
    _cleanup(run)
    return run


def _count_rows(path: Path) -> int:
    con = duckdb_connect()
    try:
        return int(con.execute(f"SELECT count(*) FROM {_parquet(path)}").fetchall()[0][0])
    finally:
        con.close()


def _parquet(path: Path) -> str:
    """read_parquet of a file, or of a directory of part files (Spark)."""
    source = Path(path)
    pattern = source / "*.parquet" if source.is_dir() else source
    return f"read_parquet({_quote(pattern)})"


def _contexts(run: MatchRun, kinds: frozenset[str]) -> list[tuple[Rule, RuleContext]]:
    pairs = []
    for code in run.rules:
        rule = RULES.get(code)
        if rule is None:
            continue
        threshold = rule_threshold(code, rule_settings(code, run.region_code))
        pairs.append((rule, RuleContext(as_of=run.as_of, threshold=threshold, datasets=kinds)))
    return pairs


def _apply(
    run: MatchRun,
    beneficiaries: Path,
    residents: Path,
    datasets: dict[str, Path],
    progress: Progress | None,
    master: str | None,
) -> list[Any]:
    from minzheng.matching.apply import apply_rules

    _step(run, progress, stage=STAGE_MATCH, percent=PERCENT_MATCH)

    def rule_progress(label: str, done: int, total: int) -> None:
        span = PERCENT_LAND - PERCENT_MATCH
        percent = PERCENT_MATCH + (span * done // total if total else 0)
        _step(run, progress, stage=str(label)[:60], percent=percent)

    options: dict[str, Any] = {"master": master} if run.engine == "spark" and master else {}
    work = run_dir(run)
    engine = engine_open(run.engine, workdir=work / "engine", **options)
    try:
        return apply_rules(
            engine,
            beneficiaries=beneficiaries,
            residents=residents,
            datasets=datasets,
            rules=_contexts(run, frozenset(datasets)),
            out_dir=work / "hits",
            progress=rule_progress,
        )
    finally:
        engine.close()


def _lock_running(run: MatchRun) -> None:
    """Inside the landing transaction: the run is still RUNNING (a cancellation waits for the
    landing, and then finds the run DONE)."""
    locked = MatchRun.objects.select_for_update().filter(pk=run.pk, status=RunStatus.RUNNING)
    if not locked.exists():
        raise _Stopped()


def _finish(run: MatchRun, counts: dict[str, dict[str, Any]]) -> None:
    hits = sum(int(c["hits"]) for c in counts.values())
    new = sum(int(c["new"]) for c in counts.values())
    now = timezone.now()
    started = run.started_at or now
    fields = {
        "status": RunStatus.DONE,
        "stage": STAGE_DONE,
        "percent": 100,
        "rule_counts": counts,
        "hit_count": hits,
        "new_flag_count": new,
        "finished_at": now,
        "seconds": round((now - started).total_seconds(), 1),
        "message": RUN_DONE_MESSAGE.format(rules=len(counts), hits=hits, new=new),
    }
    done = MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(**fields)
    if not done:
        raise _Stopped()
    run.refresh_from_db()
    _run_audit(
        run,
        None,
        "matching.run_finish",
        status=[RunStatus.RUNNING, RunStatus.DONE],
        flags=new,
        hits=hits,
        rules={code: c["new"] for code, c in counts.items()},
    )


def _discard_flags(run: MatchRun) -> int:
    """Flags a run wrote that did not stay (its landing rolled back leaves none; this is the
    safety net for anything committed before a failure)."""
    deleted, _ = MatchFlag.objects.filter(run=run, review__isnull=True).delete()
    return deleted


def _fail(run: MatchRun, error: BaseException) -> MatchRun:
    logger.exception("match run %s failed", run.number)
    _discard_flags(run)
    message = RUN_FAILED.format(error=str(error) or type(error).__name__)[:2000]
    run.refresh_from_db()
    before = run.status
    MatchRun.objects.filter(pk=run.pk, status__in=LIVE_STATUSES).update(
        status=RunStatus.FAILED, message=message, finished_at=timezone.now()
    )
    run.refresh_from_db()
    if run.status == RunStatus.FAILED and before != RunStatus.FAILED:
        _run_audit(run, None, "matching.run_fail", message, status=[before, RunStatus.FAILED])
    _cleanup(run)
    return run


def _stopped(run: MatchRun) -> MatchRun:
    _discard_flags(run)
    run.refresh_from_db()
    _cleanup(run)
    return run


def _cleanup(run: MatchRun) -> None:
    """The run's own files (snapshot, engine work, hits) are not kept unless
    MATCHING_KEEP_RUN_FILES: the flags hold their evidence."""
    if getattr(settings, "MATCHING_KEEP_RUN_FILES", False):
        return
    shutil.rmtree(run_dir(run), ignore_errors=True)


# --- landing: hits -> flags ---------------------------------------------------------------------


def _deadlines(run: MatchRun) -> dict[str, Deadline]:
    """Each rule's due date for the flags landed today (computed once per rule)."""
    today = _today()
    return {
        code: working_deadline(today, rule_due_days(code, rule_settings(code, run.region_code)))
        for code in run.rules
        if code in RULES
    }


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _meaning(rule: Rule) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(rule.meaning)


def _program_label_sql(expr: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        whens = " ".join(
            f"WHEN {_sql_text(code)} THEN {_sql_text(program_label(code))}" for code in POLICIES
        )
    return f"CASE {expr} {whens} ELSE {expr} END"


def _field_sql(name: str, after: str, columns: dict[str, str]) -> str:
    """How a placeholder of a rule's meaning reads: dates 2026年11月3日, amounts with 2
    places (an age in whole years), text as it is; missing: —."""
    if name == "figure":
        if after.startswith(("周岁", "岁")):
            expr = "CAST(CAST(trunc(h.figure) AS BIGINT) AS VARCHAR)"
        else:
            expr = "printf('%.2f', h.figure)"
    elif name == "match_weight":
        expr = "printf('%.2f', h.match_weight)"
    elif name in columns:
        kind = columns[name].upper()
        if kind == "DATE" or kind.startswith("TIMESTAMP"):
            expr = f"strftime(CAST(d.{name} AS DATE), '%Y年%-m月%-d日')"
        elif kind.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
            expr = f"printf('%.2f', d.{name})"
        else:
            expr = f"CAST(d.{name} AS VARCHAR)"
    elif name == "program":
        expr = _program_label_sql("h.program")
    else:
        return _sql_text(MISSING_VALUE)
    return f"COALESCE({expr}, {_sql_text(MISSING_VALUE)})"


def summary_sql(rule: Rule, columns: dict[str, str]) -> str:
    """The rule's meaning formatted with the hit's evidence, as a DuckDB expression over the
    hit `h` and its evidence row `d` (the format_map of the template, done set-based)."""
    parsed = list(string.Formatter().parse(_meaning(rule)))
    parts: list[str] = []
    for i, (literal, name, _, _) in enumerate(parsed):
        if literal:
            parts.append(_sql_text(literal))
        if name is not None:
            after = parsed[i + 1][0] if i + 1 < len(parsed) else ""
            parts.append(_field_sql(name, after, columns))
    if not parts:
        return "''"
    return f"left(concat({', '.join(parts)}), 300)"


def _dataset_columns(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    described = con.execute(f"DESCRIBE SELECT * FROM {_parquet(path)}").fetchall()
    return {str(r[0]): str(r[1]) for r in described}


def _rule_select(
    con: duckdb.DuckDBPyConnection,
    run: MatchRun,
    rule: Rule,
    hits_path: Path,
    dataset: Path | None,
    deadline: Deadline,
) -> str:
    """The flag rows of one rule's hits (FLAG_LANDING_COLUMNS), evidence joined by row_no."""
    if dataset is not None:
        columns = _dataset_columns(con, dataset)
        row = [c for c in columns if c != "row_no"]
        core = "struct_pack(" + ", ".join(f"{c} := d.{c}" for c in row) + ")"
        stored = (
            "struct_pack("
            + ", ".join([*(f"{c} := d.{c}" for c in row), "figure := h.figure"])
            + ", match_weight := round(h.match_weight, 2))"
        )
        source = f"{_parquet(hits_path)} h LEFT JOIN {_parquet(dataset)} d ON d.row_no = h.row_no"
        dataset_id = run.datasets.get(rule.dataset_kind or "")
    else:
        columns = {}
        core = "struct_pack(case_id := h.case_id, program := h.program)"
        stored = "struct_pack(program := h.program, figure := h.figure)"
        source = f"{_parquet(hits_path)} h"
        dataset_id = None
    weight = (
        "CASE WHEN abs(h.match_weight) < 99999 "
        "THEN CAST(round(h.match_weight, 2) AS DECIMAL(7,2)) END"
    )
    return (
        f"SELECT {_sql_text(rule.code)} AS rule, {_sql_text(str(rule.action))} AS action, "
        f"CAST(h.person_id AS BIGINT) AS person_id, CAST(h.case_id AS BIGINT) AS case_id, "
        f"CAST(h.household_id AS BIGINT) AS household_id, "
        f"COALESCE(CAST(h.region_code AS VARCHAR), '') AS region_code, "
        f"COALESCE(CAST(h.program AS VARCHAR), '') AS program, "
        f"CAST({dataset_id if dataset_id is not None else 'NULL'} AS BIGINT) AS dataset_id, "
        f"CAST(h.row_no AS BIGINT) AS row_no, "
        f"sha256(concat_ws('|', {_sql_text(rule.code)}, CAST(h.person_id AS VARCHAR), "
        f"CAST(to_json({core}) AS VARCHAR))) AS evidence_key, "
        f"CAST(to_json({stored}) AS VARCHAR) AS evidence, "
        f"{summary_sql(rule, columns)} AS summary, "
        f"{weight} AS match_weight, "
        f"DATE '{deadline.due_on.isoformat()}' AS due_on "
        f"FROM {source} WHERE h.person_id IS NOT NULL"
    )


def _land(
    run: MatchRun, results: list[Any], datasets: dict[str, Path]
) -> dict[str, dict[str, Any]]:
    """Insert the new flags of the hits (one statement), mark the flags seen again with this
    run, and return the counts per rule {hits, new, seconds, skipped}."""
    counts: dict[str, dict[str, Any]] = {}
    for r in results:
        counts[r.code] = {"hits": r.hits, "new": 0, "seconds": round(r.seconds, 2)}
        if r.skipped:
            counts[r.code]["skipped"] = r.skipped
    deadlines = _deadlines(run)
    landing = [r for r in results if r.hits_path is not None and r.hits > 0 and r.code in RULES]
    if not landing:
        return counts
    work = run_dir(run)
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb_connect(workdir=work)
    try:
        selects = []
        for result in landing:
            rule = RULES[result.code]
            dataset = datasets.get(rule.dataset_kind) if rule.dataset_kind else None
            deadline = deadlines.get(rule.code) or working_deadline(_today(), rule.default_due_days)
            selects.append(_rule_select(con, run, rule, Path(result.hits_path), dataset, deadline))
        with _timed(run, "evidence"):
            con.execute(
                "CREATE TABLE landing AS SELECT * FROM (" + " UNION ALL ".join(selects) + ") "
                "QUALIFY row_number() OVER (PARTITION BY rule, person_id, evidence_key "
                "ORDER BY case_id NULLS LAST, row_no NULLS LAST) = 1"
            )
        with _timed(run, "database"):
            _to_database(con, run, work / "landing.csv")
    finally:
        con.close()
    new = MatchFlag.objects.filter(run=run).order_by().values_list("rule").annotate(n=Count("id"))
    for code, n in new:
        counts.setdefault(code, {"hits": 0, "new": 0, "seconds": 0})["new"] = n
    return counts


@contextmanager
def _timed(run: MatchRun, step: str) -> Iterator[None]:
    """How long a step of the landing took, in the log (matching.services.runs at INFO)."""
    started = time.perf_counter()
    yield
    logger.info("match run %s: %s %.2f s", run.number, step, time.perf_counter() - started)


def _landing_table_sql(name: str) -> str:
    columns = ", ".join(f"{c} {t}" for c, t in FLAG_LANDING_COLUMNS)
    if connection.vendor == "postgresql":
        return f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP"
    return f"CREATE TEMPORARY TABLE {name} ({columns})"


def _to_database(con: duckdb.DuckDBPyConnection, run: MatchRun, csv_path: Path) -> None:
    """landing (DuckDB) -> a temporary table of the database -> the new flags; flags already
    raised get this run as their last."""
    name = "matching_landing"
    names = [c for c, _ in FLAG_LANDING_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(_landing_table_sql(name))
        if connection.vendor == "postgresql":
            con.execute(
                f"COPY landing TO {_quote(csv_path)} (FORMAT csv, HEADER false, NULLSTR '\\N')"
            )
            raw = cursor.cursor
            with (
                raw.copy(
                    f"COPY {name} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
                ) as copy,
                csv_path.open("rb") as source,
            ):
                while block := source.read(1 << 20):
                    copy.write(block)
            csv_path.unlink(missing_ok=True)
        else:
            marks = ", ".join(["%s"] * len(names))
            insert = f"INSERT INTO {name} ({', '.join(names)}) VALUES ({marks})"
            for rows in _landing_chunks(con):
                cursor.executemany(insert, rows)
        _insert_flags(cursor, run, name)
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _landing_chunks(con: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[Any, ...]]]:
    result = con.execute(
        "SELECT rule, action, person_id, case_id, household_id, region_code, program, "
        "dataset_id, row_no, evidence_key, evidence, summary, "
        "CAST(match_weight AS VARCHAR), CAST(due_on AS VARCHAR) FROM landing"
    )
    while rows := result.fetchmany(LANDING_CHUNK):
        yield rows


def _insert_flags(cursor: Any, run: MatchRun, name: str) -> None:
    flag = _t(MatchFlag)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    evidence = "l.evidence::jsonb" if connection.vendor == "postgresql" else "l.evidence"
    columns = (
        "rule, action, run_id, last_run_id, person_id, case_id, household_id, region_code, "
        "program, dataset_id, row_no, evidence_key, evidence, summary, match_weight, status, "
        "due_on, review_id, outcome, outcome_reason, worked_by_id, worked_at, created_at"
    )
    select = (
        f"SELECT l.rule, l.action, %s, %s, l.person_id, l.case_id, l.household_id, "
        f"l.region_code, l.program, l.dataset_id, l.row_no, l.evidence_key, {evidence}, "
        f"l.summary, l.match_weight, %s, l.due_on, NULL, '', '', NULL, NULL, %s FROM {name} l"
    )
    params = [run.pk, run.pk, FlagStatus.OPEN.value, now]
    if connection.vendor == "postgresql":
        cursor.execute(
            f"INSERT INTO {flag} ({columns}) {select} "
            f"ON CONFLICT (rule, person_id, evidence_key) DO NOTHING",
            params,
        )
    else:
        cursor.execute(f"INSERT OR IGNORE INTO {flag} ({columns}) {select}", params)
    cursor.execute(
        f"UPDATE {flag} SET last_run_id = %s FROM {name} l WHERE {flag}.rule = l.rule "
        f"AND {flag}.person_id = l.person_id AND {flag}.evidence_key = l.evidence_key "
        f"AND {flag}.run_id <> %s",
        [run.pk, run.pk],
    )


# --- landing: flags -> reviews, suspensions ----------------------------------------------------


def flags_land(run: MatchRun) -> None:
    """What the NEW flags of the run set going, inside the landing transaction: SUSPEND rules
    (death, cremation) suspend the case from next month when the person is the one it
    supports (a member's death in a larger household is reviewed only); SUSPEND and REVIEW
    rules open a data-matching review each, due on the flag's date (bulk: one INSERT of the
    reviews and their audit events, not one transaction per flag); CANDIDATE flags keep their
    due date and wait in the 漏保 list."""
    with _timed(run, "suspensions"):
        suspended = _suspend_sole(run)
    with _timed(run, "reviews"):
        _open_reviews(run, suspended)


def _sole_flags_sql(lock: bool) -> str:
    """The run's new death flags whose person is the one the case supports (as
    programs.services.reviews._is_sole_member: the 特困 applicant, or no other living counted
    member), on a paying case; ordered by case."""
    flag, case, member = _t(MatchFlag), _t(Case), _t(CaseMember)
    person = _t(Person)
    paying = ", ".join(f"'{s}'" for s in PAYING_STATUSES)
    funeral = ", ".join(f"'{p}'" for p in _funeral_programs())
    return (
        f"SELECT f.id, f.case_id, f.summary, c.status, c.region_code, c.monthly_amount "
        f"FROM {flag} f JOIN {case} c ON c.id = f.case_id "
        f"WHERE f.run_id = %s AND f.action = %s AND f.review_id IS NULL "
        f"AND c.status IN ({paying}) "
        f"AND ((c.program IN ({funeral}) AND c.applicant_id = f.person_id) "
        f"OR NOT EXISTS (SELECT 1 FROM {member} o JOIN {person} op ON op.id = o.person_id "
        f"WHERE o.case_id = c.id AND o.counted AND op.death_date IS NULL "
        f"AND o.person_id <> f.person_id)) "
        f"ORDER BY f.case_id, f.id" + (" FOR UPDATE OF c" if lock else "")
    )


def _suspend_sole(run: MatchRun) -> dict[int, datetime.date]:
    """{flag id: month the payment stops} for the death flags whose case the run suspended.
    Set-based, as programs.services.reviews._suspend does it for one case: the case SUSPENDED
    (version + 1), nothing paid from next month (a zero benefit period then, later periods
    zeroed), and the case's events (case.benefit_change, case.suspend) - for thousands of
    deaths in a few statements."""
    from_month = first_of_next_month(_today())
    with connection.cursor() as cursor:
        cursor.execute(
            _sole_flags_sql(connection.vendor == "postgresql"),
            [run.pk, RuleAction.SUSPEND.value],
        )
        rows = cursor.fetchall()
    if not rows:
        return {}
    cases: dict[int, tuple[str, str, str, Any]] = {}
    for _pk, case_id, summary, status, region, amount in rows:
        cases.setdefault(case_id, (summary, status, region, amount))
    ids = list(cases)
    for start in range(0, len(ids), LANDING_CHUNK):
        _stop_payments(run, ids[start : start + LANDING_CHUNK], from_month)
    _suspension_events(run, cases, from_month)
    return {pk: from_month for pk, *_ in rows}


def _stop_payments(run: MatchRun, ids: list[int], from_month: datetime.date) -> None:
    case, period = _t(Case), _t(BenefitPeriod)
    marks = ", ".join(["%s"] * len(ids))
    paying = ", ".join(f"'{s}'" for s in PAYING_STATUSES)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    month = connection.ops.adapt_datefield_value(from_month)
    note = json.dumps({"run": run.number}, ensure_ascii=False)
    suspension = BenefitPeriod.Reason.SUSPENSION.value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {case} SET status = %s, version = version + 1, updated_at = %s "
            f"WHERE id IN ({marks}) AND status IN ({paying})",
            [CaseStatus.SUSPENDED.value, now, *ids],
        )
        cursor.execute(
            f"INSERT INTO {period} (case_id, valid_from, monthly_amount, reason, calculation, "
            f"created_at) SELECT id, %s, 0, %s, %s, %s FROM {case} WHERE id IN ({marks}) "
            f"ON CONFLICT (case_id, valid_from) DO UPDATE SET monthly_amount = 0, "
            f"reason = excluded.reason, calculation = excluded.calculation",
            [month, suspension, note, now, *ids],
        )
        cursor.execute(
            f"UPDATE {period} SET monthly_amount = 0, reason = %s, calculation = %s "
            f"WHERE case_id IN ({marks}) AND valid_from > %s AND monthly_amount > 0",
            [suspension, note, *ids, month],
        )


def _suspension_events(
    run: MatchRun, cases: dict[int, tuple[str, str, str, Any]], from_month: datetime.date
) -> None:
    from minzheng.core.models import AuditEvent
    from minzheng.registry.bulk import AUDIT_COLUMNS, write_rows

    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        changed = str(BenefitPeriod.Reason.SUSPENSION.label)
    month = from_month.isoformat()
    events = []
    for case_id, (summary, status, region, amount) in cases.items():
        system = (now, None, "system", "", "")
        before = str(Decimal(str(amount)).quantize(Decimal("0.01")))
        benefit = {"amount": [before, "0.00"], "from_month": month}
        suspend = {"status": [status, CaseStatus.SUSPENDED.value], "from_month": month}
        for action, changes, reason in (
            ("case.benefit_change", benefit, changed),
            ("case.suspend", suspend, SUSPEND_REASON.format(summary=summary)),
        ):
            events.append(
                (
                    *system,
                    action,
                    "case",
                    str(case_id),
                    region,
                    json.dumps(changes, ensure_ascii=False),
                    reason,
                )
            )
    write_rows(_t(AuditEvent), AUDIT_COLUMNS, events)


def _open_reviews(run: MatchRun, suspended: dict[int, datetime.date]) -> int:
    """One data-matching review per new SUSPEND/REVIEW flag of a case on the rolls, in SQL: a
    temporary map flag -> review id (PostgreSQL: the sequence; SQLite: after the highest id,
    under its write lock), then one INSERT of the reviews, one UPDATE of the flags and one
    INSERT of their events (review.create, as review_create writes it)."""
    from minzheng.core.models import AuditEvent

    name = "matching_review_map"
    flag, case, review = _t(MatchFlag), _t(Case), _t(Review)
    postgres = connection.vendor == "postgresql"
    if postgres:
        new_id = f"nextval(pg_get_serial_sequence('{Review._meta.db_table}', 'id'))"
    else:
        new_id = f"(SELECT COALESCE(MAX(id), 0) FROM {review}) + ROW_NUMBER() OVER (ORDER BY f.id)"
    reviewable = ", ".join(f"'{s}'" for s in REVIEWABLE_STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {name} AS SELECT f.id AS flag_id, {new_id} AS review_id, "
            f"f.case_id, c.region_code, f.rule, f.person_id, f.summary, f.due_on, f.evidence, "
            f"CAST(NULL AS DATE) AS suspended_from "
            f"FROM {flag} f JOIN {case} c ON c.id = f.case_id "
            f"WHERE f.run_id = %s AND f.action IN (%s, %s) AND f.review_id IS NULL "
            f"AND c.status IN ({reviewable})",
            [run.pk, RuleAction.SUSPEND.value, RuleAction.REVIEW.value],
        )
        cursor.execute(f"SELECT COUNT(*) FROM {name}")
        opened = int(cursor.fetchone()[0])
        if not opened:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            return 0
        _mark_suspended(cursor, name, suspended)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(
            f"INSERT INTO {review} (id, case_id, kind, reason, status, due_on, due_provisional, "
            f"evidence, findings, outcome, outcome_reason, new_amount, completed_by_id, "
            f"completed_at, created_at) SELECT m.review_id, m.case_id, %s, m.summary, %s, "
            f"m.due_on, {_provisional_sql(run)}, {_review_evidence_sql()}, '', '', '', NULL, "
            f"NULL, NULL, %s FROM {name} m",
            [ReviewKind.DATA_MATCHING.value, Review.Status.OPEN.value, run.number, now],
        )
        cursor.execute(
            f"UPDATE {flag} SET review_id = m.review_id FROM {name} m WHERE {flag}.id = m.flag_id"
        )
        changes = (
            "jsonb_build_object('review', m.review_id, 'kind', %s, 'due_on', "
            "to_char(m.due_on, 'YYYY-MM-DD'))"
            if postgres
            else "json_object('review', m.review_id, 'kind', %s, 'due_on', m.due_on)"
        )
        cursor.execute(
            f"INSERT INTO {_t(AuditEvent)} (at, actor_id, actor_username, actor_role, "
            f"actor_region_code, action, object_type, object_id, region_code, changes, reason) "
            f"SELECT %s, NULL, 'system', '', '', 'review.create', 'case', "
            f"CAST(m.case_id AS {'text' if postgres else 'TEXT'}), m.region_code, {changes}, "
            f"m.summary FROM {name} m",
            [now, ReviewKind.DATA_MATCHING.value],
        )
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return opened


def _mark_suspended(cursor: Any, name: str, suspended: dict[int, datetime.date]) -> None:
    by_month: dict[datetime.date, list[int]] = {}
    for pk, month in suspended.items():
        by_month.setdefault(month, []).append(pk)
    for month, pks in by_month.items():
        day = connection.ops.adapt_datefield_value(month)
        for start in range(0, len(pks), LANDING_CHUNK):
            chunk = pks[start : start + LANDING_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {name} SET suspended_from = %s WHERE flag_id IN ({marks})",
                [day, *chunk],
            )


def _provisional_sql(run: MatchRun) -> str:
    """Whether a flag's review deadline is provisional (the holidays of its year unknown)."""
    provisional = [code for code, d in _deadlines(run).items() if d.provisional]
    if not provisional:
        return "1 = 0"
    return "m.rule IN (" + ", ".join(_sql_text(c) for c in provisional) + ")"


def _review_evidence_sql() -> str:
    """The review's evidence: {flag, rule, run, person, evidence[, suspended_from]}."""
    if connection.vendor == "postgresql":
        return (
            "jsonb_build_object('flag', m.flag_id, 'rule', m.rule, 'run', %s, "
            "'person', m.person_id, 'evidence', m.evidence) || CASE WHEN m.suspended_from "
            "IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('suspended_from', "
            "to_char(m.suspended_from, 'YYYY-MM-DD')) END"
        )
    return (
        "json_patch(json_object('flag', m.flag_id, 'rule', m.rule, 'run', %s, "
        "'person', m.person_id, 'evidence', json(m.evidence)), CASE WHEN m.suspended_from "
        "IS NULL THEN '{}' ELSE json_object('suspended_from', m.suspended_from) END)"
    )


# --- cancel --------------------------------------------------------------------------------------


@transaction.atomic
def run_cancel(*, actor: User, run: MatchRun) -> MatchRun:
    """Cancel a queued run (a running one stops at its next stage)."""
    if actor.role not in MATCH_OPERATORS:
        raise PermissionDenied(RUN_NOT_ALLOWED)
    require_in_scope(actor, run.region_code)
    before = run.status
    reason = RUN_CANCELLED.format(user=actor.full_name or actor.username)
    moved = MatchRun.objects.filter(pk=run.pk, status__in=LIVE_STATUSES).update(
        status=RunStatus.CANCELLED, message=reason, finished_at=timezone.now()
    )
    run.refresh_from_db()
    if not moved:
        raise MatchingError(
            RUN_CANCEL_REFUSED.format(number=run.number, status=run.get_status_display())
        )
    _run_audit(run, actor, "matching.run_cancel", reason, status=[before, RunStatus.CANCELLED])
    return run
