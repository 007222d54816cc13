"""复核任务: the reviews of enrolled cases in the user's scope (open ones by deadline, overdue
flagged), the button that opens the periodic reviews falling due, a review opened by hand, and
the review page — the case in brief, what the review rests on, and the form that concludes it
(continue, adjust, suspend, terminate). After an adjustment the page shows the new amount and
how it was worked out."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.core.exports import xlsx_response
from minzheng.core.models import User
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.programs.deadlines import first_of_next_month
from minzheng.programs.management_forms import (
    ReviewCompleteForm,
    ReviewCreateForm,
    ReviewFilterForm,
)
from minzheng.programs.models import Case, Review, ReviewOutcome
from minzheng.programs.permissions import REVIEWERS
from minzheng.programs.policies import program_label
from minzheng.programs.services import reviews as review_services
from minzheng.programs.services.errors import CaseConflict, CaseError
from minzheng.programs.views.common import add_case_errors, may, today
from minzheng.programs.views.management.common import cell, export_rows, late, reader, reviewer
from minzheng.programs.views.presenters import (
    Fact,
    status_tag,
    user_name,
)
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.models import Person
from minzheng.registry.views.common import current_user, paginate, render_page

REVIEWS_GENERATED = "已生成{n}个定期复核任务"
REVIEWS_NONE_DUE = "没有需要生成的定期复核任务(30天内到期且尚无待办复核的在保案件)"
REVIEW_CREATED = "已发起复核,复核时限{day}"
REVIEW_DONE = "已完成复核:{outcome}"
REVIEW_DONE_AMOUNT = "已完成复核:{outcome},自{month}起月保障金额{amount}元"
CONFLICT_STATUS = 409

REVIEW_HEADERS = [
    "案件编号",
    "救助项目",
    "保障对象",
    "身份证号码",
    "所在村(社区)",
    "复核类型",
    "复核原因",
    "生成日期",
    "复核时限",
    "超期工作日",
    "状态",
    "复核结论",
    "结论理由",
    "调整后金额(元)",
    "复核人",
    "复核时间",
]
EVIDENCE_LABELS: dict[str, Any] = {
    "tipoff": _("举报投诉"),
    "investigation": _("核查情况"),
    "person": _("死亡成员"),
    "death_date": _("死亡日期"),
    "funeral_grant_problem": _("丧葬补助"),
    "next_review_on": _("下次复核日期"),
    "termination_notice": _("终止公示"),
}


@dataclass
class ReviewRow:
    review: Review
    case: Case
    program: str
    applicant_id: str
    region_name: str
    overdue: int
    overdue_provisional: bool


def review_rows(user: User, reviews: Sequence[Review], day: datetime.date) -> list[ReviewRow]:
    names = registry_selectors.region_names(r.case.region_code for r in reviews)
    rows = []
    for r in reviews:
        overdue, provisional = late(r.due_on, day, r.status == Review.Status.OPEN)
        rows.append(
            ReviewRow(
                review=r,
                case=r.case,
                program=program_label(r.case.program),
                applicant_id=registry_selectors.display_id_number(user, r.case.applicant.id_number),
                region_name=names.get(r.case.region_code, r.case.region_code),
                overdue=overdue,
                overdue_provisional=provisional,
            )
        )
    return rows


def _filter_data(request: HttpRequest) -> Any:
    """The list opens on the reviews still to do; 状态“全部” shows the done ones too."""
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = Review.Status.OPEN
    return data


def _filtered(request: HttpRequest, user: User) -> tuple[ReviewFilterForm, QuerySet[Review]]:
    form = ReviewFilterForm(_filter_data(request), user=user)
    form.is_valid()  # a value outside the lists is dropped; the other filters still apply
    c = form.cleaned_data
    reviews = review_services.review_list(
        user=user, status=c.get("status") or None, kind=c.get("kind") or None
    )
    if c.get("region"):
        reviews = reviews.filter(prefix_q("case__region_code", code_prefix(c["region"])))
    if c.get("overdue"):
        reviews = reviews.filter(status=Review.Status.OPEN, due_on__lt=today())
    q = c.get("q", "").strip()
    if q:
        reviews = reviews.filter(Q(case__number=q.upper()) | Q(case__applicant__name__startswith=q))
    return form, reviews.order_by("-status", "due_on", "id")  # open ones first


def _list_context(
    request: HttpRequest, user: User, create_form: ReviewCreateForm | None = None
) -> dict[str, Any]:
    day = today()
    form, reviews = _filtered(request, user)
    page = paginate(request, reviews)
    may_review = may(user, REVIEWERS)
    open_overdue = review_services.review_list(user=user, status=Review.Status.OPEN)
    return {
        "form": form,
        "page": page,
        "rows": review_rows(user, list(page.object_list), day),
        "overdue_count": open_overdue.filter(due_on__lt=day).count(),
        "day": day,
        "may_review": may_review,
        "create_form": (create_form or ReviewCreateForm(user=user)) if may_review else None,
    }


@reader
def review_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    context = _list_context(request, user)
    return render_page(request, "programs/management/review_list.html", "results", context)


def _export_rows(user: User, day: datetime.date, reviews: list[Review]) -> Iterator[list[Any]]:
    for row in review_rows(user, reviews, day):
        r = row.review
        yield [
            row.case.number,
            row.program,
            row.case.applicant.name,
            row.applicant_id,
            row.region_name,
            r.get_kind_display(),
            r.reason,
            cell(r.created_at),
            cell(r.due_on),
            row.overdue or "",
            r.get_status_display(),
            r.get_outcome_display() if r.outcome else "",
            r.outcome_reason,
            r.new_amount if r.new_amount is not None else "",
            user_name(r.completed_by),
            cell(r.completed_at),
        ]


@reader
def review_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    _form, reviews = _filtered(request, user)
    day = today()
    return xlsx_response(
        filename=f"复核任务-{day:%Y%m%d}.xlsx",
        headers=REVIEW_HEADERS,
        rows=export_rows(reviews, lambda batch: _export_rows(user, day, batch)),
    )


@reviewer
@require_POST
def reviews_generate(request: HttpRequest) -> HttpResponseBase:
    """生成定期复核任务 for the paying cases of the user's region whose review falls due within
    30 days (running it again opens nothing new)."""
    user = current_user(request)
    n = review_services.reviews_generate_due(as_of=today(), region_code=user.region_id)
    if n:
        messages.success(request, REVIEWS_GENERATED.format(n=n))
    else:
        messages.info(request, REVIEWS_NONE_DUE)
    return redirect("programs_mgmt:review_list")


@reviewer
@require_POST
def review_create(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    form = ReviewCreateForm(request.POST, user=user)
    if form.is_valid():
        c = form.cleaned_data
        try:
            review = review_services.review_create(
                actor=user, case=c["case_number"], kind=c.get("kind", ""), reason=c["reason"]
            )
        except CaseError as e:
            add_case_errors(form, e, {"case": "case_number"})
        else:
            messages.success(request, REVIEW_CREATED.format(day=review.due_on))
            return redirect("programs_mgmt:review_detail", pk=review.pk)
    context = _list_context(request, user, create_form=form)
    return render(request, "programs/management/review_list.html", context)


# --- the review page ----------------------------------------------------------------------------


def _evidence_value(key: str, value: Any) -> str:
    if key == "person":
        person = Person.objects.filter(pk=value).only("name").first()
        return person.name if person else str(value)
    if key == "next_review_on" and isinstance(value, list) and len(value) == 2:
        before = value[0] if value[0] not in (None, "None") else "—"
        return f"{before} → {value[1]}"
    if key == "termination_notice" and isinstance(value, dict):
        text = _("%(start)s 至 %(end)s") % {
            "start": value.get("posted_on", ""),
            "end": value.get("ends_on", ""),
        }
        return text + str(_("(预估)")) if value.get("provisional") else text
    return str(value)


def evidence_facts(evidence: dict[str, Any]) -> list[Fact]:
    """What the review rests on, label and value (the tip-off and the calculation are shown
    apart: one as a link, the other as a table)."""
    return [
        Fact(str(EVIDENCE_LABELS.get(key, key)), _evidence_value(key, value))
        for key, value in evidence.items()
        if key not in ("tipoff", "calculation") and value not in (None, "", [], {})
    ]


def _detail_context(
    user: User,
    review: Review,
    *,
    form: ReviewCompleteForm | None = None,
    conflict: str = "",
) -> dict[str, Any]:
    case = review.case
    day = today()
    is_open = review.status == Review.Status.OPEN
    overdue, provisional = late(review.due_on, day, is_open)
    names = registry_selectors.region_names([case.region_code])
    evidence: dict[str, Any] = review.evidence or {}
    may_complete = is_open and may(user, REVIEWERS)
    return {
        "review": review,
        "case": case,
        "program": program_label(case.program),
        "status_tag": status_tag(case.status),
        "region_name": names.get(case.region_code, case.region_code),
        "applicant_id": registry_selectors.display_id_number(user, case.applicant.id_number),
        "row": {"overdue": overdue, "overdue_provisional": provisional},
        "facts": evidence_facts(evidence),
        "tipoff_id": evidence.get("tipoff"),
        "calculation": case.calculation or {},
        "new_calculation": evidence.get("calculation") or {},
        "periods": list(case.benefit_periods.order_by("-valid_from", "-id")[:6]),
        "others": list(review_services.case_reviews(case).exclude(pk=review.pk)[:10]),
        "form": (form or ReviewCompleteForm()) if may_complete else None,
        "conflict": conflict,
        "completed_by": user_name(review.completed_by),
        "day": day,
    }


@reader
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    review = review_services.review_get(user=user, pk=pk)
    context = _detail_context(user, review)
    return render(request, "programs/management/review_detail.html", context)


def _done_message(review: Review) -> str:
    outcome = ReviewOutcome(review.outcome).label
    if review.outcome == ReviewOutcome.ADJUST and review.new_amount is not None:
        month = first_of_next_month(today())
        return REVIEW_DONE_AMOUNT.format(
            outcome=outcome, month=f"{month:%Y年%m月}", amount=review.new_amount
        )
    return REVIEW_DONE.format(outcome=outcome)


@reviewer
@require_POST
def review_complete(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Conclude the review: a rule's refusal lands under the form's fields; a review concluded
    (or a case changed) meanwhile by someone else answers 409 with the fresh page and a
    banner."""
    user = current_user(request)
    review = review_services.review_get(user=user, pk=pk)
    form = ReviewCompleteForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        try:
            done = review_services.review_complete(
                actor=user,
                review=review,
                outcome=c.get("outcome", ""),
                outcome_reason=c.get("outcome_reason", ""),
                findings=c.get("findings", ""),
                income_from_work=c.get("income_from_work"),
            )
        except CaseConflict as e:
            fresh = review_services.review_get(user=user, pk=pk)
            context = _detail_context(user, fresh, conflict=e.message)
            template = "programs/management/review_detail.html"
            return render(request, template, context, status=CONFLICT_STATUS)
        except CaseError as e:
            add_case_errors(form, e)
        else:
            messages.success(request, _done_message(done))
            return redirect(reverse("programs_mgmt:review_detail", args=[pk]))
    context = _detail_context(user, review, form=form)
    return render(request, "programs/management/review_detail.html", context)
