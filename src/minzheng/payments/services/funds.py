"""Fund accounts (专户): allocations in, disbursements out, balance and the statement of a
period. Entries are never edited; a wrong one is corrected by an adjustment."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from minzheng.core.models import User
from minzheng.payments.models import FundAccount, FundEntry, PayrollRun


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
    raise NotImplementedError


def fund_entry_add(
    *,
    actor: User,
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
    returns and recoveries (actor may then be any operator). Locks the account row."""
    raise NotImplementedError


def fund_balance(account: FundAccount, as_of: datetime.date | None = None) -> Decimal:
    raise NotImplementedError


def fund_available(account: FundAccount, *, excluding: PayrollRun | None = None) -> Decimal:
    """Balance minus the payable amounts of APPROVED runs not locked yet (money promised)."""
    raise NotImplementedError


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
    """Opening balance, the entries of the period with the running balance, totals, closing."""
    raise NotImplementedError
