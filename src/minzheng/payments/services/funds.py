"""Fund accounts (专户): allocations in, disbursements out, balance and the statement of a
period. Entries are never edited; a wrong one is corrected by an adjustment."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from minzheng.core.models import User
from minzheng.core.money import FEN, yuan
from minzheng.core.regions import code_level
from minzheng.core.scope import require_in_scope
from minzheng.payments.models import FundAccount, FundEntry, FundSource, PayrollRun, RunStatus
from minzheng.payments.permissions import FUND_KEEPERS, PAYROLL_OPERATORS
from minzheng.payments.services.errors import PaymentError
from minzheng.payments.services.events import fund_audit
from minzheng.programs.policies import POLICIES

FUND_NOT_ALLOWED = "只有县(区)民政局资金管理人员可以管理资金专户"
FUND_ENTRY_NOT_ALLOWED = "您无权登记该类专户收支"
ACCOUNT_NAME_MISSING = "请填写账户名称"
ACCOUNT_NAME_TAKEN = "本县(区)已有名为“{name}”的资金专户"
ACCOUNT_SOURCE_INVALID = "请选择资金来源"
ACCOUNT_REGION_NOT_COUNTY = "资金专户只能开设在县(区)一级"
ACCOUNT_PROGRAM_INVALID = "未知的救助项目:{code}"
ENTRY_KIND_INVALID = "请选择收支类别"
ENTRY_AMOUNT_INVALID = "请填写正确的金额"
ENTRY_AMOUNT_FEN = "金额最多保留两位小数(精确到分)"
ENTRY_AMOUNT_TOO_LARGE = "金额超出可登记的范围"
ENTRY_AMOUNT_POSITIVE = "{kind}金额必须大于0"
ENTRY_AMOUNT_NEGATIVE = "{kind}金额必须为负数(支出)"
ENTRY_AMOUNT_ZERO = "调账金额不能为0"
ENTRY_DOCUMENT_REQUIRED = "资金拨入必须填写拨款文号"
ENTRY_NOTE_REQUIRED = "调账必须填写摘要(调账原因)"
ENTRY_DATE_MISSING = "请填写记账日期"
ENTRY_DATE_FUTURE = "记账日期不能晚于今天"
ENTRY_ACCOUNT_INACTIVE = "该专户已停用,不能再拨入资金"
ENTRY_OVERDRAWN = "调账后专户余额为{balance:,.2f}元,不能为负数"
ENTRY_RUN_OTHER_COUNTY = "发放批次{number}不属于该专户所在的县(区)"
STATEMENT_PERIOD_INVALID = "起始日期不能晚于截止日期"

# Booked by hand by a fund keeper; the other kinds come from the services of runs, bank
# returns, reissues and recoveries.
HAND_KINDS = (FundEntry.Kind.ALLOCATION, FundEntry.Kind.ADJUSTMENT)
POSITIVE_KINDS = (
    FundEntry.Kind.ALLOCATION,
    FundEntry.Kind.BANK_RETURN,
    FundEntry.Kind.RECOVERY,
)
NEGATIVE_KINDS = (FundEntry.Kind.DISBURSEMENT, FundEntry.Kind.REISSUE)
# FundEntry.amount: max_digits=14, decimal_places=2.
MAX_AMOUNT = Decimal("999999999999.99")
ZERO = Decimal("0.00")


def _today() -> datetime.date:
    return timezone.localdate()


def _require_keeper(actor: User) -> None:
    if actor.role not in FUND_KEEPERS:
        raise PermissionDenied(FUND_NOT_ALLOWED)


def money_text(amount: Decimal) -> str:
    """12,000.00 (yuan with thousands separators, to the fen)."""
    return f"{yuan(amount):,.2f}"


# --- accounts ---------------------------------------------------------------------------------


def fund_account_create(
    *,
    actor: User,
    name: str,
    source: str,
    region_code: str,
    program: str = "",
    bank_name: str = "",
    account_number: str = "",
    note: str = "",
) -> FundAccount:
    """FUND_KEEPERS, a county in scope; the name is unique in the county."""
    _require_keeper(actor)
    require_in_scope(actor, region_code)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [ACCOUNT_NAME_MISSING]
    if source not in FundSource.values:
        errors["source"] = [ACCOUNT_SOURCE_INVALID]
    if len(region_code) != 12 or not region_code.isdigit() or code_level(region_code) != 3:
        errors["region_code"] = [ACCOUNT_REGION_NOT_COUNTY]
    if program and program not in POLICIES:
        errors["program"] = [ACCOUNT_PROGRAM_INVALID.format(code=program)]
    if name and FundAccount.objects.filter(region_code=region_code, name=name).exists():
        errors["name"] = [ACCOUNT_NAME_TAKEN.format(name=name)]
    if errors:
        raise PaymentError(errors)
    account = FundAccount(
        name=name,
        source=source,
        region_code=region_code,
        program=program,
        bank_name=(bank_name or "").strip(),
        account_number=(account_number or "").strip(),
        note=(note or "").strip(),
        created_by=actor,
    )
    try:
        account.full_clean(validate_constraints=False)
    except ValidationError as invalid:
        messages = {k: [str(m) for m in v] for k, v in invalid.message_dict.items()}
        raise PaymentError(messages) from None
    try:
        with transaction.atomic():
            account.save()
            fund_audit(
                account,
                actor,
                "fund.account_create",
                name=name,
                source=source,
                program=program,
            )
    except IntegrityError:  # the same name saved meanwhile by someone else
        raise PaymentError(ACCOUNT_NAME_TAKEN.format(name=name), field="name") from None
    return account


# --- entries ----------------------------------------------------------------------------------


def _amount(value: Decimal | int | str) -> Decimal:
    """The amount exact to the fen; more decimals than fen are refused, not rounded."""
    if isinstance(value, float):
        raise PaymentError(ENTRY_AMOUNT_INVALID, field="amount")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise PaymentError(ENTRY_AMOUNT_INVALID, field="amount") from None
    if not amount.is_finite():
        raise PaymentError(ENTRY_AMOUNT_INVALID, field="amount")
    if amount != amount.quantize(FEN):
        raise PaymentError(ENTRY_AMOUNT_FEN, field="amount")
    amount = amount.quantize(FEN)
    if abs(amount) > MAX_AMOUNT:
        raise PaymentError(ENTRY_AMOUNT_TOO_LARGE, field="amount")
    return amount


def _require_entry_actor(actor: User | None, account: FundAccount, kind: str) -> None:
    if actor is None:
        if kind in HAND_KINDS:
            raise PermissionDenied(FUND_ENTRY_NOT_ALLOWED)
        return
    allowed = FUND_KEEPERS if kind in HAND_KINDS else FUND_KEEPERS | PAYROLL_OPERATORS
    if actor.role not in allowed:
        raise PermissionDenied(FUND_ENTRY_NOT_ALLOWED)
    require_in_scope(actor, account.region_code)


def _entry_errors(
    *,
    account: FundAccount,
    kind: str,
    amount: Decimal,
    entry_date: datetime.date | None,
    document_number: str,
    note: str,
    run: PayrollRun | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    label = FundEntry.Kind(kind).label
    if kind in POSITIVE_KINDS and amount <= 0:
        errors["amount"] = [ENTRY_AMOUNT_POSITIVE.format(kind=label)]
    elif kind in NEGATIVE_KINDS and amount >= 0:
        errors["amount"] = [ENTRY_AMOUNT_NEGATIVE.format(kind=label)]
    elif kind == FundEntry.Kind.ADJUSTMENT and amount == 0:
        errors["amount"] = [ENTRY_AMOUNT_ZERO]
    if kind == FundEntry.Kind.ALLOCATION and not document_number:
        errors["document_number"] = [ENTRY_DOCUMENT_REQUIRED]
    if kind == FundEntry.Kind.ALLOCATION and not account.is_active:
        errors["account"] = [ENTRY_ACCOUNT_INACTIVE]
    if kind == FundEntry.Kind.ADJUSTMENT and not note:
        errors["note"] = [ENTRY_NOTE_REQUIRED]
    if entry_date is None:
        errors["entry_date"] = [ENTRY_DATE_MISSING]
    elif entry_date > _today():
        errors["entry_date"] = [ENTRY_DATE_FUTURE]
    if run is not None and run.region_code[:6] != account.region_code[:6]:
        errors["run"] = [ENTRY_RUN_OTHER_COUNTY.format(number=run.number)]
    return errors


def fund_entry_add(
    *,
    actor: User | None,
    account: FundAccount,
    kind: str,
    amount: Decimal,
    entry_date: datetime.date,
    document_number: str = "",
    note: str = "",
    run: PayrollRun | None = None,
) -> FundEntry:
    """Book an entry. By hand only ALLOCATION (amount > 0, document number required) and
    ADJUSTMENT (signed, note required); the other kinds are booked by the services of runs,
    returns and recoveries (actor may then be any operator, or None for the system). Locks the
    account row.

    Signs: ALLOCATION, BANK_RETURN, RECOVERY > 0; DISBURSEMENT, REISSUE < 0 (callers pass the
    negative amount); ADJUSTMENT signed, not 0, and may not leave the balance negative. The
    amount is exact to the fen (more decimals are refused); the entry date is not in the
    future. Audit fund.entry with the amount and the resulting balance."""
    if kind not in FundEntry.Kind.values:
        raise PaymentError(ENTRY_KIND_INVALID, field="kind")
    _require_entry_actor(actor, account, kind)
    value = _amount(amount)
    document_number = (document_number or "").strip()
    note = (note or "").strip()
    errors = _entry_errors(
        account=account,
        kind=kind,
        amount=value,
        entry_date=entry_date,
        document_number=document_number,
        note=note,
        run=run,
    )
    if errors:
        raise PaymentError(errors)
    with transaction.atomic():
        locked = FundAccount.objects.select_for_update().get(pk=account.pk)
        balance = fund_balance(locked) + value
        if kind == FundEntry.Kind.ADJUSTMENT and value < 0 and balance < 0:
            raise PaymentError(ENTRY_OVERDRAWN.format(balance=balance), field="amount")
        entry = FundEntry(
            account=locked,
            kind=kind,
            amount=value,
            entry_date=entry_date,
            document_number=document_number,
            note=note,
            run=run,
            created_by=actor,
        )
        entry.full_clean(exclude=["created_by"])  # None: booked by the system
        entry.save()
        fund_audit(
            locked,
            actor,
            "fund.entry",
            reason=note,
            kind=kind,
            amount=value,
            balance=balance,
            document_number=document_number,
            run=run.number if run is not None else "",
        )
    return entry


# --- balances ---------------------------------------------------------------------------------


def fund_balance(account: FundAccount, as_of: datetime.date | None = None) -> Decimal:
    """The sum of the account's entries up to `as_of` (inclusive, by entry date), or all."""
    entries = FundEntry.objects.filter(account_id=account.pk)
    if as_of is not None:
        entries = entries.filter(entry_date__lte=as_of)
    total = entries.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    return yuan(total)


