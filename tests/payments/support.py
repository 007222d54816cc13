"""A county with paying cases, for the payments tests: households with bank accounts in two
villages of 苏埠镇 and one of 韩摆渡镇, each with an enrolled 低保 case (or 特困)."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from minzheng.core.models import User
from minzheng.payments.models import PaymentLine, PayrollRun
from minzheng.programs.models import Case
from minzheng.registry.models import Household
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import make_household, make_person, new_id_number
from tests.programs.dynamic_support import enrolled_case

COUNTY = "341503000000"
TOWNSHIP = "341503100000"
NOV = datetime.date(2026, 11, 1)
OCT = datetime.date(2026, 10, 1)

_accounts = itertools.count(6228480000000001)
_surnames = itertools.cycle("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")


def paying_household(
    actor: User,
    *,
    region_code: str = VILLAGE,
    bank_name: str = "安徽裕安农村商业银行",
    with_account: bool = True,
) -> Household:
    surname = next(_surnames)
    head = make_person(
        actor,
        region_code=region_code,
        name=f"{surname}建国",
        id_number=new_id_number(birth=datetime.date(1960, 5, 4)),
    )
    fields: dict[str, str] = {}
    if with_account:
        fields = {
            "bank_name": bank_name,
            "bank_account_name": head.name,
            "bank_account_number": str(next(_accounts)),
        }
    return make_household(actor, region_code=region_code, head=head, **fields)


@dataclass
class PayingWorld:
    actor: User
    cases: list[Case] = field(default_factory=list)

    def amounts(self) -> Decimal:
        return sum((c.monthly_amount for c in self.cases), Decimal("0.00"))


def paying_world(
    actor: User,
    *,
    per_village: int = 3,
    program: str = "dibao_rural",
    start_month: datetime.date = datetime.date(2026, 1, 1),
) -> PayingWorld:
    """3 paying cases in each of three villages (two townships), amounts 300.50, 400.50, ...
    half the households at the 农商行, half at 邮储银行."""
    world = PayingWorld(actor=actor)
    n = 0
    for village in (VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, OTHER_TOWNSHIP_VILLAGE):
        for _ in range(per_village):
            bank = "安徽裕安农村商业银行" if n % 2 == 0 else "中国邮政储蓄银行"
            household = paying_household(actor, region_code=village, bank_name=bank)
            amount = Decimal("300.50") + 100 * (n % 4)
            world.cases.append(
                enrolled_case(
                    actor,
                    household,
                    program=program,
                    amount=str(amount),
                    start_month=start_month,
                )
            )
            n += 1
    return world


def make_run(
    world: PayingWorld,
    *,
    month: datetime.date = NOV,
    status: str = "draft",
    program: str = "dibao_rural",
    region_code: str = COUNTY,
) -> PayrollRun:
    """A run with one REGULAR line per case of the world at its current amount, written
    directly (for the tests of what follows generation: check, approval, funds, banks, pages).
    The lines carry the household's account as locking copies it."""
    run = PayrollRun.objects.create(
        number=f"T{month:%Y%m}-{program}-{region_code[:9]}-{PayrollRun.objects.count() + 1}",
        program=program,
        region_code=region_code,
        month=month,
        status=status,
        created_by=world.actor,
    )
    now = timezone.now()
    lines = []
    for case in world.cases:
        household = case.household
        lines.append(
            PaymentLine(
                run=run,
                case=case,
                person_id=case.applicant_id,
                household=household,
                program=case.program,
                region_code=case.region_code,
                month=month,
                kind="regular",
                amount=case.monthly_amount,
                account_name=household.bank_account_name,
                bank_name=household.bank_name,
                account_number=household.bank_account_number,
                created_at=now,
            )
        )
    PaymentLine.objects.bulk_create(lines)
    total = sum((line.amount for line in lines), Decimal("0.00"))
    PayrollRun.objects.filter(pk=run.pk).update(
        line_count=len(lines),
        beneficiary_count=len(lines),
        total_amount=total,
        payable_amount=total,
    )
    run.refresh_from_db()
    return run
