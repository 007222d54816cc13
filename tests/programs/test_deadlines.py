"""Step deadlines count working days across the Spring Festival and National Day with their
make-up weekends, notices count calendar days, and a year the calendar does not know yet gives a
provisional deadline instead of a crash."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from minzheng.programs.deadlines import Deadline, calendar_deadline, working_deadline
from minzheng.programs.services import cases as svc
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # 2026 Spring Festival: 15-23 Feb off, Saturday 14 Feb and Saturday 28 Feb worked
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 3, D(2026, 2, 25)),
        (D(2026, 2, 13), 10, D(2026, 3, 5)),  # 28 Feb (Saturday) counts
        # 2026 Mid-Autumn 25-27 Sep and National Day 1-7 Oct; Sunday 20 Sep, Saturday 10 Oct worked
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 24), 3, D(2026, 9, 30)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
    ],
)
def test_working_days_skip_holidays_and_count_make_up_days(start, days, due):
    assert working_deadline(start, days) == Deadline(due)


def test_a_notice_ending_in_a_holiday_ends_on_the_next_working_day():
    # posted 28 Sep, 7 days run to 5 Oct, inside the National Day holiday -> 8 Oct
    assert calendar_deadline(D(2026, 9, 28), 7) == Deadline(D(2026, 10, 8))
    assert calendar_deadline(D(2026, 3, 2), 7) == Deadline(D(2026, 3, 9))


def test_a_deadline_in_an_unknown_year_is_provisional():
    deadline = working_deadline(D(2026, 12, 24), 10)
    assert deadline.provisional
    assert deadline.due_on == D(2027, 1, 7)  # Monday to Friday, holidays unknown


@time_machine.travel(at(2026, 2, 13), tick=False)
def test_a_case_accepted_before_the_spring_festival_is_due_after_it(personas, family, standards):
    case = svc.case_accept(
        actor=personas.township_clerk,
        household=family.household,
        applicant=family.head,
        program="dibao_rural",
    )
    step = case.steps.get(code="authorization")
    assert (step.opened_on, step.due_on, step.due_provisional) == (
        D(2026, 2, 13),
        D(2026, 2, 25),
        False,
    )
    case.refresh_from_db()
    assert case.due_on == D(2026, 4, 2)  # 30 working days (14 and 28 Feb count)


@time_machine.travel(at(2026, 9, 24), tick=False)
def test_a_step_opened_before_national_day_is_due_after_it(personas, family, standards):
    case = svc.case_accept(
        actor=personas.township_clerk,
        household=family.household,
        applicant=family.head,
        program="dibao_rural",
    )
    assert case.steps.get(code="authorization").due_on == D(2026, 9, 30)
    svc.step_complete(
        actor=personas.township_clerk, case=case, code="authorization", data={"signed": True}
    )
    survey = case.steps.get(code="survey")
    # 10 working days from 24 Sep: 28, 29, 30 Sep, 8, 9, 10 (Sat), 12, 13, 14, 15 Oct
    assert survey.due_on == D(2026, 10, 15)


@time_machine.travel(at(2026, 12, 1), tick=False)
def test_a_case_running_into_2027_is_marked_provisional(personas, family, standards):
    case = svc.case_accept(
        actor=personas.township_clerk,
        household=family.household,
        applicant=family.head,
        program="dibao_rural",
    )
    case.refresh_from_db()
    assert case.due_provisional
    assert case.due_on.year == 2027


@time_machine.travel(at(2026, 3, 2), tick=False)
def test_a_county_may_post_notices_longer_than_seven_days(personas, family, standards):
    from decimal import Decimal

    from minzheng.programs.models import Standard

    Standard.objects.create(
        program="dibao_rural",
        parameter="deadline_public_notice",
        region_code="341503000000",
        valid_from=D(2026, 1, 1),
        value=Decimal(10),
    )
    clerk, officer = personas.township_clerk, personas.county_officer
    case = svc.case_accept(
        actor=clerk, household=family.household, applicant=family.head, program="dibao_rural"
    )
    svc.step_complete(actor=clerk, case=case, code="authorization", data={"signed": True})
    svc.step_complete(
        actor=clerk,
        case=case,
        code="survey",
        data={"surveyors": ["张敏", "刘伟"], "visited_on": "2026-03-02"},
    )
    svc.step_complete(actor=officer, case=case, code="verification", outcome="pass")
    svc.step_complete(actor=clerk, case=case, code="township_review", outcome="approve")
    notice = case.steps.get(code="public_notice")
    assert notice.data["ends_on"] == "2026-03-12"
    assert notice.due_on == D(2026, 3, 13)  # closed the working day after
