"""`minzheng demo`: the demo county 六安市裕安区 with its villages, believable households with
valid ID numbers, declarations, and one user per role who can log in."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from pytest_django import DjangoDbBlocker
from stdnum import luhn
from stdnum.cn import uscc

from minzheng.core.idnumbers import birth_date_of, normalize_id_number, sex_of
from minzheng.core.models import Region, Role, User
from minzheng.core.regions import prefix_q
from minzheng.registry.demo import ensure_demo_regions, generate_households
from minzheng.registry.demo_load import DEMO_PASSWORD, DEMO_USERS
from minzheng.registry.demo_regions import area_codes_for
from minzheng.registry.management.commands.demo import ALREADY_LOADED
from minzheng.registry.models import (
    AssetItem,
    Declaration,
    Household,
    IncomeItem,
    Membership,
    Person,
)

pytestmark = pytest.mark.django_db
HOUSEHOLDS = 200


@pytest.fixture(scope="module")
def demo_output(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """The demo county with 200 households, loaded once for this module inside a transaction
    that is rolled back after its last test (each test's own changes roll back after it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("demo", households=HOUSEHOLDS, stdout=out, stderr=io.StringIO())
        yield out.getvalue()
        transaction.set_rollback(True)


def test_the_demo_county_has_23_townships_and_324_villages(demo_output):
    county = Region.objects.filter(prefix_q("code", "341503"))
    assert county.filter(level=Region.Level.TOWNSHIP).count() == 23
    assert county.filter(level=Region.Level.VILLAGE).count() == 324
    second = Region.objects.filter(prefix_q("code", "640324"))
    assert second.filter(level=Region.Level.TOWNSHIP).count() == 11
    assert second.filter(level=Region.Level.VILLAGE).count() >= 33
    assert Region.objects.get(code="341503100201").name == "陶洪村"


def test_villages_extend_their_township_code_and_carry_its_urban_rural_type(demo_output):
    names = set()
    for village in Region.objects.filter(level=Region.Level.VILLAGE).select_related("parent"):
        assert village.code[:9] == village.parent.code[:9]
        kind = int(village.code[6:9])
        if kind < 100:  # street: communities only
            assert village.urban_rural_code in {"111", "112"} and village.name.endswith("社区")
        elif village.urban_rural_code in {"121", "112"}:  # a town's or the 高新区's communities
            assert kind < 200 or kind >= 400
            assert village.name.endswith("社区") and village.code[9:] < "100"
        else:
            assert village.urban_rural_code == "220" and village.name.endswith("村")
            assert village.code[9:] >= "201"
        names.add((village.code[:6], village.name))
    assert len(names) == Region.objects.filter(level=Region.Level.VILLAGE).count()


def test_it_writes_the_households_asked_for_with_about_two_and_a_half_members(demo_output):
    assert Household.objects.count() == HOUSEHOLDS
    assert 2.0 <= Person.objects.count() / HOUSEHOLDS <= 3.2
    assert not Household.objects.annotate(n=Count("memberships")).filter(n__gt=6).exists()
    assert f"已生成 {HOUSEHOLDS} 户" in demo_output


def test_every_id_number_is_valid_and_matches_sex_birth_date_and_province(demo_output):
    for person in Person.objects.all():
        assert normalize_id_number(person.id_number) == person.id_number
        assert person.sex == sex_of(person.id_number)
        assert person.birth_date == birth_date_of(person.id_number)
        assert person.id_number[:2] == person.region_code[:2]
        if person.birth_date.year >= 1999 and person.region_code.startswith("341503"):
            assert person.id_number[:4] == "3415"  # 裕安区 or a neighbour, not the old 3424


def test_heads_are_adults_and_relationships_fit_the_ages(demo_output):
    today = timezone.localdate()
    for household in Household.objects.prefetch_related("memberships__person"):
        members = {m.relationship: [] for m in household.memberships.all()}
        for m in household.memberships.all():
            members[m.relationship].append(m.person.age_on(today))
        (head,) = members["head"]
        assert head >= 18
        for spouse in members.get("spouse", []):
            assert abs(spouse - head) <= 10
        for parent in members.get("parent", []):
            assert parent - head >= 20
        for child in members.get("child", []):
            assert head - child >= 20
            assert all(spouse - child >= 20 for spouse in members.get("spouse", []))
        for grandchild in members.get("grandchild", []):
            assert head - grandchild >= 36


def test_hukou_type_follows_the_village_type(demo_output):
    types = dict(
        Region.objects.filter(level=Region.Level.VILLAGE).values_list("code", "urban_rural_code")
    )
    for person in Person.objects.all():
        expected = "urban" if types[person.region_code].startswith("1") else "rural"
        assert person.hukou_type == expected


def test_disability_labour_and_deaths_are_recorded_consistently(demo_output):
    for person in Person.objects.exclude(disability_category=""):
        assert 1 <= person.disability_grade <= 4
        assert person.disability_certificate.startswith(person.id_number)
        assert person.disability_certificate.endswith(str(person.disability_grade))
    today = timezone.localdate()
    for person in Person.objects.all():
        if person.age_on(today) < 16:
            assert person.labour_capacity == "none" and person.phone == ""
    for membership in Membership.objects.filter(person__death_date__isnull=False):
        assert membership.valid_to == membership.person.death_date
        assert membership.leave_reason == "death" and membership.relationship != "head"
    for membership in Membership.objects.filter(join_reason="birth"):
        assert membership.valid_from == membership.person.birth_date


def test_a_share_of_households_made_declarations_with_incomes_and_assets(demo_output):
    declarations = Declaration.objects.count()
    assert 0.15 * HOUSEHOLDS <= declarations <= 0.5 * HOUSEHOLDS
    kinds = set(IncomeItem.objects.values_list("kind", flat=True))
    assert {"wages", "basic_pension"} <= kinds
    assert IncomeItem.objects.filter(monthly_amount__lte=0).count() == 0
    for item in IncomeItem.objects.select_related("declaration"):
        membership = Membership.objects.get(person=item.person)
        assert membership.is_current_on(item.declaration.declared_on)
    assert AssetItem.objects.filter(kind="deposit").exists()
    for asset in AssetItem.objects.filter(kind="real_estate"):
        assert asset.area > 0 and asset.value > Decimal("10000")
    for asset in AssetItem.objects.filter(kind="business"):
        assert uscc.is_valid(asset.registration_number)


def test_bank_accounts_are_card_numbers_with_a_valid_check_digit(demo_output):
    accounts = Household.objects.exclude(bank_account_number="")
    assert accounts.count() >= 0.7 * HOUSEHOLDS
    for household in accounts:
        assert luhn.is_valid(household.bank_account_number)
        assert household.bank_account_name in {
            m.person.name for m in household.memberships.select_related("person")
        }


def test_one_demo_user_per_role_can_log_in(demo_output, client):
    assert {u.role for u in DEMO_USERS} == set(Role.values)
    for demo_user in DEMO_USERS:
        user = User.objects.get(username=demo_user.username)
        assert (user.role, user.region_id) == (demo_user.role, demo_user.region_code)
        response = client.post("/login/", {"username": user.username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, user.username
        client.logout()
        assert f"{user.username}  " in demo_output
    assert DEMO_PASSWORD in demo_output


def test_if_empty_does_nothing_once_persons_exist(demo_output):
    out = io.StringIO()
    call_command("demo", households=50, if_empty=True, stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == ALREADY_LOADED
    assert Household.objects.count() == HOUSEHOLDS


def test_a_second_run_adds_households_and_leaves_the_users_alone(demo_output):
    User.objects.filter(username="cun").update(full_name="改过的名字")
    out = io.StringIO()
    call_command("demo", households=30, seed=7, stdout=out, stderr=io.StringIO())
    assert Household.objects.count() == HOUSEHOLDS + 30
    assert User.objects.filter(username="cun").get().full_name == "改过的名字"
    assert User.objects.filter(username__in=[u.username for u in DEMO_USERS]).count() == 8
    assert "已存在" in out.getvalue()


def test_the_same_seed_and_day_give_the_same_households(demo_output):
    villages = ensure_demo_regions()
    day = datetime.date(2025, 6, 30)

    def ids(seed: int) -> list[tuple[str, str]]:
        rows = generate_households(n=20, villages=villages, seed=seed, as_of=day)
        return [(p.id_number, p.name) for h in rows for p, _ in h.members]

    assert ids(1) == ids(1)
    assert ids(1) != ids(2)


def test_area_codes_follow_the_division_history():
    assert area_codes_for("341503", 2000) == ("341503",)
    assert area_codes_for("341503", 1998) == ("342401",)  # 六安市 before 裕安区 was created
    assert set(area_codes_for("341503", 1980)) == {"342401", "342421"}  # and 六安县
    assert area_codes_for("640324", 1990) == ("642127",)  # 同心县 under 固原地区
    assert area_codes_for("640324", 2010) == ("640324",)
