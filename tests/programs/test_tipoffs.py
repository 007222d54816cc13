"""举报投诉: registered with source and contact, assigned, due in working days, closed with an
investigation whose outcome may open a review of the case."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minzheng.core.models import AuditEvent
from minzheng.programs.models import CaseStatus, Review, ReviewKind, TipOff
from minzheng.programs.services import tipoffs as svc
from minzheng.programs.services.benefits import amount_for_month
from minzheng.programs.services.errors import CaseError
from minzheng.programs.services.reviews import review_complete
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case

pytestmark = pytest.mark.django_db

TODAY = at(2026, 9, 28)  # a Monday before the National Day holidays


def register(actor, **kwargs):
    data = {
        "source": TipOff.Source.HOTLINE,
        "content": "该户家中有小轿车一辆,不符合低保条件",
        "region_code": VILLAGE,
        "reporter_name": "匿名",
        "reporter_contact": "13800000000",
    }
    data.update(kwargs)
    return svc.tipoff_register(actor=actor, **data)


@time_machine.travel(TODAY, tick=False)
def test_it_registers_a_tipoff_due_in_ten_working_days_across_national_day(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household)

    tipoff = register(clerk, case=case, assignee=personas.township_leader)

    # 29, 30 Sep; 1-7 Oct off; 8, 9, 10 (a Saturday worked), 12-16 Oct
    assert tipoff.due_on == datetime.date(2026, 10, 16)
    assert tipoff.due_provisional is False
    assert tipoff.household == family.household
    assert tipoff.status == TipOff.Status.OPEN
    assert tipoff.registered_by == clerk
    event = AuditEvent.objects.get(action="tipoff.register")
    assert event.object_type == "tipoff" and event.object_id == str(tipoff.pk)
    assert event.changes["case"] == case.pk
    assert "13800000000" not in str(event.changes)


@time_machine.travel(at(2026, 12, 24), tick=False)
def test_a_deadline_in_an_unknown_year_is_provisional(personas):
    tipoff = register(personas.township_clerk)
    assert tipoff.due_on == datetime.date(2027, 1, 7)
    assert tipoff.due_provisional is True


@time_machine.travel(TODAY, tick=False)
def test_it_lists_what_is_missing(personas):
    with pytest.raises(CaseError) as err:
        register(personas.township_clerk, source="gossip", content=" ")
    assert set(err.value.errors) == {"source", "content"}


@time_machine.travel(TODAY, tick=False)
def test_the_case_must_lie_in_the_region_and_match_the_household(personas):
    clerk = personas.county_officer
    family = make_family(clerk)
    other = make_family(clerk, region_code=OTHER_TOWNSHIP_VILLAGE)
    case = enrolled_case(clerk, family.household)
    with pytest.raises(CaseError) as err:
        register(clerk, case=case, household=other.household)
    assert err.value.errors == {"case": [svc.TIPOFF_CASE_OTHER_HOUSEHOLD]}
    with pytest.raises(CaseError) as err:
        register(clerk, region_code=OTHER_TOWNSHIP_VILLAGE, household=family.household)
    assert err.value.errors == {"region_code": [svc.TIPOFF_NOT_IN_REGION]}


@time_machine.travel(TODAY, tick=False)
def test_only_handlers_in_scope_register(personas):
    with pytest.raises(PermissionDenied):
        register(personas.village_assistant)
    with pytest.raises(Http404):
        register(personas.other_township_clerk)
    with pytest.raises(CaseError) as err:
        register(personas.township_clerk, assignee=personas.other_township_clerk)
    assert err.value.errors == {"assignee": [svc.TIPOFF_ASSIGNEE_INVALID]}


@time_machine.travel(TODAY, tick=False)
def test_it_is_assigned_with_an_audit_event(personas):
    tipoff = register(personas.township_clerk)
    svc.tipoff_assign(
        actor=personas.county_officer, tipoff=tipoff, assignee=personas.township_leader
    )
    tipoff.refresh_from_db()
    assert tipoff.assignee == personas.township_leader
    event = AuditEvent.objects.get(action="tipoff.assign")
    assert event.changes["assignee"] == [None, "township_leader"]


@time_machine.travel(TODAY, tick=False)
def test_a_complaint_found_true_feeds_a_review_that_suspends_the_case(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household, amount="700.00")
    tipoff = register(clerk, household=family.household)  # names the household only

    svc.tipoff_close(
        actor=clerk,
        tipoff=tipoff,
        investigation="经核查,户主之子名下有小轿车一辆",
        outcome=TipOff.Outcome.SUBSTANTIATED,
        open_review=True,
    )

    tipoff.refresh_from_db()
    assert tipoff.status == TipOff.Status.CLOSED
    assert tipoff.closed_at is not None
    review = tipoff.review
    assert review is not None
    assert (review.case, review.kind, review.status) == (case, ReviewKind.TIP_OFF, "open")
    assert review.evidence["tipoff"] == tipoff.pk
    assert "情况属实" in review.reason
    close = AuditEvent.objects.get(action="tipoff.close")
    assert close.changes == {"outcome": "substantiated", "review": review.pk}
    assert AuditEvent.objects.filter(action="review.create", object_id=str(case.pk)).exists()

    review_complete(
        actor=clerk,
        review=review,
        outcome="suspend",
        outcome_reason="举报属实,车辆情况待进一步核实",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    assert amount_for_month(case, datetime.date(2026, 10, 1)) == Decimal("0.00")


@time_machine.travel(TODAY, tick=False)
def test_an_unfounded_complaint_closes_without_a_review(personas):
    clerk = personas.township_clerk
    tipoff = register(clerk)
    svc.tipoff_close(
        actor=clerk,
        tipoff=tipoff,
        investigation="车辆系亲属所有,已提供证明",
        outcome=TipOff.Outcome.UNSUBSTANTIATED,
        open_review=False,
    )
    tipoff.refresh_from_db()
    assert tipoff.review is None and tipoff.status == TipOff.Status.CLOSED
    assert not Review.objects.exists()
    with pytest.raises(CaseError) as err:
        svc.tipoff_close(
            actor=clerk, tipoff=tipoff, investigation="再查", outcome="partly", open_review=False
        )
    assert "已于2026-09-28办结" in err.value.message
    with pytest.raises(CaseError):
        svc.tipoff_assign(actor=clerk, tipoff=tipoff, assignee=personas.township_leader)


@time_machine.travel(TODAY, tick=False)
def test_a_review_needs_an_enrolled_case(personas):
    clerk = personas.township_clerk
    tipoff = register(clerk)
    with pytest.raises(CaseError) as err:
        svc.tipoff_close(
            actor=clerk,
            tipoff=tipoff,
            investigation="属实",
            outcome="substantiated",
            open_review=True,
        )
    assert err.value.errors == {"open_review": [svc.TIPOFF_NO_CASE_TO_REVIEW]}
    tipoff.refresh_from_db()
    assert tipoff.status == TipOff.Status.OPEN
    with pytest.raises(CaseError) as err:
        svc.tipoff_close(
            actor=clerk, tipoff=tipoff, investigation="", outcome="", open_review=False
        )
    assert set(err.value.errors) == {"investigation", "outcome"}


@time_machine.travel(TODAY, tick=False)
def test_tipoffs_are_listed_within_scope_open_first(personas):
    clerk = personas.township_clerk
    closed = register(clerk)
    svc.tipoff_close(
        actor=clerk,
        tipoff=closed,
        investigation="不实",
        outcome="unsubstantiated",
        open_review=False,
    )
    open_one = register(clerk)

    assert list(svc.tipoff_list(user=clerk)) == [open_one, closed]
    assert list(svc.tipoff_list(user=personas.county_officer, status="open")) == [open_one]
    assert list(svc.tipoff_list(user=personas.other_township_clerk)) == []
    with pytest.raises(Http404):
        svc.tipoff_get(user=personas.other_township_clerk, pk=open_one.pk)
    with pytest.raises(PermissionDenied):
        svc.tipoff_close(
            actor=personas.village_assistant,
            tipoff=open_one,
            investigation="x",
            outcome="partly",
            open_review=False,
        )
    with pytest.raises(Http404):
        svc.tipoff_assign(
            actor=personas.other_township_clerk, tipoff=open_one, assignee=personas.township_clerk
        )
