"""Paying cases made directly (no case flow) for the standards and recalculation tests: a case
that holds the inputs its amount was computed from, and its approval period."""

from __future__ import annotations

import datetime
import itertools
import zoneinfo
from decimal import Decimal

from minzheng.core.models import User
from minzheng.programs.models import BenefitPeriod, Case, CaseStatus
from minzheng.registry.models import Household
from tests.conftest import VILLAGE
from tests.factories import make_household

_numbers = itertools.count(1)
CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 9) -> datetime.datetime:
    """A moment in the bureau's time zone, for time_machine.travel."""
    return datetime.datetime(year, month, day, hour, tzinfo=CHINA)


def paying_case(
    actor: User,
    *,
    program: str = "dibao_rural",
    region_code: str = VILLAGE,
    household: Household | None = None,
    pci: str = "200.00",
    counted: int = 3,
    extras: dict[str, int] | None = None,
    amount: str = "1770.00",
    start_month: datetime.date = datetime.date(2026, 1, 1),
    status: str = CaseStatus.ACTIVE,
    care_level: str = "",
    support_mode: str = "",
) -> Case:
    household = household or make_household(actor, region_code=region_code)
    case = Case.objects.create(
        number=f"T{next(_numbers):08d}",
        program=program,
        household=household,
        applicant_id=household.head_id,
        region_code=region_code,
        status=status,
        per_capita_income=Decimal(pci),
        counted_members=counted,
        extra_members=extras or {},
        monthly_amount=Decimal(amount),
        start_month=start_month,
        care_level=care_level,
        support_mode=support_mode,
    )
    BenefitPeriod.objects.create(
        case=case,
        valid_from=start_month,
        monthly_amount=Decimal(amount),
        reason=BenefitPeriod.Reason.APPROVAL,
    )
    return case
