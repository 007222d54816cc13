"""比对数据: what other departments delivered, per kind with the delivery in use and the ones
it superseded; uploading a file, mapping its columns to the kind's schema (with the file's first
rows to see what each heading holds), the validation's progress bar, and its report with the
problem rows (on the page and in Excel)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRefresh

from minzheng.core.exports import xlsx_response
from minzheng.matching import selectors
from minzheng.matching.errors import MatchingError
from minzheng.matching.forms import ColumnMappingForm, DatasetUploadForm, human_size, sample_table
from minzheng.matching.models import DatasetStatus, ExternalDataset
from minzheng.matching.permissions import DATASET_KEEPERS
from minzheng.matching.rules import RULES
from minzheng.matching.schemas import SCHEMAS, DatasetSchema, schema_for
from minzheng.matching.services import datasets as dataset_services
from minzheng.matching.views.common import (
    add_matching_errors,
    dataset_keeper,
    dataset_reader,
    dataset_tag,
    may,
)
from minzheng.registry.views.common import current_user, paginate, render_page

UPLOADED = "已上传{name},请核对字段对应"
VALIDATING = "正在校验{name},完成后显示校验报告"
PROBLEM_HEADERS = ["行号", "列", "内容", "问题", "处理", "说明"]
SHOWN_PROBLEMS = 200
REFUSES = "须更正"
KEPT = "仅提示"
MAPPABLE = (DatasetStatus.UPLOADED, DatasetStatus.REFUSED, DatasetStatus.FAILED)


@dataclass
class KindRow:
    schema: DatasetSchema
    active: ExternalDataset | None
    pending: list[ExternalDataset]
    rules: list[str]


def _rules_of(kind: str) -> list[str]:
    return [str(r.label) for r in RULES.values() if r.dataset_kind == kind]


@dataset_reader
def dataset_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    datasets = selectors.datasets_for(user)
    active = selectors.active_datasets(user)
    pending: dict[str, list[ExternalDataset]] = {}
    waiting = datasets.filter(
        status__in=[DatasetStatus.UPLOADED, DatasetStatus.VALIDATING, DatasetStatus.REFUSED]
    )
    for d in waiting.order_by("-created_at", "-id")[:50]:
        if d.kind in active and d.created_at < active[d.kind].created_at:
            continue  # refused or abandoned before the delivery now in use
        pending.setdefault(d.kind, []).append(d)
    kinds = [
        KindRow(schema=s, active=active.get(k), pending=pending.get(k, []), rules=_rules_of(k))
        for k, s in SCHEMAS.items()
    ]
    kind = request.GET.get("kind", "")
    history = datasets.exclude(status=DatasetStatus.ACTIVE)
    if kind in SCHEMAS:
        history = history.filter(kind=kind)
    page = paginate(request, history.order_by("-created_at", "-id"))
    context = {
        "kinds": kinds,
        "page": page,
        "kind": kind,
        "kind_choices": [(k, s.label) for k, s in SCHEMAS.items()],
        "may_upload": may(user, DATASET_KEEPERS),
        "tags": {s: dataset_tag(s) for s in DatasetStatus.values},
    }
    return render_page(request, "matching/dataset_list.html", "history", context)


@dataset_keeper
def dataset_upload(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    initial = {"kind": request.GET.get("kind", "")}
    form = DatasetUploadForm(request.POST or None, request.FILES or None, initial=initial)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            dataset = dataset_services.dataset_upload(
                actor=user,
                kind=c["kind"],
                source=c["source"],
                data_date=c["data_date"],
                file=c["file"],
                file_name=c["file"].name,
                note=c["note"],
            )
        except MatchingError as e:
            refused = add_matching_errors(form, e)
        else:
            messages.success(request, UPLOADED.format(name=dataset.file_name))
            return redirect(reverse("matching:dataset_columns", args=[dataset.pk]))
    context = {
        "form": form,
        "refused": refused,
        "schemas": SCHEMAS,
        "limit": human_size(_upload_limit()),
    }
    return render(request, "matching/dataset_upload.html", context)


def _upload_limit() -> int:
    from django.conf import settings

    return int(getattr(settings, "MATCHING_UPLOAD_MAX_BYTES", 0) or 0)


def _mapping_context(dataset: ExternalDataset, form: ColumnMappingForm) -> dict[str, Any]:
    schema = schema_for(dataset.kind)
    headers = [str(h) for h in dataset.headers or []]
    guessed = dataset.column_mapping or {}
    return {
        "guessed": {c.name for c in schema.columns if guessed.get(c.name) in headers},
        "dataset": dataset,
        "schema": schema,
        "form": form,
        "headers": headers,
        "samples": sample_table(dataset),
        "tag": dataset_tag(dataset.status),
    }


@dataset_keeper
def dataset_columns(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The column mapping screen; saving it starts the validation."""
    user = current_user(request)
    dataset = selectors.dataset_get(user, pk)
    if dataset.status not in MAPPABLE:
        return redirect(reverse("matching:dataset_detail", args=[dataset.pk]))
    schema = schema_for(dataset.kind)
    form = ColumnMappingForm(request.POST or None, dataset=dataset, schema=schema)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                dataset = dataset_services.dataset_map(
                    actor=user, dataset=dataset, mapping=form.mapping()
                )
                dataset = dataset_services.dataset_validate_enqueue(actor=user, dataset=dataset)
        except MatchingError as e:
            refused = add_matching_errors(form, e)
            dataset = selectors.dataset_get(user, pk)
        else:
            messages.success(request, VALIDATING.format(name=dataset.file_name))
            return redirect(reverse("matching:dataset_detail", args=[dataset.pk]))
    context = {**_mapping_context(dataset, form), "refused": refused}
    return render(request, "matching/dataset_columns.html", context)


