"""一门受理: the township window finds the household (by the head's or a member's name, pinyin
initials or ID number, as the registry's search reads them), takes the application and the
case starts; a village assistant files the same form on the household's behalf (代办) as an
online application, which waits in the window's list of online applications."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from minzheng.core.models import User
from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.programs import selectors
from minzheng.programs.forms import AcceptanceForm
from minzheng.programs.models import Case, CaseStatus
from minzheng.programs.permissions import CASE_ACCEPTORS
from minzheng.programs.services import cases as case_services
from minzheng.programs.services.errors import CaseConflict, CaseError
from minzheng.programs.views.common import add_case_errors, application_taker, may, today
from minzheng.programs.views.presenters import case_rows
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.models import Household
from minzheng.registry.views.common import current_user, paginate, render_page
from minzheng.registry.views.presenters import household_rows, member_rows

CASE_ACCEPTED = "已受理,案件编号{number}"
CASE_SUBMITTED = "已代为提交网上申请{number},等待乡镇(街道)受理"


def _household(user: User, raw: str | None) -> Household | None:
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise Http404(OUT_OF_SCOPE) from None
    return registry_selectors.household_get(user=user, pk=pk)


def _search(request: HttpRequest, user: User) -> HttpResponse:
    """Step one: find the household."""
    q = request.GET.get("q", "").strip()
    page = None
    rows = []
    if q:
        page = paginate(request, registry_selectors.household_filter(user=user, q=q))
        rows = household_rows(user, page.object_list)
    context = {"q": q, "page": page, "rows": rows, "window": may(user, CASE_ACCEPTORS)}
    return render_page(request, "programs/case_accept.html", "results", context)


def _take(user: User, household: Household, form: AcceptanceForm) -> Case | None:
    """Accept at the window (township) or file online (village assistant); None when a rule
    refused it (the errors are on the form)."""
    applicant = next(
        m.person for m in form.members if m.person_id == form.cleaned_data["applicant"]
    )
    try:
        if may(user, CASE_ACCEPTORS):
            return case_services.case_accept(
                actor=user,
                household=household,
                applicant=applicant,
                exclusions=form.cleaned_data["exclusions"],
                **form.service_kwargs(),
            )
        return case_services.case_apply_online(
            actor=user, household=household, applicant=applicant, **form.service_kwargs()
        )
    except CaseError as e:
        add_case_errors(form, e)
    except CaseConflict as e:
        form.add_error(None, e.message)
    return None


@application_taker
def case_accept(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    household = _household(user, request.POST.get("household") or request.GET.get("household"))
    if household is None:
        return _search(request, user)
    day = today()
    memberships = registry_selectors.household_members_on(household, day)
    window = may(user, CASE_ACCEPTORS)
    form = AcceptanceForm(request.POST or None, members=memberships, with_exclusions=window)
    if request.method == "POST" and form.is_valid():
        case = _take(user, household, form)
        if case is not None:
            message = CASE_ACCEPTED if window else CASE_SUBMITTED
            messages.success(request, message.format(number=case.number))
            return redirect("programs:case_detail", pk=case.pk)
    names = registry_selectors.region_names([household.region_code])
    fields = {m.person_id: (ex, why) for m, ex, why in form.member_rows()} if window else {}
    context = {
        "household": household,
        "region_name": names.get(household.region_code, household.region_code),
        "members": [
            (row, *fields.get(row.person.pk, (None, None)))
            for row in member_rows(user, memberships, day)
        ],
        "form": form,
        "window": window,
    }
    return render(request, "programs/case_accept_form.html", context)


@application_taker
def online_list(request: HttpRequest) -> HttpResponse:
    """网上申请: applications filed online or by a village assistant, waiting for the window."""
    user = current_user(request)
    page = paginate(request, selectors.case_list(user=user, status=CaseStatus.SUBMITTED))
    context = {
        "page": page,
        "rows": case_rows(user, page.object_list),
        "window": may(user, CASE_ACCEPTORS),
    }
    return render_page(request, "programs/online_list.html", "results", context)
