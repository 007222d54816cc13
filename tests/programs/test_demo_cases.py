"""The demo county's cases (`programs.demo.demo_cases`): how many of each there are, and that
each is what the case services would have written (steps, statuses, amounts the policies
compute again, benefit periods, grants, audit events)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from minzheng.core.models import AuditEvent, Region, User
from minzheng.programs import pdf
from minzheng.programs.deadlines import first_of_next_month
from minzheng.programs.demo import DEMO_VILLAGE, DemoCasesResult, demo_cases
from minzheng.programs.models import (
    BenefitPeriod,
    Case,
    CaseStatus,
    Grant,
    RelativeFiling,
    ReviewOutcome,
    Standard,
    StepStatus,
)
from minzheng.programs.selectors import inbox_steps, overdue_by_township
from minzheng.programs.services.benefits import case_calculate
from minzheng.registry.demo_load import demo_load, demo_users_ensure
from minzheng.registry.models import Household

pytestmark = pytest.mark.django_db
HOUSEHOLDS = 1200
COUNTY = "341503"


@dataclass
class Demo:
    result: DemoCasesResult
    households: int
    today: datetime.date


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Demo]:
    """The demo county with its users and cases, loaded once for this module inside a
    transaction rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo_load(households=HOUSEHOLDS, seed=7)
        demo_users_ensure()
        result = demo_cases(county_code=COUNTY, seed=7, count_hint=HOUSEHOLDS)
        households = Household.objects.filter(region_code__startswith=COUNTY).count()
        yield Demo(result, households, timezone.localdate())
        transaction.set_rollback(True)


def county_cases():
    return Case.objects.filter(region_code__startswith=COUNTY)


def test_it_has_the_bureaus_mix_of_cases(demo):
    r = demo.result
    assert not r.skipped
    assert r.standards > 0
    assert Standard.objects.filter(region_code="341503000000").count() == r.standards
    # about 4% of households on 低保, 0.6% of persons 特困, the rest of each kind
    assert 0.03 * demo.households <= r.dibao <= 0.045 * demo.households
    assert r.tekun >= 5
    assert r.temporary >= 3 and r.in_progress >= 10
    assert r.refused >= 1 and r.terminated >= 1 and r.relatives >= 1
    cases = county_cases()
    assert cases.filter(status=CaseStatus.ACTIVE, program__startswith="dibao").count() == r.dibao
    assert cases.filter(status=CaseStatus.ACTIVE, program="tekun").count() == r.tekun
    assert cases.filter(status=CaseStatus.IN_PROGRESS).count() == r.in_progress
    assert set(cases.values_list("program", flat=True)) == {
        "dibao_urban",
        "dibao_rural",
        "tekun",
        "temporary_emergency",
        "temporary_expense",
    }
    tekun = cases.filter(program="tekun", status=CaseStatus.ACTIVE)
    centralized = tekun.filter(support_mode="centralized").count()
    assert 0 < centralized < tekun.count() - centralized  # mostly dispersed, some in care homes
    # urban 低保 only in communities, rural only in villages
    for case in cases.filter(program__startswith="dibao"):
        urban = Region.objects.get(code=case.region_code).is_urban
        assert case.program == ("dibao_urban" if urban else "dibao_rural")


def test_paying_cases_are_what_the_services_would_have_written(demo):
    paying = county_cases().filter(status=CaseStatus.ACTIVE).prefetch_related("steps")
    now = timezone.now()
    for case in paying:
        steps = list(case.steps.all())
        assert {s.status for s in steps} <= {StepStatus.DONE, StepStatus.SKIPPED}
        assert case.current_step == "" and case.decision == "approve" and case.decided_at
        decided_on = timezone.localdate(case.decided_at)
        assert case.start_month == first_of_next_month(decided_on)
        assert case.monthly_amount > 0
        # the policy, through the services' own selectors, finds the same amount today
        assert case_calculate(case=case, as_of=demo.today).amount == case.monthly_amount
        assert Decimal(case.calculation["amount"]) == case.monthly_amount
        period = BenefitPeriod.objects.get(case=case)
        assert (period.valid_from, period.monthly_amount, period.reason) == (
            case.start_month,
            case.monthly_amount,
            BenefitPeriod.Reason.APPROVAL,
        )
        assert case.next_review_on and case.next_review_on > case.start_month
        for step in steps:
            if step.status == StepStatus.DONE:
                assert case.accepted_at <= step.completed_at <= now
                assert step.opened_on <= timezone.localdate(step.completed_at)
        notice = next(s for s in steps if s.code == "public_notice")
        assert notice.data["ends_on"] < timezone.localdate(notice.completed_at).isoformat()
        survey = next(s for s in steps if s.code == "survey")
        assert len(survey.data["surveyors"]) == 2
        actions = set(
            AuditEvent.objects.filter(object_type="case", object_id=str(case.pk)).values_list(
                "action", flat=True
            )
        )
        assert {"case.accept", "case.step_complete", "case.approve", "case.enroll"} <= actions


