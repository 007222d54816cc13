"""疑点核实: the flags to work in the user's scope (overdue first, filtered, exportable), the
漏保 candidates grouped by the program they should join, and the flag's page — the evidence
row with the schema's Chinese headings, the match weight of a probabilistic hit, the case, the
review and the household, and the form that confirms it (with the action) or dismisses it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from minzheng.core.exports import xlsx_response
from minzheng.core.models import AuditEvent, User
from minzheng.matching import selectors
from minzheng.matching.errors import MatchingConflict, MatchingError
from minzheng.matching.forms import REFERRED, FlagConfirmForm, FlagDismissForm, FlagFilterForm
from minzheng.matching.models import FlagStatus, MatchFlag, RuleAction, RuleMethod
from minzheng.matching.permissions import DATASET_READERS, FLAG_WORKERS
from minzheng.matching.rules import RULES
from minzheng.matching.schemas import ID_VALID, ROW_NO, SCHEMAS, ColumnType
from minzheng.matching.services import flags as flag_services
from minzheng.matching.views.common import (
    CONFLICT_STATUS,
    add_matching_errors,
    flag_tag,
    flag_worker,
    late,
    match_reader,
    may,
    program_name,
    user_label,
    wants_export,
)
from minzheng.programs.models import ReviewOutcome
from minzheng.programs.views.management.common import cell, export_rows
from minzheng.programs.views.presenters import event_rows
from minzheng.registry.models import Membership
from minzheng.registry.selectors import display_id_number, region_names
from minzheng.registry.views.common import current_user, paginate, render_page

FLAG_CONFIRMED = "疑点已核实属实:{outcome}"
FLAG_DISMISSED = "疑点已核实不属实,同一依据以后不再提示"
FLAG_WORKED = "该疑点已由他人核实,请查看下方的核实结果"
FLAG_HEADERS = [
    "核实时限",
    "超期工作日",
    "比对规则",
    "姓名",
    "身份证号码",
    "所在村(社区)",
    "救助项目",
    "疑点摘要",
    "匹配权重",
    "核实状态",
    "处理结果",
    "核实情况",
    "核实人",
    "核实时间",
    "发现批次",
    "发现时间",
]
# What a rule's worked-out figure is, where the rule says it.
FIGURE_LABELS = {
    "salary": _("计入后家庭月人均收入(元)"),
    "pension": _("计入后家庭月人均收入(元)"),
    "vehicle": _("车辆价值(元)"),
    "hospital_high_cost": _("个人自付(元)"),
    "age_allowance_missing": _("年龄(周岁)"),
}
WHOLE_FIGURES = {"age_allowance_missing"}
EVIDENCE_EXTRA = {
    "figure": _("比对计算结果"),
    ROW_NO: _("数据行号"),
    ID_VALID: _("身份证号校验"),
    "program": _("保障项目"),
    "case_number": _("案件编号"),
}


def outcome_label(outcome: str) -> str:
    if outcome == REFERRED:
        return str(_("建议纳入"))
    try:
        return str(ReviewOutcome(outcome).label)
    except ValueError:
        return outcome


def rule_label(code: str) -> str:
    rule = RULES.get(code)
    return str(rule.label) if rule else code


@dataclass
class FlagRow:
    flag: MatchFlag
    rule: str
    id_number: str
    region_name: str
    program: str
    overdue: int
    overdue_provisional: bool
    tag: str


def flag_rows(user: User, flags: Iterable[MatchFlag], day: datetime.date) -> list[FlagRow]:
    flags = list(flags)
    names = region_names(f.region_code for f in flags)
    rows = []
    for f in flags:
        overdue, provisional = late(f.due_on, day, f.status == FlagStatus.OPEN)
        rows.append(
            FlagRow(
                flag=f,
                rule=rule_label(f.rule),
                id_number=display_id_number(user, f.person.id_number),
                region_name=names.get(f.region_code, f.region_code),
                program=program_name(f.program),
                overdue=overdue,
                overdue_provisional=provisional,
                tag=flag_tag(f.status),
            )
        )
    return rows


def _filter_data(request: HttpRequest) -> Any:
    """The list opens on the flags still to work; 状态“全部” shows the worked ones too."""
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = FlagStatus.OPEN
    return data


def _ordered(
    flags: QuerySet[MatchFlag], day: datetime.date, first: tuple[str, ...] = ()
) -> QuerySet[MatchFlag]:
    """Open ones first, overdue ones at their top, then by deadline."""
    return flags.annotate(
        _open=Case(
            When(status=FlagStatus.OPEN, due_on__lt=day, then=Value(0)),
            When(status=FlagStatus.OPEN, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by(*first, "_open", "due_on", "id")


def _filtered(
    request: HttpRequest, user: User, action: str | None = None
) -> tuple[FlagFilterForm, QuerySet[MatchFlag], datetime.date]:
    day = timezone.localdate()
    form = FlagFilterForm(
        _filter_data(request), user=user, runs=selectors.runs_for(user), action=action
    )
    flags = form.filter(selectors.flags_for(user), day)
    return form, flags, day


def _export(user: User, flags: QuerySet[MatchFlag], day: datetime.date) -> HttpResponseBase:
    def to_rows(batch: list[MatchFlag]) -> Iterator[Sequence[Any]]:
        for row in flag_rows(user, batch, day):
            f = row.flag
            yield [
                cell(f.due_on),
                row.overdue or "",
                row.rule,
                f.person.name,
                row.id_number,
                row.region_name,
                row.program,
                f.summary,
                f.match_weight if f.match_weight is not None else "",
                f.get_status_display(),
                outcome_label(f.outcome) if f.outcome else "",
                f.outcome_reason,
                user_label(f.worked_by),
                cell(f.worked_at),
                f.run.number,
                cell(f.created_at),
            ]

    return xlsx_response(
        filename=f"比对疑点-{day:%Y%m%d}.xlsx",
        headers=FLAG_HEADERS,
        rows=export_rows(flags, to_rows),
    )


@match_reader
def flag_list(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    form, flags, day = _filtered(request, user)
    flags = _ordered(flags, day)
    if wants_export(request):
        return _export(user, flags, day)
    page = paginate(request, flags)
    open_flags = selectors.flags_for(user).filter(status=FlagStatus.OPEN)
    context = {
        "form": form,
        "page": page,
        "rows": flag_rows(user, page.object_list, day),
        "overdue_count": open_flags.filter(due_on__lt=day).count(),
        "open_count": open_flags.count(),
        "list_url": reverse("matching:flag_list"),
        "candidates": False,
    }
    return render_page(request, "matching/flag_list.html", "results", context)


@match_reader
def candidate_list(request: HttpRequest) -> HttpResponseBase:
    """漏保线索: candidate flags, grouped by the program the person should join."""
    user = current_user(request)
    form, flags, day = _filtered(request, user, action=RuleAction.CANDIDATE)
    if wants_export(request):
        return _export(user, _ordered(flags, day, first=("program",)), day)
    page = paginate(request, _ordered(flags, day, first=("program",)))
    groups: dict[str, list[FlagRow]] = {}
    for row in flag_rows(user, page.object_list, day):
        groups.setdefault(row.program or str(_("未指定项目")), []).append(row)
    counts = (
        flags.order_by().values_list("program").annotate(n=Count("id")).values_list("program", "n")
    )
    context = {
        "form": form,
        "page": page,
        "groups": list(groups.items()),
        "program_counts": [(program_name(p) if p else str(_("未指定项目")), n) for p, n in counts],
        "list_url": reverse("matching:candidate_list"),
        "candidates": True,
    }
    return render_page(request, "matching/candidate_list.html", "results", context)


# --- the flag's page ----------------------------------------------------------------------------


def evidence_rows(flag: MatchFlag) -> list[tuple[str, Any]]:
    """The evidence row with the Chinese headings of its kind's schema, in the schema's order
    (what the rule worked out, and anything else, after)."""
    rule = RULES.get(flag.rule)
    kind = (flag.dataset.kind if flag.dataset else None) or (rule.dataset_kind if rule else None)
    schema = SCHEMAS.get(kind or "")
    evidence = dict(flag.evidence or {})
    rows: list[tuple[str, Any]] = []
    if schema:
        rows.extend(
            (str(c.label), _shown(c.name, evidence.pop(c.name), c.type))
            for c in schema.columns
            if c.name in evidence
        )
    for key, value in evidence.items():
        if key not in EVIDENCE_EXTRA or value in (None, ""):
            continue  # the match weight is shown on its own; unknown keys are internal
        if key == "figure":
            label = FIGURE_LABELS.get(flag.rule, EVIDENCE_EXTRA[key])
            kind = "whole" if flag.rule in WHOLE_FIGURES else "figure"
            rows.append((str(label), _shown(key, value, kind)))
        else:
            rows.append((str(EVIDENCE_EXTRA[key]), _shown(key, value)))
    return rows


def _shown(key: str, value: Any, kind: str = "") -> Any:
    if value is None or value == "":
        return "—"
    if kind in (ColumnType.DECIMAL, "figure", "whole") and isinstance(value, int | float | str):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return value
        return f"{number:,.0f}" if kind == "whole" else f"{number:,.2f}"
    if key == "sex":
        return {"M": "男", "F": "女"}.get(str(value), value)
    if key == ID_VALID:
        return str(_("有效") if value else _("无效或缺失"))
    if key == "program" and isinstance(value, str):
        return program_name(value) if value.isidentifier() else value
    return value


def _members(flag: MatchFlag, user: User) -> list[dict[str, Any]]:
    if flag.household_id is None:
        return []
    memberships = (
        Membership.objects.filter(household_id=flag.household_id, valid_to__isnull=True)
        .select_related("person")
        .order_by("valid_from", "id")
    )
    return [
        {
            "membership": m,
            "person": m.person,
            "id_number": display_id_number(user, m.person.id_number),
            "is_flagged": m.person_id == flag.person_id,
        }
        for m in memberships
    ]


def _events(flag: MatchFlag) -> list[Any]:
    events = AuditEvent.objects.filter(object_type="MatchFlag", object_id=str(flag.pk))
    return event_rows(events.select_related("actor").order_by("at", "id"))


def _detail_context(
    user: User,
    flag: MatchFlag,
    *,
    bound: dict[str, forms.Form] | None = None,
    refused: Sequence[str] = (),
    conflict: str = "",
) -> dict[str, Any]:
    day = timezone.localdate()
    row = flag_rows(user, [flag], day)[0]
    rule = RULES.get(flag.rule)
    workable = flag.status == FlagStatus.OPEN and may(user, FLAG_WORKERS)
    forms_: dict[str, forms.Form] = {}
    if workable:
        forms_ = {"confirm": FlagConfirmForm(flag=flag), "dismiss": FlagDismissForm()}
        forms_.update(bound or {})
    return {
        "flag": flag,
        "row": row,
        "rule": rule,
        "probabilistic": bool(rule and rule.method == RuleMethod.PROBABILISTIC),
        "candidate": flag.action == RuleAction.CANDIDATE,
        "evidence": evidence_rows(flag),
        "members": _members(flag, user),
        "forms": forms_,
        "refused": refused,
        "conflict": conflict,
        "outcome": outcome_label(flag.outcome) if flag.outcome else "",
        "worked_by": user_label(flag.worked_by),
        "dataset_link": may(user, DATASET_READERS) and flag.dataset_id is not None,
        "events": _events(flag),
    }


def _render_detail(
    request: HttpRequest, user: User, flag: MatchFlag, status: int = 200, **kwargs: Any
) -> HttpResponse:
    context = _detail_context(user, flag, **kwargs)
    return render(request, "matching/flag_detail.html", context, status=status)


@match_reader
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    return _render_detail(request, user, selectors.flag_get(user, pk))


def _work(request: HttpRequest, pk: int, key: str) -> HttpResponseBase:
    user = current_user(request)
    flag = selectors.flag_get(user, pk)
    if flag.status != FlagStatus.OPEN:
        return _render_detail(request, user, flag, status=CONFLICT_STATUS, conflict=FLAG_WORKED)
    form: forms.Form
    if key == "confirm":
        form = FlagConfirmForm(request.POST, flag=flag)
    else:
        form = FlagDismissForm(request.POST)
    refused: list[str] = []
    if form.is_valid():
        c = form.cleaned_data
        try:
            if key == "confirm":
                flag = flag_services.flag_confirm(
                    actor=user,
                    flag=flag,
                    outcome=c["outcome"],
                    reason=c["reason"],
                    findings=c.get("findings", ""),
                )
                done = FLAG_CONFIRMED.format(outcome=outcome_label(c["outcome"]))
            else:
                flag = flag_services.flag_dismiss(actor=user, flag=flag, reason=c["reason"])
                done = FLAG_DISMISSED
        except MatchingConflict as e:
            flag = selectors.flag_get(user, pk)
            return _render_detail(request, user, flag, status=CONFLICT_STATUS, conflict=e.message)
        except MatchingError as e:
            refused = add_matching_errors(form, e)
            flag = selectors.flag_get(user, pk)
        else:
            messages.success(request, done)
            return redirect(reverse("matching:flag_detail", args=[flag.pk]))
    return _render_detail(request, user, flag, bound={key: form}, refused=refused)


@flag_worker
@require_POST
def flag_confirm(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _work(request, pk, "confirm")


@flag_worker
@require_POST
def flag_dismiss(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _work(request, pk, "dismiss")
