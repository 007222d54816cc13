"""Reads from the registry, always within the user's scope."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from minzheng.core.idnumbers import IdNumberError, mask_id_number, normalize_id_number
from minzheng.core.models import AuditEvent, User
from minzheng.core.regions import prefix_q
from minzheng.core.scope import FULL_ID_VIEWERS, OUT_OF_SCOPE, scoped
from minzheng.registry.models import Household, Membership, Person

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


def person_search(*, user: User, q: str) -> QuerySet[Person]:
    """Persons in scope matching the clerk's text, in a stable order. Each branch is answered
    from one index (see Person's indexed search keys)."""
    query = parse_query(q)
    persons = scoped(Person.objects.all(), user)
    if query.kind == "empty":
        return persons.order_by("id")
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


def household_list(*, user: User, region_code: str = "", q: str = "") -> QuerySet[Household]:
    households = scoped(Household.objects.select_related("head"), user)
    if region_code:
        households = households.filter(prefix_q("region_code", region_code.rstrip("0") or ""))
    if q:
        heads = person_search(user=user, q=q).values("pk")
        households = households.filter(
            Q(head__in=heads) | Q(memberships__person__in=heads, memberships__valid_to__isnull=True)
        ).distinct()
    return households.order_by("region_code", "id")


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
