"""A 低保 application from the one window to enrollment, step by step, as the users who do
each step; and the ways it may not go."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from minzheng.core.models import AuditEvent
from minzheng.programs.models import BenefitPeriod, CaseStatus, StepLevel, StepStatus
from minzheng.programs.services import cases as svc
from minzheng.programs.services.benefits import case_calculate
from minzheng.programs.services.errors import CaseConflict, CaseError
from tests.programs.conftest import at, make_family

pytestmark = pytest.mark.django_db

START = at(2026, 3, 2)  # a Monday after the Spring Festival


def accept(personas, family, **kwargs):
    return svc.case_accept(
        actor=personas.township_clerk,
        household=family.household,
        applicant=family.head,
        program="dibao_rural",
        reason="因病致贫",
        **kwargs,
    )


def run_to_notice(personas, case):
    clerk, officer = personas.township_clerk, personas.county_officer
    svc.step_complete(actor=clerk, case=case, code="authorization", data={"signed": True})
    svc.step_complete(
        actor=clerk,
        case=case,
        code="survey",
        data={"surveyors": ["张敏", "刘伟"], "visited_on": "2026-03-02", "findings": "属实"},
    )
    svc.step_complete(actor=officer, case=case, code="verification", outcome="pass")
    svc.step_complete(actor=clerk, case=case, code="township_review", outcome="approve")


@time_machine.travel(START, tick=False)
def test_it_takes_a_rural_dibao_application_from_the_window_to_enrollment(
    personas, family, standards
):
    case = accept(personas, family)
    assert case.number.startswith("NCDB341503")
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.current_step == "authorization"
    assert case.members.filter(counted=True).count() == 3

    run_to_notice(personas, case)
    case.refresh_from_db()
    assert case.current_step == "public_notice"
    notice = case.steps.get(code="public_notice")
    assert notice.data["starts_on"] == "2026-03-02"
    assert notice.data["ends_on"] == "2026-03-09"
    assert notice.due_on == datetime.date(2026, 3, 10)  # closed the working day after
    # the worked calculation is on the case before the county decides
    assert case.monthly_amount > 0
    assert case.calculation["lines"]
    with pytest.raises(CaseError) as err:
        svc.step_complete(actor=personas.township_clerk, case=case, code="public_notice")
    assert "2026年03月09日" in err.value.message

    with time_machine.travel(at(2026, 3, 10), tick=False):
        svc.step_complete(actor=personas.township_clerk, case=case, code="public_notice")
        svc.step_complete(
            actor=personas.county_officer, case=case, code="county_approval", outcome="approve"
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert case.decision == "approve"
    assert case.start_month == datetime.date(2026, 4, 1)  # paid from the month after approval
    period = BenefitPeriod.objects.get(case=case)
    assert period.valid_from == datetime.date(2026, 4, 1)
    assert period.monthly_amount == case.monthly_amount
    expected = case_calculate(case=case, as_of=datetime.date(2026, 3, 10)).amount
    assert case.monthly_amount == expected
    assert set(case.steps.values_list("code", "status")) >= {
        ("decision", StepStatus.DONE),
        ("enrollment", StepStatus.DONE),
        ("democratic_review", StepStatus.SKIPPED),
    }
    actions = list(
        AuditEvent.objects.filter(object_type="case", object_id=str(case.pk)).values_list(
            "action", flat=True
        )
    )
    for action in ("case.accept", "case.step_complete", "case.approve", "case.enroll"):
        assert action in actions
    assert case.next_review_on is not None


@time_machine.travel(START, tick=False)
def test_a_step_belongs_to_its_level(personas, family, standards):
    case = accept(personas, family)
    with pytest.raises(CaseError) as err:
        svc.step_complete(
            actor=personas.village_assistant, case=case, code="authorization", data={"signed": 1}
        )
    assert err.value.message == svc.NOT_ALLOWED
    svc.step_complete(
        actor=personas.township_clerk, case=case, code="authorization", data={"signed": True}
    )
    with pytest.raises(CaseError) as err:
        svc.step_complete(
            actor=personas.township_clerk,
            case=case,
            code="survey",
            data={"surveyors": ["张敏"], "visited_on": "2026-03-02"},
        )
    assert err.value.errors == {"surveyors": [svc.SURVEY_NEEDS_TWO]}


@time_machine.travel(START, tick=False)
def test_the_same_step_done_twice_is_a_conflict_naming_who_did_it(personas, family, standards):
    case = accept(personas, family)
    stale = type(case).objects.get(pk=case.pk)
    svc.step_complete(
        actor=personas.township_clerk, case=case, code="authorization", data={"signed": True}
    )
    with pytest.raises(CaseConflict) as err:
        svc.step_complete(
            actor=personas.township_leader,
            case=stale,
            code="authorization",
            data={"signed": True},
            version=stale.version,
        )
    assert "已由" in err.value.message


@time_machine.travel(START, tick=False)
def test_a_household_cannot_apply_twice_while_a_case_is_open(personas, family, standards):
    case = accept(personas, family)
    with pytest.raises(CaseError) as err:
        svc.case_accept(
            actor=personas.township_clerk,
            household=family.household,
            applicant=family.spouse,
            program="dibao_urban",
            reason="",
        )
    assert case.number in err.value.message


@time_machine.travel(START, tick=False)
def test_an_objection_holds_the_case_and_an_upheld_one_sends_it_back(personas, family, standards):
    case = accept(personas, family)
    run_to_notice(personas, case)
    objection = svc.objection_register(
        actor=personas.village_assistant,
        case=case,
        content="该户有一辆小轿车未申报",
        raised_by_name="匿名",
    )
    with time_machine.travel(at(2026, 3, 10), tick=False):
        with pytest.raises(CaseError) as err:
            svc.step_complete(actor=personas.township_clerk, case=case, code="public_notice")
        assert err.value.message == svc.OBJECTIONS_OPEN.format(n=1)
        svc.objection_resolve(
            actor=personas.township_clerk,
            objection=objection,
            outcome="upheld",
            investigation="核实有车辆一辆,需重新调查",
        )
    case.refresh_from_db()
    assert case.current_step == "survey"
    assert case.steps.filter(code="survey", round=2, status=StepStatus.OPEN).exists()
    # after an objection the village holds a democratic review (民主评议)
    assert case.steps.filter(code="democratic_review", round=2).exists()
    assert case.steps.get(code="public_notice", round=1).status == StepStatus.CANCELLED


@time_machine.travel(START, tick=False)
def test_a_refusal_needs_reasons_and_ends_the_case_refused(personas, family, standards):
    case = accept(personas, family)
    clerk = personas.township_clerk
    svc.step_complete(actor=clerk, case=case, code="authorization", data={"signed": True})
    svc.step_complete(
        actor=clerk,
        case=case,
        code="survey",
        data={"surveyors": ["张敏", "刘伟"], "visited_on": "2026-03-02"},
    )
    svc.step_complete(actor=personas.county_officer, case=case, code="verification", outcome="fail")
    with pytest.raises(CaseError) as err:
        svc.step_complete(actor=clerk, case=case, code="township_review", outcome="refuse")
    assert err.value.errors == {"note": [svc.REASON_REQUIRED]}
    svc.step_complete(
        actor=clerk, case=case, code="township_review", outcome="refuse", note="家庭有经营性收入"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED
    assert case.decision_reason == "家庭有经营性收入"
    assert case.steps.get(code="decision").status == StepStatus.DONE


@time_machine.travel(START, tick=False)
def test_an_ineligible_household_cannot_be_approved(personas, standards, regions):
    rich = make_family(personas.township_clerk, wages="20000.00")
    case = svc.case_accept(
        actor=personas.township_clerk,
        household=rich.household,
        applicant=rich.head,
        program="dibao_rural",
    )
    run_to_notice(personas, case)
    with time_machine.travel(at(2026, 3, 10), tick=False):
        svc.step_complete(actor=personas.township_clerk, case=case, code="public_notice")
        with pytest.raises(CaseError) as err:
            svc.step_complete(
                actor=personas.county_officer, case=case, code="county_approval", outcome="approve"
            )
    assert err.value.message.startswith("不符合条件")


@time_machine.travel(START, tick=False)
def test_an_online_application_waits_for_the_window(personas, family, standards):
    case = svc.case_apply_online(
        actor=personas.village_assistant,
        household=family.household,
        applicant=family.head,
        program="dibao_rural",
    )
    assert case.status == CaseStatus.SUBMITTED
    assert case.steps.get(code="acceptance").status == StepStatus.OPEN
    svc.case_accept_online(actor=personas.township_clerk, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.current_step == "authorization"


@time_machine.travel(START, tick=False)
def test_an_excluded_member_is_not_counted(personas, family, standards):
    case = accept(personas, family, exclusions={family.spouse.pk: "prisoner"})
    member = case.members.get(person=family.spouse)
    assert not member.counted and member.exclusion_reason == "prisoner"
    run_to_notice(personas, case)
    case.refresh_from_db()
    assert case.counted_members == 2


@time_machine.travel(START, tick=False)
def test_the_township_approves_where_the_county_delegated_it(personas, family, standards):
    from minzheng.programs.models import Standard

    Standard.objects.create(
        program="dibao_rural",
        parameter="delegated_approval",
        region_code="341503100000",
        valid_from=datetime.date(2026, 1, 1),
        value=Decimal(1),
    )
    case = accept(personas, family)
    step = case.steps.get(code="county_approval")
    assert step.level == StepLevel.TOWNSHIP
    case.refresh_from_db()
    # 20 working days when the township decides
    assert case.due_on == datetime.date(2026, 3, 30)


@time_machine.travel(START, tick=False)
def test_a_relatives_case_goes_to_the_county_and_not_to_the_related_officer(
    personas, family, standards
):
    from minzheng.programs.models import Standard
    from minzheng.programs.services.relatives import relative_filing_create

    Standard.objects.create(
        program="dibao_rural",
        parameter="delegated_approval",
        region_code="341503100000",
        valid_from=datetime.date(2026, 1, 1),
        value=Decimal(1),
    )
    case = accept(personas, family)
    assert case.steps.get(code="county_approval").level == StepLevel.TOWNSHIP
    # filed while the case runs: the spouse is the county officer's sister
    relative_filing_create(
        actor=personas.county_leader,
        person=family.spouse,
        staff_name=personas.county_officer.full_name,
        staff_user=personas.county_officer,
        staff_kind="county_staff",
        relation="sibling",
        region_code="341503000000",
        valid_from=datetime.date(2026, 3, 1),
    )
    run_to_notice(personas, case)
    with time_machine.travel(at(2026, 3, 10), tick=False):
        svc.step_complete(actor=personas.township_clerk, case=case, code="public_notice")
        case.refresh_from_db()
        assert case.relative_flag
        assert case.steps.get(code="county_approval").level == StepLevel.COUNTY
        with pytest.raises(CaseError) as err:
            svc.step_complete(
                actor=personas.county_officer, case=case, code="county_approval", outcome="approve"
            )
        assert err.value.message == svc.RELATED_USER_MUST_RECUSE
        svc.step_complete(
            actor=personas.county_leader, case=case, code="county_approval", outcome="approve"
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
