"""比对规则 pages: the catalogue for every reader (method, data, what a hit means, the county's
settings), and the county's edit of a rule (on/off, threshold, deadline) with its history; a
township clerk reads but does not edit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minzheng.matching.models import MatchRule
from minzheng.matching.rules import RULES

pytestmark = pytest.mark.django_db

LIST = reverse("matching:rule_list")


def edit(code: str) -> str:
    return reverse("matching:rule_edit", args=[code])


def test_the_catalogue_says_what_each_rule_does(client, personas):
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    for text in (
        "死亡人员(身份证号)",
        "身份证号精确比对",
        "姓名、出生日期等模糊比对",
        "次月暂停发放,待核实",
        "疑似漏保,建议纳入",
        "机动车登记",
        "本县救助名册、户籍",
    ):
        assert text in html
    assert edit("vehicle") not in html
    client.force_login(personas.county_officer)
    assert edit("vehicle") in client.get(LIST).content.decode()


def test_a_placeholder_with_a_unit_is_named_without_it(client, personas):
    client.force_login(personas.township_clerk)
    html = client.get(LIST).content.decode()
    assert "月工资〔月工资〕元" in html
    assert "(元)〕元" not in html


def test_only_rule_editors_edit(client, personas):
    for who in (personas.township_clerk, personas.auditor):
        client.force_login(who)
        assert client.get(edit("vehicle")).status_code == 403
    client.force_login(personas.village_assistant)
    assert client.get(LIST).status_code == 403
    client.force_login(personas.county_officer)
    assert client.get(edit("no_such_rule")).status_code == 404


def test_the_threshold_is_asked_only_of_rules_that_have_one(client, personas):
    client.force_login(personas.county_officer)
    html = client.get(edit("death_fuzzy")).content.decode()
    default = RULES["death_fuzzy"].default_threshold
    assert 'name="threshold"' in html and "匹配阈值(匹配权重)" in html
    assert f'value="{default}' in html
    html = client.get(edit("age_allowance_missing")).content.decode()
    assert "年龄(周岁)" in html
    assert 'name="threshold"' not in client.get(edit("vehicle")).content.decode()


def test_a_county_edits_a_rule_and_sees_its_history(client, personas):
    client.force_login(personas.county_officer)
    response = client.post(
        edit("death_fuzzy"),
        {"threshold": "14.5", "due_days": "10", "note": "误报较多,提高阈值"},
    )
    assert response.status_code == 302
    row = MatchRule.objects.get(code="death_fuzzy", region_code="341503000000")
    assert not row.enabled and str(row.threshold) == "14.50" and row.due_days == 10
    html = client.get(LIST).content.decode()
    assert "停用" in html and "14.50" in html and "本县设置" in html
    html = client.get(edit("death_fuzzy")).content.decode()
    assert "误报较多,提高阈值" in html and "修改记录" in html
    # another county's history is not ours
    client.force_login(personas.other_county_officer)
    assert "误报较多" not in client.get(edit("death_fuzzy")).content.decode()


def test_the_edit_form_refuses_a_deadline_out_of_range(client, personas):
    client.force_login(personas.county_officer)
    response = client.post(edit("vehicle"), {"enabled": "on", "due_days": "120"})
    assert response.status_code == 200
    assert "90" in response.content.decode()
    assert not MatchRule.objects.filter(code="vehicle").exists()
