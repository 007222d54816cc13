"""银行文件模板: each bank's batch file (columns in order, format, encoding, delimiter, remark)
and how its return file reads (the header of each field, the result values meaning paid). A
bank without a template of its own gets the default one (services.bank.template_for)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from minzheng.core.scope import scoped
from minzheng.payments.fund_forms import (
    BATCH_FIELD_LABELS,
    BankTemplateForm,
    add_payment_errors,
)
from minzheng.payments.models import BankTemplate
from minzheng.payments.permissions import BANK_TEMPLATE_EDITORS
from minzheng.payments.services import bank
from minzheng.payments.services.errors import PaymentError
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user, requires

TEMPLATE_SAVED = "已保存“{bank}”的银行文件模板"

template_editor = requires(BANK_TEMPLATE_EDITORS)


@dataclass
class TemplateRow:
    template: BankTemplate
    region_name: str
    columns: str
    delimiter: str


def _delimiter_label(delimiter: str) -> str:
    return gettext("制表符") if delimiter == "\t" else delimiter


def _columns_label(columns: list[dict[str, str]]) -> str:
    return "、".join(c.get("header", "") for c in columns)


@template_editor
def template_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    templates = list(scoped(BankTemplate.objects.all(), user))
    names = registry_selectors.region_names(t.region_code for t in templates)
    rows = [
        TemplateRow(
            template=t,
            region_name=names.get(t.region_code, t.region_code),
            columns=_columns_label(t.columns or []),
            delimiter=_delimiter_label(t.delimiter),
        )
        for t in templates
    ]
    context = {
        "rows": rows,
        "default_columns": _columns_label(bank.DEFAULT_COLUMNS),
        "default_success": "、".join(bank.DEFAULT_SUCCESS_VALUES),
    }
    return render(request, "payments/bank_template_list.html", context)


@template_editor
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponseBase:
    """A new template (no pk) or a county's template to change."""
    user = current_user(request)
    template = None
    if pk is not None:
        template = get_object_or_404(scoped(BankTemplate.objects.all(), user), pk=pk)
    data = request.POST if request.method == "POST" else None
    form = BankTemplateForm(data, user=user, template=template)
    if data is not None and form.is_valid():
        try:
            saved = bank.bank_template_save(actor=user, template=template, **form.service_kwargs())
        except PaymentError as e:
            add_payment_errors(form, e)
        else:
            messages.success(request, TEMPLATE_SAVED.format(bank=saved.bank_name))
            return redirect("payments:bank_templates")
    context = {
        "form": form,
        "template": template,
        "batch_fields": [(code, str(label)) for code, label in BATCH_FIELD_LABELS.items()],
    }
    return render(request, "payments/bank_template_form.html", context)
