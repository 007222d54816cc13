"""Reading import jobs: a job is visible to the roles that may import or see full ID numbers,
when the job lies within their scope (its importer's region); otherwise it does not exist."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from minzheng.core.models import User
from minzheng.core.scope import FULL_ID_VIEWERS, IMPORTERS, OUT_OF_SCOPE, can, scoped
from minzheng.registry.models import ImportJob

JOB_READERS = IMPORTERS | FULL_ID_VIEWERS


def import_job_list(*, user: User) -> QuerySet[ImportJob]:
    if not can(user, JOB_READERS):
        return ImportJob.objects.none()
    return scoped(ImportJob.objects.select_related("created_by"), user).order_by("-created_at")


def import_job_get(*, user: User, pk: int) -> ImportJob:
    job = import_job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404(OUT_OF_SCOPE)
    return job
