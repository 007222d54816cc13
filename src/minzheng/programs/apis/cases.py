"""Cases: the list, the one-window acceptance (or an online application), a case with its steps,
members, calculation, benefit periods, grants and objections, the step completions, the
online application's acceptance, the withdrawal, the members counted, the audit timeline and
the benefit worked out now."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import (
    ROLE_NOT_ALLOWED,
    AuditEventSerializer,
    Pagination,
    RegionCodeFilterField,
    paginated_response,
    request_user,
)
from minzheng.core.regions import prefix_q
from minzheng.core.scope import scoped
from minzheng.programs import selectors
from minzheng.programs.apis.base import (
    CaseAcceptors,
    CaseApplicants,
    CaseReaders,
    CodeField,
    MemberSetters,
    StepCompleters,
    case_errors,
    case_for,
    household_in_scope,
    program_field,
    step_codes,
)
from minzheng.programs.apis.serializers import (
    CalculationSerializer,
    CaseDetailSerializer,
    CaseSerializer,
    StepSerializer,
)
from minzheng.programs.models import (
    CareLevel,
    Case,
    CaseMember,
    CaseStatus,
    Channel,
    ExclusionReason,
    Objection,
    Step,
    SupportMode,
)
from minzheng.programs.permissions import CASE_ACCEPTORS, ONLINE_APPLICANTS
from minzheng.programs.policies.base import MissingStandard
from minzheng.programs.services import cases as services
from minzheng.programs.services.benefits import case_calculate
from minzheng.registry.apis.base import person_in_scope
from minzheng.registry.models import Membership

NOT_A_MEMBER = "编号为{pk}的居民不是该家庭的现有成员"
ONLINE_NO_EXCLUSIONS = "网上申请不核定保障成员,请在窗口受理时核定"
STEP_UNKNOWN = "没有“{code}”这个办理环节"
DATE_INVALID = "日期格式应为YYYY-MM-DD"
SURVEYORS_INVALID = "调查人员应为姓名列表"
# The fields of a step completion; any other key of a service's error belongs to `data`.
STEP_FIELDS = frozenset({"outcome", "note", "version"})

DETAIL_PREFETCH = (
    Prefetch("steps", queryset=Step.objects.select_related("completed_by")),
    Prefetch("members", queryset=CaseMember.objects.select_related("person")),
    "benefit_periods",
    "grants",
    Prefetch(
        "objections",
        queryset=Objection.objects.select_related("registered_by", "resolved_by"),
    ),
)


def case_response(request: Request, pk: int, *, code: int = 200) -> Response:
    """The case read back through the selector, with everything the detail shows."""
    case = case_for(request, pk)
    prefetch_related_objects([case], *DETAIL_PREFETCH)
    out = CaseDetailSerializer(case, context={"request": request})
    return Response(out.data, status=code)


class ExclusionsField(serializers.DictField):
    """{person_id: reason}: the members not counted (共同生活家庭成员认定), keyed by the
    person's id."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", CodeField(ExclusionReason))
        kwargs.setdefault(
            "help_text", '不计入保障的成员: {居民编号: 原因代码},如 {"12": "prisoner"}'
        )
        super().__init__(**kwargs)


def exclusions_of(raw: dict[str, str], members: set[int]) -> dict[int, str]:
    """The exclusions as {person id: reason}, every person a member of `members`."""
    out: dict[int, str] = {}
    for key, reason in raw.items():
        if not str(key).isdigit() or int(key) not in members:
            raise ValidationError({"exclusions": [NOT_A_MEMBER.format(pk=key)]})
        out[int(key)] = reason
    return out


def current_member_ids(household_id: int) -> set[int]:
    return set(
        Membership.objects.filter(household_id=household_id, valid_to__isnull=True).values_list(
            "person_id", flat=True
        )
    )


