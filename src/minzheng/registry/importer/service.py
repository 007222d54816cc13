"""Importing households from a file: the job a clerk starts from the upload page (run by the task
worker) or from `minzheng import_households` (run in the foreground).

The file is read and checked completely first, outside any transaction. Then, in "strict" mode,
any error refuses the whole file; in "skip" mode the households with a bad row are left out
whole. What is imported is written in ONE transaction through registry.bulk (COPY on
PostgreSQL), so that a file is never half imported and no household is ever half imported; each
household gets its audit event from bulk, and the job one more of its own."""

from __future__ import annotations

import gc
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from minzheng.core.audit import audit_record
from minzheng.core.models import User
from minzheng.core.scope import IMPORTERS, can
from minzheng.registry.bulk import households_bulk_create
from minzheng.registry.importer.checking import CheckResult, RowChecker
from minzheng.registry.importer.progress import JobProgress, Listener
from minzheng.registry.importer.reading import (
    FILE_TOO_LARGE,
    ImportFileError,
    open_table,
    size_label,
)
from minzheng.registry.models import ImportJob

logger = logging.getLogger(__name__)

IMPORT_NOT_ALLOWED = "您的角色不能批量导入居民和家庭"
IMPORT_MODE_UNKNOWN = "导入方式只能是“strict”(整体导入)或“skip”(跳过有错误的家庭)"
IMPORT_STRICT_REFUSED = "文件中有{errors}处错误。按“整体导入”方式,整个文件都未导入,请修改后重新导入"
IMPORT_DONE = "已导入{households}户、{persons}人"
IMPORT_DONE_SKIPPED = "已导入{households}户、{persons}人;{skipped}户因有错误未导入,请修改后单独导入"
IMPORT_CONFLICT = "导入期间其他用户登记了文件中的身份证号码,本次未导入任何数据,请重新导入"
IMPORT_CRASHED = "导入时发生意外错误,本次未导入任何数据,请联系系统管理员"
IMPORT_FOLDER = "imports"
CHECK_PROGRESS_EVERY = 2000  # rows
WRITE_CHUNK = 5000  # households per COPY round


def import_job_start(*, actor: User, file_name: str, mode: str, stored_path: str = "") -> ImportJob:
    """A queued job for `actor` (who must be allowed to import)."""
    if not can(actor, IMPORTERS):
        raise PermissionDenied(IMPORT_NOT_ALLOWED)
    if mode not in ImportJob.Mode.values:
        raise ValueError(IMPORT_MODE_UNKNOWN)
    return ImportJob.objects.create(
        created_by=actor,
        region_code=actor.region_id,
        file_name=file_name[:255],
        mode=mode,
        stored_path=stored_path,
    )


@transaction.atomic
def import_job_create(*, actor: User, upload: UploadedFile[bytes], mode: str) -> ImportJob:
    """Keep the uploaded file under MEDIA_ROOT/imports and queue its import (the task starts
    once this transaction commits)."""
    if not can(actor, IMPORTERS):
        raise PermissionDenied(IMPORT_NOT_ALLOWED)
    limit = int(settings.IMPORT_MAX_BYTES)
    if (upload.size or 0) > limit:
        raise ImportFileError(FILE_TOO_LARGE.format(limit=size_label(limit)))
    name = upload.name or "import.xlsx"
    relative = f"{IMPORT_FOLDER}/{uuid.uuid4().hex}{Path(name).suffix.lower()[:8]}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    job = import_job_start(actor=actor, file_name=name, mode=mode, stored_path=relative)
    from minzheng.registry.tasks import import_households

    transaction.on_commit(lambda: import_households.enqueue(job.pk))
    return job