def fund_committed(account: FundAccount, *, excluding: PayrollRun | None = None) -> Decimal:
    """The payable amounts of the APPROVED (not yet locked) runs paid from the account."""
    runs = PayrollRun.objects.filter(fund_account_id=account.pk, status=RunStatus.APPROVED)
    if excluding is not None:
        runs = runs.exclude(pk=excluding.pk)
    total = runs.aggregate(total=Coalesce(Sum("payable_amount"), ZERO))["total"]
    return yuan(total)


def fund_available(account: FundAccount, *, excluding: PayrollRun | None = None) -> Decimal:
    """Balance minus the payable amounts of APPROVED runs not locked yet (money promised)."""
    return fund_balance(account) - fund_committed(account, excluding=excluding)


@dataclass
class StatementLine:
    entry: FundEntry
    balance: Decimal


@dataclass
class Statement:
    account: FundAccount
    date_from: datetime.date
    date_to: datetime.date
    opening: Decimal
    closing: Decimal
    lines: list[StatementLine] = field(default_factory=list)
    totals_by_kind: dict[str, Decimal] = field(default_factory=dict)
    money_in: Decimal = Decimal("0.00")
    money_out: Decimal = Decimal("0.00")


def fund_statement(
    account: FundAccount, date_from: datetime.date, date_to: datetime.date
) -> Statement:
    """Opening balance, the entries of the period with the running balance, totals, closing.

    `opening` is the balance at the end of the day before `date_from`; `lines` are the entries
    dated in [date_from, date_to], ordered by entry date and id, each with the balance after
    it; `totals_by_kind` has every kind (FundEntry.Kind order, 0.00 when none); `money_in` is
    the sum of the positive entries, `money_out` the sum of the negative ones as a positive
    figure; closing = opening + money_in - money_out = fund_balance(account, date_to)."""
    if date_from > date_to:
        raise PaymentError(STATEMENT_PERIOD_INVALID, field="date_from")
    opening = fund_balance(account, date_from - datetime.timedelta(days=1))
    entries = (
        FundEntry.objects.filter(
            account_id=account.pk, entry_date__gte=date_from, entry_date__lte=date_to
        )
        .select_related("run", "created_by")
        .order_by("entry_date", "id")
    )
    statement = Statement(
        account=account,
        date_from=date_from,
        date_to=date_to,
        opening=opening,
        closing=opening,
        totals_by_kind=dict.fromkeys(FundEntry.Kind.values, ZERO),
    )
    running = opening
    for entry in entries:
        amount = yuan(entry.amount)
        running += amount
        statement.lines.append(StatementLine(entry=entry, balance=running))
        statement.totals_by_kind[entry.kind] += amount
        if amount > 0:
            statement.money_in += amount
        else:
            statement.money_out -= amount
    statement.closing = running
    return statement
