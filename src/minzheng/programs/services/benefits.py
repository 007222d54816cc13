"""A case's benefit: computing it with the program's policy, and recording amount changes as
effective-dated benefit periods (payroll reads the entitlement of a month from them)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from minzheng.core.models import User
from minzheng.programs.models import BenefitPeriod, Case
from minzheng.programs.policies import policy_for
from minzheng.programs.policies.base import Calculation, Eligibility, MissingStandard, Standards
from minzheng.programs.selectors import case_facts
from minzheng.programs.services.events import case_audit
from minzheng.programs.services.standards import standards_for


def case_standards(case: Case, day: datetime.date) -> Standards:
    return standards_for(program=case.program, region_code=case.region_code, day=day)


def case_standards_or_none(case: Case, day: datetime.date) -> Standards | None:
    """The standards in force for the case, or None where a number it needs is not set (the
    procedure then keeps the national defaults)."""
    try:
        return case_standards(case, day)
    except MissingStandard:
        return None


def case_calculate(*, case: Case, as_of: datetime.date) -> Calculation:
    """The case's benefit on `as_of`, worked out by its program's policy over the household's
    facts and the standards in force (raises MissingStandard when a number is not set)."""
    policy = policy_for(case.program)
    facts = case_facts(case, as_of)
    return policy.benefit(facts=facts, standards=case_standards(case, as_of))


def case_eligibility(*, case: Case, as_of: datetime.date) -> Eligibility:
    policy = policy_for(case.program)
    facts = case_facts(case, as_of)
    return policy.eligibility(facts=facts, standards=case_standards(case, as_of))


def calculation_store(case: Case, calculation: Calculation) -> list[str]:
    """Copy a calculation's result and inputs onto the case (not saved); the changed fields."""
    inputs = calculation.inputs
    case.calculation = calculation.as_json()
    if "per_capita_income" in inputs:
        case.per_capita_income = Decimal(str(inputs["per_capita_income"]))
    case.counted_members = int(inputs.get("counted_members", case.counted_members))
    case.extra_members = dict(inputs.get("extra_members", {}))
    return ["calculation", "per_capita_income", "counted_members", "extra_members"]


@transaction.atomic
def benefit_period_set(
    *,
    case: Case,
    valid_from: datetime.date,
    amount: Decimal,
    reason: str,
    calculation: dict[str, Any],
    actor: User | None,
) -> BenefitPeriod:
    """The case is paid `amount` a month from `valid_from` (a month's first day) on. A second
    change for the same month replaces the first. The case's current amount follows when the
    period has started."""
    valid_from = valid_from.replace(day=1)
    period, _ = BenefitPeriod.objects.update_or_create(
        case=case,
        valid_from=valid_from,
        defaults={"monthly_amount": amount, "reason": reason, "calculation": calculation},
    )
    before = case.monthly_amount
    if valid_from <= timezone.localdate() or case.monthly_amount == Decimal(0):
        Case.objects.filter(pk=case.pk).update(monthly_amount=amount)
        case.monthly_amount = amount
    case_audit(
        case,
        actor,
        "case.benefit_change",
        str(BenefitPeriod.Reason(reason).label),
        amount=[str(before), str(amount)],
        from_month=valid_from.isoformat(),
    )
    return period


def amount_for_month(case: Case, month: datetime.date) -> Decimal:
    """The entitlement of a month: the amount of the newest period started by then."""
    period = (
        BenefitPeriod.objects.filter(case=case, valid_from__lte=month.replace(day=1))
        .order_by("-valid_from", "-id")
        .first()
    )
    return period.monthly_amount if period else Decimal("0.00")
