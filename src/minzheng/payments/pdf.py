"""The printable payroll list of one village for one run (发放名单公示), as PDF for the village's
notice board. Laid out by the case engine's renderer (programs.pdf.render_pdf: WeasyPrint, a CJK
font required, PdfUnavailable otherwise).

Disclosure (DOMAIN.md §1): the list shows only the masked name, the number of counted members,
the amount and the program. The template receives PayrollRow objects built from that
allow-list, never a line, a person or a household: no ID number, account or address can slip
onto the wall."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from minzheng.core.models import Region, User
from minzheng.core.regions import code_prefix
from minzheng.core.scope import require_in_scope
from minzheng.payments import selectors
from minzheng.payments.models import PayrollRun
from minzheng.programs.pdf import mask_name, money, render_pdf
from minzheng.programs.policies import POLICIES
from minzheng.programs.selectors import county_code, township_code

PAYROLL_NOT_VILLAGE = "发放名单按村(社区)打印,请选择一个村(社区)"
PAYROLL_EMPTY = "{village}在批次{number}中没有发放对象"

# What the money of a program is called on a notice (低保金, 特困供养金 ...).
PAYMENT_NAMES = {
    "dibao_rural": "农村低保金",
    "dibao_urban": "城市低保金",
    "tekun": "特困人员救助供养金",
    "temporary_emergency": "临时救助金",
    "temporary_expense": "临时救助金",
}


class PayrollListEmpty(ValueError):
    """Nobody of the village is paid in the run."""


@dataclass(frozen=True)
class PayrollRow:
    """Everything the payroll notice may say about one beneficiary (the allow-list)."""

    seq: int
    masked_name: str
    counted_members: int
    amount: str
    program: str


def payment_name(program: str) -> str:
    if program in PAYMENT_NAMES:
        return PAYMENT_NAMES[program]
    policy = POLICIES.get(program)
    return f"{policy.label if policy else program}资金"


def program_label(program: str) -> str:
    policy = POLICIES.get(program)
    return str(policy.label) if policy else program


def _region_names(codes: list[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


@dataclass
class _CaseSum:
    name: str
    members: int
    program: str
    amount: Decimal = Decimal("0.00")


def village_rows(
    user: User, run: PayrollRun, village_code: str
) -> tuple[list[PayrollRow], Decimal]:
    """One row per case of the village in the run with the net of its lines (arrears and
    adjustments included); a case whose net is not positive is paid nothing this time and is
    left off. Returns the rows and their total."""
    lines = (
        selectors.run_lines(user, run)
        .filter(region_code=village_code)
        .values_list("case_id", "person__name", "case__counted_members", "program", "amount")
        .order_by("id")
    )
    cases: dict[int, _CaseSum] = {}
    for case_id, name, members, program, amount in lines:
        case = cases.setdefault(case_id, _CaseSum(name, members or 1, program))
        case.amount += amount
    rows: list[PayrollRow] = []
    total = Decimal("0.00")
    for case in cases.values():
        if case.amount <= 0:
            continue
        total += case.amount
        rows.append(
            PayrollRow(
                seq=len(rows) + 1,
                masked_name=mask_name(case.name),
                counted_members=case.members,
                amount=money(case.amount),
                program=program_label(case.program),
            )
        )
    return rows, total


def _day_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def village_payroll_pdf(user: User, run: PayrollRun, village_code: str) -> bytes:
    """发放名单(公示) of one village: "裕安区苏埠镇陶洪村 2026年11月农村低保金发放名单(公示)",
    the allow-listed rows, the total, the issuing bureau, the date and the supervision phone
    (setting PAYROLL_SUPERVISION_PHONE, a blank line to fill in when unset). Raises
    PayrollListEmpty when nobody of the village is paid, ValueError when the code is not a
    village of the run's region."""
    require_in_scope(user, village_code)
    village = Region.objects.filter(code=village_code).first()
    if (
        village is None
        or village.level != Region.Level.VILLAGE
        or not village_code.startswith(code_prefix(run.region_code))
    ):
        raise ValueError(PAYROLL_NOT_VILLAGE)
    rows, total = village_rows(user, run, village_code)
    if not rows:
        raise PayrollListEmpty(PAYROLL_EMPTY.format(village=village.name, number=run.number))
    names = _region_names([county_code(village_code), township_code(village_code)])
    county = names.get(county_code(village_code), "")
    township = names.get(township_code(village_code), "")
    month = f"{run.month.year}年{run.month.month}月"
    context = {
        "title": f"{county}{township}{village.name} {month}{payment_name(run.program)}"
        "发放名单(公示)",
        "place": f"{county}{township}{village.name}",
        "month": month,
        "payment": payment_name(run.program),
        "number": run.number,
        "rows": rows,
        "count": len(rows),
        "total": money(total),
        "issuer": f"{county}民政局",
        "day": _day_label(timezone.localdate()),
        "phone": str(getattr(settings, "PAYROLL_SUPERVISION_PHONE", "") or ""),
    }
    return render_pdf("payments/village_payroll_pdf.html", context)
