"""The two queues of money that did not arrive where it should: 失败重发 (payments the bank
returned as failed, to send again once the household's account is corrected) and 追回台账
(overpayments to recover, and the form that records money recovered)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from minzheng.core.models import User
from minzheng.core.scope import scoped
from minzheng.payments.fund_forms import RecoveryForm, add_payment_errors
from minzheng.payments.models import LineStatus, PaymentLine
from minzheng.payments.pdf import program_label
from minzheng.payments.permissions import PAYROLL_OPERATORS, PAYROLL_READERS
from minzheng.payments.services import bank
from minzheng.payments.services.errors import PaymentConflict, PaymentError
from minzheng.programs.views.common import may, today
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user, paginate, render_page, requires

REISSUE_NONE_CHOSEN = "请勾选要重新发放的明细(只有账户已更正的明细可以勾选)"
REISSUE_SENT = "已重新报送{lines}笔,生成重发银行文件{files}个,请到发放批次页面下载报送银行"
RECOVERY_RECORDED = "已登记追回:{name} {amount}元,凭证号{receipt}"
CONFLICT = 409

payroll_reader = requires(PAYROLL_READERS)
payroll_operator = requires(PAYROLL_OPERATORS)


@dataclass
class QueueRow:
    line: PaymentLine
    village: str
    program: str
    old_account: str
    new_account: str
    fixed: bool


def _queue_rows(user: User, lines: list[PaymentLine]) -> list[QueueRow]:
    names = registry_selectors.region_names(line.region_code for line in lines)
    rows = []
    for line in lines:
        household = line.household
        rows.append(
            QueueRow(
                line=line,
                village=names.get(line.region_code, line.region_code),
                program=gettext(program_label(line.program)),
                old_account=registry_selectors.display_bank_account(user, line.account_number),
                new_account=registry_selectors.display_bank_account(
                    user, household.bank_account_number
                ),
                fixed=bool(getattr(line, "account_fixed", False)),
            )
        )
    return rows


def _queue(user: User) -> QuerySet[PaymentLine]:
    return bank.reissue_queue(user).select_related("person", "household", "run")


def _queue_page(request: HttpRequest, user: User, status: int = 200) -> HttpResponse:
    queue = _queue(user)
    page = paginate(request, queue)
    totals = queue.aggregate(n=Count("id"), amount=Sum("amount"))
    context = {
        "page": page,
        "rows": _queue_rows(user, list(page.object_list)),
        "count": totals["n"] or 0,
        "amount": totals["amount"] or Decimal("0.00"),
        "may_operate": may(user, PAYROLL_OPERATORS),
    }
    response = render_page(request, "payments/reissue_queue.html", "results", context)
    response.status_code = status
    return response


@payroll_reader
@require_http_methods(["GET", "POST"])
def reissue_queue(request: HttpRequest) -> HttpResponseBase:
    """GET: the failed payments in scope; POST (operators): send the ticked ones again."""
    user = current_user(request)
    if request.method != "POST":
        return _queue_page(request, user)
    if not may(user, PAYROLL_OPERATORS):
        raise PermissionDenied
    ids = [int(x) for x in request.POST.getlist("lines") if x.isdigit()]
    lines = list(_queue(user).filter(pk__in=ids)) if ids else []
    if not lines:
        messages.error(request, REISSUE_NONE_CHOSEN)
        return redirect("payments:reissue_queue")
    try:
        files = bank.reissue(actor=user, lines=lines)
    except PaymentConflict as e:
        messages.error(request, e.message)
        return _queue_page(request, user, status=CONFLICT)
    except PaymentError as e:
        for message in e.errors.values():
            for m in message:
                messages.error(request, m)
        return redirect("payments:reissue_queue")
    messages.success(request, REISSUE_SENT.format(lines=len(lines), files=len(files)))
    return redirect("payments:reissue_queue")


# --- 追回台账 ------------------------------------------------------------------------------


def recovery_lines(user: User) -> QuerySet[PaymentLine]:
    """The lines to recover and recovered in the user's scope, the open ones first."""
    lines = PaymentLine.objects.filter(status__in=[LineStatus.TO_RECOVER, LineStatus.RECOVERED])
    return (
        scoped(lines, user)
        .select_related("person", "household", "run")
        .order_by("-status", "-month", "-id")  # to_recover before recovered
    )


def _recovery_rows(lines: list[PaymentLine]) -> list[dict[str, Any]]:
    names = registry_selectors.region_names(line.region_code for line in lines)
    return [
        {
            "line": line,
            "village": names.get(line.region_code, line.region_code),
            "program": gettext(program_label(line.program)),
            "due": -line.amount if line.amount < 0 else line.amount,
        }
        for line in lines
    ]


@payroll_reader
def recovery_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    show = request.GET.get("show", "open")
    lines = recovery_lines(user)
    open_lines = lines.filter(status=LineStatus.TO_RECOVER)
    page = paginate(request, open_lines if show == "open" else lines)
    totals = open_lines.aggregate(n=Count("id"), amount=Sum("amount"))
    recovered = lines.filter(status=LineStatus.RECOVERED).aggregate(
        n=Count("id"), amount=Sum("amount")
    )
    context = {
        "show": show,
        "page": page,
        "rows": _recovery_rows(list(page.object_list)),
        "open_count": totals["n"] or 0,
        "open_amount": abs(totals["amount"] or Decimal("0.00")),
        "recovered_count": recovered["n"] or 0,
        "recovered_amount": abs(recovered["amount"] or Decimal("0.00")),
        "may_operate": may(user, PAYROLL_OPERATORS),
    }
    return render_page(request, "payments/recovery_list.html", "results", context)


@payroll_operator
def recovery_record(request: HttpRequest, pk: int) -> HttpResponseBase:
    """登记追回: the receipt, the day, the fund account the money went back to, the amount."""
    user = current_user(request)
    line = get_object_or_404(recovery_lines(user), pk=pk)
    is_open = line.status == LineStatus.TO_RECOVER
    data = request.POST if request.method == "POST" and is_open else None
    form = RecoveryForm(data, user=user, program=line.program, initial={"recovered_on": today()})
    if data is not None and form.is_valid():
        c = form.cleaned_data
        try:
            done = bank.recovery_record(
                actor=user,
                line=line,
                receipt=c["receipt"].strip(),
                recovered_on=c["recovered_on"],
                fund_account=c["fund_account"],
                amount=c.get("amount"),
            )
        except PaymentError as e:
            add_payment_errors(form, e, {"line": "__all__"})
        else:
            messages.success(
                request,
                RECOVERY_RECORDED.format(
                    name=done.person.name,
                    amount=f"{c.get('amount') or abs(line.amount):,.2f}",
                    receipt=c["receipt"].strip(),
                ),
            )
            return redirect("payments:recovery_list")
    context = {
        "line": line,
        "row": _recovery_rows([line])[0],
        "form": form,
        "is_open": is_open,
    }
    return render(request, "payments/recovery_form.html", context)
