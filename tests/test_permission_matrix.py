"""The permission matrix: every persona (the 8 roles, and neighbours of another village,
township and county) x every endpoint and page x an object inside and one outside the caller's
scope -> the status each must get.

Rules, written here independently of minzheng.core.scope so that the test checks them:
- a role without the verb gets 403 (the row's `denied`), wherever the object lies;
- a role with the verb gets the row's success status for an object in its scope, and 404 for
  one outside it (a create outside the scope is refused as a field error: 400);
- a list answers 200 to every role that may read it, and holds the object only within scope.

Each cell runs inside a savepoint that is rolled back, so that one test builds the two worlds
once and every persona meets them untouched.

To add a row: append a `Row` to API_ROWS or PAGE_ROWS. `path` is formatted with the world's
object ids (see `World.ids`); `body` builds the request data; `listed` tells whether a list
response holds the world's object. A row the code does not meet yet names why in `xfail`: its
cells are then expected to fail (strictly, so that the fix shows).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from minzheng.core.models import AuditEvent, Region, Role, User
from minzheng.programs.pdf import cjk_fonts
from minzheng.registry.models import Declaration, Household, Membership, Person
from minzheng.registry.services import declaration_create, member_add
from tests.conftest import OTHER_COUNTY_VILLAGE, PASSWORD, VILLAGE, Personas, make_user
from tests.factories import make_household, make_person, new_id_number

# -- who may do what --------------------------------------------------------------------------

ANYONE = frozenset(Role)
READERS = frozenset(Role)  # every role reads the registry (within its scope)
EDITORS = frozenset(
    {
        Role.VILLAGE_ASSISTANT,
        Role.TOWNSHIP_CLERK,
        Role.TOWNSHIP_LEADER,
        Role.COUNTY_OFFICER,
        Role.SYSTEM_ADMIN,
    }
)
USER_ADMINS = frozenset({Role.SYSTEM_ADMIN})
AUDITORS = frozenset({Role.AUDITOR, Role.COUNTY_LEADER, Role.SYSTEM_ADMIN})


# -- the objects on each side of the scope line --------------------------------------------------


@dataclass
class World:
    """A village's registry: a household (head + spouse), a person in no household yet, a
    declaration, a user account and the household's first audit event."""

    region: Region
    household: Household
    head: Person
    spouse: Person
    spare: Person
    spouse_membership: Membership
    declaration: Declaration
    account: User
    event: AuditEvent
    ids: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = {
            "region": self.region.code,
            "household": self.household.pk,
            "person": self.head.pk,
            "membership": self.spouse_membership.pk,
            "declaration": self.declaration.pk,
            "user": self.account.pk,
            "event": self.event.pk,
        }


def build_world(actor: User, code: str, account_name: str) -> World:
    head = make_person(actor, region_code=code, name="张三")
    household = make_household(actor, region_code=code, head=head)
    spouse = make_person(actor, region_code=code, name="李四", id_number=new_id_number(male=False))
    membership = member_add(
        actor=actor,
        household=household,
        person=spouse,
        relationship="spouse",
        valid_from=datetime.date(2021, 5, 1),
    )
    spare = make_person(actor, region_code=code, name="王五")
    declaration = declaration_create(
        actor=actor,
        household=household,
        declared_on=datetime.date(2024, 3, 1),
        incomes=[{"person": head, "kind": "wages", "monthly_amount": "1650.00"}],
        assets=[],
    )
    event = AuditEvent.objects.get(action="household.create", object_id=str(household.pk))
    return World(
        region=Region.objects.get(code=code),
        household=household,
        head=head,
        spouse=spouse,
        spare=spare,
        spouse_membership=membership,
        declaration=declaration,
        account=make_user(account_name, Role.VILLAGE_ASSISTANT, code),
        event=event,
    )


# -- rows ---------------------------------------------------------------------------------------

Body = Callable[[World, User], dict[str, Any]]
Listed = Callable[[HttpResponse, World], bool]


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    roles: frozenset[Role]
    ok: int = 200
    body: Body | None = None
    out_of_scope: int = 404
    listed: Listed | None = None  # for lists: does the response hold the world's object?
    scoped: bool = True  # False: the row has no object (e.g. login), run once
    denied: int = 403  # the status for a role without the verb
    page: bool = False  # a server-rendered page (session login) instead of the API
    multipart: bool = False  # an API upload: the body is sent as multipart/form-data
    xfail: str = ""  # why the code does not meet the row yet (its cells must fail)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def in_results(key: str, attr: str = "pk") -> Listed:
    def check(response: HttpResponse, world: World) -> bool:
        wanted = getattr(getattr(world, key), attr)
        return any(
            item.get("id", item.get("code")) == wanted for item in response.json()["results"]
        )

    return check


def links_to(url: str) -> Listed:
    """A page lists the object when it links to the object's page."""

    def check(response: HttpResponse, world: World) -> bool:
        return url.format(**world.ids) in response.content.decode()

    return check


