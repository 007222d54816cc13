"""系统管理 → 审计日志: search the audit events of the user's scope (read-only: the
application offers no way to change or delete one) and export them to Excel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from minzheng.core.audit import action_label
from minzheng.core.exports import xlsx_response
from minzheng.core.forms import AuditFilterForm
from minzheng.core.models import AuditEvent, User
from minzheng.core.scope import AUDIT_READERS
from minzheng.core.selectors import AuditFilters, audit_event_list, scope_prefix_of
from minzheng.core.views.access import current_user, roles_required
from minzheng.core.views.display import (
    action_choices,
    event_lines,
    object_type_choices,
    role_label,
)

PAGE_SIZE = 50
EXPORT_CHUNK = 2000


def _filtered(request: HttpRequest, user: User) -> tuple[AuditFilterForm, Any]:
    form = AuditFilterForm(
        request.GET or None, actions=action_choices(), object_types=object_type_choices()
    )
    filters = AuditFilters()
    if form.is_valid():
        d = form.cleaned_data
        filters = AuditFilters(
            date_from=d["date_from"],
            date_to=d["date_to"],
            username=d["username"],
            action=d["action"],
            object_type=d["object_type"],
            object_id=d["object_id"],
            region_prefix=scope_prefix_of(d["region"]),
        )
    elif form.is_bound:
        return form, AuditEvent.objects.none()
    return form, audit_event_list(user=user, filters=filters)


@roles_required(AUDIT_READERS)
@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form, events = _filtered(request, user)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "lines": event_lines(user=user, events=list(page.object_list)),
        "query": query.urlencode(),
    }
    return render(request, "core/audit_search.html", context)


def _export_rows(events: Any) -> Iterator[list[Any]]:
    for e in events.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_username,
            role_label(e.actor_role),
            e.actor_region_code,
            action_label(e.action),
            e.action,
            e.object_type,
            e.object_id,
            e.region_code,
            json.dumps(e.changes, ensure_ascii=False),
            e.reason,
        ]


@roles_required(AUDIT_READERS)
@require_GET
def audit_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    _form, events = _filtered(request, user)
    headers = [
        _("时间"),
        _("操作人"),
        _("角色"),
        _("操作人区划"),
        _("操作"),
        _("操作代码"),
        _("对象类型"),
        _("对象编号"),
        _("对象区划"),
        _("变更内容"),
        _("原因"),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(
        filename=f"{_('审计日志')}-{stamp}.xlsx",
        headers=headers,
        rows=_export_rows(events.select_related(None)),
    )
