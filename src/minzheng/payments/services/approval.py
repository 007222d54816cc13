"""A run's way through the bureau after generation: checked -> collectively approved (meeting
record, fund account with enough balance) -> locked (the disbursement is booked, the lines are
frozen). Sending to the banks and reconciling are in services/bank/.

Every step locks the run row, then (approval, locking) the fund account row - always in that
order - and moves the run by a conditional UPDATE on (status, version): a second user acting on
the same run gets PaymentConflict, two approvals spending the same money are serialised on the
fund account and the second sees the first's run as money promised."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Trim
from django.utils import timezone

from minzheng.core.models import User
from minzheng.core.scope import require_in_scope
from minzheng.payments.models import (
    FundAccount,
    FundEntry,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.permissions import PAYROLL_APPROVERS, PAYROLL_OPERATORS
from minzheng.payments.services import funds, payroll
from minzheng.payments.services.errors import PaymentConflict, PaymentError
from minzheng.payments.services.events import run_audit
from minzheng.programs.policies import POLICIES
from minzheng.registry.models import Household

CHECK_NOT_ALLOWED = "只有县(区)民政局经办人员可以审核、锁定发放批次"
APPROVE_NOT_ALLOWED = "只有县(区)民政局领导可以登记集体审批"
RUN_WRONG_STATUS = "发放批次{number}当前为“{status}”,只有“{expected}”的批次可以{action}"
MEETING_DATE_MISSING = "请填写会议日期"
MEETING_DATE_FUTURE = "会议日期不能晚于今天"
MEETING_ATTENDEES_TOO_FEW = "集体研究须至少两名参会人员,请填写全部参会人员姓名(以逗号或顿号分隔)"
MEETING_DECISION_MISSING = "请填写会议决定"
FUND_ACCOUNT_MISSING = "请选择支付专户"
FUND_ACCOUNT_INACTIVE = "专户“{name}”已停用"
FUND_ACCOUNT_OTHER_COUNTY = "专户“{name}”不属于本批次所在的县(区)"
FUND_ACCOUNT_OTHER_PROGRAM = "专户“{name}”不能支付{program}"
FUND_SHORT = "专户可用余额{available}元,不足以支付本批次应付银行金额{needed}元"
RUN_NO_FUND_ACCOUNT = "发放批次{number}没有指定支付专户,请重新登记集体审批"

# What the disbursement entry calls the money of each program.
MONEY_NAMES = {
    "dibao_urban": "城市低保金",
    "dibao_rural": "农村低保金",
    "tekun": "特困供养金",
    "temporary_emergency": "临时救助金",
    "temporary_expense": "临时救助金",
}
DISBURSEMENT_NOTE = "{year}年{month}月{money}发放({number})"
# Names in the attendees' field are separated by commas (Chinese or ASCII), 顿号, semicolons,
# spaces or new lines.
ATTENDEE_SEPARATORS = re.compile(r"[,\uff0c\u3001;\uff1b\s]+")


def _today() -> datetime.date:
    return timezone.localdate()


def _require(actor: User, roles: set[Any], message: str, run: PayrollRun) -> None:
    if actor.role not in roles:
        raise PermissionDenied(message)
    require_in_scope(actor, run.region_code)


def _lock_run(run: PayrollRun, version: int | None, expected: RunStatus, action: str) -> PayrollRun:
    """The run's row, locked; PaymentConflict for a stale version, PaymentError when the run is
    not in the expected status."""
    current = PayrollRun.objects.select_for_update().get(pk=run.pk)
    if version is not None and version != current.version:
        raise PaymentConflict()
    if current.status != expected:
        raise PaymentError(
            RUN_WRONG_STATUS.format(
                number=current.number,
                status=current.get_status_display(),
                expected=expected.label,
                action=action,
            )
        )
    return current


# --- check ------------------------------------------------------------------------------------


def run_check(*, actor: User, run: PayrollRun, version: int | None = None) -> PayrollRun:
    """A DRAFT run becomes CHECKED: the check report (payroll.check_report_build) is stored with
    who checked it and when. PAYROLL_OPERATORS, in scope."""
    _require(actor, PAYROLL_OPERATORS, CHECK_NOT_ALLOWED, run)
    with transaction.atomic():
        current = _lock_run(run, version, RunStatus.DRAFT, "审核")
        report = payroll.check_report_build(current)
        payroll.run_move(
            run,
            before=current.status,
            to=RunStatus.CHECKED,
            version=current.version,
            check_report=report,
            checked_by=actor,
            checked_at=timezone.now(),
        )
        run_audit(
            run,
            actor,
            "payroll.check",
            status=RunStatus.CHECKED.value,
            line_count=run.line_count,
            total_amount=run.total_amount,
            payable_amount=run.payable_amount,
        )
    return run


# --- approval ---------------------------------------------------------------------------------


def attendee_names(attendees: str) -> list[str]:
    """The distinct names in the attendees' field, in their order."""
    names = [n for n in ATTENDEE_SEPARATORS.split(attendees or "") if n]
    return list(dict.fromkeys(names))


