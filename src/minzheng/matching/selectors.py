"""Reads of 信息比对, always scoped to the user's region.

Datasets and runs belong to a county: a county user sees the county's, a township user the
county's that contains the township (the run's figures are then cut to the township). Flags
belong to the village of the case's household: a township clerk sees the township's only."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from minzheng.core.models import User
from minzheng.core.scope import in_scope, scoped
from minzheng.matching.models import (
    DatasetStatus,
    ExternalDataset,
    FlagStatus,
    MatchFlag,
    MatchRun,
    RuleAction,
    RunStatus,
)
from minzheng.matching.rules import RULES
from minzheng.registry.selectors import region_names

TOWNSHIP_DIGITS = 9


def township_of(region_code: str) -> str:
    """The township (12-digit code) a village code lies in."""
    return region_code[:TOWNSHIP_DIGITS].ljust(12, "0")


def _covering_q(user: User) -> Q:
    """Rows whose region lies inside the user's scope, or whose region contains it (a county's
    dataset or run for a township user)."""
    prefix = user.scope_prefix
    q = Q(region_code__startswith=prefix)
    for size in (2, 4, 6, 9):
        if size < len(prefix):
            q |= Q(region_code=prefix[:size].ljust(12, "0"))
    return q


# --- datasets -----------------------------------------------------------------------------------


def datasets_for(user: User) -> QuerySet[ExternalDataset]:
    """Datasets of the user's county (a county-level user's scope)."""
    return ExternalDataset.objects.filter(_covering_q(user)).select_related("created_by")


def dataset_get(user: User, pk: int) -> ExternalDataset:
    return get_object_or_404(datasets_for(user), pk=pk)


def active_datasets(user: User) -> dict[str, ExternalDataset]:
    """{kind: the active delivery} of the user's county (or counties)."""
    active = datasets_for(user).filter(status=DatasetStatus.ACTIVE).order_by("region_code")
    return {d.kind: d for d in active}


# --- runs ---------------------------------------------------------------------------------------


def runs_for(user: User) -> QuerySet[MatchRun]:
    """Runs of counties in the user's scope, or of the county containing a township user."""
    return MatchRun.objects.filter(_covering_q(user)).select_related("created_by")


def run_get(user: User, pk: int) -> MatchRun:
    return get_object_or_404(runs_for(user), pk=pk)


# --- flags --------------------------------------------------------------------------------------


def flags_for(user: User) -> QuerySet[MatchFlag]:
    """Flags whose region_code is in the user's scope, with person/case/household/review."""
    return scoped(MatchFlag.objects.all(), user).select_related(
        "person", "case", "household", "review", "run", "dataset", "worked_by"
    )


def flag_get(user: User, pk: int) -> MatchFlag:
    """One flag in the user's scope (404 outside it)."""
    return get_object_or_404(flags_for(user), pk=pk)


def run_flags(run: MatchRun, user: User) -> QuerySet[MatchFlag]:
    """The flags the run hit (raised by it, or raised before and hit again), in the user's
    scope."""
    return flags_for(user).filter(Q(run=run) | Q(last_run=run))


# --- a run's summary ----------------------------------------------------------------------------


def _rate(part: int, whole: int) -> int | None:
    """A whole percentage, None when there is nothing to divide."""
    return round(100 * part / whole) if whole else None


@dataclass
class Tally:
    hits: int = 0
    new: int = 0
    open: int = 0
    confirmed: int = 0
    dismissed: int = 0
    by_township: dict[str, int] = field(default_factory=dict)

    @property
    def repeated(self) -> int:
        return self.hits - self.new

    @property
    def worked(self) -> int:
        return self.confirmed + self.dismissed

    def as_dict(self, townships: list[str]) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "new": self.new,
            "repeated": self.repeated,
            "open": self.open,
            "confirmed": self.confirmed,
            "dismissed": self.dismissed,
            "worked": self.worked,
            # Of the flags worked: how many were true (属实率) and how many were not.
            "confirmed_rate": _rate(self.confirmed, self.worked),
            "dismissed_rate": _rate(self.dismissed, self.worked),
            "by_township": [self.by_township.get(t, 0) for t in townships],
        }


def _tally(flags: QuerySet[MatchFlag], run: MatchRun) -> tuple[dict[str, Tally], Tally]:
    rows = (
        flags.order_by()
        .values("rule", "region_code", "status", "run_id")
        .annotate(n=Count("id"))
        .values_list("rule", "region_code", "status", "run_id", "n")
    )
    per_rule: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    for rule, region, status, run_id, n in rows:
        town = township_of(region)
        for t in (per_rule[rule], total):
            t.hits += n
            t.new += n if run_id == run.pk else 0
            t.open += n if status == FlagStatus.OPEN else 0
            t.confirmed += n if status == FlagStatus.CONFIRMED else 0
            t.dismissed += n if status == FlagStatus.DISMISSED else 0
            t.by_township[town] = t.by_township.get(town, 0) + n
    return per_rule, total


def _rule_label(code: str) -> str:
    rule = RULES.get(code)
    return str(rule.label) if rule else code


