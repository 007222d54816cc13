"""Reads for the platform's own pages (dashboard, region tree, users, audit events), always
within the user's scope: outside it a region or a user does not exist (404).

Counts by region use one GROUP BY on the leading digits of `region_code` per table, so a county
with a million residents costs two aggregate queries, not one query per township. The registry's
tables are reached through the app registry: core must not import registry (apps depend
registry -> core), yet the platform's dashboard counts residents."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Model, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from minzheng.core.models import AuditEvent, Region, User
from minzheng.core.regions import CODE_LENGTH, LEVEL_DIGITS, code_prefix, prefix_q
from minzheng.core.scope import OUT_OF_SCOPE, in_scope, scoped

REGION_SEARCH_LIMIT = 50


@dataclass
class RegionCounts:
    """What the dashboard and the region tree show for one region."""

    code: str
    name: str
    level: int = 0
    urban_rural_code: str = ""
    households: int = 0
    persons: int = 0
    disabled: int = 0
    new_households: int = 0
    has_children: bool = False

    @property
    def prefix(self) -> str:
        return code_prefix(self.code)

    @property
    def level_label(self) -> str:
        return str(Region.Level(self.level).label) if self.level else ""

    @property
    def known(self) -> bool:
        """False for data carrying a code missing from the region table."""
        return self.level != 0


@dataclass
class RegionBreakdown:
    region: Region
    rows: list[RegionCounts]
    total: RegionCounts = field(init=False)

    def __post_init__(self) -> None:
        self.total = RegionCounts(code=self.region.code, name=self.region.name)
        for row in self.rows:
            self.total.households += row.households
            self.total.persons += row.persons
            self.total.disabled += row.disabled
            self.total.new_households += row.new_households


def month_start(now: datetime.datetime | None = None) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def child_digits(region: Region) -> int:
    """How many leading code digits name a child of `region` (a village is its own child)."""
    return LEVEL_DIGITS[min(region.level + 1, 5)]


def _registry_model(name: str) -> type[Model]:
    return apps.get_model("registry", name)


def _grouped(qs: QuerySet[Model], digits: int, **aggregates: Count) -> dict[str, dict[str, int]]:
    rows = (
        qs.annotate(child=Substr("region_code", 1, digits))
        .values("child")
        .annotate(**aggregates)
        .order_by()
    )
    return {row.pop("child"): row for row in rows}


def region_counts(*, prefix: str, digits: int) -> dict[str, RegionCounts]:
    """Alive persons, persons with a disability, households and households created this month
    beneath `prefix`, keyed by the first `digits` digits of their region code.

    Counting `region_code` (never null) rather than the key lets PostgreSQL answer from an index
    on region_code that includes the other columns, without visiting the table."""
    persons = _grouped(
        _registry_model("Person")
        ._default_manager.filter(prefix_q("region_code", prefix), death_date__isnull=True)
        .order_by(),
        digits,
        persons=Count("region_code"),
        disabled=Count("region_code", filter=~Q(disability_category="")),
    )
    households = _grouped(
        _registry_model("Household")
        ._default_manager.filter(prefix_q("region_code", prefix))
        .order_by(),
        digits,
        households=Count("region_code"),
        new_households=Count("region_code", filter=Q(created_at__gte=month_start())),
    )
    out: dict[str, RegionCounts] = {}
    for key in sorted(set(persons) | set(households)):
        code = key.ljust(CODE_LENGTH, "0")
        out[code] = RegionCounts(code=code, name="")
        for name, value in (persons.get(key, {}) | households.get(key, {})).items():
            setattr(out[code], name, value)
    return out


def _rows_for(children: list[Region], counts: dict[str, RegionCounts]) -> list[RegionCounts]:
    rows = []
    for child in children:
        row = counts.pop(child.code, None) or RegionCounts(code=child.code, name="")
        row.name, row.level, row.urban_rural_code = child.name, child.level, child.urban_rural_code
        row.has_children = child.level < Region.Level.VILLAGE
        rows.append(row)
    # Data whose code is missing from the region table still counts, under its bare code.
    return rows + list(counts.values())


def region_breakdown(*, user: User, code: str | None = None) -> RegionBreakdown:
    """Counts for each child of `code` (default: the user's own region); a village shows itself."""
    region = region_get(user=user, code=code or user.region_id)
    digits = child_digits(region)
    counts = region_counts(prefix=region.prefix, digits=digits)
    if region.level == Region.Level.VILLAGE:
        children = [region]
    else:
        children = list(Region.objects.filter(parent=region).order_by("code"))
    return RegionBreakdown(region=region, rows=_rows_for(children, counts))


def region_get(*, user: User, code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None or not in_scope(user, region.code):
        raise Http404(OUT_OF_SCOPE)
    return region


def region_path(*, user: User, region: Region) -> list[Region]:
    """The ancestors of `region` from the user's own region down to it (for breadcrumbs)."""
    codes = []
    code = region.code
    while code and in_scope(user, code):
        codes.append(code)
        parent = Region.objects.filter(code=code).values_list("parent_id", flat=True).first()
        code = parent or ""
    by_code = Region.objects.in_bulk(codes)
    return [by_code[c] for c in reversed(codes) if c in by_code]


def region_search(*, user: User, q: str, limit: int = REGION_SEARCH_LIMIT) -> list[Region]:
    """Regions in scope whose code starts with `q` (digits) or whose name contains it."""
    q = q.strip()
    if not q:
        return []
    regions = scoped(Region.objects.all(), user, field="code")
    if q.isdigit():
        regions = regions.filter(prefix_q("code", q))
    else:
        regions = regions.filter(name__contains=q)
    return list(regions.order_by("code")[:limit])


def region_options(*, user: User, q: str, limit: int = 30) -> list[Region]:
    """Choices for a region field: matches of `q`, or the user's region and its children.
    A picked option reads "341503100201 陶洪村": its code is what counts."""
    words = q.split()
    if words and words[0].isdigit():
        q = words[0]
    if q.strip():
        return region_search(user=user, q=q, limit=limit)
    own = Region.objects.filter(code=user.region_id)
    children = Region.objects.filter(parent_id=user.region_id).order_by("code")[:limit]
    return list(own) + list(children)


# Users -------------------------------------------------------------------------------------


def user_list(
    *,
    user: User,
    role: str = "",
    region_prefix: str = "",
    is_active: bool | None = None,
    q: str = "",
) -> QuerySet[User]:
    users = scoped(User.objects.select_related("region"), user, field="region__code")
    if role:
        users = users.filter(role=role)
    if region_prefix:
        users = users.filter(prefix_q("region__code", region_prefix))
    if is_active is not None:
        users = users.filter(is_active=is_active)
    if q.strip():
        text = q.strip()
        users = users.filter(
            Q(username__icontains=text) | Q(full_name__contains=text) | Q(phone__startswith=text)
        )
    return users.order_by("region_id", "username")


def user_get(*, user: User, pk: int) -> User:
    found = scoped(User.objects.select_related("region"), user, field="region__code")
    target = found.filter(pk=pk).first()
    if target is None:
        raise Http404(OUT_OF_SCOPE)
    return target


# Audit events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    username: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    region_prefix: str = ""


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_event_list(*, user: User, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """Events about objects in the user's scope, newest first."""
    f = filters or AuditFilters()
    events = scoped(AuditEvent.objects.select_related("actor"), user)
    if f.date_from:
        events = events.filter(at__gte=_day_start(f.date_from))
    if f.date_to:
        events = events.filter(at__lt=_day_start(f.date_to + datetime.timedelta(days=1)))
    if f.username:
        events = events.filter(actor_username=f.username.strip())
    if f.action:
        events = events.filter(action=f.action)
    if f.object_type:
        events = events.filter(object_type=f.object_type)
    if f.object_id:
        events = events.filter(object_id=f.object_id.strip())
    if f.region_prefix:
        events = events.filter(prefix_q("region_code", f.region_prefix))
    return events.order_by("-at", "-id")


def audit_recent(*, user: User, limit: int = 20) -> list[AuditEvent]:
    return list(audit_event_list(user=user)[:limit])


def region_names(codes: set[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def scope_prefix_of(code: str) -> str:
    """The prefix a region filter typed as 6/9/12 digits (or padded with zeros) stands for."""
    code = code.strip()
    return code_prefix(code) if len(code) == CODE_LENGTH else code
