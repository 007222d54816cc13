"""Import pages: the upload form (with the template to download and the recent jobs), the job
page whose progress bar polls with htmx and survives a reload, and the error list as XLSX."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from minzheng.core.exports import xlsx_response
from minzheng.core.models import Region, User
from minzheng.core.regions import prefix_q
from minzheng.core.scope import IMPORTERS, can
from minzheng.registry.importer.reading import FILE_TOO_LARGE, ImportFileError, size_label
from minzheng.registry.importer.selectors import import_job_get, import_job_list
from minzheng.registry.importer.service import IMPORT_NOT_ALLOWED, import_job_create
from minzheng.registry.importer.template import DEFAULT_EXAMPLE_VILLAGE, template_workbook
from minzheng.registry.models import ImportJob

ERRORS_PER_PAGE = 100
RECENT_JOBS = 20
ERROR_HEADERS = ["行号", "列", "错误原因"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_FILENAME = "居民家庭导入模板.xlsx"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("导入文件"),
        help_text=_("Excel文件(.xlsx、.xls)或CSV文件(UTF-8或GBK编码),表头与导入模板一致"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    mode = forms.ChoiceField(
        label=_("导入方式"),
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.STRICT,
        widget=forms.RadioSelect,
    )


class SizeLimitHandler(FileUploadHandler):
    """Stops receiving a file past IMPORT_MAX_BYTES instead of storing all of it."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _importer(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can(user, IMPORTERS):
        raise PermissionDenied(IMPORT_NOT_ALLOWED)
    return user


def _reader(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


@csrf_exempt
@login_required
def import_upload(request: HttpRequest) -> HttpResponseBase:
    """The upload form. The size limit is installed before the body is read (and so before the
    CSRF check reads it), as Django's docs show for upload handlers."""
    user = _importer(request)
    limit = SizeLimitHandler(request, int(settings.IMPORT_MAX_BYTES))
    request.upload_handlers.insert(0, limit)
    return _import_upload(request, user, limit)


@csrf_protect
def _import_upload(request: HttpRequest, user: User, limit: SizeLimitHandler) -> HttpResponseBase:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if limit.exceeded:  # the file stopped at the limit: never store or read it
            form.add_error("file", FILE_TOO_LARGE.format(limit=size_label(limit.limit)))
        else:
            try:
                job = import_job_create(
                    actor=user, upload=form.cleaned_data["file"], mode=form.cleaned_data["mode"]
                )
            except ImportFileError as e:
                form.add_error("file", e.message)
            else:
                return redirect(reverse("registry:registry-import-job", args=[job.pk]))
    elif limit.exceeded:
        form.errors["file"] = form.error_class(
            [FILE_TOO_LARGE.format(limit=size_label(limit.limit))]
        )
    context = {
        "form": form,
        "jobs": import_job_list(user=user)[:RECENT_JOBS],
        "max_size": size_label(int(settings.IMPORT_MAX_BYTES)),
    }
    return render(request, "registry/import/upload.html", context)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_get(user=_reader(request), pk=pk)
    page = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "job": job,
        "page": page,
        "can_import": can(_reader(request), IMPORTERS),
    }
    template = "registry/import/job.html"
    fragment = request.headers.get("HX-Request") == "true"
    return render(request, f"{template}#status" if fragment else template, context)


@login_required
def import_job_errors(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = import_job_get(user=_reader(request), pk=pk)
    rows = ([e["row"], e["column"], e["reason"]] for e in job.errors)
    return xlsx_response(filename=f"导入错误清单-{job.pk}.xlsx", headers=ERROR_HEADERS, rows=rows)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    village = (
        Region.objects.filter(prefix_q("code", user.scope_prefix), level=Region.Level.VILLAGE)
        .values_list("code", flat=True)
        .first()
    )
    content = template_workbook(example_village=village or DEFAULT_EXAMPLE_VILLAGE)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(TEMPLATE_FILENAME)}"
    return response