def _reason_counts(dataset: ExternalDataset, problems: list[dict[str, Any]]) -> list[Any]:
    """[{reason, column, count, error}] from the report's "reasons", else counted from the
    problem rows listed."""
    raw = (dataset.report or {}).get("reasons")
    if isinstance(raw, dict):
        raw = [{"reason": k, "count": v} for k, v in raw.items()]
    if isinstance(raw, list):
        lines = [r for r in raw if isinstance(r, dict)]
    else:
        counted: dict[tuple[str, str, bool], int] = {}
        for p in problems:
            key = (str(p.get("reason", "")), str(p.get("column_label", "")), p.get("error", True))
            counted[key] = counted.get(key, 0) + 1
        lines = [
            {"reason": r, "column": c, "error": e, "count": n} for (r, c, e), n in counted.items()
        ]
    # Errors (that refuse the delivery) first, then the biggest counts.
    return sorted(lines, key=lambda r: (not r.get("error", True), -int(r.get("count") or 0)))


def _problem_rows(dataset: ExternalDataset) -> list[dict[str, Any]]:
    rows = dataset_services.dataset_report_rows(dataset)
    schema = SCHEMAS.get(dataset.kind)
    labels = {c.name: str(c.label) for c in schema.columns} if schema else {}
    labels |= {"row": "整行", "id_number": "身份证号码"}
    out = []
    for r in rows:
        column = str(r.get("column", "") or "")
        out.append({"error": True, **r, "column_label": labels.get(column, column)})
    return out


def _report_context(user: Any, dataset: ExternalDataset) -> dict[str, Any]:
    shows_report = dataset.status not in (DatasetStatus.UPLOADED, DatasetStatus.VALIDATING)
    problems = _problem_rows(dataset) if shows_report else []
    successor = dataset.superseded_by.order_by("-created_at").first()
    return {
        "dataset": dataset,
        "schema": SCHEMAS.get(dataset.kind),
        "tag": dataset_tag(dataset.status),
        "shows_report": shows_report,
        "problems": problems[:SHOWN_PROBLEMS],
        "problem_count": len(problems),
        "error_count": sum(1 for p in problems if p.get("error", True)),
        "truncated": bool((dataset.report or {}).get("samples_truncated")),
        "reasons": _reason_counts(dataset, problems),
        "mapping": [
            (c.label, dataset.column_mapping.get(c.name, ""), c.required)
            for c in schema_for(dataset.kind).columns
        ]
        if dataset.column_mapping
        else [],
        "successor": successor,
        "may_upload": may(user, DATASET_KEEPERS),
        "may_remap": may(user, DATASET_KEEPERS) and dataset.status in MAPPABLE,
        "size": human_size(dataset.file_size),
    }


@dataset_reader
def dataset_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    dataset = selectors.dataset_get(user, pk)
    if dataset.status == DatasetStatus.UPLOADED and may(user, DATASET_KEEPERS):
        return redirect(reverse("matching:dataset_columns", args=[dataset.pk]))
    return render(request, "matching/dataset_detail.html", _report_context(user, dataset))


@dataset_reader
def dataset_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The validation's progress bar; once done the page reloads itself."""
    user = current_user(request)
    dataset = selectors.dataset_get(user, pk)
    if dataset.status != DatasetStatus.VALIDATING and request.headers.get("HX-Request") == "true":
        return HttpResponseClientRefresh()
    return render(request, "matching/dataset_detail.html#progress", {"dataset": dataset})


def _export_problems(problems: list[dict[str, Any]]) -> Iterator[Sequence[Any]]:
    for p in problems:
        yield [
            p.get("row_no", ""),
            p["column_label"],
            p.get("value", ""),
            p.get("reason", ""),
            REFUSES if p.get("error", True) else KEPT,
            p.get("message", ""),
        ]


@dataset_reader
def dataset_problems(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The report's problem rows in Excel, to send back to the department."""
    user = current_user(request)
    dataset = selectors.dataset_get(user, pk)
    name = f"{dataset.get_kind_display()}-问题数据-{timezone.localdate():%Y%m%d}.xlsx"
    return xlsx_response(
        filename=name, headers=PROBLEM_HEADERS, rows=_export_problems(_problem_rows(dataset))
    )
