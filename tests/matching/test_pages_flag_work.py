"""Working a flag from its page through the services: dismissed with the reason (the review
continues), a candidate referred, a case flag confirmed concluding its review; the audit
events on the page."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from minzheng.matching.models import FlagStatus, MatchFlag
from minzheng.programs.models import Review, ReviewKind
from tests.matching.pages_world import make_dataset, make_flag, make_run
from tests.matching.support import county_for
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 23), tick=False):
        yield


@pytest.fixture
def county(regions, personas):
    return county_for(personas)


@pytest.fixture
def run(personas, county):
    return make_run(personas.county_officer, rules=["vehicle", "age_allowance_missing"])


def review_of(flag: MatchFlag) -> Review:
    review = Review.objects.create(
        case=flag.case,
        kind=ReviewKind.DATA_MATCHING,
        reason=flag.summary,
        due_on=datetime.date(2026, 12, 14),
    )
    MatchFlag.objects.filter(pk=flag.pk).update(review=review)
    return review


def test_a_flag_is_dismissed_with_its_reason(client, personas, county, run):
    vehicles = make_dataset(personas.county_officer, "vehicle")
    flag = make_flag(run, "vehicle", county.head, county.family_case, dataset=vehicles)
    review = review_of(flag)
    client.force_login(personas.township_clerk)
    page = reverse("matching:flag_detail", args=[flag.pk])
    assert (
        reverse("programs_mgmt:review_detail", args=[review.pk])
        in client.get(page).content.decode()
    )
    response = client.post(
        reverse("matching:flag_dismiss", args=[flag.pk]), {"reason": "车辆已于2025年3月过户给他人"}
    )
    assert response.status_code == 302 and response.url == page
    flag.refresh_from_db()
    review.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED and flag.worked_by == personas.township_clerk
    assert review.status == Review.Status.DONE and review.outcome == "continue"
    html = client.get(page).content.decode()
    assert "核实不属实" in html and "车辆已于2025年3月过户给他人" in html
    assert "疑点核实不属实" in html  # the audit event
    assert "核实不属实</button>" not in html


def test_a_candidate_is_referred(client, personas, county, run):
    flag = make_flag(run, "age_allowance_missing", county.elder, program="age_allowance")
    client.force_login(personas.township_clerk)
    response = client.post(
        reverse("matching:flag_confirm", args=[flag.pk]),
        {"outcome": "referred", "reason": "入户核实,本人未申请高龄津贴,已告知申请"},
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CONFIRMED and flag.outcome == "referred"
    html = client.get(response.url).content.decode()
    assert "建议纳入" in html and "疑点核实属实" in html


def test_a_case_flag_confirmed_concludes_its_review(client, personas, county, run):
    flag = make_flag(run, "vehicle", county.head, county.family_case)
    review = review_of(flag)
    client.force_login(personas.township_clerk)
    response = client.post(
        reverse("matching:flag_confirm", args=[flag.pk]),
        {"outcome": "suspend", "reason": "名下轿车一辆,价值8.5万元,超过财产限定"},
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    flag.refresh_from_db()
    review.refresh_from_db()
    assert flag.status == FlagStatus.CONFIRMED and flag.outcome == "suspend"
    assert review.status == Review.Status.DONE and review.outcome == "suspend"


def test_a_candidate_cannot_be_confirmed_with_a_case_outcome(client, personas, county, run):
    flag = make_flag(run, "age_allowance_missing", county.elder, program="age_allowance")
    client.force_login(personas.township_clerk)
    response = client.post(
        reverse("matching:flag_confirm", args=[flag.pk]), {"outcome": "terminate", "reason": "x"}
    )
    assert response.status_code == 200
    assert MatchFlag.objects.get(pk=flag.pk).status == FlagStatus.OPEN
