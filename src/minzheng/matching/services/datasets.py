"""Receiving other departments' data: upload a file, map its columns to the kind's schema,
validate (report of bad ID numbers, unparseable values, duplicates, with row numbers), and put
it in use, superseding the previous delivery of the same kind (kept with its file).

Files live under settings.MATCHING_DIR: the delivery as received in uploads/<id>-<name>, the
validated rows in datasets/<kind>/<id>.parquet (canonical columns + row_no + id_valid, see
matching.schemas); both paths are stored absolute on the dataset. The reading and checking
itself is matching.intake (DuckDB, streamed); this module is the Django side: permissions,
statuses, the audit trail, the progress a page shows."""

from __future__ import annotations

import datetime
import hashlib
import logging
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from minzheng.core.audit import audit_record
from minzheng.core.models import Region, User
from minzheng.core.regions import LEVEL_DIGITS, RegionCodeError, code_level, normalize_code
from minzheng.core.scope import require_in_scope
from minzheng.matching import intake
from minzheng.matching.errors import MatchingConflict, MatchingError
from minzheng.matching.models import DatasetStatus, ExternalDataset
from minzheng.matching.permissions import DATASET_KEEPERS
from minzheng.matching.schemas import SCHEMAS, schema_for

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows done, rows total or 0 when unknown)

DATASET_NOT_ALLOWED = "只有县级社会救助经办人员可以上传、校验比对数据"
KIND_UNKNOWN = "未知的比对数据类别:{kind}"
SOURCE_REQUIRED = "请填写提供单位"
DATE_REQUIRED = "请填写数据截止日期"
DATE_FUTURE = "数据截止日期不能晚于今天"
FILE_REQUIRED = "请选择要上传的文件"
FILE_TOO_LARGE = "文件超过{limit}MB,不能在页面上传;更大的文件请由系统管理员用命令行导入"
REGION_REQUIRED = "请指定比对数据所属的县(区)"
REGION_NOT_COUNTY = "比对数据属于县(区):“{code}”不是县(区)的区划代码"
REGION_UNKNOWN = "区划代码“{code}”不存在"
STATUS_REFUSED = "比对数据当前状态为“{status}”,不能{action}"
ACTION_MAP = "修改字段对应"
ACTION_VALIDATE = "校验"
VALIDATION_QUEUED = "排队等待校验"
VALIDATION_FAILED = "导入失败:{error}"
VALIDATION_CRASHED = "导入失败,请联系系统管理员(内部错误:{error})"
VALIDATION_REFUSED = "校验未通过:{rows}行有错误,整批数据未启用,请修正后重新上传"
VALIDATION_ACTIVE = "已启用:{rows}行数据"
VALIDATION_ACTIVE_REPEATS = "已启用:{rows}行数据(剔除重复行{repeats}行)"

# DuckDB's share of the machine during an import (it spills to disk beyond it).
IMPORT_MEMORY_LIMIT = "2GB"
PROGRESS_SAVE_SECONDS = 1.0
ACTIVATE_ATTEMPTS = 3


# --- helpers ------------------------------------------------------------------------------------


def county_of(code: str) -> str:
    """The county (12 digits) a division code lies in."""
    return code[: LEVEL_DIGITS[3]].ljust(12, "0")


def _require_keeper(actor: User | None, region_code: str) -> None:
    """The CLI acts as the system (actor None); a person must be a county officer in scope."""
    if actor is None:
        return
    if actor.role not in DATASET_KEEPERS:
        raise PermissionDenied(DATASET_NOT_ALLOWED)
    require_in_scope(actor, region_code)


def _county(actor: User | None, region_code: str | None) -> str:
    if not region_code:
        if actor is None:
            raise MatchingError({"region_code": [REGION_REQUIRED]})
        return county_of(actor.region_id)
    try:
        code = normalize_code(region_code)
    except RegionCodeError as e:
        raise MatchingError({"region_code": [str(e)]}) from None
    if code_level(code) != 3:
        raise MatchingError({"region_code": [REGION_NOT_COUNTY.format(code=code)]})
    if not Region.objects.filter(code=code).exists():
        raise MatchingError({"region_code": [REGION_UNKNOWN.format(code=code)]})
    return code


