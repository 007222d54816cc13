"""特困供养 and 临时救助 from the window to the money, as the users who do each step."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from minzheng.programs.models import BenefitPeriod, CaseStatus, Grant, StepLevel, StepStatus
from minzheng.programs.services import cases as svc
from minzheng.programs.services.benefits import case_standards
from tests.conftest import VILLAGE
from tests.factories import make_household, make_person, new_id_number
from tests.programs.conftest import at, make_family

pytestmark = pytest.mark.django_db


def lone_elder(actor):
    person = make_person(
        actor,
        region_code=VILLAGE,
        name="赵老汉",
        id_number=new_id_number(birth=datetime.date(1950, 4, 2)),
    )
    return make_household(actor, region_code=VILLAGE, head=person), person


@time_machine.travel(at(2026, 3, 2), tick=False)
def test_a_lone_elder_is_supported_at_home_with_partial_care(personas, standards):
    clerk, officer = personas.township_clerk, personas.county_officer
    household, elder = lone_elder(clerk)
    from minzheng.registry.services import declaration_create

    declaration_create(
        actor=clerk,
        household=household,
        declared_on=datetime.date(2026, 2, 1),
        incomes=[],
        assets=[],
    )
    case = svc.case_accept(
        actor=clerk,
        household=household,
        applicant=elder,
        program="tekun",
        support_mode="dispersed",
        details={"has_able_supporter": False},
    )
    assert case.number.startswith("TK")
    svc.step_complete(actor=clerk, case=case, code="authorization", data={"signed": True})
    svc.step_complete(
        actor=clerk,
        case=case,
        code="survey",
        data={
            "surveyors": ["张敏", "刘伟"],
            "visited_on": "2026-03-02",
            "self_care_failed": ["bathing", "dressing"],
        },
    )
    case.refresh_from_db()
    assert case.care_level == "partial"  # two of six items failed
    svc.step_complete(actor=officer, case=case, code="verification", outcome="pass")
    svc.step_complete(actor=clerk, case=case, code="township_review", outcome="approve")
    with time_machine.travel(at(2026, 3, 10), tick=False):
        svc.step_complete(actor=clerk, case=case, code="public_notice")
        svc.step_complete(actor=officer, case=case, code="county_approval", outcome="approve")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    s = case_standards(case, datetime.date(2026, 3, 10))
    expected = s.get("basic_living_standard") + s.get("care_standard_partial")
    assert case.monthly_amount == expected.quantize(Decimal("0.01"))
    assert BenefitPeriod.objects.get(case=case).valid_from == datetime.date(2026, 4, 1)
    assert case.review_frequency_months == 12  # 特困: yearly


@time_machine.travel(at(2026, 3, 2), tick=False)
def test_emergency_aid_is_paid_first_and_the_file_completed_after(personas, family, standards):
    clerk = personas.township_clerk
    case = svc.case_accept(
        actor=clerk,
        household=family.household,
        applicant=family.head,
        program="temporary_emergency",
        reason="房屋失火",
        details={"hardship": "minor", "emergency_cause": "fire"},
    )
    svc.step_complete(actor=clerk, case=case, code="township_review", outcome="approve")
    case.refresh_from_db()
    approval = case.steps.get(code="county_approval")
    # within the township's cap: the township leader approves
    assert approval.level == StepLevel.TOWNSHIP
    assert case.one_off_amount and case.one_off_amount > 0
    svc.step_complete(
        actor=personas.township_leader, case=case, code="county_approval", outcome="approve"
    )
    case.refresh_from_db()
    grant = Grant.objects.get(case=case)
    assert grant.paid_first and grant.amount == case.one_off_amount
    assert case.status == CaseStatus.IN_PROGRESS  # the file is not complete yet
    assert case.current_step == "survey"
    svc.step_complete(
        actor=clerk,
        case=case,
        code="survey",
        data={"surveyors": ["张敏", "刘伟"], "visited_on": "2026-03-02"},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


@time_machine.travel(at(2026, 3, 2), tick=False)
def test_a_large_expense_grant_goes_to_the_county(personas, standards, regions):
    clerk = personas.township_clerk
    family = make_family(clerk, wages="100.00")
    case = svc.case_accept(
        actor=clerk,
        household=family.household,
        applicant=family.head,
        program="temporary_expense",
        details={"hardship": "severe", "rigid_expense": "30000", "expense_kind": "medical"},
    )
    for code, data in (
        ("authorization", {"signed": True}),
        ("survey", {"surveyors": ["张敏", "刘伟"], "visited_on": "2026-03-02"}),
    ):
        svc.step_complete(actor=clerk, case=case, code=code, data=data)
    svc.step_complete(actor=personas.county_officer, case=case, code="verification", outcome="pass")
    svc.step_complete(actor=clerk, case=case, code="township_review", outcome="approve")
    case.refresh_from_db()
    assert case.steps.get(code="public_notice").status == StepStatus.SKIPPED
    assert case.steps.get(code="county_approval").level == StepLevel.COUNTY
    with pytest.raises(svc.CaseError):
        svc.step_complete(
            actor=personas.township_leader, case=case, code="county_approval", outcome="approve"
        )
    svc.step_complete(
        actor=personas.county_officer, case=case, code="county_approval", outcome="approve"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert Grant.objects.get(case=case).amount == case.one_off_amount


@time_machine.travel(at(2026, 3, 2), tick=False)
def test_refused_emergency_aid_pays_nothing_and_asks_for_no_survey(personas, family, standards):
    clerk = personas.township_clerk
    case = svc.case_accept(
        actor=clerk,
        household=family.household,
        applicant=family.head,
        program="temporary_emergency",
        details={"hardship": "minor", "emergency_cause": "fire"},
    )
    svc.step_complete(actor=clerk, case=case, code="township_review", outcome="approve")
    svc.step_complete(
        actor=personas.township_leader,
        case=case,
        code="county_approval",
        outcome="refuse",
        note="火灾损失已由保险全额赔付",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED
    assert not Grant.objects.filter(case=case).exists()
    assert case.steps.get(code="survey").status == StepStatus.SKIPPED
    assert case.steps.get(code="decision").status == StepStatus.DONE
