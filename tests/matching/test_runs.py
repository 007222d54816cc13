"""A match run end to end over the small county: snapshot, the rules (a stand-in returning the
hits set for each rule), landing the flags with their evidence, suspensions, reviews, and what
a second run over the same data does (nothing new)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minzheng.core.models import AuditEvent
from minzheng.matching.errors import MatchingError
from minzheng.matching.models import FlagStatus, MatchFlag, MatchRun, RunStatus
from minzheng.matching.services.rule_settings import rule_update
from minzheng.matching.services.runs import run_cancel, run_execute, run_start
from minzheng.programs.deadlines import working_deadline
from minzheng.programs.models import CaseStatus, Review
from minzheng.programs.services.benefits import amount_for_month
from tests.matching.support import (
    DEATH_TYPES,
    VEHICLE_TYPES,
    MatchingCounty,
    StandInRules,
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

TODAY = datetime.date(2026, 11, 22)
DEC = datetime.date(2026, 12, 1)
NOV = datetime.date(2026, 11, 1)


@dataclass
class World:
    county: MatchingCounty
    rules: StandInRules
    death: object
    vehicle: object
    tmp: object


@pytest.fixture
def world(regions, personas, time_machine, monkeypatch, tmp_path) -> World:
    time_machine.move_to(at(2026, 11, 22), tick=False)
    county = county_for(personas)
    deaths = write_dataset(
        tmp_path / "death.parquet",
        [
            death_row(1, county.outsider, datetime.date(2026, 10, 1)),
            death_row(2, county.sole, datetime.date(2026, 11, 3), "县医院"),
            death_row(3, county.spouse, datetime.date(2026, 11, 5)),
        ],
        DEATH_TYPES,
    )
    vehicles = write_dataset(
        tmp_path / "vehicle.parquet",
        [vehicle_row(7, county.head, "皖N12345")],
        VEHICLE_TYPES,
    )
    death = active_dataset("death", deaths, rows=3)
    vehicle = active_dataset("vehicle", vehicles, rows=1, source="县公安局交警大队")
    rules = stand_in_rules(monkeypatch)
    rules.hits = {
        "death_id": [
            hit("death_id", county.sole, county.sole_case, row_no=2),
            hit("death_id", county.spouse, county.family_case, row_no=3),
        ],
        "vehicle": [hit("vehicle", county.head, county.family_case, row_no=7, figure="85000.00")],
        "age_allowance_missing": [
            hit("age_allowance_missing", county.elder, None, figure="81", program="age_allowance")
        ],
    }
    return World(county, rules, death, vehicle, tmp_path)


def start_and_run(actor, **kwargs) -> MatchRun:
    run = run_start(actor=actor, enqueue=False, **kwargs)
    return run_execute(run)


def flag(rule: str, person) -> MatchFlag:
    return MatchFlag.objects.get(rule=rule, person_id=person.pk)


# --- start ----------------------------------------------------------------------------------------


def test_a_county_officer_starts_a_queued_run_of_the_enabled_rules(
    world, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = run_start(actor=personas.county_officer, rules=["death_id", "vehicle"])
    assert run.status == RunStatus.QUEUED
    assert run.number == "BD3415032026110001"
    assert run.region_code == "341503000000"
    assert run.as_of == TODAY
    assert run.rules == ["death_id", "vehicle"]
    assert run.datasets == {"death": world.death.pk, "vehicle": world.vehicle.pk}
    assert len(callbacks) == 1  # the task, once committed
    event = AuditEvent.objects.get(action="matching.run_start")
    assert event.object_id == str(run.pk)


def test_the_default_rules_are_the_enabled_ones(world, personas):
    rule_update(
        actor=personas.county_officer, code="vehicle", enabled=False, threshold=None, due_days=None
    )
    run = run_start(actor=personas.county_officer, enqueue=False)
    assert "vehicle" not in run.rules
    assert "death_id" in run.rules
    assert "vehicle" not in run.datasets


def test_one_live_run_per_county(world, personas):
    first = run_start(actor=personas.county_officer, enqueue=False)
    with pytest.raises(MatchingError) as e:
        run_start(actor=personas.county_officer, enqueue=False)
    assert first.number in e.value.message
    run_cancel(actor=personas.county_officer, run=first)
    second = run_start(actor=personas.county_officer, enqueue=False)
    assert second.number == "BD3415032026110002"


@pytest.mark.parametrize("persona", ["township_clerk", "county_leader", "auditor"])
def test_only_county_officers_start_runs(world, personas, persona):
    with pytest.raises(PermissionDenied):
        run_start(actor=getattr(personas, persona), enqueue=False)


def test_another_countys_officer_cannot_run_this_county(world, personas):
    with pytest.raises(Http404):
        run_start(actor=personas.other_county_officer, region_code="341503000000", enqueue=False)


def test_it_refuses_an_unknown_engine_or_rule_and_rules_without_data(world, personas):
    officer = personas.county_officer
    with pytest.raises(MatchingError) as e:
        run_start(actor=officer, engine="oracle", enqueue=False)
    assert "oracle" in e.value.message
    with pytest.raises(MatchingError):
        run_start(actor=officer, rules=["no_such_rule"], enqueue=False)
    with pytest.raises(MatchingError) as e:
        run_start(actor=officer, rules=["salary", "pension"], enqueue=False)
    assert "没有可以执行的比对规则" in e.value.message


# --- execute ---------------------------------------------------------------------------------


def test_a_run_lands_its_hits_as_flags_with_evidence(world, personas):
    run = start_and_run(personas.county_officer)
    assert run.status == RunStatus.DONE, run.message
    assert run.percent == 100
    assert run.beneficiary_count == len(world.county.beneficiaries)
    assert run.hit_count == 4
    assert run.new_flag_count == 4
    assert run.rule_counts["death_id"]["hits"] == 2
    assert run.rule_counts["death_id"]["new"] == 2
    assert "未提供" in run.rule_counts["salary"]["skipped"]
    assert run.finished_at is not None
    death = flag("death_id", world.county.sole)
    assert death.run == run
    assert death.last_run == run
    assert death.action == "suspend"
    assert death.case_id == world.county.sole_case.pk
    assert death.household_id == world.county.sole_case.household_id
    assert death.region_code == world.county.sole_case.region_code
    assert death.program == "dibao_urban"
    assert death.dataset_id == world.death.pk
    assert death.row_no == 2
    assert death.evidence["death_date"] == "2026-11-03"
    assert death.evidence["place"] == "县医院"
    assert death.evidence["id_number"] == world.county.sole.id_number
    assert "row_no" not in death.evidence
    assert len(death.evidence_key) == 64
    assert death.summary == "死亡数据显示该人员已于2026年11月3日死亡,次月起暂停发放,请核实"
    assert death.status == FlagStatus.OPEN
    assert death.due_on == working_deadline(TODAY, 15).due_on
    assert AuditEvent.objects.filter(action="matching.run_finish", object_id=str(run.pk)).exists()


def test_a_death_suspends_a_sole_members_case_from_next_month_and_opens_a_review(world, personas):
    start_and_run(personas.county_officer)
    death = flag("death_id", world.county.sole)
    case = world.county.sole_case
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    assert amount_for_month(case, NOV) == Decimal("600.00")
    assert amount_for_month(case, DEC) == Decimal("0.00")
    review = death.review
    assert review is not None
    assert review.case_id == case.pk
    assert review.kind == "data_matching"
    assert review.status == Review.Status.OPEN
    assert review.reason == death.summary
    assert review.due_on == death.due_on
    assert review.evidence["flag"] == death.pk
    assert review.evidence["suspended_from"] == "2026-12-01"
    assert review.evidence["evidence"]["death_date"] == "2026-11-03"
    assert AuditEvent.objects.filter(
        action="case.suspend", object_id=str(case.pk), reason__startswith="信息比对:"
    ).exists()
    assert AuditEvent.objects.filter(action="review.create", object_id=str(case.pk)).exists()


def test_a_members_death_in_a_larger_household_is_reviewed_only(world, personas):
    start_and_run(personas.county_officer)
    death = flag("death_id", world.county.spouse)
    case = world.county.family_case
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert amount_for_month(case, DEC) == Decimal("1210.00")
    assert death.review is not None
    assert "suspended_from" not in death.review.evidence


def test_a_review_hit_opens_a_review_with_its_deadline_and_evidence(world, personas):
    rule_update(
        actor=personas.county_officer, code="vehicle", enabled=True, threshold=None, due_days=5
    )
    start_and_run(personas.county_officer)
    vehicle = flag("vehicle", world.county.head)
    assert vehicle.action == "review"
    assert vehicle.summary == "家庭成员名下登记有小型轿车(皖N12345),超过财产限定条件,请复核"
    assert vehicle.evidence["value"] == 85000
    assert vehicle.evidence["figure"] == 85000
    assert vehicle.due_on == working_deadline(TODAY, 5).due_on
    assert vehicle.review.due_on == vehicle.due_on
    assert vehicle.review.evidence["evidence"]["plate_number"] == "皖N12345"


def test_a_candidate_gets_a_due_date_and_no_review(world, personas):
    start_and_run(personas.county_officer)
    candidate = flag("age_allowance_missing", world.county.elder)
    assert candidate.action == "candidate"
    assert candidate.case_id is None
    assert candidate.review is None
    assert candidate.due_on == working_deadline(TODAY, 15).due_on
    assert candidate.summary == "该老年人已满81周岁,未享受高龄津贴,建议纳入"
    assert candidate.program == "age_allowance"


def test_a_rerun_with_no_new_data_raises_no_new_flags(world, personas):
    first = start_and_run(personas.county_officer)
    reviews = Review.objects.count()
    second = start_and_run(personas.county_officer)
    assert second.status == RunStatus.DONE
    assert second.hit_count == 4
    assert second.new_flag_count == 0
    assert MatchFlag.objects.count() == 4
    assert Review.objects.count() == reviews
    assert set(MatchFlag.objects.values_list("run", flat=True)) == {first.pk}
    assert set(MatchFlag.objects.values_list("last_run", flat=True)) == {second.pk}


def test_a_dismissed_flag_is_not_raised_again_by_a_new_delivery_of_the_same_evidence(
    world, personas
):
    from minzheng.matching.services.flags import flag_dismiss

    start_and_run(personas.county_officer)
    vehicle = flag("vehicle", world.county.head)
    flag_dismiss(actor=personas.township_clerk, flag=vehicle, reason="车辆已于2025年过户他人")
    # next month's delivery: the same registration on another row of another file
    again = write_dataset(
        world.tmp / "vehicle-2.parquet",
        [
            vehicle_row(1, world.county.spouse, "皖N99999"),
            vehicle_row(2, world.county.head, "皖N12345"),
        ],
        VEHICLE_TYPES,
    )
    delivery = active_dataset("vehicle", again, rows=2, data_date=datetime.date(2026, 12, 20))
    world.rules.hits["vehicle"] = [
        hit("vehicle", world.county.head, world.county.family_case, row_no=2, figure="85000.00"),
        hit("vehicle", world.county.spouse, world.county.family_case, row_no=1, figure="85000.00"),
    ]
    run = start_and_run(personas.county_officer)
    assert run.rule_counts["vehicle"] == {"hits": 2, "new": 1, "seconds": 0.01}
    assert MatchFlag.objects.filter(rule="vehicle", person_id=world.county.head.pk).count() == 1
    vehicle.refresh_from_db()
    assert vehicle.status == FlagStatus.DISMISSED
    assert vehicle.last_run == run
    new = flag("vehicle", world.county.spouse)
    assert new.dataset_id == delivery.pk


def test_a_failed_run_leaves_nothing(world, personas, monkeypatch):
    from minzheng.matching import landing

    def broken(run, suspended):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(landing, "_open_reviews", broken)
    run = start_and_run(personas.county_officer)
    assert run.status == RunStatus.FAILED
    assert run.message == "比对失败:磁盘已满"
    assert MatchFlag.objects.count() == 0
    assert Review.objects.count() == 0
    case = world.county.sole_case
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE  # the suspension rolled back with the flags
    assert AuditEvent.objects.filter(action="matching.run_fail", object_id=str(run.pk)).exists()
    # the county can run again
    assert run_start(actor=personas.county_officer, enqueue=False).status == RunStatus.QUEUED


def test_a_failure_of_the_rules_fails_the_run(world, personas):
    world.rules.fail = RuntimeError("引擎不可用")
    run = start_and_run(personas.county_officer)
    assert run.status == RunStatus.FAILED
    assert "引擎不可用" in run.message
    assert MatchFlag.objects.count() == 0


def test_a_cancelled_run_does_not_execute(world, personas):
    run = run_start(actor=personas.county_officer, enqueue=False)
    run_cancel(actor=personas.county_officer, run=run)
    run = run_execute(run)
    assert run.status == RunStatus.CANCELLED
    assert world.rules.calls == 0
    assert MatchFlag.objects.count() == 0
    with pytest.raises(MatchingError):
        run_cancel(actor=personas.county_officer, run=run)


def test_a_run_cancelled_while_matching_lands_nothing(world, personas):
    run = run_start(actor=personas.county_officer, enqueue=False)
    original = world.rules.__call__

    def cancel_midway(*args, **kwargs):
        MatchRun.objects.filter(pk=run.pk).update(status=RunStatus.CANCELLED)
        return original(*args, **kwargs)

    world.rules.fail = None
    from minzheng.matching import apply

    apply.apply_rules = cancel_midway
    run = run_execute(run)
    assert run.status == RunStatus.CANCELLED
    assert MatchFlag.objects.count() == 0


def test_the_task_runs_the_run(world, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = run_start(actor=personas.county_officer)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    assert run.new_flag_count == 4


def test_next_months_payroll_pays_nothing_to_the_suspended_case(world, personas):
    from minzheng.payments.models import PaymentLine
    from minzheng.payments.services.payroll import run_generate
    from minzheng.payments.services.payroll import run_start as payroll_start

    start_and_run(personas.county_officer)
    payroll = payroll_start(
        actor=None,
        program="dibao_urban",
        region_code="341503000000",
        month=DEC,
        background=False,
    )
    run_generate(run_id=payroll.pk)
    paid = set(PaymentLine.objects.filter(run=payroll).values_list("case_id", flat=True))
    assert world.county.sole_case.pk not in paid


def test_progress_goes_through_the_stages_in_order(world, personas):
    seen: list[tuple[str, int]] = []
    run = run_start(actor=personas.county_officer, enqueue=False)
    run = run_execute(run, progress=lambda stage, percent: seen.append((stage, percent)))
    stages = [stage for stage, _ in seen]
    assert stages[0] == "导出名册"
    assert stages.index("写入疑点") < stages.index("生成复核任务") < stages.index("已完成")
    assert any(stage.startswith("比对:") for stage in stages)
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents)
    assert percents[-1] == 100


def test_only_operators_in_scope_cancel(world, personas):
    run = run_start(actor=personas.county_officer, enqueue=False)
    with pytest.raises(PermissionDenied):
        run_cancel(actor=personas.township_clerk, run=run)
    with pytest.raises(Http404):
        run_cancel(actor=personas.other_county_officer, run=run)
    cancelled = run_cancel(actor=personas.county_officer, run=run)
    assert cancelled.status == RunStatus.CANCELLED
    assert AuditEvent.objects.filter(action="matching.run_cancel", object_id=str(run.pk)).exists()


def test_a_conflict_in_the_first_runs_copy_falls_back_to_the_general_way(
    world, personas, monkeypatch
):
    from minzheng.matching import landing

    first = start_and_run(personas.county_officer)
    monkeypatch.setattr(landing, "_first_flags_of_rules", lambda con: True)
    second = start_and_run(personas.county_officer)
    assert second.status == RunStatus.DONE, second.message
    assert second.new_flag_count == 0
    assert MatchFlag.objects.count() == first.new_flag_count
    assert set(MatchFlag.objects.values_list("last_run", flat=True)) == {second.pk}
