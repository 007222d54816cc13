"""The bulk recalculation gives every case the amount its program's policy gives it, for a
varied sample of households (sizes, incomes, deductions, exclusions, 单人保, 分类施保 categories,
特困 care levels and support modes, a township with its own standard). Runs on SQLite and,
with DATABASE_URL, on PostgreSQL (COPY and UPDATE ... FROM)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
import time_machine

from minzheng.programs.models import BenefitPeriod, Case, CaseMember, CaseStatus
from minzheng.programs.policies import policy_for
from minzheng.programs.selectors import case_facts
from minzheng.programs.services.benefits import calculation_store, case_calculate
from minzheng.programs.services.recalc import cases_recalculate
from minzheng.programs.services.standards import standard_set, standards_for
from minzheng.programs.standard_defaults import standards_seed
from minzheng.registry.services import declaration_create, member_add
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.factories import make_household, make_person, new_id_number
from tests.programs.recalc_support import at

pytestmark = pytest.mark.django_db

COUNTY = "341503000000"
TOWNSHIP = "341503100000"
START = datetime.date(2026, 1, 1)
CHANGE = datetime.date(2026, 7, 1)


def person(actor, region, rng, *, age=None, **fields):
    age = age if age is not None else rng.choice([5, 12, 17, 18, 35, 45, 59, 60, 66, 80])
    birth = datetime.date(2026 - age, rng.randint(1, 12), 1) - datetime.timedelta(days=400)
    return make_person(
        actor,
        region_code=region,
        id_number=new_id_number(birth=birth, male=rng.random() < 0.5),
        **fields,
    )


def sample_case(actor, rng, n, program):
    region = VILLAGE if n % 3 else OTHER_TOWNSHIP_VILLAGE
    tekun = program == "tekun"
    size = 1 if tekun else rng.randint(1, 5)
    head = person(actor, region, rng, age=rng.choice([62, 75, 88]) if tekun else None)
    household = make_household(actor, region_code=region, head=head)
    people = [head]
    for _ in range(size - 1):
        extra: dict = {}
        roll = rng.random()
        if roll < 0.2:
            extra = {"disability_category": "physical", "disability_grade": rng.choice([1, 2, 3])}
        elif roll < 0.35:
            extra = {"serious_illness": "尿毒症"}
        member = person(actor, region, rng, **extra)
        member_add(
            actor=actor, household=household, person=member, relationship="child", valid_from=START
        )
        people.append(member)
    incomes = []
    for p in people:
        if rng.random() < 0.6:
            amount = f"{rng.randint(0, 90000) / 100:.2f}" if not tekun else "120.00"
            incomes.append({"person": p, "kind": "wages", "monthly_amount": amount})
    if rng.random() < 0.3 and not tekun:
        incomes.append({"person": head, "kind": "deduction_medical", "monthly_amount": "150.00"})
    declaration_create(
        actor=actor, household=household, declared_on=START, incomes=incomes, assets=[]
    )
    single = not tekun and size > 1 and rng.random() < 0.15
    case = Case.objects.create(
        number=f"R{program[:2]}{n:06d}",
        program=program,
        household=household,
        applicant=people[-1] if single else head,
        region_code=region,
        status=CaseStatus.ACTIVE,
        is_single_person=single,
        care_level=rng.choice(["self_care", "partial", "full"]) if tekun else "",
        support_mode=rng.choice(["centralized", "dispersed"]) if tekun else "",
        details={"has_able_supporter": False} if tekun else {},
        start_month=START,
    )
    for i, p in enumerate(people):
        excluded = i > 0 and not single and rng.random() < 0.1
        CaseMember.objects.create(
            case=case,
            person=p,
            counted=not excluded,
            exclusion_reason="prisoner" if excluded else "",
        )
    calculation = case_calculate(case=case, as_of=START)
    fields = calculation_store(case, calculation)
    case.monthly_amount = calculation.amount
    case.save(update_fields=[*fields, "monthly_amount"])
    BenefitPeriod.objects.create(
        case=case, valid_from=START, monthly_amount=case.monthly_amount, reason="approval"
    )
    return case


@pytest.fixture
def sample(personas):
    standards_seed(region_code=COUNTY, valid_from=START)
    rng = random.Random(20260701)
    actor = personas.county_officer
    cases = [sample_case(actor, rng, n, "dibao_rural") for n in range(30)]
    cases += [sample_case(actor, rng, n, "tekun") for n in range(30, 40)]
    return [c for c in cases if c.monthly_amount > 0]


def assert_bulk_matches_policy(cases, day):
    """Each case has the amount its policy gives the household as it was assessed (the inputs
    stored on the case: ages, incomes and categories of START) under the standards of `day`."""
    for case in cases:
        case.refresh_from_db()
        standards = standards_for(program=case.program, region_code=case.region_code, day=day)
        facts = case_facts(case, START)
        calculation = policy_for(case.program).benefit(facts=facts, standards=standards)
        expected = calculation.amount
        assert case.monthly_amount == expected, (case.extra_members, calculation.as_json())
        period = case.benefit_periods.order_by("-valid_from").first()
        assert period.monthly_amount == expected


@time_machine.travel(at(2026, 7, 20), tick=False)
def test_a_raised_standard_gives_every_case_its_policy_amount(personas, sample):
    officer = personas.county_officer
    assert len(sample) >= 30
    for parameter, value in (
        ("monthly_standard", "830"),
        ("extra_ratio_elderly", "0.15"),
        ("extra_ratio_severely_disabled", "0.4"),
        ("min_payment", "40"),
    ):
        standard_set(
            actor=officer,
            program="dibao_rural",
            parameter=parameter,
            region_code=COUNTY,
            valid_from=CHANGE,
            value=value,
        )
    # 苏埠镇 keeps a standard of its own
    standard_set(
        actor=officer,
        program="dibao_rural",
        parameter="monthly_standard",
        region_code=TOWNSHIP,
        valid_from=CHANGE,
        value="845",
    )
    for parameter, value in (("basic_living_standard", "1079"), ("care_standard_full", "720")):
        standard_set(
            actor=officer,
            program="tekun",
            parameter=parameter,
            region_code=COUNTY,
            valid_from=CHANGE,
            value=value,
        )
    assert_bulk_matches_policy(sample, CHANGE)
    changed = [c for c in sample if c.benefit_periods.filter(valid_from=CHANGE).exists()]
    assert len(changed) == len(sample)


@time_machine.travel(at(2026, 7, 20), tick=False)
def test_a_lowered_standard_and_yuan_rounding_agree_too(personas, sample):
    from minzheng.programs.models import Standard

    for program, parameter, value in (
        ("dibao_rural", "monthly_standard", "700"),
        ("dibao_rural", "rounding_unit", "10"),
        ("tekun", "centralized_care_multiplier", "1.25"),
        ("tekun", "rounding_unit", "0.01"),
    ):
        Standard.objects.create(
            program=program,
            parameter=parameter,
            region_code=COUNTY,
            valid_from=CHANGE,
            value=Decimal(value),
        )
    changed = cases_recalculate(program="dibao_rural", region_code=COUNTY, from_month=CHANGE)
    changed += cases_recalculate(program="tekun", region_code=COUNTY, from_month=CHANGE)
    assert changed > 0
    assert_bulk_matches_policy(sample, CHANGE)


@time_machine.travel(at(2026, 7, 20), tick=False)
def test_running_it_again_changes_nothing(personas, sample):
    from minzheng.programs.models import Standard

    Standard.objects.create(
        program="dibao_rural",
        parameter="monthly_standard",
        region_code=COUNTY,
        valid_from=CHANGE,
        value=Decimal("820"),
    )
    seen = []
    first = cases_recalculate(
        program="dibao_rural", region_code=COUNTY, from_month=CHANGE, progress=seen.append
    )
    assert first > 0 and sum(seen) >= first
    assert cases_recalculate(program="dibao_rural", region_code=COUNTY, from_month=CHANGE) == 0


def test_one_off_programs_have_nothing_to_recalculate(personas):
    assert (
        cases_recalculate(program="temporary_emergency", region_code=COUNTY, from_month=CHANGE) == 0
    )
