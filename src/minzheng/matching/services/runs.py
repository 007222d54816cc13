"""A match run (比对批次): snapshot the county's rolls, apply the enabled rules on an engine to
the active datasets, and land the hits as flags: new ones only (unique per rule, person and
evidence), each with its evidence row; death hits suspend the case from next month pending
confirmation, review hits open a data-matching review with a deadline, candidates wait in the
漏保 list.

Landing is set-based (matching.landing): the hits become flag rows in DuckDB and reach the
database in one statement; a flag raised once is never raised again. The flags, their reviews,
suspensions and the run's DONE are one transaction: a run that fails or is cancelled leaves
no flags."""

from __future__ import annotations

import datetime
import logging
import shutil
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from minzheng.core.audit import audit_record
from minzheng.core.models import Region, User
from minzheng.core.regions import RegionCodeError, code_level, code_prefix, normalize_code
from minzheng.core.scope import require_in_scope
from minzheng.matching.engines import ENGINES, engine_open
from minzheng.matching.engines.duckdb_engine import duckdb_connect
from minzheng.matching.errors import MatchingError
from minzheng.matching.landing import flags_land, hits_land, parquet_source
from minzheng.matching.models import (
    ExternalDataset,
    MatchFlag,
    MatchRun,
    RunStatus,
)
from minzheng.matching.permissions import MATCH_OPERATORS
from minzheng.matching.rules import RULES, Rule, RuleContext
from minzheng.matching.services.rule_settings import (
    county_of,
    rule_settings,
    rule_threshold,
)
from minzheng.matching.snapshot import snapshot_write

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (stage label in Chinese, percent)

LIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)

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

STAGE_QUEUED = "排队中"
STAGE_SNAPSHOT = "导出名册"
STAGE_MATCH = "比对"
STAGE_LAND = "写入疑点"
STAGE_REVIEWS = "生成复核任务"
STAGE_DONE = "已完成"

# Percent of the progress bar at which each stage starts.
PERCENT_SNAPSHOT, PERCENT_MATCH, PERCENT_LAND, PERCENT_REVIEWS = 2, 10, 75, 90


class _Stopped(Exception):
    """The run left RUNNING meanwhile (cancelled)."""


# --- small helpers ------------------------------------------------------------------------------


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _today() -> datetime.date:
    return timezone.localdate()


def run_workdir(run: MatchRun) -> Path:
    """A new folder for one execution of the run (snapshot, engine work, hits) under
    MATCHING_DIR/runs/: two processes never share one, even with the same run number in two
    databases (benchmarks)."""
    runs = Path(settings.MATCHING_DIR) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{run.number}-", dir=runs))


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
    work = run_workdir(run)
    try:
        _begin(run)
        _step(run, progress, stage=STAGE_SNAPSHOT, percent=PERCENT_SNAPSHOT)
        snap = snapshot_write(
            region_code=run.region_code, as_of=run.as_of, out_dir=work / "snapshot"
        )
        _step(run, None, beneficiary_count=snap.beneficiary_count)
        datasets = _dataset_paths(run)
    except _Stopped:
        return _stopped(run, work)
    except MatchingError:
        _cleanup(work)
        raise
    except Exception as e:
        return _fail(run, e, work)
    return run_execute_files(
        run,
        beneficiaries=snap.beneficiaries,
        residents=snap.residents,
        datasets=datasets,
        progress=progress,
        master=master,
        workdir=work,
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
    workdir: Path | None = None,
) -> MatchRun:
    """The run from its files on: apply the rules on the run's engine to the snapshot
    (`beneficiaries`, `residents`) and `datasets` (kind -> canonical Parquet), land the new
    flags with their evidence, open their reviews and suspensions (flags_land), DONE; FAILED
    with nothing landed on any error. A QUEUED run is started first. `workdir`: the folder of
    this execution (default: a new one), removed at the end."""
    work = workdir or run_workdir(run)
    try:
        if run.status == RunStatus.QUEUED:
            _begin(run)
        if not run.beneficiary_count:
            _step(run, None, beneficiary_count=_count_rows(beneficiaries))
        results = _apply(run, beneficiaries, residents, datasets, progress, master, work)
        _step(run, progress, stage=STAGE_LAND, percent=PERCENT_LAND)
        with transaction.atomic():
            _lock_running(run)
            counts = hits_land(run, results, datasets, workdir=work)
            if progress is not None:
                progress(STAGE_REVIEWS, PERCENT_REVIEWS)
            flags_land(run)
            _finish(run, counts)
    except _Stopped:
        return _stopped(run, work)
    except Exception as e:
        return _fail(run, e, work)
    if progress is not None:
        progress(STAGE_DONE, 100)
    _cleanup(work)
    return run


def _count_rows(path: Path) -> int:
    con = duckdb_connect()
    try:
        return int(con.execute(f"SELECT count(*) FROM {parquet_source(path)}").fetchall()[0][0])
    finally:
        con.close()


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
    work: Path,
) -> list[Any]:
    from minzheng.matching.apply import apply_rules

    _step(run, progress, stage=STAGE_MATCH, percent=PERCENT_MATCH)

    def rule_progress(label: str, done: int, total: int) -> None:
        span = PERCENT_LAND - PERCENT_MATCH
        percent = PERCENT_MATCH + (span * done // total if total else 0)
        _step(run, progress, stage=str(label)[:60], percent=percent)

    options: dict[str, Any] = {"master": master} if run.engine == "spark" and master else {}
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


def _fail(run: MatchRun, error: BaseException, work: Path) -> MatchRun:
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
    _cleanup(work)
    return run


def _stopped(run: MatchRun, work: Path) -> MatchRun:
    _discard_flags(run)
    run.refresh_from_db()
    _cleanup(work)
    return run


def _cleanup(work: Path) -> None:
    """The run's own files (snapshot, engine work, hits) are not kept unless
    MATCHING_KEEP_RUN_FILES: the flags hold their evidence."""
    if getattr(settings, "MATCHING_KEEP_RUN_FILES", False):
        return
    shutil.rmtree(work, ignore_errors=True)


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