def test_cases_in_progress_wait_at_one_step_some_overdue(demo):
    today = demo.today
    for case in county_cases().filter(status=CaseStatus.IN_PROGRESS).prefetch_related("steps"):
        steps = sorted(case.steps.all(), key=lambda s: s.seq)
        (current,) = [s for s in steps if s.status == StepStatus.OPEN]
        assert case.current_step == current.code
        assert current.opened_on <= today and current.due_on
        before = [s for s in steps if s.seq < current.seq]
        after = [s for s in steps if s.seq > current.seq]
        assert all(s.status in (StepStatus.DONE, StepStatus.SKIPPED) for s in before)
        assert all(s.status in (StepStatus.WAITING, StepStatus.SKIPPED) for s in after)
        verified = any(s.code == "verification" and s.status == StepStatus.DONE for s in steps)
        if case.program in ("dibao_urban", "dibao_rural", "tekun"):
            # the amount is worked out once the data check is done, not before
            assert (case.monthly_amount > 0) == verified
            assert bool(case.calculation) == verified
    officer = User.objects.get(username="xian")
    rows = overdue_by_township(user=officer, day=today)
    assert sum(row.overdue_steps for row in rows) >= 2
    assert inbox_steps(user=officer).exists()
    assert inbox_steps(user=User.objects.get(username="zhen")).exists()


def test_the_demo_village_has_a_notice_list(demo):
    assistant = User.objects.get(username="cun")
    sections = pdf.notice_sections(user=assistant, region_code=DEMO_VILLAGE, day=demo.today)
    assert sections and all(row.amount.endswith("元/月") for s in sections for row in s.rows)


def test_one_off_aid_refusals_and_terminations(demo):
    for case in county_cases().filter(program__startswith="temporary", status=CaseStatus.CLOSED):
        grant = Grant.objects.get(case=case)
        assert grant.amount == case.one_off_amount > 0
        assert grant.paid_first == (case.program == "temporary_emergency")
        assert grant.granted_on <= demo.today
        assert all(s.status in (StepStatus.DONE, StepStatus.SKIPPED) for s in case.steps.all())
    for case in county_cases().filter(status=CaseStatus.REFUSED):
        assert case.decision == "refuse" and "不符合" in case.decision_reason
        decision = case.steps.get(code="decision")
        assert (decision.status, decision.data["letter"]) == (StepStatus.DONE, "refusal")
        assert case.steps.get(code="county_approval").status == StepStatus.SKIPPED
    for case in county_cases().filter(status=CaseStatus.TERMINATED):
        assert case.end_month and case.reviews.filter(outcome=ReviewOutcome.TERMINATE).exists()
        stop = BenefitPeriod.objects.get(case=case, reason=BenefitPeriod.Reason.TERMINATION)
        assert stop.monthly_amount == 0 and stop.valid_from == first_of_next_month(case.end_month)


@pytest.mark.skipif(not pdf.cjk_fonts(), reason=pdf.PDF_NO_CJK_FONT)
def test_every_kind_of_decision_letter_prints(demo):
    officer = User.objects.get(username="xian")
    for status in (CaseStatus.ACTIVE, CaseStatus.REFUSED, CaseStatus.TERMINATED):
        case = county_cases().filter(status=status).first()
        assert pdf.decision_letter_pdf(user=officer, case=case).startswith(b"%PDF")


def test_relatives_are_filed_and_their_cases_marked(demo):
    filings = RelativeFiling.objects.filter(region_code__startswith=COUNTY)
    assert filings.count() == demo.result.relatives
    for filing in filings:
        assert county_cases().filter(applicant=filing.person, relative_flag=True).exists()


def test_a_second_run_leaves_the_county_alone(demo):
    again = demo_cases(county_code=COUNTY, seed=7, count_hint=HOUSEHOLDS)
    assert again.skipped and "跳过" in again.summary()
    assert demo_cases(county_code=COUNTY, seed=7, count_hint=0) == DemoCasesResult()


def test_the_demos_day_table_counts_as_the_deadlines_module(db):
    """The demo counts deadlines from its own day table; it must agree with the engine's,
    across the Spring Festival and into a year the calendar does not know yet."""
    from minzheng.programs import deadlines
    from minzheng.programs import demo as module

    module._DAYS.clear()
    starts = [datetime.date(2026, 2, 10) + datetime.timedelta(days=i) for i in range(0, 30, 3)]
    starts += [datetime.date(2026, 12, 20) + datetime.timedelta(days=i) for i in range(0, 14, 2)]
    for start in starts:
        for n in (0, 1, 3, 7, 10, 15):
            assert module.working_deadline(start, n) == deadlines.working_deadline(start, n)
            assert module.calendar_deadline(start, n) == deadlines.calendar_deadline(start, n)
