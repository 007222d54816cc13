"""Enrolled cases for the dynamic-management tests (reviews, tip-offs, relatives, deaths),
written as enrollment leaves them, without walking every step of the case flow."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from minzheng.core.models import User
from minzheng.programs.models import BenefitPeriod, Case, CaseMember, CaseStatus
from minzheng.registry.models import Household, Membership, Person

_numbers = itertools.count(1)


def enrolled_case(
    actor: User,
    household: Household,
    *,
    applicant: Person | None = None,
    program: str = "dibao_rural",
    amount: str = "500.00",
    start_month: datetime.date = datetime.date(2026, 1, 1),
    next_review_on: datetime.date | None = None,
    review_frequency_months: int = 12,
    status: str = CaseStatus.ACTIVE,
    counted: list[Person] | None = None,
) -> Case:
    """A case paying `amount` a month since `start_month`, counting every current member of
    the household (or `counted`)."""
    members = [
        m.person
        for m in Membership.objects.select_related("person").filter(
            household=household, valid_to__isnull=True
        )
    ]
    counted_ids = {p.pk for p in (counted if counted is not None else members)}
    applicant = applicant or household.head
    assert applicant is not None
    case = Case.objects.create(
        number=f"TEST{next(_numbers):06d}",
        program=program,
        household=household,
        applicant=applicant,
        region_code=household.region_code,
        status=status,
        monthly_amount=Decimal(amount),
        counted_members=len(counted_ids),
        start_month=start_month,
        review_frequency_months=review_frequency_months,
        next_review_on=next_review_on,
        support_mode="dispersed" if program == "tekun" else "",
        care_level="self_care" if program == "tekun" else "",
        created_by=actor,
    )
    for person in members:
        CaseMember.objects.create(case=case, person=person, counted=person.pk in counted_ids)
    BenefitPeriod.objects.create(
        case=case,
        valid_from=start_month,
        monthly_amount=Decimal(amount),
        reason=BenefitPeriod.Reason.APPROVAL,
    )
    return case


def periods(case: Case) -> list[tuple[datetime.date, Decimal, str]]:
    return [
        (p.valid_from, p.monthly_amount, p.reason)
        for p in BenefitPeriod.objects.filter(case=case).order_by("valid_from")
    ]
