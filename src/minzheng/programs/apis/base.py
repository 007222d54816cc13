"""What every endpoint of the case engine shares: the role checks, the enum fields, and how the
engine's errors become HTTP answers (CaseError 400, CaseConflict 409, a role refusal 403)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Choices
from django.http import Http404
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from minzheng.core.api import Conflict, request_user, roles_required
from minzheng.core.models import Role, User
from minzheng.core.scope import OUT_OF_SCOPE, in_scope, scoped
from minzheng.programs import selectors
from minzheng.programs.models import Case, StepLevel
from minzheng.programs.permissions import (
    CASE_ACCEPTORS,
    CASE_READERS,
    LEVEL_ROLES,
    ONLINE_APPLICANTS,
    RELATIVE_FILERS,
    RELATIVE_READERS,
    REVIEWERS,
    STANDARD_EDITORS,
    TIPOFF_READERS,
    roles_for_step,
)
from minzheng.programs.policies import POLICIES
from minzheng.programs.services import cases as case_services
from minzheng.programs.services.errors import NON_FIELD, CaseConflict, CaseError
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.models import Household

HOUSEHOLD_NOT_FOUND = "编号为{pk}的家庭不存在或不在您的管辖范围内"
USER_NOT_FOUND = "编号为{pk}的用户不存在或不在您的管辖范围内"
CASE_NOT_FOUND = "编号为{pk}的案件不存在或不在您的管辖范围内"


def _roles(values: Iterable[str]) -> set[Role]:
    return {Role(v) for v in values}


STEP_WORKERS = _roles(set().union(*LEVEL_ROLES.values()))

CaseReaders = roles_required(CASE_READERS, "CaseReaders")
CaseAcceptors = roles_required(CASE_ACCEPTORS, "CaseAcceptors")
CaseApplicants = roles_required(CASE_ACCEPTORS | ONLINE_APPLICANTS, "CaseApplicants")
# as services.cases.case_members_set allows
MemberSetters = roles_required(CASE_ACCEPTORS | {Role.COUNTY_OFFICER}, "MemberSetters")
StepWorkers = roles_required(STEP_WORKERS, "StepWorkers")
StandardEditors = roles_required(STANDARD_EDITORS, "StandardEditors")
Reviewers = roles_required(REVIEWERS, "Reviewers")
TipOffReaders = roles_required(TIPOFF_READERS, "TipOffReaders")
RelativeReaders = roles_required(RELATIVE_READERS, "RelativeReaders")
RelativeFilers = roles_required(RELATIVE_FILERS, "RelativeFilers")
ObjectionRegistrars = roles_required(
    _roles(roles_for_step("public_notice", StepLevel.VILLAGE)), "ObjectionRegistrars"
)
ObjectionResolvers = roles_required(
    _roles(roles_for_step("township_review", StepLevel.TOWNSHIP)), "ObjectionResolvers"
)


def step_codes() -> set[str]:
    """Every step code of every program."""
    return {spec.code for policy in POLICIES.values() for spec in policy.steps}


def roles_for_code(code: str) -> set[str]:
    """The roles that may complete step `code` of some case: the roles of every level the step
    has in any program, and the township leader where approval is delegated. Which level a
    given case's step has is the service's to check (it knows the case)."""
    roles: set[str] = set()
    for policy in POLICIES.values():
        for spec in policy.steps:
            if spec.code == code and not spec.auto:
                roles |= roles_for_step(code, spec.level)
    if code == "county_approval":
        roles |= roles_for_step(code, StepLevel.TOWNSHIP)
    return roles


class StepCompleters(BasePermission):
    """Admits the roles that work step `code` (from the URL) at some level; a role that never
    does that step gets 403 without the case being looked up."""

    message = case_services.NOT_ALLOWED

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not isinstance(user, User):
            return False
        code = view.kwargs.get("code", "")
        if code not in step_codes():
            return user.role in STEP_WORKERS  # the view answers 404
        return user.role in roles_for_code(code)


# -- enums ----------------------------------------------------------------------------------------


class CodeField(serializers.ChoiceField):
    """An enum given as its code identifier (`in_progress`), documented in the schema as one
    component named after the domain's choices class (CaseStatusEnum, ObjectionOutcomeEnum), so
    that the many `status` and `outcome` fields of the engine never collide."""

    def __init__(
        self, choices: type[Choices] | list[tuple[str, str]], name: str = "", **kwargs: Any
    ):
        if isinstance(choices, list):
            self.enum_name = name
            super().__init__(choices=choices, **kwargs)
        else:
            self.enum_name = name or choices.__qualname__.replace(".", "")
            super().__init__(choices=choices.choices, **kwargs)


class CodeFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = CodeField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        field: CodeField = self.target
        values = [v for v in field.choices if v not in ("", None)]
        lines = [f"* `{v}` - {field.choices[v]}" for v in values]
        component = ResolvedComponent(  # type: ignore[no-untyped-call]
            name=f"{field.enum_name}Enum",
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={"enum": values, "type": "string", "description": "\n".join(lines)},
        )
        auto_schema.registry.register_on_missing(component)
        variants = [component.ref]
        if field.allow_blank:
            blank = ResolvedComponent(  # type: ignore[no-untyped-call]
                name="BlankEnum",
                type=ResolvedComponent.SCHEMA,
                object="BlankEnum",
                schema={"enum": [""]},
            )
            auto_schema.registry.register_on_missing(blank)
            variants.append(blank.ref)
        if field.allow_null:
            null = ResolvedComponent(  # type: ignore[no-untyped-call]
                name="NullEnum",
                type=ResolvedComponent.SCHEMA,
                object="NullEnum",
                schema={"enum": [None]},
            )
            auto_schema.registry.register_on_missing(null)
            variants.append(null.ref)
        return variants[0] if len(variants) == 1 else {"oneOf": variants}


def program_field(**kwargs: Any) -> CodeField:
    choices = [(code, policy.label) for code, policy in POLICIES.items()]
    kwargs.setdefault("help_text", "救助项目代码")
    return CodeField(choices, name="Program", **kwargs)


# -- errors ---------------------------------------------------------------------------------------


@contextmanager
def case_errors(top_fields: frozenset[str] | None = None) -> Iterator[None]:
    """Answer the engine's refusals: a role refusal (NOT_ALLOWED) 403, a CaseError 400 with its
    field errors, a CaseConflict 409. With `top_fields`, the request carries the step's record
    in a `data` object: a service key that is not a top-level field is reported as
    `data.<key>` (the survey's {"surveyors": [m]} becomes {"data.surveyors": [m]})."""
    try:
        yield
    except CaseError as e:
        if e.errors == {NON_FIELD: [case_services.NOT_ALLOWED]}:
            raise PermissionDenied(case_services.NOT_ALLOWED) from None
        raise ValidationError({_field(k, top_fields): v for k, v in e.errors.items()}) from None
    except CaseConflict as e:
        raise Conflict(e.message) from None


def _field(key: str, top_fields: frozenset[str] | None) -> str:
    if top_fields is None or key in top_fields or key == NON_FIELD:
        return key
    return f"data.{key}"


# -- lookups --------------------------------------------------------------------------------------


def case_for(request: Request, pk: int) -> Case:
    """The case of the URL (404 outside the caller's scope)."""
    return selectors.case_get(user=request_user(request), pk=pk)


def household_in_scope(user: User, pk: int, field: str) -> Household:
    """A household named in a request body: outside the scope it is a field error, not a 404."""
    try:
        return registry_selectors.household_get(user=user, pk=pk)
    except Http404:
        raise ValidationError({field: [HOUSEHOLD_NOT_FOUND.format(pk=pk)]}) from None


def case_in_scope(user: User, pk: int, field: str) -> Case:
    case = scoped(Case.objects.select_related("household"), user).filter(pk=pk).first()
    if case is None:
        raise ValidationError({field: [CASE_NOT_FOUND.format(pk=pk)]})
    return case


def user_in_scope(actor: User, pk: int, field: str) -> User:
    """A user named in a request body (an assignee, a worker): any active account whose region
    lies in the caller's scope or above it (a township clerk may name a county officer)."""
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not (
        user.region_id.startswith(actor.scope_prefix)
        or actor.region_id.startswith(user.scope_prefix)
    ):
        raise ValidationError({field: [USER_NOT_FOUND.format(pk=pk)]})
    return user


def region_in_scope(user: User, code: str, field: str = "region_code") -> str:
    """A region named in a request body: outside the scope it is a field error, not a 404."""
    if not in_scope(user, code):
        raise ValidationError({field: [OUT_OF_SCOPE]})
    return code
