"""用户管理 → 批量导入: a CSV of accounts, created whole or refused whole.

A refused file answers at once with each bad row. A clean file is written while the page
streams its progress: hashing a password takes ~0.35 s, so 300 accounts take a couple of
minutes, and a streamed page keeps the browser (and any proxy) informed instead of timing out.
Closing the page stops the import and nothing is kept."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import gettext as _

from minzheng.core.forms import UserImportForm
from minzheng.core.models import User
from minzheng.core.scope import USER_ADMINS
from minzheng.core.services.user_import import (
    HEADER_ROW,
    ImportProgress,
    UserFileError,
    UserRow,
    read_user_csv,
    users_import_check,
    users_import_steps,
)
from minzheng.core.views.access import current_user, roles_required

STREAM_MARK = "<!--stream-->"
TEMPLATE_ROWS = [
    ["cun001", "张三", "村(社区)民政协理员", "341503100201", "Cun001-Init-2026", "13800000001"],
    ["zhen001", "李四", "乡镇(街道)经办人", "341503100000", "Zhen001-Init-2026", ""],
]


@roles_required(USER_ADMINS)
def user_import(request: HttpRequest) -> HttpResponseBase:
    actor = current_user(request)
    form = UserImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form, "errors": None, "headers": HEADER_ROW}
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_user_csv(form.cleaned_data["file"])
        except UserFileError as e:
            context["errors"] = e.errors
        else:
            errors = users_import_check(actor=actor, rows=rows)
            if not errors:
                return _stream(request, actor, rows)
            context["errors"] = errors
            context["row_count"] = len(rows)
    return render(request, "core/user_import.html", context)


def _stream(request: HttpRequest, actor: User, rows: list[UserRow]) -> StreamingHttpResponse:
    page = render_to_string(
        "core/user_import.html",
        {"streaming": True, "total": len(rows), "headers": HEADER_ROW},
        request=request,
    )
    head, _mark, tail = page.partition(STREAM_MARK)

    def chunks() -> Iterator[str]:
        yield head
        last = ImportProgress(total=len(rows))
        steps = users_import_steps(actor=actor, rows=rows)
        try:
            for last in steps:
                if not last.finished:
                    yield _progress_chunk(last)
        finally:
            steps.close()  # the browser went away: roll the import back at once
        yield render_to_string(
            "core/user_import.html#result", {"progress": last, "streaming": True}, request=request
        )
        yield tail

    response = StreamingHttpResponse(chunks(), content_type="text/html; charset=utf-8")
    response["X-Accel-Buffering"] = "no"  # nginx: pass each chunk on at once
    response["Cache-Control"] = "no-store"
    return response


def _progress_chunk(p: ImportProgress) -> str:
    return (
        f"<script>mzProgress({p.done},{p.total})</script>"
        f"<noscript>{escape(str(p.done))}/{p.total} </noscript>\n"
    )


@roles_required(USER_ADMINS)
def user_import_template(request: HttpRequest) -> HttpResponse:
    """The CSV template with Chinese headers, UTF-8 with BOM so that Excel opens it right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER_ROW)
    writer.writerows(TEMPLATE_ROWS)
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    name = quote(_("用户导入模板") + ".csv")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response
