"""举报投诉 pages: registering (the household found by a member's ID number or name, the case by
its number), the list (open first, overdue flagged, exported), and the tip-off's page whose form
closes it — with "转入复核" opening a review of the case."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.programs.models import Review, ReviewKind, TipOff
from minzheng.programs.services import tipoffs as svc
from minzheng.programs.services.tipoffs import (
    TIPOFF_CONTENT_REQUIRED,
    TIPOFF_INVESTIGATION_REQUIRED,
    TIPOFF_NO_CASE_TO_REVIEW,
    TIPOFF_OUTCOME_INVALID,
    TIPOFF_SOURCE_INVALID,
)
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case

pytestmark = pytest.mark.django_db

LIST = reverse("programs_mgmt:tipoff_list")
EXPORT = reverse("programs_mgmt:tipoff_export")
CREATE = reverse("programs_mgmt:tipoff_create")
NOW = at(2026, 9, 28)  # a Monday before the National Day holidays


def detail_url(t: TipOff) -> str:
    return reverse("programs_mgmt:tipoff_detail", args=[t.pk])


def close_url(t: TipOff) -> str:
    return reverse("programs_mgmt:tipoff_close", args=[t.pk])


def register(actor, **kwargs) -> TipOff:
    data = {
        "source": TipOff.Source.HOTLINE,
        "content": "该户家中有小轿车一辆,不符合低保条件",
        "region_code": VILLAGE,
        "reporter_name": "张先生",
        "reporter_contact": "13800000000",
    }
    data.update(kwargs)
    return svc.tipoff_register(actor=actor, **data)


def form_data(**kwargs) -> dict[str, str]:
    data = {
        "source": "phone",
        "reporter_name": "李女士",
        "reporter_contact": "13900000000",
        "content": "户主常年在外务工,收入较高",
        "household_q": "",
        "case_number": "",
        "region_code": "",
        "assignee": "",
    }
    data.update(kwargs)
    return data


@time_machine.travel(NOW, tick=False)
def test_a_tipoff_is_registered_by_a_members_id_number(client, personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    client.force_login(clerk)
    assert client.get(CREATE).status_code == 200
    response = client.post(
        CREATE,
        form_data(household_q=family.spouse.id_number, assignee=str(personas.township_leader.pk)),
    )
    tipoff = TipOff.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(tipoff)
    assert tipoff.household == family.household
    assert tipoff.region_code == VILLAGE  # from the household
    assert tipoff.assignee == personas.township_leader
    assert tipoff.registered_by == clerk
    html = client.get(detail_url(tipoff)).content.decode()
    assert "已登记举报投诉,办理时限2026-10-16" in html
    assert "王大山户" in html and "李女士" in html


@time_machine.travel(NOW, tick=False)
def test_a_tipoff_is_registered_by_case_number(client, personas):
    clerk = personas.township_clerk
    case = enrolled_case(clerk, make_family(clerk).household)
    client.force_login(personas.county_officer)
    client.post(CREATE, form_data(case_number=case.number))
    tipoff = TipOff.objects.get()
    assert tipoff.case == case and tipoff.household == case.household


@time_machine.travel(NOW, tick=False)
def test_several_households_found_are_offered_to_choose_from(client, personas):
    clerk = personas.township_clerk
    first = make_family(clerk)  # both heads are named 王大山
    second = make_family(clerk)
    client.force_login(clerk)
    html = client.post(CREATE, form_data(household_q="王大山")).content.decode()
    assert "找到2户,请在下面选择其中一户" in html
    assert f'value="{first.household.pk}"' in html and f'value="{second.household.pk}"' in html
    assert not TipOff.objects.exists()
    client.post(CREATE, form_data(household_q="王大山", household=str(second.household.pk)))
    assert TipOff.objects.get().household == second.household
    # the live search answers the choices alone
    part = client.get(CREATE, {"household_q": "王大山"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and f'value="{first.household.pk}"' in part


@time_machine.travel(NOW, tick=False)
def test_the_form_shows_chinese_errors(client, personas):
    clerk = personas.township_clerk
    other = make_family(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE)
    client.force_login(clerk)
    html = client.post(
        CREATE, form_data(source="", content="", region_code=VILLAGE)
    ).content.decode()
    assert TIPOFF_SOURCE_INVALID in html and TIPOFF_CONTENT_REQUIRED in html
    html = client.post(CREATE, form_data()).content.decode()
    assert "请选择涉及区划,或填写涉及的家庭、案件" in html
    # a household of another township is not found for this clerk
    html = client.post(CREATE, form_data(household_q=other.head.id_number)).content.decode()
    assert "在您的管辖范围内没有找到该家庭" in html
    html = client.post(CREATE, form_data(case_number="XX0001")).content.decode()
    assert "没有案件编号为“XX0001”的案件" in html
    assert not TipOff.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_pages_are_for_the_staff_who_handle_them(client, personas):
    tipoff = register(personas.township_clerk)
    for user in (personas.township_clerk, personas.county_leader, personas.auditor):
        client.force_login(user)
        assert client.get(LIST).status_code == 200, user
        assert client.get(detail_url(tipoff)).status_code == 200, user
    client.force_login(personas.auditor)
    assert client.get(CREATE).status_code == 403
    assert 'name="investigation"' not in client.get(detail_url(tipoff)).content.decode()
    for user in (personas.village_assistant, personas.system_admin, personas.hospital_clerk):
        client.force_login(user)
        assert client.get(LIST).status_code == 403, user
        assert client.get(detail_url(tipoff)).status_code == 403, user
    for user in (personas.other_township_clerk, personas.other_county_officer):
        client.force_login(user)
        assert client.get(detail_url(tipoff)).status_code == 404, user
        assert tipoff.content[:10] not in client.get(LIST).content.decode()
        response = client.post(close_url(tipoff), {"investigation": "x", "outcome": "partly"})
        assert response.status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_list_puts_open_ones_first_and_flags_the_overdue(client, personas):
    clerk = personas.township_clerk
    closed = register(clerk, content="已办结的一件举报")
    svc.tipoff_close(
        actor=clerk,
        tipoff=closed,
        investigation="查无此事",
        outcome="unsubstantiated",
        open_review=False,
    )
    late = register(clerk, content="超期未办的一件举报")
    TipOff.objects.filter(pk=late.pk).update(due_on=at(2026, 9, 21).date())
    fresh = register(clerk, content="刚登记的一件举报")
    client.force_login(clerk)
    html = client.get(LIST).content.decode()
    assert html.index("超期未办") < html.index("刚登记") < html.index("已办结的")
    assert "已超期 4 个工作日" in html  # 22-24 and 28 September: the 25th is 中秋节
    assert "1 件已超期" in html
    html = client.get(LIST, {"status": "open", "overdue": "on"}).content.decode()
    assert "超期未办" in html and "刚登记" not in html
    assert detail_url(fresh) not in html


@time_machine.travel(NOW, tick=False)
def test_closing_with_a_review_opens_the_review_of_the_case(client, personas):
    clerk = personas.township_clerk
    case = enrolled_case(clerk, make_family(clerk).household)
    tipoff = register(clerk, household=case.household)
    client.force_login(clerk)
    response = client.post(
        close_url(tipoff),
        {
            "investigation": "入户核实:确有小轿车一辆",
            "outcome": "substantiated",
            "open_review": "on",
        },
        follow=True,
    )
    html = response.content.decode()
    assert f"已办结举报投诉,并为案件{case.number}生成复核任务" in html
    tipoff.refresh_from_db()
    review = Review.objects.get(case=case)
    assert tipoff.status == TipOff.Status.CLOSED and tipoff.review == review
    assert review.kind == ReviewKind.TIP_OFF
    assert reverse("programs_mgmt:review_detail", args=[review.pk]) in html
    # the review page links back to the tip-off
    html = client.get(reverse("programs_mgmt:review_detail", args=[review.pk])).content.decode()
    assert detail_url(tipoff) in html
    assert "入户核实:确有小轿车一辆" in html


@time_machine.travel(NOW, tick=False)
def test_the_close_form_shows_the_services_errors(client, personas):
    clerk = personas.township_clerk
    tipoff = register(clerk)  # about a region, no household or case
    client.force_login(clerk)
    html = client.post(close_url(tipoff), {"investigation": "", "outcome": ""}).content.decode()
    assert TIPOFF_INVESTIGATION_REQUIRED in html and TIPOFF_OUTCOME_INVALID in html
    html = client.post(
        close_url(tipoff), {"investigation": "属实", "outcome": "partly", "open_review": "on"}
    ).content.decode()
    assert TIPOFF_NO_CASE_TO_REVIEW in html
    tipoff.refresh_from_db()
    assert tipoff.status == TipOff.Status.OPEN
    assert not Review.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_tipoff_is_assigned_from_its_page(client, personas):
    clerk = personas.township_clerk
    tipoff = register(clerk)
    client.force_login(clerk)
    url = reverse("programs_mgmt:tipoff_assign", args=[tipoff.pk])
    response = client.post(url, {"assignee": str(personas.county_officer.pk)}, follow=True)
    assert "已指定承办人:county" in response.content.decode()
    tipoff.refresh_from_db()
    assert tipoff.assignee == personas.county_officer
    html = client.post(url, {"assignee": str(personas.other_township_clerk.pk)}).content.decode()
    assert "请从列表中选择" in html


@time_machine.travel(NOW, tick=False)
def test_the_export_has_the_tipoffs_in_scope(client, personas):
    register(personas.township_clerk, content="导出的一件举报")
    register(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE, content="别的乡镇")
    client.force_login(personas.township_clerk)
    response = client.get(EXPORT)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("登记时间", "来源", "举报人")
    assert [r[4] for r in rows[1:]] == ["导出的一件举报"]
    assert rows[1][1] == "12345热线"


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@time_machine.travel(NOW, tick=False)
def test_the_list_costs_no_query_per_row(client, personas):
    clerk = personas.township_clerk
    register(clerk, household=make_family(clerk).household, assignee=personas.township_leader)
    client.force_login(clerk)
    one = _queries(client, LIST)
    for _ in range(4):
        case = enrolled_case(clerk, make_family(clerk).household)
        register(clerk, case=case, assignee=personas.county_officer)
    assert _queries(client, LIST) == one
