"""What every payments endpoint shares: the role checks (payments/permissions.py), the month and
money fields, and how the services' refusals become HTTP answers (PaymentError 400 with its
field errors, PaymentConflict 409, a role refusal 403)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError

from minzheng.core.api import ROLE_NOT_ALLOWED, Conflict, roles_required
from minzheng.core.models import User
from minzheng.core.scope import in_scope, require_in_scope
from minzheng.payments import selectors
from minzheng.payments.models import BankFile, FundAccount, PayrollRun
from minzheng.payments.permissions import (
    BANK_TEMPLATE_EDITORS,
    FUND_KEEPERS,
    FUND_READERS,
    PAYMENT_HISTORY_READERS,
    PAYROLL_APPROVERS,
    PAYROLL_OPERATORS,
    PAYROLL_READERS,
)
from minzheng.payments.services.errors import PaymentConflict, PaymentError

MONTH_INVALID = "月份格式应为YYYY-MM,如2026-11"
FUND_ACCOUNT_NOT_FOUND = "编号为{pk}的资金专户不存在或不在您的管辖范围内"
VERSION_HELP = "读取批次时的版本号(version);批次已被他人处理时返回409"

PayrollReaders = roles_required(PAYROLL_READERS, "PayrollReaders")
PayrollOperators = roles_required(PAYROLL_OPERATORS, "PayrollOperators")
PayrollApprovers = roles_required(PAYROLL_APPROVERS, "PayrollApprovers")
FundReaders = roles_required(FUND_READERS, "FundReaders")
FundKeepers = roles_required(FUND_KEEPERS, "FundKeepers")
BankTemplateEditors = roles_required(BANK_TEMPLATE_EDITORS, "BankTemplateEditors")
PaymentHistoryReaders = roles_required(PAYMENT_HISTORY_READERS, "PaymentHistoryReaders")

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11", "description": "月份"}
)
class MonthField(serializers.Field):  # type: ignore[type-arg]
    """A month as `YYYY-MM` (the first of the month inside)."""

    default_error_messages = {"invalid": MONTH_INVALID}

    def to_internal_value(self, data: Any) -> datetime.date:
        match = MONTH_RE.match(str(data).strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            self.fail("invalid")
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)

    def to_representation(self, value: datetime.date) -> str:
        return f"{value:%Y-%m}"


def money(**kwargs: Any) -> serializers.DecimalField:
    """Yuan as a decimal string with 2 places ("1234.50")."""
    kwargs.setdefault("help_text", "金额(元)")
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def username(source: str, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.username", allow_null=True, **kwargs)


def version_field() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, help_text=VERSION_HELP)


@contextmanager
def payment_errors() -> Iterator[None]:
    """Answer the services' refusals: PaymentError 400 with its field errors ("__all__"
    becomes non_field_errors), PaymentConflict 409."""
    try:
        yield
    except PaymentError as e:
        if e.errors == {"__all__": [ROLE_NOT_ALLOWED]}:
            raise PermissionDenied(ROLE_NOT_ALLOWED) from None
        raise ValidationError(e.errors) from None
    except PaymentConflict as e:
        raise Conflict(e.message) from None


def whole_run(user: User, run: PayrollRun) -> bool:
    """Whether the user's scope covers the run's region. A bank file holds the accounts of the
    whole run: a township clerk reads a county run's lines of the township, not its files
    (as the pages do)."""
    return in_scope(user, run.region_code)


def bank_file_for(user: User, pk: int) -> BankFile:
    """The bank file of the URL: 404 outside the scope, or when the scope does not cover its
    run's region."""
    bank_file = selectors.bank_file_get(user, pk)
    require_in_scope(user, bank_file.run.region_code)
    return bank_file


def fund_account_in_scope(user: User, pk: int, field: str = "fund_account") -> FundAccount:
    """A fund account named in a request body: outside the scope it is a field error."""
    try:
        return selectors.fund_account_get(user, pk)
    except Http404:
        raise ValidationError({field: [FUND_ACCOUNT_NOT_FOUND.format(pk=pk)]}) from None
