"""比对批次: the runs of the county with this year's figures on top, starting a run (engine and
the rules to run, each with the state of the data it needs), and the run's page — the progress
bar while it runs, then its hits per rule and township, new and repeated, how many were
confirmed or dismissed, the seconds each rule took and the rules it skipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from minzheng.core.models import User
from minzheng.core.scope import in_scope
from minzheng.matching import selectors
from minzheng.matching.errors import MatchingConflict, MatchingError
from minzheng.matching.forms import RunStartForm
from minzheng.matching.models import ExternalDataset, MatchRule, MatchRun, RunStatus
from minzheng.matching.permissions import DATASET_READERS, MATCH_OPERATORS
from minzheng.matching.rules import RULES, Rule
from minzheng.matching.schemas import SCHEMAS
from minzheng.matching.services import rule_settings as rule_services
from minzheng.matching.services import runs as run_services
from minzheng.matching.views.common import (
    CONFLICT_STATUS,
    add_matching_errors,
    match_operator,
    match_reader,
    may,
    run_tag,
)
from minzheng.payments.forms import county_code
from minzheng.registry.selectors import region_names
from minzheng.registry.views.common import current_user, paginate, render_page

RUN_STARTED = "已发起信息比对{number},正在后台比对"
RUN_CANCELLED = "已取消信息比对{number}"
LIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


def effective_rule(code: str, region_code: str) -> MatchRule:
    """The rule's settings for the county (its own row, else the default row, else the
    rule's defaults)."""
    return rule_services.rule_settings(code, region_code)


@dataclass
class RuleState:
    """A rule on the start form: whether it can run now, and why not."""

    rule: Rule
    settings: MatchRule
    dataset: ExternalDataset | None
    why_not: str

    @property
    def runnable(self) -> bool:
        return not self.why_not


def rule_states(user: User) -> list[RuleState]:
    county = county_code(user.region_id)
    active = selectors.active_datasets(user)
    states = []
    for code, rule in RULES.items():
        settings = effective_rule(code, county)
        dataset = active.get(rule.dataset_kind) if rule.dataset_kind else None
        why = ""
        if not settings.enabled:
            why = _("已停用,可在“比对规则”中启用")
        elif rule.dataset_kind and dataset is None:
            why = _("没有在用的“%(kind)s”数据,请先在“比对数据”中上传并通过校验") % {
                "kind": SCHEMAS[rule.dataset_kind].label
            }
        states.append(RuleState(rule=rule, settings=settings, dataset=dataset, why_not=why))
    return states


# --- the list -----------------------------------------------------------------------------------


@match_reader
def run_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    runs = selectors.runs_for(user).order_by("-created_at", "-id")
    page = paginate(request, runs)
    names = region_names(r.region_code for r in page.object_list)
    context = {
        "page": page,
        "rows": [
            {
                "run": r,
                "tag": run_tag(r.status),
                "region": names.get(r.region_code, ""),
                # A township reads the county's run with its own figures only (on its page).
                "whole": in_scope(user, r.region_code),
            }
            for r in page.object_list
        ],
        "figures": selectors.matching_figures(user),
        "may_start": may(user, MATCH_OPERATORS),
        "live": runs.filter(status__in=LIVE).first(),
    }
    return render_page(request, "matching/run_list.html", "results", context)


# --- starting a run -----------------------------------------------------------------------------


@match_operator
def run_start(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    states = rule_states(user)
    runnable = [s.rule.code for s in states if s.runnable]
    form = RunStartForm(request.POST or None, runnable=runnable)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            run = run_services.run_start(actor=user, engine=c["engine"], rules=c["rules"])
        except MatchingError as e:
            refused = add_matching_errors(form, e)
        else:
            messages.success(request, RUN_STARTED.format(number=run.number))
            return redirect(reverse("matching:run_detail", args=[run.pk]))
    chosen = set(form["rules"].value() or [])
    context = {
        "form": form,
        "states": states,
        "chosen": chosen,
        "refused": refused,
        "live": selectors.runs_for(user).filter(status__in=LIVE).first(),
    }
    return render(request, "matching/run_start.html", context)


# --- the run's page -----------------------------------------------------------------------------


def _datasets(user: User, run: MatchRun) -> list[dict[str, Any]]:
    ids = [int(i) for i in (run.datasets or {}).values() if str(i).isdigit()]
    found = {d.pk: d for d in selectors.datasets_for(user).filter(pk__in=ids)}
    out = []
    for kind, pk in (run.datasets or {}).items():
        schema = SCHEMAS.get(kind)
        out.append(
            {
                "label": schema.label if schema else kind,
                "dataset": found.get(int(pk)) if str(pk).isdigit() else None,
            }
        )
    return out


def _detail_context(user: User, run: MatchRun, conflict: str = "") -> dict[str, Any]:
    live = run.status in LIVE
    names = region_names([run.region_code])
    return {
        "run": run,
        "tag": run_tag(run.status),
        "live": live,
        "region_name": names.get(run.region_code, run.region_code),
        "summary": None if live else selectors.run_summary(run, user),
        "datasets": _datasets(user, run),
        "dataset_links": may(user, DATASET_READERS),
        "may_cancel": live and may(user, MATCH_OPERATORS) and in_scope(user, run.region_code),
        "conflict": conflict,
    }


@match_reader
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    run = selectors.run_get(user, pk)
    return render(request, "matching/run_detail.html", _detail_context(user, run))


@match_reader
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar while the run runs; once it ends the page reloads itself."""
    user = current_user(request)
    run = selectors.run_get(user, pk)
    if run.status not in LIVE and request.headers.get("HX-Request") == "true":
        return HttpResponseClientRefresh()
    return render(request, "matching/run_detail.html#progress", {"run": run, "live": True})


@match_operator
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    run = selectors.run_get(user, pk)
    try:
        run = run_services.run_cancel(actor=user, run=run)
    except (MatchingConflict, MatchingError) as e:
        run = selectors.run_get(user, pk)
        # A run no longer live (finished or cancelled meanwhile): its state changed first.
        context = _detail_context(user, run, conflict=e.message)
        return render(request, "matching/run_detail.html", context, status=CONFLICT_STATUS)
    messages.success(request, RUN_CANCELLED.format(number=run.number))
    return redirect(reverse("matching:run_detail", args=[run.pk]))