def sheet_cells(response: HttpResponse) -> set[str]:
    """Every cell of an XLSX export, as text."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = (row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return {str(cell) for row in rows for cell in row}


def sheet_holds_id(key: str) -> Listed:
    """An XLSX export holds a person of the world when it holds the person's number (masked or
    not)."""

    def check(response: HttpResponse, world: World) -> bool:
        number = getattr(world, key).id_number
        masked = number[:6] + "*" * 8 + number[-4:]
        return bool(sheet_cells(response) & {number, masked})

    return check


sheet_holds_head = sheet_holds_id("head")


def new_person(world: World, user: User) -> dict[str, Any]:
    return {
        "id_number": new_id_number(),
        "name": "赵六",
        "hukou_type": "rural",
        "region_code": world.region.code,
    }


def new_account(world: World, user: User) -> dict[str, Any]:
    return {
        "username": "new_assistant",
        "password": "Village-Pass-2026",
        "role": "village_assistant",
        "region_code": world.region.code,
    }


def fixed(data: dict[str, Any]) -> Body:
    return lambda world, user: data


def with_ids(make: Callable[[World], dict[str, Any]]) -> Body:
    return lambda world, user: make(world)


V1 = "/api/v1"
HH = V1 + "/households/{household}"

API_ROWS = [
    Row(
        "POST",
        V1 + "/auth/token/",
        ANYONE,
        body=lambda world, user: {"username": user.username, "password": PASSWORD},
        scoped=False,
    ),
    Row("DELETE", V1 + "/auth/token/", ANYONE, ok=204, scoped=False),
    Row("GET", V1 + "/regions/", ANYONE, listed=in_results("region", "code")),
    Row("GET", V1 + "/regions/{region}/", ANYONE),
    Row("GET", V1 + "/persons/", READERS, listed=in_results("head")),
    Row("POST", V1 + "/persons/", EDITORS, ok=201, body=new_person, out_of_scope=400),
    Row("GET", V1 + "/persons/{person}/", READERS),
    Row("PATCH", V1 + "/persons/{person}/", EDITORS, body=fixed({"phone": "1", "reason": "核对"})),
    Row("GET", V1 + "/households/", READERS, listed=in_results("household")),
    Row(
        "POST",
        V1 + "/households/",
        EDITORS,
        ok=201,
        out_of_scope=400,  # the head named lies outside the scope: a field error
        body=with_ids(
            lambda w: {"head_id": w.spare.pk, "address": "三组1号", "region_code": w.region.code}
        ),
    ),
    Row("GET", HH + "/", READERS),
    Row("GET", HH + "/?as_of=2021-01-01", READERS),
    Row("PATCH", HH + "/", EDITORS, body=fixed({"address": "新址", "reason": "核对"})),
    Row(
        "POST",
        HH + "/members/",
        EDITORS,
        ok=201,
        body=with_ids(
            lambda w: {"person_id": w.spare.pk, "relationship": "other", "valid_from": "2024-01-01"}
        ),
    ),
    Row(
        "POST",
        HH + "/members/{membership}/end/",
        EDITORS,
        body=fixed({"valid_to": "2024-06-01", "leave_reason": "move_out"}),
    ),
    Row("POST", HH + "/head/", EDITORS, body=with_ids(lambda w: {"head_id": w.spouse.pk})),
    Row("GET", HH + "/history/", READERS),
    Row("GET", HH + "/declarations/", READERS),
    Row(
        "POST",
        HH + "/declarations/",
        EDITORS,
        ok=201,
        body=with_ids(
            lambda w: {
                "declared_on": "2024-09-01",
                "incomes": [{"person": w.head.pk, "kind": "wages", "monthly_amount": "1000.00"}],
            }
        ),
    ),
    Row("GET", HH + "/declarations/{declaration}/", READERS),
    Row("GET", V1 + "/users/", USER_ADMINS, listed=in_results("account")),
    Row("POST", V1 + "/users/", USER_ADMINS, ok=201, body=new_account, out_of_scope=400),
    Row("GET", V1 + "/users/{user}/", USER_ADMINS),
    Row("PATCH", V1 + "/users/{user}/", USER_ADMINS, body=fixed({"full_name": "改名"})),
    Row(
        "POST",
        V1 + "/users/{user}/set-password/",
        USER_ADMINS,
        ok=204,
        body=fixed({"password": "Village-Pass-2026"}),
    ),
    Row("GET", V1 + "/audit-events/", AUDITORS, listed=in_results("event")),
    Row("GET", V1 + "/audit-events/{event}/", AUDITORS),
]

# -- the case engine (programs) ----------------------------------------------------------------

CASE_READERS = frozenset(Role) - {Role.HOSPITAL_CLERK}
ACCEPTORS = frozenset({Role.TOWNSHIP_CLERK, Role.TOWNSHIP_LEADER})
ONLINE_APPLICANTS = ACCEPTORS | {Role.VILLAGE_ASSISTANT}
MEMBER_SETTERS = ACCEPTORS | {Role.COUNTY_OFFICER}
STEP_WORKERS = ONLINE_APPLICANTS | {Role.COUNTY_OFFICER, Role.COUNTY_LEADER}
NOTICE_WORKERS = ONLINE_APPLICANTS  # register a public-notice objection
STANDARD_EDITORS = frozenset({Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.SYSTEM_ADMIN})
CASEWORKERS = ACCEPTORS | {Role.COUNTY_OFFICER, Role.COUNTY_LEADER}  # reviews, tip-offs, filings
TIPOFF_READERS = CASEWORKERS | {Role.AUDITOR}
RELATIVE_READERS = CASEWORKERS | {Role.AUDITOR}


def case_world(world: World) -> dict[str, Any]:
    """The case engine's objects of a world, made by a township clerk of its township: the
    county's standards; a 低保 case accepted at the window (authorization open and a month
    overdue; its public notice opened too, with an objection, so that one case serves the notice
    rows); an online
    特困 application waiting for the window; a 特困 case set paying with a review; a tip-off
    and a relative filing."""
    from minzheng.programs.models import Case, CaseStatus, Step, StepStatus
    from minzheng.programs.services import cases as case_services
    from minzheng.programs.services.relatives import relative_filing_create
    from minzheng.programs.services.reviews import review_create
    from minzheng.programs.services.tipoffs import tipoff_register
    from minzheng.programs.standard_defaults import standards_seed

    code = world.region.code
    county = code[:6] + "000000"
    clerk = make_user(world.account.username + "_clerk", Role.TOWNSHIP_CLERK, code[:9] + "000")
    standards_seed(region_code=county, valid_from=datetime.date(2020, 1, 1))
    common = {"actor": clerk, "household": world.household}
    tekun = {"program": "tekun", "details": {"has_able_supporter": False}}
    case = case_services.case_accept(**common, applicant=world.head, program="dibao_rural")
    today = timezone.localdate()
    week = today + datetime.timedelta(days=7)
    Step.objects.filter(case=case, code="public_notice").update(
        status=StepStatus.OPEN, data={"starts_on": str(today), "ends_on": str(week)}
    )
    # A month late, so that 超期督办 lists the case.
    month_ago = today - datetime.timedelta(days=30)
    Step.objects.filter(case=case, code="authorization").update(due_on=month_ago)
    objection = case_services.objection_register(actor=clerk, case=case, content="有车辆未申报")
    online = case_services.case_apply_online(**common, applicant=world.head, **tekun)
    paying = case_services.case_accept(**common, applicant=world.spouse, **tekun)
    Case.objects.filter(pk=paying.pk).update(status=CaseStatus.ACTIVE)
    paying.status = CaseStatus.ACTIVE
    review = review_create(actor=clerk, case=paying, kind="other", reason="抽查")
    tipoff = tipoff_register(
        actor=clerk, source="phone", content="收入不实", region_code=code, case=case
    )
    filing = relative_filing_create(
        actor=clerk,
        person=world.spouse,
        staff_name="村委会主任",
        staff_kind="village_cadre",
        relation="sibling",
        region_code=code,
        valid_from=today,
    )
    return {
        "case": case.pk,
        "online_case": online.pk,
        "objection": objection.pk,
        "review": review.pk,
        "tipoff": tipoff.pk,
        "filing": filing.pk,
        "county": county,
        "township": code[:9] + "000",
        "paying_case": paying.pk,
        "clerk": clerk.pk,
    }


def sheet_holds_case(key: str) -> Listed:
    """An XLSX export holds a case of the world when it holds the case's number."""
    from minzheng.programs.models import Case

    def check(response: HttpResponse, world: World) -> bool:
        return Case.objects.get(pk=world.ids[key]).number in sheet_cells(response)

    return check


def listed_id(key: str) -> Listed:
    def check(response: HttpResponse, world: World) -> bool:
        return any(item["id"] == world.ids[key] for item in response.json()["results"])

    return check


def new_case(channel: str) -> Body:
    """A 临时救助 application of the world's household (its 低保 case is already open)."""
    return lambda world, user: {
        "household": world.household.pk,
        "applicant": world.spouse.pk,
        "program": "temporary_emergency",
        "details": {"hardship": "ordinary", "emergency_cause": "fire"},
        "channel": channel,
    }


