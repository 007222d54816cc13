"""The case engine's lists cost the same number of queries for one row as for several."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minzheng.programs.models import Case, CaseStatus
from minzheng.programs.services import cases as case_services
from minzheng.programs.services.relatives import relative_filing_create
from minzheng.programs.services.reviews import review_create
from minzheng.programs.services.standards import standard_set
from minzheng.programs.services.tipoffs import tipoff_register
from minzheng.registry.services import member_add
from tests.api.case_support import START, Applicants
from tests.api.conftest import ApiFor
from tests.conftest import VILLAGE, Personas
from tests.factories import make_person

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(START, tick=False)]

LISTS = [
    "/api/v1/cases/",
    "/api/v1/inbox/",
    "/api/v1/overdue/",
    "/api/v1/reviews/",
    "/api/v1/tip-offs/",
    "/api/v1/relative-filings/",
    "/api/v1/standards/",
]


def add_rows(personas: Personas, n: int) -> None:
    """n households, each with a 低保 case at the window, a paying 特困 case under review, a
    tip-off and a relative filing; and n standard rows."""
    clerk = personas.township_clerk
    for i in range(n):
        family = Applicants(clerk, VILLAGE)
        common = {"actor": clerk, "household": family.household}
        case_services.case_accept(**common, applicant=family.head, program="dibao_rural")
        tekun = case_services.case_accept(
            **common,
            applicant=family.spouse,
            program="tekun",
            details={"has_able_supporter": False},
        )
        Case.objects.filter(pk=tekun.pk).update(status=CaseStatus.ACTIVE)
        tekun.status = CaseStatus.ACTIVE
        review_create(actor=clerk, case=tekun, kind="other", reason="抽查")
        tipoff_register(
            actor=clerk, source="phone", content="反映", region_code=VILLAGE, case=tekun
        )
        relative_filing_create(
            actor=clerk,
            person=family.child,
            staff_name=f"干部{i}",
            staff_kind="village_cadre",
            relation="child",
            region_code=VILLAGE,
            valid_from=datetime.date(2026, 1, 1),
        )
        standard_set(
            actor=personas.county_officer,
            program="dibao_rural",
            parameter="monthly_standard",
            region_code="341503000000",
            valid_from=datetime.date(2020 + i, 1, 1),
            value="790",
        )


def queries(api_for: ApiFor, personas: Personas, url: str) -> int:
    client = api_for(personas.township_clerk)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return len(ctx)


@pytest.mark.parametrize("url", LISTS)
def test_a_list_costs_no_query_per_row(personas: Personas, api_for: ApiFor, url: str) -> None:
    add_rows(personas, 1)
    few = queries(api_for, personas, url)
    add_rows(personas, 3)
    assert queries(api_for, personas, url) == few


def test_a_case_costs_no_query_per_step_or_member(personas: Personas, api_for: ApiFor) -> None:
    add_rows(personas, 1)
    small = Case.objects.order_by("id").first()
    assert small is not None
    few = queries(api_for, personas, f"/api/v1/cases/{small.pk}/")
    clerk = personas.township_clerk
    big = Applicants(clerk, VILLAGE)
    for name in ("王一", "王二", "王三"):
        member_add(
            actor=clerk,
            household=big.household,
            person=make_person(clerk, region_code=VILLAGE, name=name),
            relationship="child",
            valid_from=datetime.date(2021, 1, 1),
        )
    case = case_services.case_accept(
        actor=clerk, household=big.household, applicant=big.head, program="dibao_rural"
    )
    case_services.step_complete(actor=clerk, case=case, code="authorization", data={"signed": True})
    assert queries(api_for, personas, f"/api/v1/cases/{case.pk}/") == few
