"""救助记录: a household's cases and its whole assistance history on one page, in scope."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from tests.programs.conftest import at
from tests.programs.views_support import accept, authorize

pytestmark = pytest.mark.django_db


def url(family):
    return reverse("programs:household_cases", args=[family.household.pk])


@time_machine.travel(at(2026, 3, 2), tick=False)
def test_the_page_lists_the_cases_and_what_happened(client, personas, family):
    case = accept(personas, family)
    authorize(personas, case)
    client.force_login(personas.village_assistant)
    html = client.get(url(family)).content.decode()
    assert "王大山户的救助记录" in html
    assert case.number in html and "农村最低生活保障" in html
    assert "受理申请" in html and "办理环节" in html and "核对授权" in html


def test_a_household_without_cases_says_so(client, personas, family):
    client.force_login(personas.township_clerk)
    html = client.get(url(family)).content.decode()
    assert "该家庭没有救助申请记录" in html
    assert f"?household={family.household.pk}" in html  # 受理新申请


def test_a_household_outside_the_scope_is_not_found(client, personas, family):
    client.force_login(personas.other_township_clerk)
    assert client.get(url(family)).status_code == 404


def test_the_registry_household_page_links_the_record(client, personas, family):
    page = reverse("registry:household_detail", args=[family.household.pk])
    client.force_login(personas.county_leader)
    assert url(family) in client.get(page).content.decode()
    client.force_login(personas.hospital_clerk)  # reads the registry, not the cases
    assert url(family) not in client.get(page).content.decode()