def import_job_run(
    *, job_id: int, path: Path | None = None, listener: Listener | None = None
) -> ImportJob:
    """Run a queued job: the uploaded copy (deleted afterwards), or `path` from the command
    line. A job that is not queued any more is left alone (a task delivered twice)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    source = path or Path(settings.MEDIA_ROOT) / job.stored_path
    progress = JobProgress(job, listener)
    try:
        _run(job, source, progress)
    except Exception:
        logger.exception("import job %s failed", job.pk)
        job.households_imported = job.persons_imported = 0
        _finish(job, ImportJob.Status.FAILED, message=IMPORT_CRASHED)
    finally:
        progress.close()
        if job.stored_path:
            source.unlink(missing_ok=True)
            ImportJob.objects.filter(pk=job.pk).update(stored_path="")
            job.stored_path = ""
    return job


def _run(job: ImportJob, source: Path, progress: JobProgress) -> None:
    """With the cyclic garbage collector paused: the rows make millions of small objects and
    no cycles, and its repeated full passes over them cost more than the checks themselves."""
    gc.disable()
    try:
        _run_unpaused(job, source, progress)
    finally:
        gc.enable()


def _run_unpaused(job: ImportJob, source: Path, progress: JobProgress) -> None:
    try:
        result = _check(job, source, progress)
    except ImportFileError as e:
        _finish(job, ImportJob.Status.FAILED, message=e.message)
        return
    job.total_rows = job.processed_rows = result.rows
    job.error_count = result.errors.count
    job.errors = result.errors.report()
    job.households_skipped = result.households_bad
    if job.mode == ImportJob.Mode.STRICT and result.errors.count:
        job.households_skipped = len(result.households) + result.households_bad
        message = IMPORT_STRICT_REFUSED.format(errors=result.errors.count)
        _finish(job, ImportJob.Status.FAILED, message=message)
        return
    try:
        _write(job, result, progress)
    except IntegrityError:
        job.households_imported = job.persons_imported = 0
        _finish(job, ImportJob.Status.FAILED, message=IMPORT_CONFLICT)


def _check(job: ImportJob, source: Path, progress: JobProgress) -> CheckResult:
    table = open_table(source, job.file_name)
    checker = RowChecker(actor=job.created_by, headers=table.headers)
    for n, (row, cells) in enumerate(table.rows, 1):
        checker.add(row, cells)
        if n % CHECK_PROGRESS_EVERY == 0:
            progress.checking(rows=n, fraction=table.fraction())
    result = checker.finish()
    progress.checking(rows=result.rows, fraction=1.0, final=True)
    return result


def _write(job: ImportJob, result: CheckResult, progress: JobProgress) -> None:
    progress.writing_started(households=len(result.households), rows=result.rows)
    actor = job.created_by
    with transaction.atomic():
        written = households_bulk_create(
            households=result.households,
            actor=actor,
            valid_from=timezone.localdate(),
            reason=f"批量导入:{job.file_name}",
            chunk_size=WRITE_CHUNK,
            progress=progress.written,
        )
        job.households_imported = written.households
        job.persons_imported = written.persons
        audit_record(
            actor=actor,
            action="household.import",
            object_type="ImportJob",
            object_id=job.pk,
            region_code=job.region_code,
            changes=_job_changes(job),
            reason=job.file_name,
        )
    skipped = job.households_skipped
    template = IMPORT_DONE_SKIPPED if skipped else IMPORT_DONE
    message = template.format(
        households=written.households, persons=written.persons, skipped=skipped
    )
    _finish(job, ImportJob.Status.DONE, message=message, audited=True)


def _job_changes(job: ImportJob) -> dict[str, list[object]]:
    """Keyed by ImportJob's field names, so that the audit pages label them in Chinese."""
    fields = [
        "file_name",
        "mode",
        "households_imported",
        "persons_imported",
        "households_skipped",
        "error_count",
    ]
    return {name: [None, getattr(job, name)] for name in fields}


def _finish(job: ImportJob, status: str, *, message: str, audited: bool = False) -> None:
    job.status = status
    job.stage = ImportJob.Stage.FINISHED
    job.percent = 100
    job.message = message
    job.finished_at = timezone.now()
    job.save()
    if not audited:
        audit_record(
            actor=job.created_by,
            action="household.import",
            object_type="ImportJob",
            object_id=job.pk,
            region_code=job.region_code,
            changes={**_job_changes(job), "status": [None, status]},
            reason=message,
        )