CASE = V1 + "/cases/{case}"
PROGRAM_API_ROWS = [
    Row("GET", V1 + "/cases/", CASE_READERS, listed=listed_id("case")),
    Row("POST", V1 + "/cases/", ACCEPTORS, ok=201, body=new_case("window"), out_of_scope=400),
    Row(
        "POST", V1 + "/cases/", ONLINE_APPLICANTS, ok=201, body=new_case("online"), out_of_scope=400
    ),
    Row("GET", CASE + "/", CASE_READERS),
    Row(
        "POST",
        CASE + "/steps/authorization/complete/",
        ACCEPTORS,
        body=fixed({"data": {"signed": True}}),
    ),
    Row("POST", V1 + "/cases/{online_case}/accept/", ACCEPTORS, body=fixed({})),
    Row("POST", CASE + "/withdraw/", ACCEPTORS, body=fixed({"reason": "申请人撤回"})),
    Row("POST", CASE + "/members/", MEMBER_SETTERS, body=fixed({"exclusions": {}})),
    Row("GET", CASE + "/events/", CASE_READERS),
    Row("GET", CASE + "/calculation/", CASE_READERS),
    Row("GET", CASE + "/documents/", CASE_READERS),
    Row("GET", HH + "/case-history/", CASE_READERS),
    Row(
        "POST",
        CASE + "/objections/",
        NOTICE_WORKERS,
        ok=201,
        body=fixed({"content": "家中有人在外务工"}),
    ),
    Row(
        "POST",
        V1 + "/objections/{objection}/resolve/",
        ACCEPTORS,
        body=fixed({"outcome": "dismissed", "investigation": "经核实不属实"}),
    ),
    Row("GET", V1 + "/inbox/", STEP_WORKERS, scoped=False),
    Row("GET", V1 + "/overdue/", CASE_READERS, scoped=False),
    Row("GET", V1 + "/programs/", CASE_READERS, scoped=False),
    Row("GET", V1 + "/standards/", CASE_READERS, scoped=False),
    Row(
        "POST",
        V1 + "/standards/",
        STANDARD_EDITORS,
        ok=201,
        out_of_scope=400,
        body=with_ids(
            lambda w: {
                "program": "dibao_rural",
                "parameter": "monthly_standard",
                "region_code": w.ids["county"],
                "valid_from": "2030-01-01",
                "value": "900",
            }
        ),
    ),
    Row("GET", V1 + "/reviews/", CASE_READERS, listed=listed_id("review")),
    Row(
        "POST",
        V1 + "/reviews/",
        CASEWORKERS,
        ok=201,
        out_of_scope=400,
        body=with_ids(
            lambda w: {"case": w.ids["paying_case"], "kind": "other", "reason": "专项抽查"}
        ),
    ),
    Row(
        "POST",
        V1 + "/reviews/{review}/complete/",
        CASEWORKERS,
        body=fixed({"outcome": "continue"}),
    ),
    Row("GET", V1 + "/tip-offs/", TIPOFF_READERS, listed=listed_id("tipoff")),
    Row(
        "POST",
        V1 + "/tip-offs/",
        CASEWORKERS,
        ok=201,
        out_of_scope=400,
        body=with_ids(
            lambda w: {"source": "letter", "content": "来信反映", "region_code": w.region.code}
        ),
    ),
    Row(
        "POST",
        V1 + "/tip-offs/{tipoff}/close/",
        CASEWORKERS,
        body=fixed({"investigation": "经核实不属实", "outcome": "unsubstantiated"}),
    ),
    Row(
        "POST",
        V1 + "/tip-offs/{tipoff}/assign/",
        CASEWORKERS,
        body=with_ids(lambda w: {"assignee": w.ids["clerk"]}),
    ),
    Row("GET", V1 + "/relative-filings/", RELATIVE_READERS, listed=listed_id("filing")),
    Row(
        "POST",
        V1 + "/relative-filings/",
        CASEWORKERS,
        ok=201,
        out_of_scope=400,
        body=with_ids(
            lambda w: {
                "person": w.spare.pk,
                "staff_name": "张会计",
                "staff_kind": "village_cadre",
                "relation": "spouse",
                "region_code": w.region.code,
            }
        ),
    ),
    Row(
        "POST",
        V1 + "/relative-filings/{filing}/revoke/",
        CASEWORKERS,
        body=fixed({"reason": "已离任"}),
    ),
]
API_ROWS += PROGRAM_API_ROWS

# Pages (session login): a write row posts form data and expects the redirect that follows a
# success (302). A row whose path is not routed (yet) is skipped, so that rows for pages being
# built can wait here.
R = "/registry"
REGISTRY_PAGE_ROWS = [
    Row("GET", R + "/persons/", READERS, listed=links_to(R + "/persons/{person}/"), page=True),
    Row("GET", R + "/persons/export/", READERS, listed=sheet_holds_head, page=True),
    Row("GET", R + "/persons/new/", EDITORS, scoped=False, page=True),
    Row("GET", R + "/persons/{person}/", READERS, page=True),
    Row("GET", R + "/persons/{person}/edit/", EDITORS, page=True),
    Row(
        "GET",
        R + "/households/",
        READERS,
        listed=links_to(R + "/households/{household}/"),
        page=True,
    ),
    Row("GET", R + "/households/export/", READERS, listed=sheet_holds_head, page=True),
    Row("GET", R + "/households/new/", EDITORS, scoped=False, page=True),
    Row("GET", R + "/households/{household}/", READERS, page=True),
    Row("GET", R + "/households/{household}/edit/", EDITORS, page=True),
    Row("GET", R + "/households/{household}/members/add/", EDITORS, page=True),
    Row(
        "GET",
        R + "/households/{household}/members/{membership}/remove/",
        EDITORS,
        page=True,
    ),
    Row(
        "POST",
        R + "/households/{household}/members/{membership}/remove/",
        EDITORS,
        ok=302,
        body=fixed({"valid_to": "2024-06-01", "leave_reason": "move_out", "reason": "迁出"}),
        page=True,
    ),
    Row("GET", R + "/households/{household}/head/", EDITORS, page=True),
    Row(
        "POST",
        R + "/households/{household}/head/",
        EDITORS,
        ok=302,
        body=with_ids(lambda w: {"new_head": w.spouse.pk, "reason": "户主外出"}),
        page=True,
    ),
    Row("GET", R + "/households/{household}/declarations/new/", EDITORS, page=True),
]
S = "/system"
# The core pages answer 404, not 403, to a role without the verb (core/views/access.py: "so
# that nothing about them leaks"), unlike the API and the registry pages: `denied=404` below
# records that choice until the two are made one.
CORE_PAGE_ROWS = [
    Row("GET", "/", ANYONE, scoped=False, page=True),
    Row("GET", S + "/regions/", READERS, scoped=False, page=True, denied=404),
    Row("GET", S + "/regions/{region}/", READERS, page=True, denied=404),
    Row(
        "GET",
        S + "/users/",
        USER_ADMINS,
        listed=links_to(S + "/users/{user}/"),
        page=True,
        denied=404,
    ),
    Row("GET", S + "/users/new/", USER_ADMINS, scoped=False, page=True, denied=404),
    Row("GET", S + "/users/{user}/", USER_ADMINS, page=True, denied=404),
    Row("GET", S + "/users/{user}/password/", USER_ADMINS, page=True, denied=404),
    Row("GET", S + "/audit/", AUDITORS, scoped=False, page=True, denied=404),
    Row("GET", S + "/audit/export.xlsx", AUDITORS, scoped=False, page=True, denied=404),
    Row("GET", S + "/calendar/", USER_ADMINS, scoped=False, page=True, denied=404),
]
PAGE_ROWS = REGISTRY_PAGE_ROWS + CORE_PAGE_ROWS

