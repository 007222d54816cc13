"""Reads of runs, lines, bank files and fund accounts, always scoped to the user's region.

A run belongs to its region (county or township); a county officer sees the county's runs, a
township clerk sees the runs whose region contains the township or lies inside it, and of their
lines only the township's."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from minzheng.core.models import User
from minzheng.core.scope import scoped
from minzheng.payments.models import (
    BankFile,
    FundAccount,
    PaymentLine,
    PayrollRun,
)
from minzheng.programs.models import Case
from minzheng.registry.models import Household, Person


def _covering_q(user: User) -> Q:
    """Runs whose region lies inside the user's scope, or whose region contains it."""
    prefix = user.scope_prefix
    q = Q(region_code__startswith=prefix)
    # A county run contains a township user's villages: the run's region code prefix is a
    # prefix of the user's.
    for size in (2, 4, 6, 9):
        if size < len(prefix):
            q |= Q(region_code=prefix[:size].ljust(12, "0"))
    return q


def run_list(user: User) -> QuerySet[PayrollRun]:
    return PayrollRun.objects.filter(_covering_q(user)).select_related("fund_account")


def run_get(user: User, pk: int) -> PayrollRun:
    return get_object_or_404(run_list(user), pk=pk)


def run_lines(user: User, run: PayrollRun) -> QuerySet[PaymentLine]:
    """The run's lines the user may see (a township user: the township's villages)."""
    return scoped(PaymentLine.objects.filter(run=run), user).select_related("person")


def person_payments(user: User, person: Person) -> QuerySet[PaymentLine]:
    """Every line of the cases this person is the beneficiary (applicant) of, newest first."""
    cases = Case.objects.filter(applicant=person).values("pk")
    return (
        scoped(PaymentLine.objects.filter(case__in=cases), user)
        .select_related("run")
        .order_by("-month", "-id")
    )


def household_payments(user: User, household: Household) -> QuerySet[PaymentLine]:
    return (
        scoped(PaymentLine.objects.filter(household=household), user)
        .select_related("run", "person")
        .order_by("-month", "-id")
    )


def bank_file_get(user: User, pk: int) -> BankFile:
    return get_object_or_404(
        BankFile.objects.filter(run__in=run_list(user)).select_related("run", "template"), pk=pk
    )


def fund_accounts(user: User) -> QuerySet[FundAccount]:
    return FundAccount.objects.filter(_covering_q(user))


def fund_account_get(user: User, pk: int) -> FundAccount:
    return get_object_or_404(fund_accounts(user), pk=pk)
