"""Working the flags of a run: confirm with the action (through the review), dismiss with the
reason (a run's suspension lifted), candidates referred, a review completed on the case page
concluding its flag, conflicts, roles and scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minzheng.core.models import AuditEvent
from minzheng.matching.errors import MatchingConflict, MatchingError
from minzheng.matching.models import FlagStatus, MatchFlag
from minzheng.matching.services.flags import flag_confirm, flag_dismiss
from minzheng.matching.services.runs import run_execute, run_start
from minzheng.programs.models import CaseStatus, Review, ReviewKind
from minzheng.programs.services.benefits import amount_for_month
from minzheng.programs.services.reviews import review_complete, review_create
from minzheng.registry.models import Membership
from tests.matching.support import (
    DEATH_TYPES,
    VEHICLE_TYPES,
    active_dataset,
    county_for,
    death_row,
    hit,
    stand_in_rules,
    vehicle_row,
    write_dataset,
)
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

DEC = datetime.date(2026, 12, 1)


@pytest.fixture
def county(regions, personas, time_machine, monkeypatch, tmp_path):
    time_machine.move_to(at(2026, 11, 22), tick=False)
    county = county_for(personas)
    deaths = write_dataset(
        tmp_path / "death.parquet",
        [
            death_row(1, county.sole, datetime.date(2026, 11, 3)),
            death_row(2, county.tekun, datetime.date(2026, 11, 10)),
        ],
        DEATH_TYPES,
    )
    vehicles = write_dataset(
        tmp_path / "vehicle.parquet", [vehicle_row(1, county.head, "皖N12345")], VEHICLE_TYPES
    )
    active_dataset("death", deaths, rows=2)
    active_dataset("vehicle", vehicles, rows=1)
    rules = stand_in_rules(monkeypatch)
    rules.hits = {
        "death_id": [
            hit("death_id", county.sole, county.sole_case, row_no=1),
            hit("death_id", county.tekun, county.tekun_case, row_no=2),
        ],
        "vehicle": [hit("vehicle", county.head, county.family_case, row_no=1, figure="85000")],
        "age_allowance_missing": [
            hit("age_allowance_missing", county.elder, None, figure="81", program="age_allowance")
        ],
    }
    run = run_execute(run_start(actor=personas.county_officer, enqueue=False))
    assert run.status == "done", run.message
    return county


def flag(rule, person) -> MatchFlag:
    return MatchFlag.objects.select_related("review").get(rule=rule, person_id=person.pk)


# --- deaths ---------------------------------------------------------------------------------------


def test_dismissing_a_death_resumes_the_payment_the_run_suspended(county, personas):
    death = flag("death_id", county.sole)
    case = county.sole_case
    flag_dismiss(actor=personas.township_clerk, flag=death, reason="经入户核实本人健在,系同名")
    death.refresh_from_db()
    assert death.status == FlagStatus.DISMISSED
    assert death.outcome == "continue"
    assert death.outcome_reason == "经入户核实本人健在,系同名"
    assert death.worked_by == personas.township_clerk
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert amount_for_month(case, DEC) == Decimal("600.00")
    review = Review.objects.get(pk=death.review_id)
    assert review.status == Review.Status.DONE
    assert review.outcome == "continue"
    assert AuditEvent.objects.filter(action="matching.flag_dismiss", object_id=str(death.pk))
    assert AuditEvent.objects.filter(action="case.resume", object_id=str(case.pk))


def test_confirming_a_death_records_it_and_terminates_the_case(county, personas):
    death = flag("death_id", county.sole)
    flag_confirm(
        actor=personas.township_clerk,
        flag=death,
        outcome="terminate",
        reason="经核实已于2026年11月3日死亡",
    )
    county.sole.refresh_from_db()
    assert county.sole.death_date == datetime.date(2026, 11, 3)
    membership = Membership.objects.get(person=county.sole)
    assert membership.valid_to == datetime.date(2026, 11, 3)
    assert membership.leave_reason == "death"
    case = county.sole_case
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert amount_for_month(case, DEC) == Decimal("0.00")
    death.refresh_from_db()
    assert death.status == FlagStatus.CONFIRMED
    assert death.outcome == "terminate"
    assert Review.objects.get(pk=death.review_id).outcome == "terminate"
    # the registry's death opened the case engine's death review; termination closed it
    assert not Review.objects.filter(case=case, status=Review.Status.OPEN).exists()


def test_a_confirmed_tekun_death_gets_the_funeral_grant(county, personas):
    from minzheng.programs.models import Grant

    death = flag("death_id", county.tekun)
    flag_confirm(
        actor=personas.county_officer, flag=death, outcome="terminate", reason="殡葬数据核实"
    )
    assert Grant.objects.filter(case=county.tekun_case, kind="funeral").exists()


def test_an_outcome_the_case_does_not_allow_changes_nothing(county, personas):
    death = flag("death_id", county.sole)  # the case is suspended: it cannot be suspended
    with pytest.raises(MatchingError) as e:
        flag_confirm(actor=personas.township_clerk, flag=death, outcome="suspend", reason="属实")
    assert "暂停发放" in e.value.message
    death.refresh_from_db()
    assert death.status == FlagStatus.OPEN
    county.sole.refresh_from_db()
    assert county.sole.death_date is None


# --- reviews -------------------------------------------------------------------------------


def test_confirming_a_review_flag_completes_its_review(county, personas):
    vehicle = flag("vehicle", county.head)
    flag_confirm(
        actor=personas.township_clerk,
        flag=vehicle,
        outcome="suspend",
        reason="车辆属实,暂停发放待家庭重新申报",
        findings="入户核实车辆停放在家",
    )
    review = Review.objects.get(pk=vehicle.review_id)
    assert review.status == Review.Status.DONE
    assert review.outcome == "suspend"
    assert review.findings == "入户核实车辆停放在家"
    county.family_case.refresh_from_db()
    assert county.family_case.status == CaseStatus.SUSPENDED
    vehicle.refresh_from_db()
    assert vehicle.status == FlagStatus.CONFIRMED


def test_completing_the_review_on_the_case_page_concludes_the_flag(county, personas):
    vehicle = flag("vehicle", county.head)
    assert vehicle.review.kind == ReviewKind.DATA_MATCHING
    review_complete(
        actor=personas.township_clerk,
        review=vehicle.review,
        outcome="terminate",
        outcome_reason="家庭拥有机动车,不符合条件",
    )
    vehicle.refresh_from_db()
    assert vehicle.status == FlagStatus.CONFIRMED
    assert vehicle.outcome == "terminate"
    assert vehicle.outcome_reason == "家庭拥有机动车,不符合条件"
    assert vehicle.worked_by == personas.township_clerk


def test_a_termination_through_another_review_concludes_the_flag_too(county, personas):
    vehicle = flag("vehicle", county.head)
    other = review_create(
        actor=personas.township_clerk,
        case=county.family_case,
        kind=ReviewKind.TIP_OFF,
        reason="群众举报家庭经营养殖场",
    )
    review_complete(
        actor=personas.township_clerk,
        review=other,
        outcome="terminate",
        outcome_reason="家庭经营收入超过保障标准",
    )
    vehicle.refresh_from_db()
    assert vehicle.review.status == Review.Status.DONE
    assert vehicle.status == FlagStatus.CONFIRMED
    assert vehicle.outcome == "terminate"
    assert str(other.pk) in vehicle.outcome_reason


def test_continuing_on_the_case_page_dismisses_the_flag_and_lifts_the_suspension(county, personas):
    death = flag("death_id", county.sole)
    review_complete(
        actor=personas.township_clerk,
        review=death.review,
        outcome="continue",
        outcome_reason="本人健在",
    )
    death.refresh_from_db()
    assert death.status == FlagStatus.DISMISSED
    county.sole_case.refresh_from_db()
    assert county.sole_case.status == CaseStatus.ACTIVE


# --- candidates --------------------------------------------------------------------------------


def test_a_candidate_is_referred_or_dismissed(county, personas):
    candidate = flag("age_allowance_missing", county.elder)
    with pytest.raises(MatchingError):
        flag_confirm(actor=personas.township_clerk, flag=candidate, outcome="adjust", reason="x")
    flag_confirm(
        actor=personas.township_clerk,
        flag=candidate,
        outcome="referred",
        reason="已告知家属申请高龄津贴",
    )
    candidate.refresh_from_db()
    assert candidate.status == FlagStatus.CONFIRMED
    assert candidate.outcome == "referred"


def test_a_candidate_dismissed_needs_a_reason(county, personas):
    candidate = flag("age_allowance_missing", county.elder)
    with pytest.raises(MatchingError) as e:
        flag_dismiss(actor=personas.township_clerk, flag=candidate, reason="  ")
    assert e.value.errors == {"reason": ["请填写核实情况"]}
    flag_dismiss(actor=personas.township_clerk, flag=candidate, reason="已在外地享受高龄津贴")
    candidate.refresh_from_db()
    assert candidate.status == FlagStatus.DISMISSED


# --- conflicts, roles, scope --------------------------------------------------------------------


def test_a_flag_worked_meanwhile_is_a_conflict(county, personas):
    vehicle = flag("vehicle", county.head)
    stale = flag("vehicle", county.head)
    flag_dismiss(actor=personas.township_clerk, flag=vehicle, reason="车辆已过户")
    with pytest.raises(MatchingConflict) as e:
        flag_confirm(actor=personas.county_officer, flag=stale, outcome="suspend", reason="属实")
    assert "township" in e.value.message
    assert "核实不属实" in e.value.message


def test_a_confirmation_needs_a_confirming_outcome(county, personas):
    vehicle = flag("vehicle", county.head)
    with pytest.raises(MatchingError):
        flag_confirm(actor=personas.township_clerk, flag=vehicle, outcome="continue", reason="x")


@pytest.mark.parametrize("persona", ["village_assistant", "auditor", "system_admin"])
def test_only_reviewers_work_flags(county, personas, persona):
    vehicle = flag("vehicle", county.head)
    with pytest.raises(PermissionDenied):
        flag_dismiss(actor=getattr(personas, persona), flag=vehicle, reason="x")


def test_another_township_cannot_work_the_flag(county, personas):
    vehicle = flag("vehicle", county.head)  # 陶洪村, 苏埠镇
    with pytest.raises(Http404):
        flag_dismiss(actor=personas.other_township_clerk, flag=vehicle, reason="x")
    # 韩摆渡镇's own flag it may work
    tekun = flag("death_id", county.tekun)
    flag_dismiss(actor=personas.other_township_clerk, flag=tekun, reason="系同名")


def test_a_death_recorded_meanwhile_keeps_the_suspension_when_the_flag_is_dismissed(
    county, personas
):
    from minzheng.registry.services import person_update

    death = flag("death_id", county.sole)
    person_update(
        actor=personas.township_clerk,
        person=county.sole,
        data={"death_date": datetime.date(2026, 11, 3)},
    )
    flag_dismiss(actor=personas.township_clerk, flag=death, reason="误报")
    county.sole_case.refresh_from_db()
    assert county.sole_case.status == CaseStatus.SUSPENDED