def _matching_dir(*parts: str) -> Path:
    path = Path(settings.MATCHING_DIR).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _safe_name(file_name: str) -> str:
    name = Path(file_name.replace("\\", "/")).name
    try:
        safe = get_valid_filename(name)
    except Exception:  # SuspiciousFileOperation for "." and the like
        safe = ""
    if len(safe) > 120:
        suffix = Path(safe).suffix[:10]
        safe = safe[: 120 - len(suffix)] + suffix
    return safe or "data"


def _store(file: IO[bytes] | Path, target: Path, limit: int | None) -> tuple[int, str]:
    """Copy the delivered file to `target` in chunks: (size, sha256). A page's upload over
    `limit` bytes is refused (the part copied removed)."""
    digest = hashlib.sha256()
    size = 0
    too_large = MatchingError(
        {"file": [FILE_TOO_LARGE.format(limit=(limit or 0) // (1024 * 1024))]}
    )
    if limit is not None and (getattr(file, "size", None) or 0) > limit:
        raise too_large
    source = file.open("rb") if isinstance(file, Path) else file
    if not isinstance(file, Path) and hasattr(file, "seek"):
        file.seek(0)  # a form may have read it already (checking its type)
    try:
        with target.open("wb") as out:
            while chunk := source.read(1024 * 1024):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise too_large
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        if isinstance(file, Path):
            source.close()
    return size, digest.hexdigest()


def _audit(dataset: ExternalDataset, actor: User | None, action: str, **changes: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="external_dataset",
        object_id=dataset.pk,
        region_code=dataset.region_code,
        changes=changes,
    )


def _status_error(dataset: ExternalDataset, action: str) -> MatchingError:
    return MatchingError(STATUS_REFUSED.format(status=dataset.get_status_display(), action=action))


def dataset_parquet(dataset: ExternalDataset) -> Path:
    """Where a dataset's validated rows are (also for a superseded one)."""
    return Path(dataset.parquet_path)


# --- upload and mapping -------------------------------------------------------------------------


def dataset_upload(
    *,
    actor: User | None,
    kind: str,
    source: str,
    data_date: datetime.date,
    file: IO[bytes] | Path,
    file_name: str,
    region_code: str | None = None,
    note: str = "",
) -> ExternalDataset:
    """Store the delivered file (CSV UTF-8/GBK, XLSX or Parquet; any size), read its headings
    and first rows, and guess the column mapping from the schema's aliases. Status UPLOADED.
    `region_code` defaults to the actor's county. MatchingError on an unreadable file, an
    unknown kind, a missing source/date.

    A file from a page (a file object) over settings.MATCHING_UPLOAD_MAX_BYTES is refused; the
    CLI passes a Path, of any size. `actor` None is the system (the CLI without --user)."""
    errors: dict[str, list[str]] = {}
    if kind not in SCHEMAS:
        errors["kind"] = [KIND_UNKNOWN.format(kind=kind)]
    if not (source or "").strip():
        errors["source"] = [SOURCE_REQUIRED]
    if data_date is None:
        errors["data_date"] = [DATE_REQUIRED]
    elif data_date > timezone.localdate():
        errors["data_date"] = [DATE_FUTURE]
    if file is None or not file_name:
        errors["file"] = [FILE_REQUIRED]
    if errors:
        raise MatchingError(errors)
    region = _county(actor, region_code)
    _require_keeper(actor, region)
    schema = schema_for(kind)
    uploads = _matching_dir("uploads")
    incoming = uploads / f".incoming-{uuid.uuid4().hex}"
    limit = None if isinstance(file, Path) else int(settings.MATCHING_UPLOAD_MAX_BYTES)
    size, sha256 = _store(file, incoming, limit)
    try:
        try:
            layout = intake.sniff(incoming, schema, file_name)
        except intake.IntakeError as e:
            raise MatchingError({"file": [e.message]}) from None
        with transaction.atomic():
            dataset = ExternalDataset(
                kind=kind,
                region_code=region,
                source=source.strip(),
                data_date=data_date,
                note=note.strip(),
                status=DatasetStatus.UPLOADED,
                file_name=Path(file_name.replace("\\", "/")).name[:255],
                file_format=layout.format,
                encoding=layout.encoding,
                file_size=size,
                sha256=sha256,
                headers=layout.headers,
                sample_rows=layout.sample_rows,
                column_mapping=intake.guess_mapping(schema, layout.headers),
                created_by=actor,
            )
            dataset.full_clean(exclude=["created_by"])  # None: the system (CLI)
            dataset.save()
            stored = uploads / f"{dataset.pk}-{_safe_name(file_name)}"
            dataset.upload_path = str(stored)
            dataset.save(update_fields=["upload_path"])
            _audit(
                dataset,
                actor,
                "matching.dataset_upload",
                kind=kind,
                file=dataset.file_name,
                size=size,
                sha256=sha256,
            )
            incoming.replace(stored)
    finally:
        incoming.unlink(missing_ok=True)
    return dataset


MAPPABLE = (DatasetStatus.UPLOADED, DatasetStatus.REFUSED, DatasetStatus.FAILED)


def dataset_map(
    *, actor: User | None, dataset: ExternalDataset, mapping: dict[str, str]
) -> ExternalDataset:
    """Record the mapping (canonical column -> the file's heading, "" for not present).
    MatchingError naming each required column left unmapped or a heading the file lacks.

    A refused or failed delivery may be mapped again (and validated again): its report is
    cleared and it is back to UPLOADED."""
    _require_keeper(actor, dataset.region_code)
    schema = schema_for(dataset.kind)
    cleaned = {name: (mapping.get(name) or "").strip() for name in schema.names}
    cleaned.update({k: v for k, v in mapping.items() if k not in cleaned})
    errors = intake.mapping_errors(schema, list(dataset.headers), cleaned)
    if errors:
        raise MatchingError({"mapping": errors})
    with transaction.atomic():
        locked = ExternalDataset.objects.select_for_update().get(pk=dataset.pk)
        if locked.status not in MAPPABLE:
            raise _status_error(locked, ACTION_MAP)
        before = locked.column_mapping
        locked.column_mapping = {name: cleaned[name] for name in schema.names}
        _reset(locked, DatasetStatus.UPLOADED)
        locked.save()
        _audit(locked, actor, "matching.dataset_map", mapping=[before, locked.column_mapping])
    return locked


def _reset(dataset: ExternalDataset, status: str, message: str = "") -> None:
    dataset.status = status
    dataset.report = {}
    dataset.valid_rows = dataset.error_rows = 0
    dataset.invalid_id_rows = dataset.duplicate_rows = 0
    dataset.rows_done = 0
    dataset.percent = 0
    dataset.message = message


# --- validation ---------------------------------------------------------------------------------


def dataset_validate_enqueue(*, actor: User | None, dataset: ExternalDataset) -> ExternalDataset:
    """Status VALIDATING and the validation queued as a background task (tasks.py)."""
    _require_keeper(actor, dataset.region_code)
    with transaction.atomic():
        locked = ExternalDataset.objects.select_for_update().get(pk=dataset.pk)
        if locked.status not in (DatasetStatus.UPLOADED, DatasetStatus.FAILED):
            raise _status_error(locked, ACTION_VALIDATE)
        errors = intake.mapping_errors(
            schema_for(locked.kind), list(locked.headers), dict(locked.column_mapping)
        )
        if errors:
            raise MatchingError({"mapping": errors})
        _reset(locked, DatasetStatus.VALIDATING, VALIDATION_QUEUED)
        locked.save()
        _enqueue_on_commit(locked.pk, actor.pk if actor else None)
    return locked


def _enqueue_on_commit(dataset_id: int, actor_id: int | None) -> None:
    from minzheng.matching.intake_tasks import dataset_validate_task

    transaction.on_commit(lambda: dataset_validate_task.enqueue(dataset_id, actor_id))


class _Saver:
    """Saves an import's progress on the dataset (at most once a second) for the page's bar,
    and passes it on as rows to the caller's Progress (the CLI's bar)."""

    def __init__(self, dataset: ExternalDataset, progress: Progress | None, total: int) -> None:
        self.pk = dataset.pk
        self.progress = progress
        self.total = total
        self.saved = 0.0
        self.percent = -1

    def __call__(self, fraction: float, stage: str) -> None:
        done = int(fraction * self.total)
        percent = min(int(fraction * 100), 99)
        now = time.monotonic()
        if percent != self.percent and now - self.saved >= PROGRESS_SAVE_SECONDS:
            ExternalDataset.objects.filter(pk=self.pk).update(
                rows_done=done, percent=percent, message=stage
            )
            self.saved, self.percent = now, percent
        if self.progress:
            self.progress(done, self.total)


def dataset_validate(
    dataset: ExternalDataset,
    *,
    progress: Progress | None = None,
    actor: User | None = None,
) -> ExternalDataset:
    """Read the whole file with its mapping (streamed: never the whole file in Python memory),
    write the canonical Parquet and the report. No row errors: ACTIVE, superseding the active
    dataset of the same kind and county. Any row error: REFUSED with the report (nothing used).
    Called by the task and by `minzheng match import`.

    An unexpected failure leaves it FAILED with a Chinese message and no file written.
    `actor` is who asked for it, for the audit trail (None: the system)."""
    errors = intake.mapping_errors(
        schema_for(dataset.kind), list(dataset.headers), dict(dataset.column_mapping)
    )
    if errors:
        raise MatchingError({"mapping": errors})
    claimed = ExternalDataset.objects.filter(
        pk=dataset.pk,
        status__in=[DatasetStatus.UPLOADED, DatasetStatus.VALIDATING, DatasetStatus.FAILED],
    ).update(status=DatasetStatus.VALIDATING, percent=0, rows_done=0, message="")
    dataset.refresh_from_db()
    if not claimed:
        raise _status_error(dataset, ACTION_VALIDATE)
    schema = schema_for(dataset.kind)
    target = _matching_dir("datasets", dataset.kind) / f"{dataset.pk}.parquet"
    workdir = Path(settings.MATCHING_DIR) / "tmp" / f"dataset-{dataset.pk}-{uuid.uuid4().hex[:8]}"
    try:
        layout = intake.sniff(Path(dataset.upload_path), schema, dataset.file_name)
        result = intake.validate_file(
            path=Path(dataset.upload_path),
            layout=layout,
            schema=schema,
            mapping=dict(dataset.column_mapping),
            target=target,
            workdir=workdir,
            today=timezone.localdate(),
            progress=_Saver(dataset, progress, layout.estimated_rows),
            memory_limit=getattr(settings, "MATCHING_IMPORT_MEMORY_LIMIT", IMPORT_MEMORY_LIMIT),
        )
        dataset = _finish(dataset, result, target, actor)
    except intake.IntakeError as e:
        target.unlink(missing_ok=True)
        return _fail(dataset, VALIDATION_FAILED.format(error=e.message), actor)
    except Exception as e:
        logger.exception("dataset %s: validation failed", dataset.pk)
        target.unlink(missing_ok=True)
        return _fail(dataset, VALIDATION_CRASHED.format(error=type(e).__name__), actor)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if progress:
        progress(dataset.total_rows, dataset.total_rows)
    return dataset


def _counts(result: intake.IntakeResult) -> dict[str, int]:
    return {
        "rows": result.total_rows,
        "valid_rows": result.valid_rows,
        "error_rows": result.error_rows,
        "invalid_id_rows": result.invalid_id_rows,
        "duplicate_rows": result.duplicate_rows,
    }


def _finish(
    dataset: ExternalDataset, result: intake.IntakeResult, target: Path, actor: User | None
) -> ExternalDataset:
    """Record the outcome; an accepted dataset is activated (retried when another delivery of
    the same kind is activated at the same moment)."""
    for attempt in range(ACTIVATE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _record(dataset, result, target, actor)
        except IntegrityError:
            if attempt == ACTIVATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _record(
    dataset: ExternalDataset, result: intake.IntakeResult, target: Path, actor: User | None
) -> ExternalDataset:
    locked = ExternalDataset.objects.select_for_update().get(pk=dataset.pk)
    if locked.status != DatasetStatus.VALIDATING:
        raise MatchingConflict()
    locked.total_rows = result.total_rows
    locked.valid_rows = result.valid_rows
    locked.error_rows = result.error_rows
    locked.invalid_id_rows = result.invalid_id_rows
    locked.duplicate_rows = result.duplicate_rows
    locked.report = result.report
    locked.rows_done = result.total_rows
    locked.percent = 100
    counts = _counts(result)
    if result.refused or not result.written:
        locked.status = DatasetStatus.REFUSED
        locked.message = VALIDATION_REFUSED.format(rows=result.error_rows)
        locked.save()
        _audit(locked, actor, "matching.dataset_validate", status=locked.status, **counts)
        _audit(locked, actor, "matching.dataset_refuse", **counts)
        return locked
    # The partial unique index allows one ACTIVE per kind and county: supersede first.
    previous = (
        ExternalDataset.objects.select_for_update()
        .filter(kind=locked.kind, region_code=locked.region_code, status=DatasetStatus.ACTIVE)
        .exclude(pk=locked.pk)
        .first()
    )
    if previous is not None:
        previous.status = DatasetStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    locked.status = DatasetStatus.ACTIVE
    locked.activated_at = timezone.now()
    locked.supersedes = previous
    locked.parquet_path = str(target)
    stored = result.total_rows - result.duplicate_rows
    locked.message = (
        VALIDATION_ACTIVE_REPEATS.format(rows=stored, repeats=result.duplicate_rows)
        if result.duplicate_rows
        else VALIDATION_ACTIVE.format(rows=stored)
    )
    locked.save()
    _audit(locked, actor, "matching.dataset_validate", status=locked.status, **counts)
    _audit(
        locked,
        actor,
        "matching.dataset_activate",
        kind=locked.kind,
        supersedes=previous.pk if previous else None,
        **counts,
    )
    return locked


def _fail(dataset: ExternalDataset, message: str, actor: User | None) -> ExternalDataset:
    ExternalDataset.objects.filter(pk=dataset.pk, status=DatasetStatus.VALIDATING).update(
        status=DatasetStatus.FAILED, message=message[:300], percent=0, parquet_path=""
    )
    dataset.refresh_from_db()
    _audit(dataset, actor, "matching.dataset_validate", status=dataset.status, error=message)
    return dataset


# --- reading ------------------------------------------------------------------------------------


REPORT_ROW_FIELDS = ("row_no", "column", "value", "reason", "message")


def dataset_report_rows(dataset: ExternalDataset) -> list[dict[str, object]]:
    """The report's problem rows (row number, column, value, reason) for the page and Excel.

    Each also says `code` (the reason's code), `error` (True: it refused the dataset; False: a
    warning: an ID number kept for fuzzy matching, a repeated row dropped) and `message`, the
    sentence for it ("第12行 死亡日期“2026-13-01”不是有效日期"); in file order, at most 1,000."""
    samples = (dataset.report or {}).get("samples", [])
    return [
        {
            **{k: sample.get(k, "") for k in REPORT_ROW_FIELDS},
            "code": sample.get("code", ""),
            "error": bool(sample.get("error")),
        }
        for sample in samples
    ]


def active_datasets(region_code: str) -> dict[str, ExternalDataset]:
    """The datasets in use for the county of `region_code` (any code inside it): kind ->
    the ACTIVE delivery. A match run reads these (dataset.parquet_path)."""
    county = county_of(normalize_code(region_code))
    return {
        d.kind: d
        for d in ExternalDataset.objects.filter(region_code=county, status=DatasetStatus.ACTIVE)
    }
