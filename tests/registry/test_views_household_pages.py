"""The household list and page: filters, paging and export within scope; members on any date;
declarations with their sums; the history told in Chinese; numbers masked per role."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.core.idnumbers import mask_id_number
from minzheng.registry.services import (
    declaration_create,
    household_update,
    member_add,
    member_remove,
    person_update,
)
from tests.conftest import OTHER_TOWNSHIP_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import make_household, make_person, new_id_number

LIST = reverse("registry:household_list")


def detail(household, **params):
    return reverse("registry:household_detail", args=[household.pk]), params


@pytest.fixture
def family(personas):
    """王大 (head, 1960) with his wife 李二 and son 王小 (joined 2021, left 2024)."""
    actor = personas.village_assistant
    head = make_person(
        actor,
        region_code=VILLAGE,
        name="王大",
        id_number=new_id_number(birth=datetime.date(1960, 3, 1)),
    )
    household = make_household(
        actor,
        region_code=VILLAGE,
        head=head,
        bank_name="农业银行",
        bank_account_name="王大",
        bank_account_number="6228480012345678901",
    )
    wife = make_person(
        actor, region_code=VILLAGE, name="李二", disability_category="physical", disability_grade=2
    )
    son = make_person(actor, region_code=VILLAGE, name="王小")
    member_add(
        actor=actor,
        household=household,
        person=wife,
        relationship="spouse",
        valid_from=datetime.date(2020, 1, 1),
        join_reason="marriage",
    )
    membership = member_add(
        actor=actor,
        household=household,
        person=son,
        relationship="child",
        valid_from=datetime.date(2021, 6, 1),
        join_reason="birth",
    )
    member_remove(
        actor=actor,
        membership=membership,
        valid_to=datetime.date(2024, 9, 1),
        leave_reason="move_out",
        reason="外出务工迁出",
    )
    return {"household": household, "head": head, "wife": wife, "son": son}


def test_the_list_filters_by_region_and_by_head_or_member(client, personas, family):
    make_household(
        personas.township_clerk,
        region_code=OTHER_VILLAGE_SAME_TOWNSHIP,
        head=make_person(
            personas.township_clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP, name="赵甲"
        ),
    )
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert "王大" in html and "赵甲" in html
    html = client.get(LIST, {"region": VILLAGE}).content.decode()
    assert "王大" in html and "赵甲" not in html
    html = client.get(LIST, {"q": "李二"}).content.decode()  # a member finds the household
    assert "王大" in html and "赵甲" not in html
    html = client.get(LIST, {"region": "341503100000"}).content.decode()  # the township
    assert "王大" in html and "赵甲" in html


def test_the_township_filter_keeps_only_that_townships_villages(client, personas, family):
    other = make_household(
        personas.county_officer,
        region_code=OTHER_TOWNSHIP_VILLAGE,
        head=make_person(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE, name="钱乙"),
    )
    client.force_login(personas.county_officer)
    rows = client.get(LIST, {"region": "341503100000"}).context["rows"]
    assert [r.household.pk for r in rows] == [family["household"].pk]
    rows = client.get(LIST, {"region": "341503101000"}).context["rows"]
    assert [r.household.pk for r in rows] == [other.pk]


def test_an_assistant_lists_only_the_village_and_cannot_open_others(client, personas, family):
    other = make_household(personas.township_clerk, region_code=OTHER_VILLAGE_SAME_TOWNSHIP)
    client.force_login(personas.village_assistant)
    rows = client.get(LIST).context["rows"]
    assert [r.household.pk for r in rows] == [family["household"].pk]
    assert client.get(reverse("registry:household_detail", args=[other.pk])).status_code == 404
    # asking for a region outside the scope does not widen the list
    rows = client.get(LIST, {"region": OTHER_VILLAGE_SAME_TOWNSHIP}).context["rows"]
    assert [r.household.pk for r in rows] == [family["household"].pk]


def test_the_list_is_paged_and_counts_current_members(client, personas, family):
    for _ in range(21):
        make_household(personas.village_assistant, region_code=VILLAGE)
    client.force_login(personas.village_assistant)
    response = client.get(LIST)
    assert response.context["page"].paginator.num_pages == 2
    assert len(response.context["rows"]) == 20
    counts = {r.household.pk: r.member_count for r in response.context["rows"]}
    assert counts[family["household"].pk] == 2  # the son has left


def test_the_household_export_has_only_rows_in_scope(client, personas, family):
    make_household(personas.county_officer, region_code=OTHER_TOWNSHIP_VILLAGE)
    client.force_login(personas.village_assistant)
    response = client.get(reverse("registry:household_export"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("户主", "户主身份证号码", "所在村(社区)")
    assert len(rows) == 2
    assert rows[1][0] == "王大"
    assert rows[1][1] == mask_id_number(family["head"].id_number)
    assert rows[1][8] == "6228***********8901"


def test_the_page_shows_members_and_masks_numbers_for_an_assistant(client, personas, family):
    client.force_login(personas.village_assistant)
    html = client.get(
        reverse("registry:household_detail", args=[family["household"].pk])
    ).content.decode()
    assert "6228***********8901" in html
    assert "6228480012345678901" not in html
    assert mask_id_number(family["wife"].id_number) in html
    assert "肢体残疾2级" in html
    assert "配偶" in html


def test_a_township_clerk_sees_numbers_in_full(client, personas, family):
    client.force_login(personas.township_clerk)
    html = client.get(
        reverse("registry:household_detail", args=[family["household"].pk])
    ).content.decode()
    assert "6228480012345678901" in html
    assert family["wife"].id_number in html


def test_the_household_can_be_seen_as_of_any_date(client, personas, family):
    client.force_login(personas.village_assistant)
    url = reverse("registry:household_detail", args=[family["household"].pk])
    names = lambda r: sorted(row.person.name for row in r.context["members"])  # noqa: E731
    assert names(client.get(url)) == ["李二", "王大"]
    assert names(client.get(url, {"on": "2022-01-01"})) == ["李二", "王大", "王小"]
    assert names(client.get(url, {"on": "2019-06-01"})) == []
    fragment = client.get(url, {"on": "2022-01-01"}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="members"')
    assert "2022-01-01的家庭成员" in html


def test_declarations_show_incomes_per_member_and_kind_with_the_three_sums(
    client, personas, family
):
    declaration_create(
        actor=personas.village_assistant,
        household=family["household"],
        declared_on=datetime.date(2025, 3, 1),
        incomes=[
            {"person": family["head"], "kind": "wages", "monthly_amount": "1200.50"},
            {"person": family["wife"], "kind": "business", "monthly_amount": "300"},
            {"person": family["wife"], "kind": "basic_pension", "monthly_amount": "150"},
            {"person": family["wife"], "kind": "deduction_medical", "monthly_amount": "80"},
        ],
        assets=[{"kind": "deposit", "value": "20000"}, {"kind": "vehicle", "value": "35000.5"}],
    )
    client.force_login(personas.village_assistant)
    response = client.get(reverse("registry:household_detail", args=[family["household"].pk]))
    (view,) = response.context["declarations"]
    assert view.counted == Decimal("1500.50")
    assert view.excluded == Decimal("150.00")
    assert view.deductions == Decimal("80.00")
    assert view.asset_total == Decimal("55000.50")
    assert view.kind_labels == [
        "工资性收入",
        "经营净收入",
        "城乡居民基础养老金(不计入)",
        "因病因残刚性支出(扣减)",
    ]
    html = response.content.decode()
    assert "1,500.50" in html and "55,000.50" in html


def test_the_history_reads_in_chinese_with_field_names_and_values(client, personas, family):
    actor = personas.village_assistant
    household_update(
        actor=actor, household=family["household"], data={"address": "陶洪村新址8号"}, reason="搬迁"
    )
    person_update(
        actor=actor,
        person=family["wife"],
        data={"marital_status": "married"},
        reason="登记婚姻状况",
    )
    client.force_login(actor)
    response = client.get(reverse("registry:household_detail", args=[family["household"].pk]))
    entries = response.context["history"]
    actions = [e.action for e in entries]
    assert "修改家庭信息" in actions and "增加家庭成员" in actions and "减少家庭成员" in actions
    update = next(e for e in entries if e.action == "修改家庭信息")
    assert update.reason == "搬迁"
    change = next(c for c in update.changes if c.label == "家庭住址")
    assert change.after == "陶洪村新址8号"
    wife = next(e for e in entries if e.action == "修改居民信息")
    assert wife.subject == "李二"
    assert [(c.label, c.before, c.after) for c in wife.changes] == [("婚姻状况", "—", "已婚")]
    leave = next(e for e in entries if e.action == "减少家庭成员")
    labels = {c.label: c.after for c in leave.changes}
    assert labels["离开原因"] == "迁出"
    before = {c.label: c.before for c in leave.changes}
    assert before["成员"] == f"王小({mask_id_number(family['son'].id_number)})"
    html = response.content.decode()
    assert "婚姻状况" in html and "household.update" not in html


def test_a_region_outside_the_scope_is_ignored_but_the_search_still_applies(
    client, personas, family
):
    make_household(personas.village_assistant, region_code=VILLAGE)
    client.force_login(personas.village_assistant)
    rows = client.get(LIST, {"region": OTHER_TOWNSHIP_VILLAGE, "q": "王大"}).context["rows"]
    assert [r.household.pk for r in rows] == [family["household"].pk]
