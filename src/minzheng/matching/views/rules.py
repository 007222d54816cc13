"""比对规则: the catalogue — what each rule compares, how, with which data, and what a hit
means — with the county's settings (on/off, threshold, deadline), edited by the county, and
each rule's history of changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from minzheng.core.models import AuditEvent, User
from minzheng.core.scope import scoped
from minzheng.matching.errors import MatchingError
from minzheng.matching.forms import RuleSettingsForm
from minzheng.matching.models import MatchRule, RuleAction, RuleMethod
from minzheng.matching.permissions import RULE_EDITORS
from minzheng.matching.rules import RULES, Rule
from minzheng.matching.schemas import SCHEMAS
from minzheng.matching.services import rule_settings as rule_services
from minzheng.matching.views.common import add_matching_errors, match_reader, may, rule_editor
from minzheng.matching.views.runs import effective_rule
from minzheng.payments.forms import county_code
from minzheng.programs.views.presenters import event_rows
from minzheng.registry.views.common import current_user

RULE_SAVED = "已保存“{label}”的设置"
RULE_ACTION = "matching.rule_update"


def threshold_meaning(rule: Rule) -> tuple[str, str]:
    """(label, help) of a rule's threshold: a match weight, an age or an amount."""
    if rule.method == RuleMethod.PROBABILISTIC:
        return _("匹配阈值(匹配权重)"), _(
            "模糊比对的匹配权重达到此值才提示;调高则提示更少、更准,调低则漏掉的更少"
        )
    if rule.code == "age_allowance_missing":
        return _("年龄(周岁)"), _("达到此年龄且未享受高龄津贴的老年人提示为漏保线索")
    return _("金额(元)"), _("达到此金额才提示")


PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The unit at the end of a column's label: 月工资(元) is named 月工资 where the text says 元.
UNIT = re.compile(r"[(（][^()（）]*[)）]$")


def meaning_text(rule: Rule) -> str:
    """What a hit means, its placeholders named in Chinese: 已于〔死亡日期〕死亡."""
    schema = SCHEMAS.get(rule.dataset_kind or "")
    labels = {c.name: UNIT.sub("", str(c.label)).rstrip() for c in schema.columns} if schema else {}
    labels |= {"figure": _("计算结果"), "match_weight": _("匹配权重")}
    return PLACEHOLDER.sub(lambda m: f"〔{labels.get(m.group(1), m.group(1))}〕", str(rule.meaning))


@dataclass
class RuleRow:
    rule: Rule
    settings: MatchRule
    kind_label: str
    threshold_label: str
    customized: bool
    meaning: str


def rule_rows(user: User) -> list[RuleRow]:
    county = county_code(user.region_id)
    rows = []
    for code, rule in RULES.items():
        settings = effective_rule(code, county)
        rows.append(
            RuleRow(
                rule=rule,
                settings=settings,
                kind_label=str(SCHEMAS[rule.dataset_kind].label)
                if rule.dataset_kind
                else _("本县救助名册、户籍"),
                threshold_label=threshold_meaning(rule)[0],
                customized=bool(settings.pk and settings.region_code == county),
                meaning=meaning_text(rule),
            )
        )
    return rows


@match_reader
def rule_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    context = {
        "rows": rule_rows(user),
        "may_edit": may(user, RULE_EDITORS),
        "actions": {a.value: a.label for a in RuleAction},
        "methods": {m.value: m.label for m in RuleMethod},
    }
    return render(request, "matching/rule_list.html", context)


def _history(user: User, code: str) -> list[Any]:
    events = scoped(AuditEvent.objects.filter(action=RULE_ACTION), user)
    events = events.filter(Q(changes__rule=code) | Q(object_id=code))
    return event_rows(events.select_related("actor").order_by("-at", "-id")[:100])


@rule_editor
def rule_edit(request: HttpRequest, code: str) -> HttpResponseBase:
    user = current_user(request)
    rule = RULES.get(code)
    if rule is None:
        raise Http404
    county = county_code(user.region_id)
    settings = effective_rule(code, county)
    has_threshold = rule.default_threshold is not None
    label, help_text = threshold_meaning(rule)
    form = RuleSettingsForm(
        request.POST or None,
        has_threshold=has_threshold,
        threshold_help=help_text,
        initial={
            "enabled": settings.enabled,
            "threshold": settings.threshold
            if settings.threshold is not None
            else rule.default_threshold,
            "due_days": settings.due_days or rule.default_due_days,
        },
    )
    if has_threshold:
        form.fields["threshold"].label = label
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            rule_services.rule_update(
                actor=user,
                code=code,
                enabled=c["enabled"],
                threshold=c.get("threshold") if has_threshold else None,
                due_days=c["due_days"],
                note=c.get("note", ""),
            )
        except MatchingError as e:
            refused = add_matching_errors(form, e)
        else:
            messages.success(request, RULE_SAVED.format(label=rule.label))
            return redirect(reverse("matching:rule_list"))
    context = {
        "rule": rule,
        "settings": settings,
        "form": form,
        "refused": refused,
        "kind_label": SCHEMAS[rule.dataset_kind].label if rule.dataset_kind else "",
        "meaning": meaning_text(rule),
        "history": _history(user, code),
        "actions": {a.value: a.label for a in RuleAction},
        "methods": {m.value: m.label for m in RuleMethod},
    }
    return render(request, "matching/rule_edit.html", context)