# The case pages (they meet the case world, as PROGRAM_API_ROWS do).
C = "/cases"
UPLOADERS = frozenset(
    {
        Role.VILLAGE_ASSISTANT,
        Role.TOWNSHIP_CLERK,
        Role.TOWNSHIP_LEADER,
        Role.COUNTY_OFFICER,
        Role.COUNTY_LEADER,
    }
)
SUPERVISORS = frozenset({Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.SYSTEM_ADMIN})
PROGRAM_PAGE_ROWS = [
    # No file is sent, so that nothing lands under MEDIA_ROOT: the form answers 200 with its
    # message ("请选择要上传的文件") to whoever may upload.
    Row("POST", C + "/{case}/documents/", UPLOADERS, body=fixed({"kind": "other"}), page=True),
    # The world's case is not decided yet: the page says so (400) instead of a letter.
    Row("GET", C + "/{case}/letter/", CASE_READERS, ok=400, page=True),
    Row("GET", C + "/notice/", CASE_READERS, listed=links_to(C + "/notice/{region}/"), page=True),
    Row("GET", C + "/notice/{region}/", CASE_READERS, page=True),
    # The world's case is under notice from today: its village's list prints (503 where the
    # server has no Chinese font).
    Row(
        "GET",
        C + "/notice/{region}/pdf/",
        CASE_READERS,
        ok=200 if cjk_fonts() else 503,
        page=True,
    ),
    Row("GET", C + "/", CASE_READERS, listed=links_to(C + "/{case}/"), page=True),
    Row("GET", C + "/export/", CASE_READERS, listed=sheet_holds_case("case"), page=True),
    Row("GET", C + "/{case}/", CASE_READERS, page=True),
    Row("GET", C + "/households/{household}/", CASE_READERS, page=True),
    Row("GET", C + "/inbox/", CASE_READERS, scoped=False, page=True),
    # 超期督办 lists the townships of the supervisor's scope, and a township's overdue steps (a
    # township outside the scope shows none: 200, not 404).
    Row("GET", C + "/overdue/", SUPERVISORS, listed=links_to("?township={township}"), page=True),
    Row(
        "GET",
        C + "/overdue/?township={township}",
        SUPERVISORS,
        listed=links_to(C + "/{case}/"),
        page=True,
    ),
    Row("GET", C + "/accept/", ONLINE_APPLICANTS, scoped=False, page=True),
    Row(
        "GET",
        C + "/accept/?q=张三",
        ONLINE_APPLICANTS,
        listed=links_to(C + "/accept/?household={household}"),
        page=True,
    ),
    Row("GET", C + "/accept/?household={household}", ONLINE_APPLICANTS, page=True),
    Row(
        "GET", C + "/online/", ONLINE_APPLICANTS, listed=links_to(C + "/{online_case}/"), page=True
    ),
    Row("GET", C + "/standards/", CASE_READERS, scoped=False, page=True),
    Row("GET", C + "/standards/new/", STANDARD_EDITORS, scoped=False, page=True),
    # The case's forms, posted empty so that nothing is done: the form (or the service) answers
    # 200 with its message to whoever may work it; a role that never works it gets 403.
    *[
        Row("POST", path, roles, body=fixed({}), page=True)
        for path, roles in [
            (C + "/{case}/steps/authorization/", ACCEPTORS),
            (C + "/{case}/withdraw/", ACCEPTORS),
            (C + "/{case}/objections/", NOTICE_WORKERS),
            (C + "/{case}/objections/{objection}/resolve/", ACCEPTORS),
        ]
    ],
]
M = C + "/manage"
PROGRAM_PAGE_ROWS += [
    Row("GET", M + "/reviews/", CASE_READERS, listed=links_to(M + "/reviews/{review}/"), page=True),
    Row(
        "GET",
        M + "/reviews/export/",
        CASE_READERS,
        listed=sheet_holds_case("paying_case"),
        page=True,
    ),
    Row("GET", M + "/reviews/{review}/", CASE_READERS, page=True),
    # Generating the periodic reviews writes (in the rolled-back savepoint) and goes back to the
    # list; the other forms are posted empty and answer 200 with their messages.
    Row("POST", M + "/reviews/generate/", CASEWORKERS, ok=302, scoped=False, page=True),
    Row("POST", M + "/reviews/new/", CASEWORKERS, body=fixed({}), scoped=False, page=True),
    Row("POST", M + "/reviews/{review}/complete/", CASEWORKERS, body=fixed({}), page=True),
    Row(
        "GET",
        M + "/tipoffs/",
        TIPOFF_READERS,
        listed=links_to(M + "/tipoffs/{tipoff}/"),
        page=True,
    ),
    Row("GET", M + "/tipoffs/export/", TIPOFF_READERS, listed=sheet_holds_case("case"), page=True),
    Row("GET", M + "/tipoffs/new/", CASEWORKERS, scoped=False, page=True),
    Row("GET", M + "/tipoffs/{tipoff}/", TIPOFF_READERS, page=True),
    Row("POST", M + "/tipoffs/{tipoff}/close/", CASEWORKERS, body=fixed({}), page=True),
    Row("POST", M + "/tipoffs/{tipoff}/assign/", CASEWORKERS, body=fixed({}), page=True),
    Row(
        "GET",
        M + "/relatives/",
        RELATIVE_READERS,
        listed=links_to(M + "/relatives/{filing}/"),
        page=True,
    ),
    Row(
        "GET",
        M + "/relatives/export/",
        RELATIVE_READERS,
        listed=sheet_holds_id("spouse"),
        page=True,
    ),
    Row("GET", M + "/relatives/new/", CASEWORKERS, scoped=False, page=True),
    Row("GET", M + "/relatives/{filing}/", RELATIVE_READERS, page=True),
    Row("POST", M + "/relatives/{filing}/revoke/", CASEWORKERS, body=fixed({}), page=True),
]
PAGE_ROWS += PROGRAM_PAGE_ROWS

# -- payments ----------------------------------------------------------------------------------

# The roles of payments/permissions.py, written out again so that the matrix checks them.

PAYROLL_READERS = frozenset(
    {
        Role.TOWNSHIP_CLERK,
        Role.TOWNSHIP_LEADER,
        Role.COUNTY_OFFICER,
        Role.COUNTY_LEADER,
        Role.AUDITOR,
        Role.SYSTEM_ADMIN,
    }
)
PAYMENT_HISTORY_READERS = PAYROLL_READERS | {Role.VILLAGE_ASSISTANT}
PAYROLL_OPERATORS = frozenset({Role.COUNTY_OFFICER})
PAYROLL_APPROVERS = frozenset({Role.COUNTY_LEADER})
FUND_KEEPERS = PAYROLL_OPERATORS
FUND_READERS = frozenset({Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.AUDITOR, Role.SYSTEM_ADMIN})
BANK_TEMPLATE_EDITORS = frozenset({Role.COUNTY_OFFICER, Role.SYSTEM_ADMIN})