def _program_name(code: str) -> str:
    policy = POLICIES.get(code)
    return str(policy.label) if policy is not None else code


def _approval_errors(
    run: PayrollRun,
    *,
    meeting_date: datetime.date | None,
    names: list[str],
    decision: str,
    fund_account: FundAccount | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if meeting_date is None:
        errors["meeting_date"] = [MEETING_DATE_MISSING]
    elif meeting_date > _today():
        errors["meeting_date"] = [MEETING_DATE_FUTURE]
    if len(names) < 2:
        errors["attendees"] = [MEETING_ATTENDEES_TOO_FEW]
    if not decision:
        errors["decision"] = [MEETING_DECISION_MISSING]
    if fund_account is None:
        errors["fund_account"] = [FUND_ACCOUNT_MISSING]
    elif fund_account.region_code != run.region_code[:6].ljust(12, "0"):
        errors["fund_account"] = [FUND_ACCOUNT_OTHER_COUNTY.format(name=fund_account.name)]
    elif fund_account.program and fund_account.program != run.program:
        errors["fund_account"] = [
            FUND_ACCOUNT_OTHER_PROGRAM.format(
                name=fund_account.name, program=_program_name(run.program)
            )
        ]
    elif not fund_account.is_active:
        errors["fund_account"] = [FUND_ACCOUNT_INACTIVE.format(name=fund_account.name)]
    return errors


def _require_money(account: FundAccount, run: PayrollRun, needed: Decimal) -> Decimal:
    """The account's available money (without this run's promise) covers `needed`; call with
    the account row locked."""
    available = funds.fund_available(account, excluding=run)
    if available < needed:
        raise PaymentError(
            FUND_SHORT.format(
                available=funds.money_text(available), needed=funds.money_text(needed)
            ),
            field="fund_account",
        )
    return available


def run_approve(
    *,
    actor: User,
    run: PayrollRun,
    meeting_date: datetime.date,
    attendees: str,
    decision: str,
    fund_account: FundAccount,
    version: int | None = None,
) -> PayrollRun:
    """Record the collective decision (集体研究) on a CHECKED run: meeting date (not in the
    future), attendees (at least two names), decision text. The fund account must pay this
    program in the run's county and have available balance (balance minus other approved, not
    yet locked runs) of at least the run's payable amount, else PaymentError naming both
    figures. PAYROLL_APPROVERS, in scope.

    The attendees are stored as the names joined by 、. The fund account row is locked while
    the money is counted, so two approvals cannot promise the same money."""
    _require(actor, PAYROLL_APPROVERS, APPROVE_NOT_ALLOWED, run)
    names = attendee_names(attendees)
    decision = (decision or "").strip()
    errors = _approval_errors(
        run, meeting_date=meeting_date, names=names, decision=decision, fund_account=fund_account
    )
    if errors:
        raise PaymentError(errors)
    with transaction.atomic():
        current = _lock_run(run, version, RunStatus.CHECKED, "登记集体审批")
        account = FundAccount.objects.select_for_update().get(pk=fund_account.pk)
        _require_money(account, current, current.payable_amount)
        payroll.run_move(
            run,
            before=current.status,
            to=RunStatus.APPROVED,
            version=current.version,
            meeting_date=meeting_date,
            meeting_attendees="、".join(names),
            meeting_decision=decision,
            approved_by=actor,
            approved_at=timezone.now(),
            fund_account=account,
        )
        run_audit(
            run,
            actor,
            "payroll.approve",
            status=RunStatus.APPROVED.value,
            meeting_date=meeting_date,
            fund_account=account.name,
            amount=run.payable_amount,
        )
    return run


# --- lock -------------------------------------------------------------------------------------


def _household(column: str) -> Coalesce:
    value = Subquery(Household.objects.filter(pk=OuterRef("household_id")).values(column)[:1])
    return Coalesce(Trim(value), Value(""))


def lines_take_accounts(run: PayrollRun) -> int:
    """Copy each line's bank account from its household (one UPDATE for the run); the lines
    whose household has no account number become NO_ACCOUNT. Returns how many those are."""
    lines = PaymentLine.objects.filter(run_id=run.pk)
    lines.update(
        account_name=_household("bank_account_name"),
        bank_name=_household("bank_name"),
        account_number=_household("bank_account_number"),
    )
    return lines.filter(status=LineStatus.PENDING, account_number="").update(
        status=LineStatus.NO_ACCOUNT
    )


def disbursement_note(run: PayrollRun) -> str:
    """2026年11月农村低保金发放(批次号)"""
    money = MONEY_NAMES.get(run.program) or f"{_program_name(run.program)}资金"
    return DISBURSEMENT_NOTE.format(
        year=run.month.year, month=run.month.month, money=money, number=run.number
    )


def run_lock(*, actor: User, run: PayrollRun, version: int | None = None) -> PayrollRun:
    """Lock an APPROVED run: the bank account of each line is copied from its household (lines
    without one become NO_ACCOUNT and are left out of the disbursement), the disbursement is
    booked on the fund account (FundEntry DISBURSEMENT, negative, linked to the run), the
    balance is checked again under a row lock. PAYROLL_OPERATORS, in scope.

    The payable amount is recomputed (payroll.run_totals: per payee the positive net of the
    lines that are not NO_ACCOUNT) once those lines are known: after locking it is what the
    bank files carry and what the disbursement took. A run with nothing payable locks without
    an entry."""
    _require(actor, PAYROLL_OPERATORS, CHECK_NOT_ALLOWED, run)
    with transaction.atomic():
        current = _lock_run(run, version, RunStatus.APPROVED, "锁定")
        if current.fund_account_id is None:
            raise PaymentError(RUN_NO_FUND_ACCOUNT.format(number=current.number))
        account = FundAccount.objects.select_for_update().get(pk=current.fund_account_id)
        if not account.is_active:
            raise PaymentError(
                FUND_ACCOUNT_INACTIVE.format(name=account.name), field="fund_account"
            )
        no_account = lines_take_accounts(current)
        payroll.run_totals(current)
        payable = current.payable_amount
        _require_money(account, current, payable)
        if payable > 0:
            funds.fund_entry_add(
                actor=actor,
                account=account,
                kind=FundEntry.Kind.DISBURSEMENT,
                amount=-payable,
                entry_date=_today(),
                note=disbursement_note(current),
                run=current,
            )
        payroll.run_move(
            run,
            before=current.status,
            to=RunStatus.LOCKED,
            version=current.version,
            locked_by=actor,
            locked_at=timezone.now(),
            payable_amount=payable,
        )
        run_audit(
            run,
            actor,
            "payroll.lock",
            status=RunStatus.LOCKED.value,
            payable_amount=payable,
            fund_account=account.name,
            balance=funds.fund_balance(account),
            no_account=no_account,
        )
    return run
