"""发放记录: every payment line of a person (as the beneficiary of a case) or of a household,
newest month first, with the totals of each year and an Excel export; and the printable payroll
list of a village for its notice board (发放名单公示, PDF)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext

from minzheng.core.exports import xlsx_response
from minzheng.core.models import Region
from minzheng.core.regions import code_prefix
from minzheng.core.scope import OUT_OF_SCOPE, require_in_scope
from minzheng.payments import pdf, selectors
from minzheng.payments.models import LineStatus, PaymentLine
from minzheng.payments.permissions import PAYMENT_HISTORY_READERS, PAYROLL_READERS
from minzheng.programs.pdf import PdfUnavailable
from minzheng.programs.views.common import may
from minzheng.programs.views.printouts import (
    BAD_REQUEST,
    NOT_FOUND,
    PDF_FAILED_TITLE,
    UNAVAILABLE,
    pdf_response,
    problem,
)
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user, requires

PAYROLL_LIST_FAILED_TITLE = "不能打印发放名单"
HISTORY_HEADERS = [
    "所属月份",
    "救助项目",
    "类别",
    "金额",
    "发放状态",
    "到账日期",
    "失败原因",
    "说明",
    "批次编号",
]

history_reader = requires(PAYMENT_HISTORY_READERS)
payroll_reader = requires(PAYROLL_READERS)


@dataclass
class HistoryRow:
    line: PaymentLine
    program: str


@dataclass
class YearGroup:
    """A year of the history: its lines and totals (all lines; of them paid; failed)."""

    year: int
    rows: list[HistoryRow] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    failed: Decimal = Decimal("0.00")

    def add(self, line: PaymentLine) -> None:
        self.rows.append(HistoryRow(line, gettext(pdf.program_label(line.program))))
        self.total += line.amount
        if line.status == LineStatus.PAID:
            self.paid += line.amount
        elif line.status == LineStatus.FAILED:
            self.failed += line.amount


def year_groups(lines: Iterable[PaymentLine]) -> list[YearGroup]:
    """The lines (newest first) grouped by the year of their month, newest year first."""
    groups: dict[int, YearGroup] = {}
    for line in lines:
        groups.setdefault(line.month.year, YearGroup(line.month.year)).add(line)
    return sorted(groups.values(), key=lambda g: -g.year)


def _export_rows(lines: Iterable[PaymentLine], *, with_person: bool) -> Iterator[list[Any]]:
    for line in lines:
        row: list[Any] = [
            f"{line.month:%Y-%m}",
            gettext(pdf.program_label(line.program)),
            line.get_kind_display(),
            line.amount,
            line.get_status_display(),
            line.paid_on or "",
            line.failure_reason,
            line.note,
            line.run.number,
        ]
        if with_person:
            row.insert(0, line.person.name)
        yield row


def _history(
    request: HttpRequest,
    lines: list[PaymentLine],
    *,
    subject: dict[str, Any],
    filename: str,
    with_person: bool,
) -> HttpResponseBase:
    user = current_user(request)
    if request.GET.get("export") == "xlsx":
        headers = ["救助对象", *HISTORY_HEADERS] if with_person else HISTORY_HEADERS
        return xlsx_response(
            filename=f"{filename}.xlsx",
            headers=headers,
            rows=_export_rows(lines, with_person=with_person),
        )
    context = {
        **subject,
        "groups": year_groups(lines),
        "with_person": with_person,
        "may_see_runs": may(user, PAYROLL_READERS),
    }
    return render(request, "payments/history.html", context)


@history_reader
def person_payments(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    person = registry_selectors.person_get(user=user, pk=pk)
    lines = list(selectors.person_payments(user, person))
    return _history(
        request,
        lines,
        subject={"person": person},
        filename=f"{person.name}-发放记录",
        with_person=False,
    )


@history_reader
def household_payments(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    household = registry_selectors.household_get(user=user, pk=pk)
    lines = list(selectors.household_payments(user, household))
    return _history(
        request,
        lines,
        subject={"household": household},
        filename=f"{household.head.name if household.head else household.pk}户-发放记录",
        with_person=True,
    )


@payroll_reader
def village_payroll_pdf(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """发放名单(公示) of a village of the run, to post on its notice board."""
    user = current_user(request)
    run = selectors.run_get(user, pk)
    require_in_scope(user, code)
    village = Region.objects.filter(code=code).first()
    if village is None or not code.startswith(code_prefix(run.region_code)):
        raise Http404(OUT_OF_SCOPE)
    back = reverse("payments:run_detail", args=[run.pk])
    try:
        content = pdf.village_payroll_pdf(user, run, code)
    except PdfUnavailable as e:
        return problem(
            request, title=PDF_FAILED_TITLE, message=e.message, status=UNAVAILABLE, back=back
        )
    except pdf.PayrollListEmpty as e:
        return problem(
            request, title=PAYROLL_LIST_FAILED_TITLE, message=str(e), status=NOT_FOUND, back=back
        )
    except ValueError as e:  # not a village
        return problem(
            request, title=PAYROLL_LIST_FAILED_TITLE, message=str(e), status=BAD_REQUEST, back=back
        )
    return pdf_response(content, f"{village.name}{run.month.year}年{run.month.month}月发放名单.pdf")