def return_file(lines: Any, *, failed: int | None = None) -> bytes:
    """A bank's return file (default columns, UTF-8) for the lines: paid, but line `failed`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["账号", "户名", "金额", "处理结果", "失败原因"])
    for line in lines:
        bad = line.pk == failed
        result = ("失败", "账户已冻结") if bad else ("成功", "")
        writer.writerow([line.account_number, line.account_name, f"{line.amount:.2f}", *result])
    return out.getvalue().encode("utf-8-sig")


def pay_world(world: World) -> dict[str, Any]:
    """The payments objects of a world, made by a county officer of its county through the
    services where they exist: a paying 低保 case (its household banks at the 农商行), a funded
    account, and the township's runs of five months in the statuses the rows act on - February
    draft, March checked, April approved, June sent (its bank file waits for the return), May
    sent and returned with its line failed (the household's account corrected since, so that
    it may be reissued); an overpayment to recover; a bank template."""
    from minzheng.payments.models import BankTemplate, PaymentLine, PayrollRun
    from minzheng.payments.services import approval, bank, funds
    from tests.payments.support import PayingWorld, make_run, paying_household
    from tests.programs.dynamic_support import enrolled_case

    code = world.region.code
    county = code[:6] + "000000"
    officer = make_user(world.account.username + "_payer", Role.COUNTY_OFFICER, county)
    household = paying_household(officer, region_code=code)
    case = enrolled_case(officer, household, amount="500.00")
    today = timezone.localdate()
    fund = funds.fund_account_create(
        actor=officer, name="中央财政低保资金专户", source="central", region_code=county
    )
    funds.fund_entry_add(
        actor=officer,
        account=fund,
        kind="allocation",
        amount=Decimal("100000.00"),
        entry_date=today,
        document_number="财社〔2026〕1号",
    )

    def run(month: int, status: str) -> PayrollRun:
        made = make_run(
            PayingWorld(actor=officer, cases=[case]),
            month=datetime.date(2026, month, 1),
            status=status,
            region_code=code[:9] + "000",
        )
        if status == "approved":
            PayrollRun.objects.filter(pk=made.pk).update(fund_account=fund)
            made.refresh_from_db()
        return made

    def sent(month: int) -> PayrollRun:
        made = approval.run_lock(actor=officer, run=run(month, "approved"))
        bank.run_send(actor=officer, run=made)
        return made

    draft, checked, approved = run(2, "draft"), run(3, "checked"), run(4, "approved")
    generating = run(7, "generating")
    waiting = sent(6)
    returned = sent(5)
    line = returned.lines.get()
    answer = bank.bank_return_import(
        actor=officer,
        bank_file=returned.bank_files.get(),
        content=return_file([line], failed=line.pk),
        file_name="回盘.csv",
    )
    household.bank_account_number = "6228489999000001"
    household.save(update_fields=["bank_account_number"])
    overpaid = PaymentLine.objects.create(
        run=returned,
        case=case,
        person_id=case.applicant_id,
        household=household,
        program=case.program,
        region_code=code,
        month=datetime.date(2026, 1, 1),
        kind="adjustment",
        amount=Decimal("-500.00"),
        note="多发追回",
        status="to_recover",
        created_at=timezone.now(),
    )
    template = BankTemplate.objects.create(
        region_code=county, bank_name="中国工商银行", columns=bank.DEFAULT_COLUMNS
    )
    return {
        "pay_person": case.applicant_id,
        "pay_household": household.pk,
        "fund": fund.pk,
        "draft_run": draft.pk,
        "generating_run": generating.pk,
        "checked_run": checked.pk,
        "approved_run": approved.pk,
        "sent_run": waiting.pk,
        "returned_run": returned.pk,
        "bank_file": waiting.bank_files.get().pk,
        "bank_return": answer.pk,
        "failed_line": line.pk,
        "overpaid_line": overpaid.pk,
        "template": template.pk,
        "pay_county": county,
        "pay_month": f"{today:%Y-%m}",
        "today": str(today),
    }


def run_version(key: str, **data: Any) -> Body:
    """A run's step: the run's version as read, and the step's record."""

    def body(world: World, user: User) -> dict[str, Any]:
        from minzheng.payments.models import PayrollRun

        return {"version": PayrollRun.objects.get(pk=world.ids[key]).version, **data}

    return body


def approval_body(world: World, user: User) -> dict[str, Any]:
    """The collective decision on the world's checked run, paid from the world's account."""
    return run_version(
        "checked_run",
        meeting_date=world.ids["today"],
        attendees="王局长、李副局长、张科长",
        decision="同意发放",
        fund_account=world.ids["fund"],
    )(world, user)


def recovery_body(world: World, user: User) -> dict[str, Any]:
    return {
        "receipt": "收据0001",
        "recovered_on": world.ids["today"],
        "fund_account": world.ids["fund"],
    }


def allocation_body(world: World, user: User) -> dict[str, Any]:
    return {
        "kind": "allocation",
        "amount": "1000.00",
        "entry_date": world.ids["today"],
        "document_number": "财社〔2026〕2号",
    }


def bank_return(world: World, user: User) -> dict[str, Any]:
    """The bank's answer to the world's waiting bank file: every row paid."""
    from minzheng.payments.models import PaymentLine

    upload = io.BytesIO(return_file(PaymentLine.objects.filter(bank_file=world.ids["bank_file"])))
    upload.name = "回盘.csv"
    return {"file": upload}


def bank_template(world: World, user: User) -> dict[str, Any]:
    return {
        "region_code": world.ids["pay_county"],
        "bank_name": "中国建设银行",
        "columns": [
            {"header": "户名", "field": "account_name"},
            {"header": "账号", "field": "account_number"},
            {"header": "金额", "field": "amount"},
        ],
        "return_columns": {"account_number": "账号", "amount": "金额", "result": "结果"},
        "success_values": ["成功"],
    }


