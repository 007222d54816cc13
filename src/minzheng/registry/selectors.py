"""Reads from the registry, always within the user's scope."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404

from minzheng.core.idnumbers import IdNumberError, mask_id_number, normalize_id_number
from minzheng.core.models import AuditEvent, Region, User
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.core.scope import FULL_ID_VIEWERS, OUT_OF_SCOPE, scoped
from minzheng.registry.models import (
    AssetItem,
    Declaration,
    Household,
    IncomeItem,
    Membership,
    Person,
)

ID_FULL = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
DIGITS = re.compile(r"^\d{3,17}[Xx]?$")
MOBILE = re.compile(r"^1\d{10}$")
LATIN = re.compile(r"^[A-Za-z]+$")


@dataclass(frozen=True)
class SearchQuery:
    """How a clerk's free text is read: a full ID number, the last digits of one (or a phone
    number), pinyin initials or full pinyin, or the beginning of a name."""

    kind: str  # id | digits | phone | pinyin | name | empty
    text: str


def parse_query(raw: str) -> SearchQuery:
    text = (raw or "").strip().replace(" ", "")
    if not text:
        return SearchQuery("empty", "")
    if ID_FULL.match(text):
        return SearchQuery("id", text.upper())
    if MOBILE.match(text):
        return SearchQuery("phone", text)
    if DIGITS.match(text):
        return SearchQuery("digits", text.upper())
    if LATIN.match(text):
        return SearchQuery("pinyin", text.lower())
    return SearchQuery("name", text)


# Scopes this short (a county or wider) hold most of the table: the search key should lead.
WIDE_SCOPE_DIGITS = 6


def _search_scope(user: User) -> QuerySet[Person]:
    """Persons in the user's scope, written so that the search key's index leads the query.

    SQLite's planner prefers the region_code index for the scope's range even when the range
    is the whole county (2 s at a million persons); comparing a substring instead hides the
    scope from the index, so SQLite starts from the search key (40 ms). PostgreSQL's planner
    weighs both indexes by their statistics and needs no such help."""
    prefix = user.scope_prefix
    if connection.vendor == "sqlite" and 0 < len(prefix) <= WIDE_SCOPE_DIGITS:
        return Person.objects.annotate(_scope=Substr("region_code", 1, len(prefix))).filter(
            _scope=prefix
        )
    return scoped(Person.objects.all(), user)


def person_search(*, user: User, q: str) -> QuerySet[Person]:
    """Persons in scope matching the clerk's text, in a stable order. Each branch is answered
    from one index (see Person's indexed search keys)."""
    query = parse_query(q)
    if query.kind == "empty":
        return scoped(Person.objects.all(), user).order_by("id")
    persons = _search_scope(user)
    if query.kind == "id":
        try:
            number = normalize_id_number(query.text)
        except IdNumberError:
            number = query.text
        return persons.filter(id_number=number)
    if query.kind == "phone":
        return persons.filter(phone=query.text).order_by("id")
    if query.kind == "digits":
        return persons.filter(prefix_q("id_number_reversed", query.text[::-1])).order_by(
            "id_number_reversed"
        )
    if query.kind == "pinyin":
        # "zs" are initials, "zhangs" the start of a full pinyin: look at both keys
        return persons.filter(
            prefix_q("name_initials", query.text) | prefix_q("name_pinyin", query.text)
        ).order_by("name_initials", "name", "id")
    return persons.filter(prefix_q("name", query.text)).order_by("name", "id")


def display_id_number(user: User, number: str) -> str:
    """The number as this user may see it."""
    return number if user.role in FULL_ID_VIEWERS else mask_id_number(number)


def person_get(*, user: User, pk: int) -> Person:
    person = scoped(Person.objects.all(), user).filter(pk=pk).first()
    if person is None:
        raise Http404(OUT_OF_SCOPE)
    return person


def household_get(*, user: User, pk: int) -> Household:
    household = (
        scoped(Household.objects.select_related("head"), user)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("person").order_by("valid_from", "id"),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if household is None:
        raise Http404(OUT_OF_SCOPE)
    return household


def household_members_on(household: Household, day: datetime.date) -> list[Membership]:
    """The household as it was on `day`."""
    return [m for m in household.memberships.all() if m.is_current_on(day)]


def household_of(person: Person, day: datetime.date | None = None) -> Household | None:
    memberships = Membership.objects.select_related("household").filter(person=person)
    if day is None:
        m = memberships.filter(valid_to__isnull=True).first()
    else:
        m = memberships.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day
        ).first()
    return m.household if m else None


def household_history(*, household: Household) -> QuerySet[AuditEvent]:
    """Every audit event of the household and of its members' records, newest first."""
    person_ids = [str(pk) for pk in household.memberships.values_list("person_id", flat=True)]
    return AuditEvent.objects.filter(
        Q(object_type="Household", object_id=str(household.pk))
        | Q(object_type="Person", object_id__in=person_ids)
    ).order_by("-at", "-id")


# --- reads for the registry pages (lists, forms, exports) ---

BANK_ACCOUNT_VISIBLE = 4


def display_bank_account(user: User, number: str) -> str:
    """A bank account number as this user may see it: in full for the roles that see ID
    numbers in full, otherwise only its first and last four digits."""
    if user.role in FULL_ID_VIEWERS or len(number) <= 2 * BANK_ACCOUNT_VISIBLE:
        return number
    keep = BANK_ACCOUNT_VISIBLE
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def person_get_by_id_number(*, user: User, id_number: str) -> Person | None:
    """The person in scope with this (normalized) ID number; None when there is none in scope,
    whether or not the number exists elsewhere."""
    return scoped(Person.objects.all(), user).filter(id_number=id_number).first()


def regions_in_scope(*, user: User, levels: tuple[int, ...] = (4, 5)) -> QuerySet[Region]:
    """The user's own region and the regions beneath it at the given levels, in code order."""
    regions = Region.objects.filter(prefix_q("code", user.scope_prefix), level__in=levels)
    return regions.order_by("code")


def region_names(codes: Iterable[str]) -> dict[str, str]:
    """{code: name} for the given 12-digit codes (unknown codes are left out)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))


def current_households_of(persons: Iterable[Person]) -> dict[int, Household]:
    """{person id: the household the person belongs to now}, in one query."""
    ids = [p.pk for p in persons]
    memberships = Membership.objects.select_related("household__head").filter(
        person_id__in=ids, valid_to__isnull=True
    )
    return {m.person_id: m.household for m in memberships}


def household_member_counts(household_ids: Iterable[int]) -> dict[int, int]:
    """{household id: number of current members}, in one query."""
    rows = (
        Membership.objects.filter(household_id__in=list(household_ids), valid_to__isnull=True)
        .values("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )
    return dict(rows)


def person_memberships(*, person: Person) -> QuerySet[Membership]:
    """Every household the person has belonged to, oldest first."""
    return (
        Membership.objects.select_related("household__head")
        .filter(person=person)
        .order_by("valid_from", "id")
    )


def household_declarations(*, household: Household) -> QuerySet[Declaration]:
    """The household's declarations, newest first, with their items and the persons named."""
    return (
        Declaration.objects.filter(household=household)
        .prefetch_related(
            Prefetch("incomes", queryset=IncomeItem.objects.select_related("person")),
            Prefetch("assets", queryset=AssetItem.objects.select_related("person")),
        )
        .order_by("-declared_on", "-id")
    )


def person_history(*, person: Person) -> QuerySet[AuditEvent]:
    """Every audit event of the person's own record, newest first."""
    return AuditEvent.objects.filter(object_type="Person", object_id=str(person.pk)).order_by(
        "-at", "-id"
    )


def household_filter(*, user: User, region_code: str = "", q: str = "") -> QuerySet[Household]:
    """The household list's filters: a region (by the region's own prefix, so that township
    341503100000 keeps 341503100xxx and not every code starting 3415031) and a person who is
    the head or a current member. The member test is a subquery rather than a join with
    DISTINCT, which a county-wide search cannot afford."""
    households = scoped(Household.objects.select_related("head"), user)
    if region_code:
        households = households.filter(prefix_q("region_code", code_prefix(region_code)))
    if q:
        persons = person_search(user=user, q=q).order_by().values("pk")
        member_of = Membership.objects.filter(valid_to__isnull=True, person__in=persons)
        households = households.filter(
            Q(head__in=persons) | Q(pk__in=member_of.values("household_id"))
        )
    return households.order_by("region_code", "id")