class CaseListApi(APIView):
    permission_classes = [CaseReaders]
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer[Any]):
        program = serializers.ChoiceField(
            choices=program_field().choices, required=False, help_text="救助项目代码"
        )
        status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
        region_code = RegionCodeFilterField(help_text="案件所在区划代码或前缀")
        q = serializers.CharField(
            required=False, allow_blank=True, help_text="案件编号、申请人姓名或身份证号码"
        )
        household = serializers.IntegerField(required=False, help_text="家庭编号")

    OutputSerializer = CaseSerializer

    @extend_schema(
        summary="救助案件列表",
        description="管辖范围内的案件,最新的在前。",
        parameters=[FilterSerializer],
        responses={200: CaseSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        cases = selectors.case_list(
            user=request_user(request),
            program=f.get("program", ""),
            status=f.get("status", ""),
            q=f.get("q", ""),
        )
        if f.get("region_code"):
            cases = cases.filter(prefix_q("region_code", f["region_code"]))
        if f.get("household") is not None:
            cases = cases.filter(household_id=f["household"])
        return paginated_response(
            request=request, view=self, queryset=cases, serializer_class=self.OutputSerializer
        )


class CaseCreateApi(APIView):
    permission_classes = [CaseApplicants]

    class InputSerializer(serializers.Serializer[Any]):
        household = serializers.IntegerField(help_text="申请家庭编号")
        applicant = serializers.IntegerField(help_text="申请人(居民编号),须为该家庭现有成员")
        program = program_field()
        channel = CodeField(
            Channel,
            default=Channel.WINDOW,
            help_text="window 窗口受理(乡镇经办人);online 网上申请(可由村协理员代办),待窗口受理",
        )
        reason = serializers.CharField(required=False, default="", allow_blank=True)
        details = serializers.DictField(
            required=False, default=dict, help_text="项目信息(各项目自定,如临时救助的困难类型)"
        )
        is_single_person = serializers.BooleanField(default=False, help_text="单人保")
        support_mode = CodeField(SupportMode, required=False, default="", allow_blank=True)
        care_level = CodeField(CareLevel, required=False, default="", allow_blank=True)
        exclusions = ExclusionsField(required=False, default=dict)

    @extend_schema(
        summary="受理救助申请",
        description=(
            "乡镇一门受理窗口受理申请(channel=window),案件随即进入下一环节;"
            "或登记网上申请(channel=online,村协理员可代办),待窗口受理。"
        ),
        request=InputSerializer,
        responses={201: CaseDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        online = f["channel"] == Channel.ONLINE
        if actor.role not in (ONLINE_APPLICANTS if online else CASE_ACCEPTORS):
            raise PermissionDenied(ROLE_NOT_ALLOWED)
        household = household_in_scope(actor, f["household"], "household")
        applicant = person_in_scope(actor, f["applicant"], "applicant")
        exclusions = exclusions_of(f["exclusions"], current_member_ids(household.pk))
        if online and exclusions:
            raise ValidationError({"exclusions": [ONLINE_NO_EXCLUSIONS]})
        common = {
            "actor": actor,
            "household": household,
            "applicant": applicant,
            "program": f["program"],
            "reason": f["reason"],
            "details": f["details"],
            "is_single_person": f["is_single_person"],
            "support_mode": f["support_mode"],
            "care_level": f["care_level"],
        }
        with case_errors():
            if online:
                case = services.case_apply_online(**common)
            else:
                case = services.case_accept(**common, exclusions=exclusions)
        return case_response(request, case.pk, code=status.HTTP_201_CREATED)


class CaseDetailApi(APIView):
    permission_classes = [CaseReaders]

    @extend_schema(
        summary="救助案件详情",
        description="案件及其办理环节、成员、计算过程、保障金额变动、一次性救助和公示异议。",
        responses={200: CaseDetailSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        return case_response(request, pk)


class StepCompleteApi(APIView):
    permission_classes = [StepCompleters]

    class InputSerializer(serializers.Serializer[Any]):
        outcome = serializers.CharField(
            max_length=16,
            required=False,
            default="",
            allow_blank=True,
            help_text="办理结果: 核对 pass/fail;审核、审批 approve/refuse",
        )
        data = serializers.DictField(  # type: ignore[assignment]
            required=False,
            default=dict,
            help_text=(
                "办理记录: 核对授权 {signed};入户调查 {surveyors: [姓名], visited_on, findings};"
                "民主评议 {eligible_voters, attendees, votes_for, votes_against}"
            ),
        )
        note = serializers.CharField(
            required=False, default="", allow_blank=True, help_text="意见;不同意时必填理由"
        )
        version = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            min_value=0,
            help_text="读取案件时的版本号;案件已被他人修改时返回409",
        )

        def validate_data(self, value: dict[str, Any]) -> dict[str, Any]:
            errors: dict[str, list[str]] = {}
            if "visited_on" in value:
                try:
                    datetime.date.fromisoformat(str(value["visited_on"]))
                except ValueError:
                    errors["visited_on"] = [DATE_INVALID]
            surveyors = value.get("surveyors", [])
            if not isinstance(surveyors, list) or not all(isinstance(s, str) for s in surveyors):
                errors["surveyors"] = [SURVEYORS_INVALID]
            if errors:
                raise ValidationError(errors)
            return value

    @extend_schema(
        summary="办理案件环节",
        description=(
            "完成案件当前的某个环节(acceptance、authorization、survey、verification、"
            "democratic_review、public_notice、township_review、county_approval)。"
            "环节已由他人办理或案件已被修改时返回409。"
        ),
        request=InputSerializer,
        responses={200: StepSerializer, 409: None},
    )
    def post(self, request: Request, pk: int, code: str) -> Response:
        actor = request_user(request)
        case = case_for(request, pk)
        if code not in step_codes():
            raise Http404(STEP_UNKNOWN.format(code=code))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with case_errors(STEP_FIELDS):
            step = services.step_complete(actor=actor, case=case, code=code, **data.validated_data)
        step = Step.objects.select_related("completed_by").get(pk=step.pk)
        return Response(StepSerializer(step, context={"request": request}).data)


class CaseAcceptApi(APIView):
    permission_classes = [CaseAcceptors]

    class InputSerializer(serializers.Serializer[Any]):
        exclusions = ExclusionsField(required=False, default=dict)

    @extend_schema(
        summary="受理网上申请",
        description="乡镇窗口受理网上申请(可同时核定不计入保障的成员),案件进入办理。",
        request=InputSerializer,
        responses={200: CaseDetailSerializer, 409: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        members = set(case.members.values_list("person_id", flat=True))
        exclusions = exclusions_of(data.validated_data["exclusions"], members)
        with case_errors():
            services.case_accept_online(
                actor=request_user(request), case=case, exclusions=exclusions
            )
        return case_response(request, pk)


class CaseWithdrawApi(APIView):
    permission_classes = [CaseAcceptors]

    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(
            required=False, default="", allow_blank=True, help_text="撤回原因(必填)"
        )

    @extend_schema(
        summary="撤回救助申请",
        description="申请人撤回,或窗口终止未完成的申请;未办结的环节随之撤销。",
        request=InputSerializer,
        responses={200: CaseDetailSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with case_errors():
            services.case_withdraw(
                actor=request_user(request), case=case, reason=data.validated_data["reason"]
            )
        return case_response(request, pk)


class CaseMembersSetApi(APIView):
    permission_classes = [MemberSetters]

    class InputSerializer(serializers.Serializer[Any]):
        exclusions = ExclusionsField()

    @extend_schema(
        summary="核定保障成员",
        description="核定不计入保障的家庭成员及原因;未列出的成员计入保障。",
        request=InputSerializer,
        responses={200: CaseDetailSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_for(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        members = set(case.members.values_list("person_id", flat=True))
        exclusions = exclusions_of(data.validated_data["exclusions"], members)
        with case_errors():
            services.case_members_set(actor=request_user(request), case=case, exclusions=exclusions)
        return case_response(request, pk)


class CaseEventsApi(APIView):
    permission_classes = [CaseReaders]
    pagination_class = Pagination

    @extend_schema(
        summary="案件办理记录",
        description="案件的审计记录,按时间先后:受理、各环节、审批、金额变动、复核。",
        responses={200: AuditEventSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        case = case_for(request, pk)
        events = scoped(selectors.case_events(case), request_user(request))
        return paginated_response(
            request=request, view=self, queryset=events, serializer_class=AuditEventSerializer
        )


class CaseCalculationApi(APIView):
    permission_classes = [CaseReaders]

    class FilterSerializer(serializers.Serializer[Any]):
        as_of = serializers.DateField(
            required=False, help_text="按某日的家庭情况和标准核算,默认今天"
        )

    @extend_schema(
        summary="核算保障金额",
        description="按当前的家庭成员、最新申报和有效标准重新核算(不保存),给出计算过程。",
        parameters=[FilterSerializer],
        responses={200: CalculationSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        case: Case = case_for(request, pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        as_of = filters.validated_data.get("as_of") or timezone.localdate()
        try:
            calculation = case_calculate(case=case, as_of=as_of)
        except MissingStandard as e:
            raise ValidationError({"non_field_errors": [e.message]}) from None
        return Response(CalculationSerializer(calculation.as_json()).data)