RUN = V1 + "/payroll-runs/{draft_run}"
FUND = V1 + "/fund-accounts/{fund}"
PAYMENT_API_ROWS = [
    Row("GET", V1 + "/payroll-runs/", PAYROLL_READERS, listed=listed_id("draft_run")),
    Row(
        "POST",
        V1 + "/payroll-runs/",
        PAYROLL_OPERATORS,
        ok=201,
        out_of_scope=400,
        body=with_ids(
            lambda w: {
                "program": "tekun",
                "region_code": w.ids["pay_county"],
                "month": w.ids["pay_month"],
            }
        ),
    ),
    Row("GET", RUN + "/", PAYROLL_READERS),
    Row("GET", RUN + "/lines/", PAYROLL_READERS),
    Row("POST", RUN + "/check/", PAYROLL_OPERATORS, body=run_version("draft_run")),
    Row("POST", RUN + "/regenerate/", PAYROLL_OPERATORS, body=run_version("draft_run")),
    Row("POST", RUN + "/cancel/", PAYROLL_OPERATORS, body=run_version("draft_run", reason="重复")),
    Row(
        "POST",
        V1 + "/payroll-runs/{checked_run}/approve/",
        PAYROLL_APPROVERS,
        body=approval_body,
    ),
    Row(
        "POST",
        V1 + "/payroll-runs/{approved_run}/lock/",
        PAYROLL_OPERATORS,
        body=run_version("approved_run"),
    ),
    Row(
        "POST",
        V1 + "/payroll-runs/{sent_run}/send/",  # a sent run answers with the same files
        PAYROLL_OPERATORS,
        body=run_version("sent_run"),
    ),
    Row("GET", V1 + "/payroll-runs/{sent_run}/bank-files/", PAYROLL_READERS),
    Row("GET", V1 + "/bank-files/{bank_file}/", PAYROLL_READERS),
    Row("GET", V1 + "/bank-files/{bank_file}/download/", PAYROLL_READERS),
    Row(
        "POST",
        V1 + "/bank-files/{bank_file}/returns/",
        PAYROLL_OPERATORS,
        ok=201,
        body=bank_return,
        multipart=True,
    ),
    Row("GET", V1 + "/bank-returns/{bank_return}/", PAYROLL_READERS),
    Row(
        "GET",
        V1 + "/payment-lines/reissue-queue/",
        PAYROLL_READERS,
        listed=listed_id("failed_line"),
    ),
    Row(
        "POST",
        V1 + "/payment-lines/reissue/",
        PAYROLL_OPERATORS,
        ok=201,
        out_of_scope=400,  # a line named in the body: a field error
        body=with_ids(lambda w: {"line_ids": [w.ids["failed_line"]]}),
    ),
    Row(
        "GET",
        V1 + "/payment-lines/recoveries/",
        PAYROLL_READERS,
        listed=listed_id("overpaid_line"),
    ),
    Row(
        "POST",
        V1 + "/payment-lines/{overpaid_line}/recovery/",
        PAYROLL_OPERATORS,
        body=recovery_body,
    ),
    Row("GET", V1 + "/fund-accounts/", FUND_READERS, listed=listed_id("fund")),
    Row(
        "POST",
        V1 + "/fund-accounts/",
        FUND_KEEPERS,
        ok=201,
        out_of_scope=400,
        body=with_ids(
            lambda w: {
                "name": "县级配套资金专户",
                "source": "county",
                "region_code": w.ids["pay_county"],
            }
        ),
    ),
    Row("GET", FUND + "/", FUND_READERS),
    Row(
        "POST",
        FUND + "/entries/",
        FUND_KEEPERS,
        ok=201,
        body=allocation_body,
    ),
    Row("GET", FUND + "/statement/", FUND_READERS),
    Row("GET", V1 + "/bank-templates/", BANK_TEMPLATE_EDITORS, listed=listed_id("template")),
    Row(
        "POST",
        V1 + "/bank-templates/",
        BANK_TEMPLATE_EDITORS,
        ok=201,
        out_of_scope=400,
        body=bank_template,
    ),
    Row("GET", V1 + "/bank-templates/{template}/", BANK_TEMPLATE_EDITORS),
    Row("PUT", V1 + "/bank-templates/{template}/", BANK_TEMPLATE_EDITORS, body=bank_template),
    Row("GET", V1 + "/persons/{pay_person}/payments/", PAYMENT_HISTORY_READERS),
    Row("GET", V1 + "/households/{pay_household}/payments/", PAYMENT_HISTORY_READERS),
]
API_ROWS += PAYMENT_API_ROWS

# The payments pages: the run's actions post their forms and go back to the run (302).
P = "/payments"
PRUN = P + "/runs/{draft_run}"
PAYMENT_PAGE_ROWS = [
    Row("GET", P + "/", PAYROLL_READERS, listed=links_to(P + "/runs/{draft_run}/"), page=True),
    Row("GET", P + "/runs/new/", PAYROLL_OPERATORS, scoped=False, page=True),
    Row("GET", PRUN + "/", PAYROLL_READERS, page=True),
    Row("GET", PRUN + "/progress/", PAYROLL_READERS, page=True),
    Row("GET", PRUN + "/lines/", PAYROLL_READERS, page=True),
    Row(
        "POST",
        PRUN + "/check/",
        PAYROLL_OPERATORS,
        ok=302,
        body=run_version("draft_run"),
        page=True,
    ),
    Row(
        "POST",
        PRUN + "/regenerate/",
        PAYROLL_OPERATORS,
        ok=302,
        body=run_version("draft_run"),
        page=True,
    ),
    Row(
        "POST",
        P + "/runs/{generating_run}/resume/",
        PAYROLL_OPERATORS,
        ok=302,
        body=run_version("generating_run"),
        page=True,
    ),
    Row(
        "POST",
        PRUN + "/cancel/",
        PAYROLL_OPERATORS,
        ok=302,
        body=run_version("draft_run", reason="重复"),
        page=True,
    ),
    Row(
        "POST",
        P + "/runs/{checked_run}/approve/",
        PAYROLL_APPROVERS,
        ok=302,
        body=approval_body,
        page=True,
    ),
    Row(
        "POST",
        P + "/runs/{approved_run}/lock/",
        PAYROLL_OPERATORS,
        ok=302,
        body=run_version("approved_run"),
        page=True,
    ),
    Row(
        "POST",
        P + "/runs/{sent_run}/send/",
        PAYROLL_OPERATORS,
        ok=302,
        body=run_version("sent_run"),
        page=True,
    ),
    # The village's payroll list for the notice board (503 where the server has no Chinese font).
    Row(
        "GET",
        PRUN + "/villages/{region}/pdf/",
        PAYROLL_READERS,
        ok=200 if cjk_fonts() else 503,
        page=True,
    ),
    Row("GET", P + "/bank-files/{bank_file}/download/", PAYROLL_READERS, page=True),
    Row("GET", P + "/bank-files/{bank_file}/return/", PAYROLL_OPERATORS, page=True),
    Row(
        "POST",
        P + "/bank-files/{bank_file}/return/",
        PAYROLL_OPERATORS,
        ok=302,
        body=bank_return,
        page=True,
    ),
    Row("GET", P + "/returns/{bank_return}/", PAYROLL_READERS, page=True),
    Row(
        "GET",
        P + "/reissue/",
        PAYROLL_READERS,
        listed=links_to("/registry/households/{pay_household}/"),
        page=True,
    ),
    # A line outside the scope is not in the queue: the page goes back to it with a message.
    Row(
        "POST",
        P + "/reissue/",
        PAYROLL_OPERATORS,
        ok=302,
        out_of_scope=302,
        body=with_ids(lambda w: {"lines": [w.ids["failed_line"]]}),
        page=True,
    ),
    Row(
        "GET",
        P + "/recoveries/",
        PAYROLL_READERS,
        listed=links_to(P + "/runs/{returned_run}/"),
        page=True,
    ),
    Row("GET", P + "/recoveries/{overpaid_line}/", PAYROLL_OPERATORS, page=True),
    Row(
        "POST",
        P + "/recoveries/{overpaid_line}/",
        PAYROLL_OPERATORS,
        ok=302,
        body=recovery_body,
        page=True,
    ),
    Row("GET", P + "/funds/", FUND_READERS, listed=links_to(P + "/funds/{fund}/"), page=True),
    Row("GET", P + "/funds/new/", FUND_KEEPERS, scoped=False, page=True),
    Row("GET", P + "/funds/{fund}/", FUND_READERS, page=True),
    Row("GET", P + "/funds/{fund}/entries/new/", FUND_KEEPERS, page=True),
    Row(
        "POST",
        P + "/funds/{fund}/entries/new/",
        FUND_KEEPERS,
        ok=302,
        body=allocation_body,
        page=True,
    ),
    Row(
        "GET",
        P + "/bank-templates/",
        BANK_TEMPLATE_EDITORS,
        listed=links_to(P + "/bank-templates/{template}/"),
        page=True,
    ),
    Row("GET", P + "/bank-templates/new/", BANK_TEMPLATE_EDITORS, scoped=False, page=True),
    Row("GET", P + "/bank-templates/{template}/", BANK_TEMPLATE_EDITORS, page=True),
    Row("GET", P + "/persons/{pay_person}/", PAYMENT_HISTORY_READERS, page=True),
    Row("GET", P + "/households/{pay_household}/", PAYMENT_HISTORY_READERS, page=True),
]
PAGE_ROWS += PAYMENT_PAGE_ROWS
PAYMENT_ROWS = PAYMENT_API_ROWS + PAYMENT_PAGE_ROWS

