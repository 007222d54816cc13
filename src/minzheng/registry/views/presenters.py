"""What the registry pages show, prepared in Python: table rows with masked numbers and region
names, a person's fields with their Chinese labels, and declaration totals."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.core.models import User
from minzheng.core.scope import in_scope
from minzheng.registry import selectors
from minzheng.registry.models import (
    COUNTED_INCOME,
    DEDUCTIONS,
    AssetItem,
    Declaration,
    Household,
    IncomeKind,
    Membership,
    Person,
)

EMPTY = "—"


def choice_label(model: type[Model], name: str, value: Any) -> str:
    """The Chinese label of a stored choice value (the value itself when it has none)."""
    if value in (None, ""):
        return EMPTY
    choices = dict(model._meta.get_field(name).flatchoices)  # type: ignore[union-attr]
    return str(choices.get(value, value))


def disability_text(person: Person) -> str:
    if not person.disability_category:
        return ""
    grade = _("%(grade)d级") % {"grade": person.disability_grade} if person.disability_grade else ""
    return f"{person.get_disability_category_display()}{grade}"


@dataclass
class PersonRow:
    person: Person
    id_display: str
    age: int
    region_name: str
    household: Household | None  # current household, when it lies in the user's scope
    household_elsewhere: bool  # belongs to a household outside the user's scope


def person_rows(user: User, persons: Iterable[Person]) -> list[PersonRow]:
    persons = list(persons)
    names = selectors.region_names(p.region_code for p in persons)
    households = selectors.current_households_of(persons)
    today = timezone.localdate()
    rows = []
    for p in persons:
        h = households.get(p.pk)
        visible = h is not None and in_scope(user, h.region_code)
        rows.append(
            PersonRow(
                person=p,
                id_display=selectors.display_id_number(user, p.id_number),
                age=p.age_on(today),
                region_name=names.get(p.region_code, p.region_code),
                household=h if visible else None,
                household_elsewhere=h is not None and not visible,
            )
        )
    return rows


@dataclass
class HouseholdRow:
    household: Household
    head_id_display: str
    region_name: str
    member_count: int


def household_rows(user: User, households: Iterable[Household]) -> list[HouseholdRow]:
    households = list(households)
    names = selectors.region_names(h.region_code for h in households)
    counts = selectors.household_member_counts(h.pk for h in households)
    return [
        HouseholdRow(
            household=h,
            head_id_display=selectors.display_id_number(user, h.head.id_number) if h.head else "",
            region_name=names.get(h.region_code, h.region_code),
            member_count=counts.get(h.pk, 0),
        )
        for h in households
    ]


PERSON_DETAIL_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "hukou_type",
    "marital_status",
    "education",
    "labour_capacity",
    "disability_category",
    "disability_grade",
    "disability_certificate",
    "serious_illness",
    "death_date",
]


def person_fields(user: User, person: Person) -> list[tuple[str, str]]:
    """(label, value) for every field of the person, in the order a clerk reads a record."""
    region = selectors.region_names([person.region_code]).get(person.region_code, "")
    out = [(_("身份证号码"), selectors.display_id_number(user, person.id_number))]
    for name in PERSON_DETAIL_FIELDS:
        f = Person._meta.get_field(name)
        value = getattr(person, name)
        if getattr(f, "choices", None):
            text = choice_label(Person, name, value)
        else:
            text = str(value) if value not in (None, "") else EMPTY
        out.append((str(f.verbose_name), text))  # type: ignore[union-attr]
    out.insert(3, (_("年龄"), _("%(age)d岁") % {"age": person.age_on(timezone.localdate())}))
    out.append((_("户籍所在地"), f"{region}({person.region_code})"))
    return out


@dataclass
class MemberRow:
    membership: Membership
    person: Person
    id_display: str
    age: int
    disability: str
    openable: bool  # the person's own record lies in the user's scope


def member_rows(
    user: User, memberships: Iterable[Membership], day: datetime.date
) -> list[MemberRow]:
    return [
        MemberRow(
            membership=m,
            person=m.person,
            id_display=selectors.display_id_number(user, m.person.id_number),
            age=m.person.age_on(day),
            disability=disability_text(m.person),
            openable=in_scope(user, m.person.region_code),
        )
        for m in memberships
    ]


@dataclass
class IncomeRow:
    name: str
    amounts: list[Decimal | None]
    counted: Decimal


@dataclass
class DeclarationView:
    """A declaration as a table of members x income kinds, with the three monthly sums the
    rules distinguish (counted, excluded, deducted) and the assets. No policy is applied."""

    declaration: Declaration
    kind_labels: list[str] = field(default_factory=list)
    rows: list[IncomeRow] = field(default_factory=list)
    kind_totals: list[Decimal] = field(default_factory=list)
    counted: Decimal = Decimal("0.00")
    excluded: Decimal = Decimal("0.00")
    deductions: Decimal = Decimal("0.00")
    assets: list[AssetItem] = field(default_factory=list)
    asset_total: Decimal = Decimal("0.00")


def declaration_view(declaration: Declaration) -> DeclarationView:
    view = DeclarationView(declaration=declaration)
    incomes = list(declaration.incomes.all())
    kinds = [k for k in IncomeKind if any(i.kind == k for i in incomes)]
    view.kind_labels = [str(k.label) for k in kinds]
    by_person: dict[int, dict[str, Decimal]] = {}
    names: dict[int, str] = {}
    for item in incomes:
        names[item.person_id] = item.person.name
        cell = by_person.setdefault(item.person_id, {})
        cell[item.kind] = cell.get(item.kind, Decimal("0")) + item.monthly_amount
        if item.kind in COUNTED_INCOME:
            view.counted += item.monthly_amount
        elif item.kind in DEDUCTIONS:
            view.deductions += item.monthly_amount
        else:
            view.excluded += item.monthly_amount
    for pk, cells in by_person.items():
        counted = sum((v for k, v in cells.items() if k in COUNTED_INCOME), Decimal("0.00"))
        view.rows.append(IncomeRow(names[pk], [cells.get(k) for k in kinds], counted))
    view.kind_totals = [
        sum((i.monthly_amount for i in incomes if i.kind == k), Decimal("0.00")) for k in kinds
    ]
    view.assets = list(declaration.assets.all())
    view.asset_total = sum((a.value for a in view.assets), Decimal("0.00"))
    return view
