"""The reissue queue of failed payments, sending them again once the account is corrected,
and the recovery of overpayments."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BooleanField, Case, F, OuterRef, Q, QuerySet, Subquery, Value, When

from minzheng.core.models import User
from minzheng.core.money import yuan
from minzheng.core.scope import require_in_scope, scoped
from minzheng.payments.models import (
    BankFile,
    FundAccount,
    FundEntry,
    LineKind,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.permissions import FUND_KEEPERS, PAYROLL_OPERATORS
from minzheng.payments.services.bank.common import (
    _file_summary,
    _money,
    _require_operator,
    _today,
)
from minzheng.payments.services.bank.render import (
    _Context,
    _file_name,
    _region_names,
    _row,
    bank_file_render,
)
from minzheng.payments.services.bank.templates import _file_template
from minzheng.payments.services.errors import PaymentError
from minzheng.payments.services.events import run_audit
from minzheng.payments.services.funds import fund_entry_add
from minzheng.payments.services.payroll import run_move
from minzheng.programs.policies import program_label
from minzheng.registry.models import Household

RECOVERY_NOT_ALLOWED = "只有县(区)民政局经办人员可以登记追回"

REISSUE_NOTHING = "请选择要重新发放的明细"
REISSUE_NOT_FAILED = "只有发放失败或缺少银行账户的明细可以重新发放:{names}"
REISSUE_ACCOUNT_UNCHANGED = "以下对象的银行账户尚未更正,不能重新发放:{names}"
REISSUE_NOT_POSITIVE = "以下对象重新发放的金额合计不大于0:{names}"

RECOVERY_NOT_OPEN = "只有待追回的明细可以登记追回"
RECOVERY_RECEIPT_MISSING = "请填写缴款凭证号"
RECOVERY_DATE_MISSING = "请填写追回日期"
RECOVERY_DATE_FUTURE = "追回日期不能晚于今天"
RECOVERY_AMOUNT_INVALID = "追回金额必须大于0且不超过应追回金额{owed}元"
RECOVERY_ACCOUNT_INVALID = "请选择本县(区)启用中的资金专户"


# Lines waiting to be sent again: failed at the bank, or left out at locking for want of an
# account (the household had none; its money was never disbursed).
REISSUABLE = (LineStatus.FAILED, LineStatus.NO_ACCOUNT)


def reissue_queue(user: User) -> QuerySet[PaymentLine]:
    """FAILED and NO_ACCOUNT lines in the user's scope, newest first (annotated
    `account_fixed`: the household's account now differs from the one that failed - or the
    household now has one - and is not empty)."""
    current = Household.objects.filter(pk=OuterRef("household_id")).values("bank_account_number")[
        :1
    ]
    return (
        scoped(PaymentLine.objects.filter(status__in=REISSUABLE), user)
        .annotate(current_account=Subquery(current))
        .annotate(
            account_fixed=Case(
                When(
                    Q(current_account__gt="") & ~Q(current_account=F("account_number")),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("run", "person", "household")
        .order_by("-month", "-id")
    )


def _names(lines: Iterable[PaymentLine]) -> str:
    return "、".join(dict.fromkeys(line.person.name for line in lines))


def _reissue_lines(actor: User, lines: list[PaymentLine]) -> list[PaymentLine]:
    """The chosen lines, locked, checked: FAILED or NO_ACCOUNT, in scope, the account
    corrected."""
    if not lines:
        raise PaymentError(REISSUE_NOTHING)
    locked = list(
        PaymentLine.objects.select_for_update(of=("self",))
        .filter(pk__in=[line.pk for line in lines])
        .select_related("person", "household", "run")
        .order_by("region_code", "person_id", "id")
    )
    for line in locked:
        require_in_scope(actor, line.region_code)
    not_failed = [line for line in locked if line.status not in REISSUABLE]
    if not_failed:
        raise PaymentError(REISSUE_NOT_FAILED.format(names=_names(not_failed)))
    unchanged = [
        line
        for line in locked
        if not line.household.bank_account_number
        or not line.household.bank_name
        or line.household.bank_account_number == line.account_number
    ]
    if unchanged:
        raise PaymentError(REISSUE_ACCOUNT_UNCHANGED.format(names=_names(unchanged)))
    return locked


def _reissue_file(
    actor: User, run: PayrollRun, bank_name: str, lines: list[PaymentLine]
) -> BankFile:
    stored, template = _file_template(run.region_code, bank_name)
    ctx = _Context(run, template, program_label(run.program), _region_names(run.region_code))
    payees: dict[tuple[int, str], list[PaymentLine]] = defaultdict(list)
    for line in lines:
        payees[(line.person_id, line.household.bank_account_number)].append(line)
    rows = []
    for serial, group in enumerate(payees.values(), 1):
        first = group[0]
        rows.append(
            _row(
                ctx,
                serial=serial,
                account_name=first.household.bank_account_name,
                account_number=first.household.bank_account_number,
                id_number=first.person.id_number,
                person_name=first.person.name,
                amount=sum((line.amount for line in group), Decimal("0.00")),
                region_code=first.region_code,
                extra=any(line.kind in (LineKind.ARREARS, LineKind.ADJUSTMENT) for line in group),
            )
        )
    content, ext = bank_file_render(template=template, rows=rows)
    total = sum((line.amount for line in lines), Decimal("0.00"))
    bank_file = BankFile.objects.create(
        run=run,
        kind=BankFile.Kind.REISSUE,
        bank_name=bank_name,
        template=stored,
        file_name=_file_name(run, bank_name, content, ext, reissue=True),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        row_count=len(rows),
        total_amount=total,
        created_by=actor,
    )
    for serial, group in enumerate(payees.values(), 1):
        household = group[0].household
        PaymentLine.objects.filter(pk__in=[line.pk for line in group]).update(
            bank_file=bank_file,
            bank_row=serial,
            status=LineStatus.SENT,
            attempts=F("attempts") + 1,
            failure_reason="",
            bank_name=household.bank_name,
            account_name=household.bank_account_name,
            account_number=household.bank_account_number,
        )
    return bank_file


@transaction.atomic
def reissue(*, actor: User, lines: list[PaymentLine]) -> list[BankFile]:
    """Send FAILED lines whose household account has been corrected again: new REISSUE bank
    files per run and bank, account copied anew, lines SENT, REISSUE entry booked. Lines whose
    account is unchanged are refused (PaymentError listing them). The failure reasons are
    cleared on the lines and kept in the payroll.reissue event."""
    _require_operator(actor)
    locked = _reissue_lines(actor, lines)
    by_run: dict[int, list[PaymentLine]] = defaultdict(list)
    for line in locked:
        by_run[line.run_id].append(line)
    files: list[BankFile] = []
    for run_id, run_lines in by_run.items():
        run = (
            PayrollRun.objects.select_for_update(of=("self",))
            .select_related("fund_account")
            .get(pk=run_id)
        )
        require_in_scope(actor, run.region_code)
        payees: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for line in run_lines:
            payees[(line.person_id, line.household.bank_account_number)] += line.amount
        bad = [
            line
            for line in run_lines
            if payees[(line.person_id, line.household.bank_account_number)] <= 0
        ]
        if bad:
            raise PaymentError(REISSUE_NOT_POSITIVE.format(names=_names(bad)))
        by_bank: dict[str, list[PaymentLine]] = defaultdict(list)
        for line in run_lines:
            by_bank[line.household.bank_name].append(line)
        run_files = [_reissue_file(actor, run, bank, group) for bank, group in by_bank.items()]
        files += run_files
        total = sum((f.total_amount for f in run_files), Decimal("0.00"))
        if run.fund_account is not None:
            fund_entry_add(
                actor=actor,
                account=run.fund_account,
                kind=FundEntry.Kind.REISSUE,
                amount=-total,
                entry_date=_today(),
                document_number=run_files[0].file_name[:100],
                note=f"失败重发{len(run_lines)}笔"[:200],
                run=run,
            )
        moved: dict[str, Any] = {}
        if run.status == RunStatus.RECONCILED:
            run_move(run, to=RunStatus.SENT, before=RunStatus.RECONCILED, reconciled_at=None)
            moved["status"] = [RunStatus.RECONCILED, RunStatus.SENT]
        run_audit(
            run,
            actor,
            "payroll.reissue",
            **moved,
            files=_file_summary(run_files),
            amount=str(total),
            lines=[
                {
                    "id": line.pk,
                    "person": line.person.name,
                    "old_account": line.account_number,
                    "new_account": line.household.bank_account_number,
                    "failure_reason": line.failure_reason,
                }
                for line in run_lines
            ],
        )
    return files


# --- recovery ---------------------------------------------------------------------------------


@transaction.atomic
def recovery_record(
    *,
    actor: User,
    line: PaymentLine,
    receipt: str,
    recovered_on: datetime.date,
    fund_account: FundAccount,
    amount: Decimal | None = None,
) -> PaymentLine:
    """A TO_RECOVER line's money came back (receipt number): the line RECOVERED, RECOVERY entry
    booked on the fund account. `amount` defaults to what the line owes (-line.amount); a
    smaller amount (the payee's other lines were offset against it) closes the line too.
    PAYROLL_OPERATORS or FUND_KEEPERS, in scope; the recovery date is kept as paid_on."""
    if actor.role not in PAYROLL_OPERATORS | FUND_KEEPERS:
        raise PermissionDenied(RECOVERY_NOT_ALLOWED)
    locked = (
        PaymentLine.objects.select_for_update(of=("self",)).select_related("run").get(pk=line.pk)
    )
    require_in_scope(actor, locked.region_code)
    if locked.status != LineStatus.TO_RECOVER:
        raise PaymentError(RECOVERY_NOT_OPEN)
    owed = -locked.amount
    amount = owed if amount is None else amount
    errors: dict[str, list[str]] = {}
    receipt = (receipt or "").strip()
    if not receipt:
        errors["receipt"] = [RECOVERY_RECEIPT_MISSING]
    if recovered_on is None:
        errors["recovered_on"] = [RECOVERY_DATE_MISSING]
    elif recovered_on > _today():
        errors["recovered_on"] = [RECOVERY_DATE_FUTURE]
    if not isinstance(amount, Decimal) or not (0 < amount <= owed) or amount != yuan(amount):
        errors["amount"] = [RECOVERY_AMOUNT_INVALID.format(owed=_money(owed))]
    if (
        not fund_account.is_active
        or fund_account.region_code[:6] != locked.run.region_code[:6]
        or fund_account.program not in ("", locked.program)
    ):
        errors["fund_account"] = [RECOVERY_ACCOUNT_INVALID]
    if errors:
        raise PaymentError(errors)
    fund_entry_add(
        actor=actor,
        account=fund_account,
        kind=FundEntry.Kind.RECOVERY,
        amount=amount,
        entry_date=recovered_on,
        document_number=receipt[:100],
        note=f"追回{locked.month:%Y年%m月}多发资金"[:200],
        run=locked.run,
    )
    PaymentLine.objects.filter(pk=locked.pk).update(
        status=LineStatus.RECOVERED, paid_on=recovered_on
    )
    run_audit(
        locked.run,
        actor,
        "payroll.recovery",
        line=locked.pk,
        person=locked.person_id,
        amount=str(amount),
        receipt=receipt,
        fund_account=fund_account.pk,
        status=[LineStatus.TO_RECOVER, LineStatus.RECOVERED],
    )
    locked.refresh_from_db()
    return locked
