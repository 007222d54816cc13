"""The banks' files on the run's page: downloading a batch file as it was stored, importing the
bank's return file (回盘), and the report of an import with the rows it did not apply."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from minzheng.core.exports import xlsx_response
from minzheng.core.models import User
from minzheng.core.scope import require_in_scope
from minzheng.payments import selectors
from minzheng.payments.forms import BankReturnForm
from minzheng.payments.models import BankFile, BankReturn, BankTemplate
from minzheng.payments.services import bank
from minzheng.payments.services.errors import PaymentError
from minzheng.payments.views.runs import (
    add_payment_errors,
    payroll_operator,
    payroll_reader,
    wants_export,
)
from minzheng.programs.policies import program_label
from minzheng.registry.views.common import current_user

RETURN_IMPORTED = "已导入回盘文件:成功{paid}笔,失败{failed}笔,未处理{problems}行"
PROBLEM_HEADERS = ["行号", "账号", "户名", "金额", "原因"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(filename: str) -> str:
    """Content-Disposition of a download with a Chinese file name (RFC 5987/6266), with an ASCII
    fallback for old clients."""
    fallback = filename.encode("ascii", "ignore").decode() or "download"
    fallback = fallback.replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def content_type(bank_file: BankFile) -> str:
    if bank_file.file_name.lower().endswith(".xlsx"):
        return XLSX
    template = bank_file.template
    if template.file_format == BankTemplate.Format.XLSX:
        return XLSX
    return f"text/csv; charset={template.encoding}"


def _bank_file_get(user: User, pk: int) -> BankFile:
    """A bank file holds the accounts of the whole run: only users whose scope covers the run's
    region see it (a township clerk reads a county run's lines of the township, not its
    files); 404 otherwise."""
    bank_file = selectors.bank_file_get(user, pk)
    require_in_scope(user, bank_file.run.region_code)
    return bank_file


@payroll_reader
def bank_file_download(request: HttpRequest, pk: int) -> FileResponse:
    """The batch file's bytes as generated (the same file every time, for the bank and the
    auditors); 404 outside the user's scope."""
    bank_file = _bank_file_get(current_user(request), pk)
    content = io.BytesIO(bytes(bank_file.content))
    response = FileResponse(content, content_type=content_type(bank_file))
    response["Content-Disposition"] = attachment(bank_file.file_name)
    return response


def _return_get(request: HttpRequest, pk: int) -> BankReturn:
    user = current_user(request)
    runs = selectors.run_list(user)
    returns = BankReturn.objects.filter(bank_file__run__in=runs).select_related(
        "bank_file__run", "created_by"
    )
    result = get_object_or_404(returns, pk=pk)
    require_in_scope(user, result.bank_file.run.region_code)
    return result


@payroll_operator
def bank_return_upload(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    bank_file = _bank_file_get(user, pk)
    form = BankReturnForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = bank.bank_return_import(
                actor=user, bank_file=bank_file, content=upload.read(), file_name=upload.name
            )
        except PaymentError as e:
            for text in add_payment_errors(form, e):
                form.add_error("file", text)
        else:
            done = RETURN_IMPORTED.format(
                paid=result.paid_count, failed=result.failed_count, problems=len(result.problems)
            )
            messages.success(request, done)
            return redirect(reverse("payments:bank_return_detail", args=[result.pk]))
    context = {
        "form": form,
        "bank_file": bank_file,
        "run": bank_file.run,
        "program": program_label(bank_file.run.program),
        "returns": list(bank_file.returns.order_by("id")),
    }
    return render(request, "payments/bank_return_upload.html", context)


def _problem_rows(problems: Sequence[dict[str, Any]]) -> Iterator[Sequence[Any]]:
    for p in problems:
        yield [
            p.get("row", ""),
            p.get("account_number", ""),
            p.get("account_name", ""),
            p.get("amount", ""),
            p.get("reason", ""),
        ]


@payroll_reader
def bank_return_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    result = _return_get(request, pk)
    problems = [p for p in result.problems or [] if isinstance(p, dict)]
    if wants_export(request):
        return xlsx_response(
            filename=f"回盘未处理行-{result.bank_file.file_name.rsplit('.', 1)[0]}.xlsx",
            headers=PROBLEM_HEADERS,
            rows=_problem_rows(problems),
        )
    run = result.bank_file.run
    context = {
        "result": result,
        "bank_file": result.bank_file,
        "run": run,
        "program": program_label(run.program),
        "problems": problems,
    }
    return render(request, "payments/bank_return_detail.html", context)
