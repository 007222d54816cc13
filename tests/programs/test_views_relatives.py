"""近亲属备案 pages: the register (scoped, searched by name, current filings first, exported), the
form that files a relative found by ID number within the scope (and marks the household's
cases), and revoking a filing with its reason."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.programs.models import RelativeFiling
from minzheng.programs.services import relatives as svc
from minzheng.programs.services.relatives import (
    RELATIVE_FILED_IN_FUTURE,
    RELATIVE_RELATION_INVALID,
    RELATIVE_REVOKE_REASON_REQUIRED,
    RELATIVE_STAFF_KIND_INVALID,
    RELATIVE_STAFF_NAME_REQUIRED,
)
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, VILLAGE
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case

pytestmark = pytest.mark.django_db

LIST = reverse("programs_mgmt:relative_list")
EXPORT = reverse("programs_mgmt:relative_export")
CREATE = reverse("programs_mgmt:relative_create")
TOWNSHIP = "341503100000"
NOW = at(2026, 5, 10)


def detail_url(f: RelativeFiling) -> str:
    return reverse("programs_mgmt:relative_detail", args=[f.pk])


def revoke_url(f: RelativeFiling) -> str:
    return reverse("programs_mgmt:relative_revoke", args=[f.pk])


def file(actor, person, **kwargs) -> RelativeFiling:
    data = {
        "staff_name": "陈主任",
        "staff_kind": RelativeFiling.StaffKind.TOWNSHIP_STAFF,
        "relation": RelativeFiling.Relation.SIBLING,
        "region_code": TOWNSHIP,
        "valid_from": datetime.date(2026, 5, 1),
    }
    data.update(kwargs)
    return svc.relative_filing_create(actor=actor, person=person, **data)


def form_data(**kwargs) -> dict[str, str]:
    data = {
        "id_number": "",
        "relation": "spouse",
        "staff_name": "",
        "staff_user": "",
        "staff_kind": "village_cadre",
        "staff_position": "村委会主任",
        "region_code": "",
        "valid_from": "2026-05-08",
        "note": "",
    }
    data.update(kwargs)
    return data


@time_machine.travel(NOW, tick=False)
def test_a_relative_is_filed_by_id_number_and_the_case_is_marked(client, personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    case = enrolled_case(clerk, family.household)
    client.force_login(clerk)
    assert client.get(CREATE).status_code == 200
    response = client.post(
        CREATE,
        form_data(
            id_number=family.spouse.id_number.lower(),
            staff_user=str(personas.village_assistant.pk),  # the name comes from the account
        ),
        follow=True,
    )
    html = response.content.decode()
    filing = RelativeFiling.objects.get()
    assert filing.person == family.spouse
    assert filing.staff_user == personas.village_assistant
    assert filing.staff_name == "village"
    assert filing.region_code == personas.village_assistant.region_id
    assert filing.valid_from == datetime.date(2026, 5, 8)
    assert "已登记李秀英为village的近亲属,1个在办或在保案件已标记回避" in html
    case.refresh_from_db()
    assert case.relative_flag
    assert case.number in html  # the household's cases on the filing's page


@time_machine.travel(NOW, tick=False)
def test_the_form_shows_chinese_errors(client, personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    stranger = make_family(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE)
    client.force_login(clerk)
    html = client.post(CREATE, form_data(staff_kind="", relation="")).content.decode()
    assert "请填写近亲属的身份证号码" in html
    html = client.post(CREATE, form_data(id_number="123")).content.decode()
    assert "身份证号码" in html and 'id="id_id_number_error"' in html
    html = client.post(CREATE, form_data(id_number=stranger.head.id_number)).content.decode()
    assert "在您的管辖范围内没有找到该身份证号码的居民" in html
    html = client.post(
        CREATE,
        form_data(
            id_number=family.head.id_number,
            staff_kind="",
            relation="",
            region_code=TOWNSHIP,
            valid_from="2026-06-01",
        ),
    ).content.decode()
    for message in (
        RELATIVE_STAFF_NAME_REQUIRED,
        RELATIVE_STAFF_KIND_INVALID,
        RELATIVE_RELATION_INVALID,
        RELATIVE_FILED_IN_FUTURE,
    ):
        assert message in html
    html = client.post(
        CREATE, form_data(id_number=family.head.id_number, staff_name="刘会计")
    ).content.decode()
    assert "请选择备案区划(工作人员所在单位)" in html
    assert not RelativeFiling.objects.exists()
    # the same relative filed twice for the same worker
    file(clerk, family.head, staff_name="刘会计")
    html = client.post(
        CREATE,
        form_data(id_number=family.head.id_number, staff_name="刘会计", region_code=TOWNSHIP),
    ).content.decode()
    assert "无需重复备案" in html and 'id="id_id_number_error"' in html


@time_machine.travel(NOW, tick=False)
def test_the_register_is_scoped_and_searched_by_name(client, personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    mine = file(clerk, family.spouse)
    theirs = file(
        personas.county_officer,
        make_family(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE).child,
        region_code="341503101000",
        staff_name="赵站长",
    )
    client.force_login(clerk)
    html = client.get(LIST).content.decode()
    assert detail_url(mine) in html and detail_url(theirs) not in html
    assert client.get(detail_url(theirs)).status_code == 404
    client.force_login(personas.county_officer)
    html = client.get(LIST, {"q": "李秀"}).content.decode()
    assert detail_url(mine) in html and detail_url(theirs) not in html
    html = client.get(LIST, {"q": "赵站长"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and detail_url(theirs) in html
    client.force_login(personas.other_county_officer)
    assert client.get(detail_url(mine)).status_code == 404
    assert (
        client.post(revoke_url(mine), {"valid_to": "2026-05-10", "reason": "x"}).status_code == 404
    )


@time_machine.travel(NOW, tick=False)
def test_auditors_read_the_register_and_village_assistants_do_not(client, personas):
    family = make_family(personas.township_clerk)
    filing = file(
        personas.township_clerk, family.spouse, region_code=VILLAGE, staff_kind="village_cadre"
    )
    client.force_login(personas.auditor)
    html = client.get(LIST).content.decode()
    assert detail_url(filing) in html
    assert CREATE not in html
    assert client.get(CREATE).status_code == 403
    page = client.get(detail_url(filing)).content.decode()
    assert revoke_url(filing) not in page
    assert (
        client.post(revoke_url(filing), {"valid_to": "2026-05-10", "reason": "x"}).status_code
        == 403
    )
    # the register is for supervision: the village's own assistant (often the cadre concerned)
    # and the hospital clerk do not read it
    for user in (personas.village_assistant, personas.hospital_clerk):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert client.get(detail_url(filing)).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_a_filing_is_revoked_with_its_reason(client, personas):
    clerk = personas.township_clerk
    filing = file(clerk, make_family(clerk).spouse)
    client.force_login(clerk)
    html = client.post(
        revoke_url(filing), {"valid_to": "2026-05-10", "reason": ""}
    ).content.decode()
    assert RELATIVE_REVOKE_REASON_REQUIRED in html
    html = client.post(revoke_url(filing), {"valid_to": "", "reason": "调离"}).content.decode()
    assert "请填写日期" in html
    html = client.post(
        revoke_url(filing), {"valid_to": "2026-04-01", "reason": "调离"}
    ).content.decode()
    assert "撤销日期不能早于备案日期2026-05-01" in html
    response = client.post(
        revoke_url(filing), {"valid_to": "2026-05-10", "reason": "工作人员已调离"}, follow=True
    )
    assert "已撤销李秀英的近亲属备案(撤销日期2026-05-10)" in response.content.decode()
    filing.refresh_from_db()
    assert filing.valid_to == datetime.date(2026, 5, 10)
    # the register opens on the filings in force; 全部 shows the revoked one
    assert detail_url(filing) not in client.get(LIST).content.decode()
    assert detail_url(filing) in client.get(LIST, {"valid": ""}).content.decode()
    assert detail_url(filing) in client.get(LIST, {"valid": "revoked"}).content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_export_has_the_register(client, personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    file(clerk, family.spouse, staff_position="副镇长")
    client.force_login(clerk)
    response = client.get(EXPORT)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("近亲属", "身份证号码", "亲属关系", "工作人员")
    assert rows[1][:4] == ("李秀英", family.spouse.id_number, "兄弟姐妹", "陈主任")
    assert rows[1][6] == "副镇长"


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@time_machine.travel(NOW, tick=False)
def test_the_list_costs_no_query_per_row(client, personas):
    clerk = personas.township_clerk
    file(clerk, make_family(clerk).spouse)
    client.force_login(clerk)
    one = _queries(client, LIST)
    for _ in range(4):
        file(clerk, make_family(clerk).spouse, staff_user=personas.township_leader)
    assert _queries(client, LIST) == one
