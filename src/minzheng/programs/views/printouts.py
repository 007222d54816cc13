"""Printable documents from the pages, as PDF: a case's decision letter (打印决定书) and the
public notice list of a village (公示名单) with the page that shows it before it is printed.

Both are made by programs.pdf, as the API's are. A server that cannot lay out Chinese (no CJK
font, no pango), a village with nothing under notice or a case not decided yet answer a page
that says so in Chinese, never a 500."""

from __future__ import annotations

import datetime
from urllib.parse import quote

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from minzheng.core.models import Region, User
from minzheng.core.scope import OUT_OF_SCOPE, require_in_scope, scoped
from minzheng.programs import pdf, selectors
from minzheng.programs.forms import NoticeDayForm
from minzheng.programs.models import Step, StepStatus
from minzheng.programs.policies.base import PUBLIC_NOTICE
from minzheng.programs.views.common import case_reader
from minzheng.programs.views.presenters import notice_villages
from minzheng.registry.views.common import current_user

PDF_FAILED_TITLE = "未能生成PDF"
LETTER_FAILED_TITLE = "不能出具决定书"
NOTICE_FAILED_TITLE = "不能打印公示名单"
BAD_REQUEST, NOT_FOUND, UNAVAILABLE = 400, 404, 503


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """The PDF shown in the browser (to print), saved under `filename` when downloaded."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    return response


def problem(
    request: HttpRequest, *, title: str, message: str, status: int, back: str = ""
) -> HttpResponse:
    """A page that says in Chinese why no PDF was made, and where to go back to."""
    context = {"title": title, "message": message, "back": back}
    return render(request, "programs/pdf_problem.html", context, status=status)


# --- decision letters ---------------------------------------------------------------------------


@case_reader
def case_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's decision letter: 审批确认通知书, 不予批准通知书 or 终止保障通知书, as the
    decision calls for (`?kind=` forces one of pdf.LETTER_KINDS)."""
    user = current_user(request)
    case = selectors.case_get(user=user, pk=pk)
    back = reverse("programs:case_detail", args=[case.pk])
    kind = request.GET.get("kind", "")
    if kind not in ("", *pdf.LETTER_KINDS):
        kind = ""
    try:
        content = pdf.decision_letter_pdf(user=user, case=case, kind=kind)
    except pdf.PdfUnavailable as e:
        return problem(
            request, title=PDF_FAILED_TITLE, message=e.message, status=UNAVAILABLE, back=back
        )
    except ValueError as e:
        return problem(
            request, title=LETTER_FAILED_TITLE, message=str(e), status=BAD_REQUEST, back=back
        )
    return pdf_response(content, f"{case.number}-决定书.pdf")


# --- the public notice list ---------------------------------------------------------------------


def _village(user: User, code: str) -> Region:
    """The village (or community) `code` within the user's scope: 404 otherwise."""
    require_in_scope(user, code)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404(OUT_OF_SCOPE)
    return region


def _under_notice_counts(user: User) -> dict[str, int]:
    """{village code: number of its cases under public notice} within the user's scope."""
    steps = scoped(
        Step.objects.filter(code=PUBLIC_NOTICE, status=StepStatus.OPEN),
        user,
        field="case__region_code",
    )
    rows = steps.values("case__region_code").annotate(n=Count("id")).order_by()
    return {row["case__region_code"]: row["n"] for row in rows}


@case_reader
def notice_list(request: HttpRequest) -> HttpResponse:
    """The villages of the user's scope with cases under public notice, each a link to its list."""
    user = current_user(request)
    villages = notice_villages(_under_notice_counts(user))
    return render(request, "programs/notice_list.html", {"villages": villages})


def _day_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@case_reader
def notice_village(request: HttpRequest, code: str) -> HttpResponse:
    """公示名单 of a village on a day (today unless asked): what the printed list will say —
    masked names, household sizes and amounts only — and the button that prints it."""
    user = current_user(request)
    village = _village(user, code)
    form = NoticeDayForm(request.GET)
    day = form.day_or_today()
    is_village = village.level == Region.Level.VILLAGE
    sections = pdf.notice_sections(user=user, region_code=code, day=day) if is_village else []
    context = {
        "village": village,
        "is_village": is_village,
        "not_village": pdf.NOTICE_NOT_VILLAGE,
        "form": form,
        "day": day,
        "day_label": _day_label(day),
        "sections": sections,
        "empty": pdf.NOTICE_EMPTY.format(village=village.name, day=_day_label(day)),
    }
    return render(request, "programs/notice_village.html", context)


@case_reader
def notice_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The village's 公示名单 as a PDF to post on its notice board."""
    user = current_user(request)
    village = _village(user, code)
    form = NoticeDayForm(request.GET)
    day = form.day_or_today()
    phone = form.cleaned_data.get("contact_phone", "") if form.is_valid() else ""
    back = reverse("programs:notice_village", args=[village.code]) + f"?day={day.isoformat()}"
    try:
        content = pdf.notice_list_pdf(user=user, region_code=code, day=day, contact_phone=phone)
    except pdf.PdfUnavailable as e:
        return problem(
            request, title=PDF_FAILED_TITLE, message=e.message, status=UNAVAILABLE, back=back
        )
    except pdf.NoticeEmpty as e:
        return problem(
            request, title=NOTICE_FAILED_TITLE, message=str(e), status=NOT_FOUND, back=back
        )
    except ValueError as e:  # not a village
        return problem(
            request, title=NOTICE_FAILED_TITLE, message=str(e), status=BAD_REQUEST, back=back
        )
    return pdf_response(content, f"{village.name}公示名单-{day:%Y%m%d}.pdf")