def run_summary(run: MatchRun, user: User) -> dict[str, Any]:
    """Hit counts per rule and township (only the user's townships), open/confirmed/dismissed
    per rule with the confirmed and dismissed rates.

    Returns {"townships": [{code, name}], "rules": [{code, label, action, method, seconds,
    hits, new, repeated, open, confirmed, dismissed, worked, confirmed_rate, dismissed_rate,
    by_township: [n per township]}], "skipped": [{code, label, reason}], "totals": {...},
    "whole_run": the user sees the whole run (not one township's part)}. The rates are of the
    flags worked (confirmed + dismissed), whole percentages or None."""
    per_rule, total = _tally(run_flags(run, user), run)
    codes = sorted(total.by_township)
    if not in_scope(user, run.region_code):
        # A township user: only the township's own column, even when it has no hits.
        own = township_of(user.region_id) if len(user.scope_prefix) >= TOWNSHIP_DIGITS else ""
        codes = [own] if own else codes
    names = region_names(codes)
    counts: dict[str, Any] = run.rule_counts or {}
    ordered = [c for c in (run.rules or []) if c in RULES] or list(RULES)
    ordered += [c for c in per_rule if c not in ordered]
    rules: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for code in ordered:
        info = counts.get(code) or {}
        if info.get("skipped"):
            skipped.append({"code": code, "label": _rule_label(code), "reason": info["skipped"]})
            continue
        if code not in per_rule and code not in counts and code not in (run.rules or []):
            continue
        rule = RULES.get(code)
        rules.append(
            {
                "code": code,
                "label": _rule_label(code),
                "action": rule.action if rule else "",
                "method": rule.method if rule else "",
                "seconds": info.get("seconds"),
                **per_rule.get(code, Tally()).as_dict(codes),
            }
        )
    return {
        "townships": [{"code": c, "name": names.get(c, c)} for c in codes],
        "rules": rules,
        "skipped": skipped,
        "totals": total.as_dict(codes),
        "whole_run": in_scope(user, run.region_code),
    }


# --- dashboard figures --------------------------------------------------------------------------


def _year_range(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    return start, datetime.datetime(year + 1, 1, 1, tzinfo=tz)


def matching_figures(user: User, *, year: int | None = None) -> dict[str, Any]:
    """Dashboard figures for the statistics issue: runs, flags raised/confirmed/dismissed/open
    by rule and township, 漏保 candidates referred, cases suspended or terminated on a match.

    Returns {"year", "runs", "raised", "open", "confirmed", "dismissed", "overdue",
    "candidates_referred", "cases_suspended", "cases_terminated", "confirmed_rate",
    "by_rule": [{code, label, raised, open, confirmed, dismissed, confirmed_rate}],
    "by_township": [{code, name, raised, open, confirmed, dismissed}]} over the flags raised in
    the year within the user's scope."""
    year = year or timezone.localdate().year
    start, end = _year_range(year)
    flags = scoped(MatchFlag.objects.all(), user).filter(created_at__gte=start, created_at__lt=end)
    rows = (
        flags.order_by()
        .values("rule", "region_code", "status", "action", "outcome")
        .annotate(n=Count("id"))
        .values_list("rule", "region_code", "status", "action", "outcome", "n")
    )
    by_rule: dict[str, Tally] = defaultdict(Tally)
    by_town: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    referred = suspended = terminated = 0
    for rule, region, status, action, outcome, n in rows:
        for t in (by_rule[rule], by_town[township_of(region)], total):
            t.hits += n
            t.open += n if status == FlagStatus.OPEN else 0
            t.confirmed += n if status == FlagStatus.CONFIRMED else 0
            t.dismissed += n if status == FlagStatus.DISMISSED else 0
        if status == FlagStatus.CONFIRMED:
            referred += n if action == RuleAction.CANDIDATE else 0
            suspended += n if outcome == "suspend" else 0
            terminated += n if outcome == "terminate" else 0
    runs = runs_for(user).filter(status=RunStatus.DONE, created_at__gte=start, created_at__lt=end)
    names = region_names(by_town)
    today = timezone.localdate()
    return {
        "year": year,
        "runs": runs.count(),
        "raised": total.hits,
        "open": total.open,
        "confirmed": total.confirmed,
        "dismissed": total.dismissed,
        "confirmed_rate": _rate(total.confirmed, total.worked),
        "overdue": flags.filter(status=FlagStatus.OPEN, due_on__lt=today).count(),
        "candidates_referred": referred,
        "cases_suspended": suspended,
        "cases_terminated": terminated,
        "by_rule": [
            {
                "code": code,
                "label": _rule_label(code),
                "raised": t.hits,
                "open": t.open,
                "confirmed": t.confirmed,
                "dismissed": t.dismissed,
                "confirmed_rate": _rate(t.confirmed, t.worked),
            }
            for code, t in sorted(by_rule.items(), key=lambda kv: (-kv[1].hits, kv[0]))
        ],
        "by_township": [
            {
                "code": code,
                "name": names.get(code, code),
                "raised": t.hits,
                "open": t.open,
                "confirmed": t.confirmed,
                "dismissed": t.dismissed,
            }
            for code, t in sorted(by_town.items())
        ],
    }
