"""资金专户: the county's fund accounts with balance and available money, a new account, the
statement of an account for a period (on screen, printable, Excel) and the two entries booked
by hand — 资金拨入 (an allocation with its document number) and 调账 (a signed correction)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from minzheng.core.exports import xlsx_response
from minzheng.payments import selectors
from minzheng.payments.fund_forms import (
    FundAccountForm,
    FundEntryForm,
    StatementPeriodForm,
    add_payment_errors,
)
from minzheng.payments.models import FundAccount, FundEntry
from minzheng.payments.pdf import program_label
from minzheng.payments.permissions import FUND_KEEPERS, FUND_READERS
from minzheng.payments.services import funds
from minzheng.payments.services.errors import PaymentError
from minzheng.programs.views.common import may, today
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user, requires

ACCOUNT_CREATED = "已新建资金专户“{name}”"
ENTRY_BOOKED = "已记账:{kind} {amount}元"
STATEMENT_HEADERS = ["记账日期", "类别", "文号/凭证号", "发放批次", "摘要", "收入", "支出", "余额"]

fund_reader = requires(FUND_READERS)
fund_keeper = requires(FUND_KEEPERS)


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _program(code: str) -> str:
    return gettext(program_label(code)) if code else gettext("所有救助项目")


@dataclass
class AccountRow:
    account: FundAccount
    program: str
    region_name: str
    balance: Decimal
    available: Decimal


@fund_reader
def fund_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    accounts = list(selectors.fund_accounts(user))
    names = registry_selectors.region_names(a.region_code for a in accounts)
    rows = [
        AccountRow(
            account=a,
            program=_program(a.program),
            region_name=names.get(a.region_code, a.region_code),
            balance=funds.fund_balance(a),
            available=funds.fund_available(a),
        )
        for a in accounts
    ]
    context = {
        "rows": rows,
        "total_balance": sum((r.balance for r in rows if r.account.is_active), Decimal("0.00")),
        "may_keep": may(user, FUND_KEEPERS),
    }
    return render(request, "payments/fund_list.html", context)


@fund_keeper
def fund_create(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    form = FundAccountForm(_posted(request), user=user)
    if request.method == "POST" and form.is_valid():
        try:
            account = funds.fund_account_create(actor=user, **form.cleaned_data)
        except PaymentError as e:
            add_payment_errors(form, e)
        else:
            messages.success(request, ACCOUNT_CREATED.format(name=account.name))
            return redirect("payments:fund_detail", pk=account.pk)
    return render(request, "payments/fund_form.html", {"form": form})


@dataclass
class EntryRow:
    entry: FundEntry
    money_in: Decimal | None
    money_out: Decimal | None
    balance: Decimal


def _statement_rows(statement: funds.Statement) -> list[EntryRow]:
    entries = [line.entry for line in statement.lines]
    prefetch_related_objects(entries, "run")
    return [
        EntryRow(
            entry=line.entry,
            money_in=line.entry.amount if line.entry.amount > 0 else None,
            money_out=-line.entry.amount if line.entry.amount < 0 else None,
            balance=line.balance,
        )
        for line in statement.lines
    ]


def _kind_totals(statement: funds.Statement) -> list[tuple[str, Decimal]]:
    labels = dict(FundEntry.Kind.choices)
    return [
        (str(labels[kind]), statement.totals_by_kind[kind])
        for kind in FundEntry.Kind.values
        if kind in statement.totals_by_kind
    ]


def _statement_export(statement: funds.Statement, rows: list[EntryRow]) -> HttpResponseBase:
    account = statement.account

    def lines() -> Iterator[list[Any]]:
        yield [statement.date_from, "期初余额", "", "", "", "", "", statement.opening]
        for r in rows:
            e = r.entry
            yield [
                e.entry_date,
                e.get_kind_display(),
                e.document_number,
                e.run.number if e.run else "",
                e.note,
                r.money_in if r.money_in is not None else "",
                r.money_out if r.money_out is not None else "",
                r.balance,
            ]
        yield ["", "本期合计", "", "", "", statement.money_in, statement.money_out, ""]
        yield [statement.date_to, "期末余额", "", "", "", "", "", statement.closing]

    period = f"{statement.date_from:%Y%m%d}-{statement.date_to:%Y%m%d}"
    return xlsx_response(
        filename=f"{account.name}-对账单-{period}.xlsx", headers=STATEMENT_HEADERS, rows=lines()
    )


@fund_reader
def fund_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The statement (对账单) of the account for a period, this year unless asked."""
    user = current_user(request)
    account = selectors.fund_account_get(user, pk)
    form = StatementPeriodForm(request.GET)
    date_from, date_to = form.period(today())
    if not request.GET.get("date_from") and not request.GET.get("date_to"):
        # Show the period the statement covers in the empty filter.
        form = StatementPeriodForm(initial={"date_from": date_from, "date_to": date_to})
    statement = funds.fund_statement(account, date_from, date_to)
    rows = _statement_rows(statement)
    if request.GET.get("export") == "xlsx":
        return _statement_export(statement, rows)
    names = registry_selectors.region_names([account.region_code])
    context = {
        "account": account,
        "program": _program(account.program),
        "region_name": names.get(account.region_code, account.region_code),
        "form": form,
        "statement": statement,
        "rows": rows,
        "kind_totals": _kind_totals(statement),
        "balance": funds.fund_balance(account),
        "available": funds.fund_available(account),
        "may_keep": may(user, FUND_KEEPERS),
        "printed_on": today(),
        "query": f"date_from={date_from.isoformat()}&date_to={date_to.isoformat()}",
    }
    template = "payments/fund_statement_print.html" if request.GET.get("print") else None
    return render(request, template or "payments/fund_detail.html", context)


@fund_keeper
def fund_entry_add(request: HttpRequest, pk: int) -> HttpResponseBase:
    """资金拨入 or 调账 on the account."""
    user = current_user(request)
    account = selectors.fund_account_get(user, pk)
    form = FundEntryForm(_posted(request), initial={"entry_date": today()})
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            entry = funds.fund_entry_add(
                actor=user,
                account=account,
                kind=c["kind"],
                amount=c["amount"],
                entry_date=c["entry_date"],
                document_number=c.get("document_number", "").strip(),
                note=c.get("note", "").strip(),
            )
        except PaymentError as e:
            add_payment_errors(form, e)
        else:
            messages.success(
                request,
                ENTRY_BOOKED.format(kind=entry.get_kind_display(), amount=f"{entry.amount:,.2f}"),
            )
            return redirect("payments:fund_detail", pk=account.pk)
    context = {"account": account, "form": form, "balance": funds.fund_balance(account)}
    return render(request, "payments/fund_entry_form.html", context)
