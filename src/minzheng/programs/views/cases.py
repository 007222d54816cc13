"""Case pages: the filtered list (paged, exportable), and the case page — header, the steps as a
timeline, the worked calculation, members, documents, objections, benefit periods, grants and
the audit events — with the form of the open step when the user's role works it; the upload of
a document to the case and the download of one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from minzheng.core.exports import xlsx_response
from minzheng.core.models import User
from minzheng.programs import selectors
from minzheng.programs.forms import (
    STEP_FORMS,
    AcceptanceStepForm,
    CaseFilterForm,
    DocumentForm,
    ObjectionForm,
    ObjectionResolveForm,
    StepForm,
    SurveyForm,
    WithdrawForm,
)
from minzheng.programs.models import (
    BenefitPeriod,
    Case,
    CaseStatus,
    Objection,
    Step,
    StepLevel,
    StepStatus,
)
from minzheng.programs.permissions import (
    CASE_ACCEPTORS,
    LEVEL_ROLES,
    roles_for_step,
    step_roles,
)
from minzheng.programs.policies import program_label
from minzheng.programs.policies.base import (
    ACCEPTANCE,
    COUNTY_APPROVAL,
    PUBLIC_NOTICE,
    TOWNSHIP_REVIEW,
    step_label,
)
from minzheng.programs.services import cases as case_services
from minzheng.programs.services import documents as document_services
from minzheng.programs.services.errors import CaseConflict, CaseError
from minzheng.programs.views.common import add_case_errors, case_reader, may, today
from minzheng.programs.views.presenters import (
    SUBMIT_LABELS,
    attach_documents,
    case_member_rows,
    case_rows,
    document_rows,
    document_step_choices,
    event_rows,
    letter_label,
    may_work_step,
    status_tag,
    step_workers,
    timeline,
)
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.models import Membership
from minzheng.registry.views.common import (
    current_user,
    is_fragment,
    paginate,
    render_page,
    requires,
)

STEP_DONE = "已办理“{step}”"
WITHDRAWN = "已撤回申请"
OBJECTION_REGISTERED = "已登记公示异议,处理完毕前案件暂停审批"
OBJECTION_RESOLVED = "已处理公示异议"
ACCEPTED_ONLINE = "已受理网上申请"
DOCUMENT_UPLOADED = "已上传材料“{name}”"
CONFLICT_STATUS = 409
APPROVAL_OPINION = _("审批意见")

CASE_HEADERS = [
    "案件编号",
    "救助项目",
    "申请人",
    "申请人身份证号码",
    "所在村(社区)",
    "状态",
    "当前环节",
    "保障人数",
    "金额(元)",
    "受理日期",
    "办结时限",
]


def _filtered(request: HttpRequest, user: User) -> tuple[CaseFilterForm, QuerySet[Case]]:
    form = CaseFilterForm(request.GET, user=user)
    form.is_valid()  # a choice outside the lists is dropped; the other filters still apply
    c = form.cleaned_data
    cases = selectors.case_list(
        user=user,
        program=c.get("program", ""),
        status=c.get("status", ""),
        region_code=c.get("region", ""),
        q=c.get("q", "").strip(),
    )
    return form, cases


@case_reader
def case_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form, cases = _filtered(request, user)
    page = paginate(request, cases)
    program = form.cleaned_data.get("program", "")
    context = {
        "form": form,
        "page": page,
        "rows": case_rows(user, page.object_list),
        "program_label": program_label(program) if program else "",
        "may_accept": may(user, CASE_ACCEPTORS),
    }
    return render_page(request, "programs/case_list.html", "results", context)


def _export_rows(user: User, cases: QuerySet[Case]) -> Iterator[Sequence[Any]]:
    batch: list[Case] = []
    for case in cases.iterator(chunk_size=2000):
        batch.append(case)
        if len(batch) == 2000:
            yield from _rows_of(user, batch)
            batch = []
    yield from _rows_of(user, batch)


def _rows_of(user: User, cases: list[Case]) -> Iterator[Sequence[Any]]:
    for row in case_rows(user, cases):
        c = row.case
        yield [
            c.number,
            row.program,
            c.applicant.name,
            row.applicant_id,
            row.region_name,
            c.get_status_display(),
            row.step,
            c.counted_members or "",
            row.amount,
            timezone.localtime(c.accepted_at).date() if c.accepted_at else "",
            c.due_on or "",
        ]


@case_reader
def case_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    _form, cases = _filtered(request, user)
    return xlsx_response(
        filename=f"救助案件-{timezone.localdate():%Y%m%d}.xlsx",
        headers=CASE_HEADERS,
        rows=_export_rows(user, cases),
    )


# --- the case page ------------------------------------------------------------------------------


def _current_members(case: Case) -> list[Membership]:
    return list(
        Membership.objects.select_related("person")
        .filter(household_id=case.household_id, valid_to__isnull=True)
        .order_by("valid_from", "id")
    )


def _open_step(steps: list[Step]) -> Step | None:
    return next((s for s in steps if s.status == StepStatus.OPEN), None)


def step_form(case: Case, step: Step | None, code: str, data: Any = None) -> StepForm | None:
    """The form of step `code` of the case (None for the steps the engine does itself)."""
    initial = {"version": case.version}
    if code == ACCEPTANCE:
        if case.status != CaseStatus.SUBMITTED:
            return None
        return AcceptanceStepForm(
            data,
            initial=initial,
            members=_current_members(case),
            applicant_id=case.applicant_id,
        )
    form_class = STEP_FORMS.get(code)
    if form_class is None:
        return None
    if form_class is SurveyForm:
        return SurveyForm(data, initial=initial, self_care=case.program == "tekun")
    form = form_class(data, initial=initial)
    if code == COUNTY_APPROVAL:
        form.fields["outcome"].label = APPROVAL_OPINION
    return form


def _may_register_objection(user: User, step: Step | None) -> bool:
    return (
        step is not None
        and step.code == PUBLIC_NOTICE
        and user.role in roles_for_step(PUBLIC_NOTICE, StepLevel.VILLAGE)
    )


def _may_resolve_objection(user: User) -> bool:
    return user.role in roles_for_step(TOWNSHIP_REVIEW, StepLevel.TOWNSHIP)


def _detail_context(
    user: User,
    case: Case,
    *,
    form: StepForm | None = None,
    form_code: str = "",
    conflict: str = "",
    withdraw_form: WithdrawForm | None = None,
    objection_form: ObjectionForm | None = None,
    resolve_forms: dict[int, ObjectionResolveForm] | None = None,
    document_form: DocumentForm | None = None,
) -> dict[str, Any]:
    day = today()
    periods = list(case.benefit_periods.all())
    steps = selectors.case_steps(case)
    current = _open_step(steps) if case.is_open else None
    documents = list(document_services.document_list(user=user, case=case))
    entries = timeline(steps, day)
    attach_documents(entries, documents)
    may_upload = may(user, document_services.DOCUMENT_UPLOADERS)
    if document_form is None and may_upload:
        document_form = DocumentForm(
            steps=document_step_choices(steps), initial={"step": current.pk if current else None}
        )
    works = current is not None and may_work_step(user, current)
    if form is None and works and current is not None:
        form = step_form(case, current, current.code)
    objections = list(case.objections.select_related("registered_by", "resolved_by"))
    resolvable = _may_resolve_objection(user)
    resolve_forms = resolve_forms or {}
    names = registry_selectors.region_names([case.region_code])
    return {
        "case": case,
        "program": program_label(case.program),
        "status_tag": status_tag(case.status),
        "region_name": names.get(case.region_code, case.region_code),
        "applicant_id": registry_selectors.display_id_number(user, case.applicant.id_number),
        "timeline": entries,
        "current": current,
        "current_label": step_label(current.code) if current else "",
        "current_workers": step_workers(current) if current else "",
        "form": form,
        "form_code": form_code or (current.code if current else ""),
        "submit_label": SUBMIT_LABELS.get(form_code or (current.code if current else ""), ""),
        "conflict": conflict,
        "day": day,
        "calculation": case.calculation or {},
        "members": case_member_rows(user, case.members.select_related("person")),
        "documents": document_rows(entries, documents),
        "document_form": document_form if may_upload else None,
        "letter": letter_label(case),
        "objections": [
            (o, (resolve_forms.get(o.pk) or ObjectionResolveForm()) if o.is_open else None)
            for o in objections
        ],
        "may_resolve": resolvable,
        "objection_form": (objection_form or ObjectionForm())
        if _may_register_objection(user, current)
        else None,
        "periods": periods,
        "later_change": next(
            (p for p in reversed(periods) if p.reason == BenefitPeriod.Reason.STANDARD_CHANGE),
            None,
        ),
        "grants": list(case.grants.all()),
        "events": event_rows(selectors.case_events(case).select_related("actor")),
        "withdraw_form": (withdraw_form or WithdrawForm())
        if case.is_open and may(user, CASE_ACCEPTORS)
        else None,
    }


@case_reader
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    case = selectors.case_get(user=user, pk=pk)
    return render(request, "programs/case_detail.html", _detail_context(user, case))


def _render_step(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """The step panel alone for htmx, the whole case page otherwise."""
    template = "programs/case_detail.html"
    if is_fragment(request):
        template += "#step"
    return render(request, template, context, status=status)


def _done(request: HttpRequest, case: Case, message: str) -> HttpResponseBase:
    messages.success(request, message)
    url = reverse("programs:case_detail", args=[case.pk])
    if is_fragment(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _complete(user: User, case: Case, code: str, form: StepForm) -> None:
    version = form.cleaned_data["version"]
    if isinstance(form, AcceptanceStepForm):
        if case.version != version:
            raise CaseConflict()
        case_services.case_accept_online(
            actor=user, case=case, exclusions=form.cleaned_data["exclusions"]
        )
        return
    case_services.step_complete(
        actor=user, case=case, code=code, version=version, **form.step_args()
    )


@case_reader
@require_POST
def step_complete(request: HttpRequest, pk: int, code: str) -> HttpResponseBase:
    """Complete step `code`: a rule's refusal lands under the form's fields; a step done (or a
    case changed) meanwhile by someone else answers 409 with the fresh case and a banner."""
    user = current_user(request)
    if user.role not in step_roles(code):
        raise PermissionDenied
    case = selectors.case_get(user=user, pk=pk)
    form = step_form(case, None, code, request.POST)
    if form is None:
        form = StepForm(request.POST)  # a step the engine does itself: the service says no
    if form.is_valid():
        try:
            _complete(user, case, code, form)
        except CaseConflict as e:
            case = selectors.case_get(user=user, pk=pk)
            context = _detail_context(user, case, conflict=e.message)
            return _render_step(request, context, status=CONFLICT_STATUS)
        except CaseError as e:
            add_case_errors(form, e)
        else:
            label = step_label(code)
            done = ACCEPTED_ONLINE if code == ACCEPTANCE else STEP_DONE.format(step=label)
            return _done(request, case, done)
    context = _detail_context(user, case, form=form, form_code=code)
    return _render_step(request, context)


@requires(CASE_ACCEPTORS)
@require_POST
def case_withdraw(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    case = selectors.case_get(user=user, pk=pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            case_services.case_withdraw(actor=user, case=case, reason=form.cleaned_data["reason"])
        except CaseError as e:
            add_case_errors(form, e)
        else:
            return _done(request, case, WITHDRAWN)
    context = _detail_context(user, case, withdraw_form=form)
    return render(request, "programs/case_detail.html", context)


@requires(roles_for_step(PUBLIC_NOTICE, StepLevel.VILLAGE))
@require_POST
def objection_register(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    case = selectors.case_get(user=user, pk=pk)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            case_services.objection_register(actor=user, case=case, **form.cleaned_data)
        except CaseError as e:
            add_case_errors(form, e)
        else:
            return _done(request, case, OBJECTION_REGISTERED)
    context = _detail_context(user, case, objection_form=form)
    return render(request, "programs/case_detail.html", context)


@requires(LEVEL_ROLES[StepLevel.TOWNSHIP])
@require_POST
def objection_resolve(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponseBase:
    user = current_user(request)
    case = selectors.case_get(user=user, pk=pk)
    objection = get_object_or_404(Objection, pk=objection_pk, case=case)
    form = ObjectionResolveForm(request.POST)
    conflict = ""
    if form.is_valid():
        try:
            case_services.objection_resolve(actor=user, objection=objection, **form.cleaned_data)
        except CaseConflict as e:
            conflict = e.message
        except CaseError as e:
            add_case_errors(form, e)
        else:
            return _done(request, case, OBJECTION_RESOLVED)
    context = _detail_context(user, case, conflict=conflict, resolve_forms={objection.pk: form})
    status = CONFLICT_STATUS if conflict else 200
    return render(request, "programs/case_detail.html", context, status=status)


# --- documents ----------------------------------------------------------------------------------

document_uploader = requires(document_services.DOCUMENT_UPLOADERS)


@document_uploader
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Add a document to the case (of one of its steps, when chosen). The service checks the
    type (extension and content) and the size; its messages land under the fields."""
    user = current_user(request)
    case = selectors.case_get(user=user, pk=pk)
    steps = {s.pk: s for s in selectors.case_steps(case)}
    form = DocumentForm(request.POST, request.FILES, steps=document_step_choices(steps.values()))
    if form.is_valid():
        c = form.cleaned_data
        try:
            document = document_services.document_upload(
                actor=user,
                case=case,
                kind=c["kind"],
                uploaded_file=c["file"],
                step=steps.get(c["step"]) if c["step"] is not None else None,
            )
        except CaseError as e:
            add_case_errors(form, e)
        else:
            messages.success(request, DOCUMENT_UPLOADED.format(name=document.original_name))
            return redirect(reverse("programs:case_detail", args=[case.pk]) + "#documents")
    context = _detail_context(user, case, document_form=form)
    return render(request, "programs/case_detail.html", context)


@case_reader
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """One document, as the file it was uploaded (404 outside the user's scope)."""
    document = document_services.document_open(user=current_user(request), pk=pk)
    return FileResponse(
        document.file,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