# -- matching (信息比对) -------------------------------------------------------------------------

# The roles of matching/permissions.py, written out again so that the matrix checks them.
MATCH_READERS = frozenset(
    {
        Role.TOWNSHIP_CLERK,
        Role.TOWNSHIP_LEADER,
        Role.COUNTY_OFFICER,
        Role.COUNTY_LEADER,
        Role.AUDITOR,
        Role.SYSTEM_ADMIN,
    }
)
DATASET_KEEPERS = frozenset({Role.COUNTY_OFFICER})
DATASET_READERS = frozenset(
    {Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.AUDITOR, Role.SYSTEM_ADMIN}
)
MATCH_OPERATORS = frozenset({Role.COUNTY_OFFICER})
FLAG_WORKERS = CASEWORKERS  # the reviewers: township clerk and leader, county officer and leader
RULE_EDITORS = frozenset({Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.SYSTEM_ADMIN})

DEATHS_CSV = "身份证号,姓名,死亡日期\n{id_number},张三,2026-10-01\n"


def match_world(world: World) -> dict[str, Any]:
    """The matching objects of a world: the county's delivery of deaths, uploaded and waiting
    for its columns, and an earlier one refused with its report; two runs of the world's
    township (a township's run, so that the neighbouring township does not see it as it would
    see a county's), one done and one queued; and the head flagged by the done run as a 漏保
    candidate."""
    from minzheng.matching.models import ExternalDataset, MatchFlag, MatchRun

    code = world.region.code
    county, township = code[:6] + "000000", code[:9] + "000"
    officer = make_user(world.account.username + "_matcher", Role.COUNTY_OFFICER, county)
    today = timezone.localdate()
    dataset = ExternalDataset.objects.create(
        kind="death",
        region_code=county,
        source="县公安局",
        data_date=today,
        file_name="死亡人员.csv",
        file_format="csv",
        encoding="utf-8",
        headers=["身份证号", "姓名", "死亡日期"],
        sample_rows=[[world.head.id_number, "张三", "2026-10-01"]],
        column_mapping={"id_number": "身份证号", "name": "姓名", "death_date": "死亡日期"},
        created_by=officer,
    )
    refused = ExternalDataset.objects.create(
        kind="death",
        region_code=county,
        source="县殡仪馆",
        data_date=today,
        status="refused",
        file_name="死亡人员(有误).csv",
        file_format="csv",
        encoding="utf-8",
        headers=["身份证号", "姓名", "死亡日期"],
        column_mapping={"id_number": "身份证号", "name": "姓名", "death_date": "死亡日期"},
        total_rows=2,
        valid_rows=1,
        error_rows=1,
        invalid_id_rows=1,
        report={
            "samples": [
                {
                    "row_no": 3,
                    "column": "死亡日期",
                    "value": "2026-13-45",
                    "reason": "不是有效日期",
                    "code": "bad_date",
                    "error": True,
                }
            ]
        },
        created_by=officer,
    )
    done = MatchRun.objects.create(
        number=f"BD{township}01",
        region_code=township,
        as_of=today,
        status="done",
        rules=["age_allowance_missing"],
        rule_counts={"age_allowance_missing": {"hits": 1, "new": 1, "seconds": 0.1}},
        hit_count=1,
        new_flag_count=1,
        percent=100,
        created_by=officer,
    )
    queued = MatchRun.objects.create(
        number=f"BD{township}02", region_code=township, as_of=today, created_by=officer
    )
    flag = MatchFlag.objects.create(
        rule="age_allowance_missing",
        action="candidate",
        run=done,
        last_run=done,
        person=world.head,
        household=world.household,
        region_code=code,
        program="age_allowance",
        evidence_key=f"age-{world.head.pk}",
        evidence={"figure": "80"},
        summary="该老年人已满80周岁,未享受高龄津贴,建议纳入",
        due_on=today + datetime.timedelta(days=21),
    )
    return {
        "match_dataset": dataset.pk,
        "refused_dataset": refused.pk,
        "match_run": done.pk,
        "queued_run": queued.pk,
        "match_flag": flag.pk,
    }


def deaths_file(world: World, user: User) -> dict[str, Any]:
    upload = io.BytesIO(DEATHS_CSV.format(id_number=world.head.id_number).encode("utf-8"))
    upload.name = "死亡人员.csv"
    return {"kind": "death", "source": "县公安局", "data_date": "2026-10-31", "file": upload}


MDS = V1 + "/match-datasets/{match_dataset}"
REFUSED = V1 + "/match-datasets/{refused_dataset}"
MRUN = V1 + "/match-runs/{match_run}"
MFLAG = V1 + "/match-flags/{match_flag}"
MATCH_API_ROWS = [
    Row("GET", V1 + "/dataset-kinds/", MATCH_READERS, scoped=False),
    Row("GET", V1 + "/match-datasets/", DATASET_READERS, listed=listed_id("match_dataset")),
    # The delivery lands in the uploader's own county: no object to be out of scope.
    Row(
        "POST",
        V1 + "/match-datasets/",
        DATASET_KEEPERS,
        ok=201,
        body=deaths_file,
        multipart=True,
        scoped=False,
    ),
    Row("GET", REFUSED + "/", DATASET_READERS),
    Row(
        "POST",
        MDS + "/mapping/",
        DATASET_KEEPERS,
        body=fixed(
            {"mapping": {"id_number": "身份证号", "name": "姓名", "death_date": "死亡日期"}}
        ),
    ),
    Row("POST", MDS + "/validate/", DATASET_KEEPERS, ok=202, body=fixed({})),
    Row("GET", REFUSED + "/problems/", DATASET_READERS),
    # A rule's settings are the caller's county's: no object to be out of scope.
    Row("GET", V1 + "/match-rules/", MATCH_READERS, scoped=False),
    Row(
        "PATCH",
        V1 + "/match-rules/vehicle/",
        RULE_EDITORS,
        body=fixed({"due_days": 20}),
        scoped=False,
    ),
    Row("GET", V1 + "/match-runs/", MATCH_READERS, listed=listed_id("match_run")),
    # A run compares the starter's own county (the world's runs are its township's).
    Row(
        "POST",
        V1 + "/match-runs/",
        MATCH_OPERATORS,
        ok=202,
        body=fixed({"rules": ["age_allowance_missing"]}),
        scoped=False,
    ),
    Row("GET", MRUN + "/", MATCH_READERS),
    Row("POST", V1 + "/match-runs/{queued_run}/cancel/", MATCH_OPERATORS, body=fixed({})),
    Row("GET", MRUN + "/summary/", MATCH_READERS),
    Row("GET", V1 + "/match-flags/", MATCH_READERS, listed=listed_id("match_flag")),
    Row("GET", MFLAG + "/", MATCH_READERS),
    Row(
        "POST",
        MFLAG + "/confirm/",
        FLAG_WORKERS,
        body=fixed({"outcome": "referred", "reason": "已转介申请高龄津贴"}),
    ),
    Row("POST", MFLAG + "/dismiss/", FLAG_WORKERS, body=fixed({"reason": "经核实已在外县享受"})),
    Row("GET", V1 + "/match-figures/", MATCH_READERS, scoped=False),
]
API_ROWS += MATCH_API_ROWS

# The matching pages: GET every page; the flag's forms posted empty answer 200 with their
# messages to whoever may work the flag.
MP = "/matching"
MATCH_PAGE_ROWS = [
    Row("GET", MP + "/", MATCH_READERS, listed=links_to(MP + "/runs/{match_run}/"), page=True),
    Row("GET", MP + "/runs/new/", MATCH_OPERATORS, scoped=False, page=True),
    Row("GET", MP + "/runs/{match_run}/", MATCH_READERS, page=True),
    Row("GET", MP + "/runs/{queued_run}/progress/", MATCH_READERS, page=True),
    Row(
        "POST",
        MP + "/runs/{queued_run}/cancel/",
        MATCH_OPERATORS,
        ok=302,
        body=fixed({}),
        page=True,
    ),
    Row(
        "GET",
        MP + "/datasets/",
        DATASET_READERS,
        listed=links_to(MP + "/datasets/{match_dataset}/"),
        page=True,
    ),
    Row("GET", MP + "/datasets/new/", DATASET_KEEPERS, scoped=False, page=True),
    # A delivery waiting for its columns sends its keeper to them: the refused one is read.
    Row("GET", MP + "/datasets/{refused_dataset}/", DATASET_READERS, page=True),
    Row("GET", MP + "/datasets/{match_dataset}/columns/", DATASET_KEEPERS, page=True),
    Row("GET", MP + "/datasets/{match_dataset}/progress/", DATASET_READERS, page=True),
    Row("GET", MP + "/datasets/{refused_dataset}/problems/", DATASET_READERS, page=True),
    Row(
        "GET",
        MP + "/flags/",
        MATCH_READERS,
        listed=links_to(MP + "/flags/{match_flag}/"),
        page=True,
    ),
    Row("GET", MP + "/flags/{match_flag}/", MATCH_READERS, page=True),
    # The forms posted empty, so that nothing is done: 200 with their messages.
    Row("POST", MP + "/runs/new/", MATCH_OPERATORS, body=fixed({}), scoped=False, page=True),
    Row("POST", MP + "/datasets/new/", DATASET_KEEPERS, body=fixed({}), scoped=False, page=True),
    Row(
        "POST",
        MP + "/datasets/{match_dataset}/columns/",
        DATASET_KEEPERS,
        body=fixed({}),
        page=True,
    ),
    Row("POST", MP + "/rules/vehicle/", RULE_EDITORS, body=fixed({}), scoped=False, page=True),
    *[
        Row(
            "POST",
            MP + "/flags/{match_flag}/" + action + "/",
            FLAG_WORKERS,
            body=fixed({}),
            page=True,
        )
        for action in ("confirm", "dismiss")
    ],
    Row(
        "GET",
        MP + "/candidates/",
        MATCH_READERS,
        listed=links_to(MP + "/flags/{match_flag}/"),
        page=True,
    ),
    Row("GET", MP + "/rules/", MATCH_READERS, scoped=False, page=True),
    Row("GET", MP + "/rules/vehicle/", RULE_EDITORS, scoped=False, page=True),
]
PAGE_ROWS += MATCH_PAGE_ROWS
MATCH_ROWS = MATCH_API_ROWS + MATCH_PAGE_ROWS

ROWS = API_ROWS + PAGE_ROWS
PLACEHOLDERS = ("household", "person", "membership", "declaration", "user", "event")
CASE_PLACEHOLDERS = (
    "case",
    "online_case",
    "objection",
    "review",
    "tipoff",
    "filing",
    "county",
    "township",
    "paying_case",
    "clerk",
)
PAYMENT_PLACEHOLDERS = (
    "pay_person",
    "pay_household",
    "fund",
    "draft_run",
    "generating_run",
    "checked_run",
    "approved_run",
    "sent_run",
    "returned_run",
    "bank_file",
    "bank_return",
    "failed_line",
    "overpaid_line",
    "template",
)
MATCH_PLACEHOLDERS = ("match_dataset", "refused_dataset", "match_run", "queued_run", "match_flag")
CASES = [
    pytest.param(
        row,
        side,
        id=f"{'page' if row.page else 'api'} {row.name} [{side}]",
        marks=[pytest.mark.xfail(strict=True, reason=row.xfail)] if row.xfail else [],
    )
    for row in ROWS
    for side in (("in", "out") if row.scoped else ("in",))
]


# -- running a cell -----------------------------------------------------------------------------


def expected(row: Row, user: User, world: World) -> str:
    if user.role not in row.roles:
        return str(row.denied)
    inside = world.region.code.startswith(user.scope_prefix)
    if row.listed is not None:
        return "200 listed" if inside else "200 hidden"
    if not row.scoped or inside:
        return str(row.ok)
    return str(row.out_of_scope)


def request(row: Row, user: User, world: World) -> HttpResponse:
    path = row.path.format(**world.ids)
    data = row.body(world, user) if row.body else None
    if row.page:
        client: Client = Client()
        client.force_login(user)
    else:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=user).key}")
    call = getattr(client, row.method.lower())
    if data is None:
        response: HttpResponse = call(path)
    elif row.page:
        response = call(path, data)
    elif row.multipart:
        response = call(path, data, format="multipart")
    else:
        response = call(path, json.dumps(data), content_type="application/json")
    return response


def observed(row: Row, user: User, world: World) -> str:
    """The cell's outcome, left without a trace: the request runs in a rolled-back savepoint."""
    cache.clear()  # throttle counters (the login row is called once per persona)
    with transaction.atomic():
        response = request(row, user, world)
        outcome = str(response.status_code)
        if row.listed is not None and response.status_code == 200:
            outcome += " listed" if row.listed(response, world) else " hidden"
        transaction.set_rollback(True)
    return outcome


def routed(path: str) -> bool:
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return False
    return True


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "side"), CASES)
def test_permission_matrix(row: Row, side: str, personas: Personas) -> None:
    placeholders = dict.fromkeys(
        PLACEHOLDERS + CASE_PLACEHOLDERS + PAYMENT_PLACEHOLDERS + MATCH_PLACEHOLDERS, 1
    )
    if not routed(row.path.format(region=VILLAGE, **placeholders)):
        pytest.skip(f"{row.path} is not routed yet")
    near = build_world(personas.village_assistant, VILLAGE, "account_near")
    far = build_world(personas.other_county_officer, OTHER_COUNTY_VILLAGE, "account_far")
    if row in PROGRAM_API_ROWS or row in PROGRAM_PAGE_ROWS:
        for world in (near, far):
            world.ids.update(case_world(world))
    if row in PAYMENT_ROWS:
        for world in (near, far):
            world.ids.update(pay_world(world))
    if row in MATCH_ROWS:
        for world in (near, far):
            world.ids.update(match_world(world))
    world = near if side == "in" else far
    users = vars(personas)
    for user in users.values():
        Token.objects.get_or_create(user=user)
    want = {name: expected(row, user, world) for name, user in users.items()}
    got = {name: observed(row, user, world) for name, user in users.items()}
    assert got == want
