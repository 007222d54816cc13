"""Editing a rule's settings for a county (on/off, threshold, deadline)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction

from minzheng.core.audit import audit_record
from minzheng.core.models import User
from minzheng.core.regions import CODE_LENGTH, LEVEL_DIGITS, code_level
from minzheng.matching.errors import MatchingError
from minzheng.matching.models import MatchRule
from minzheng.matching.permissions import RULE_EDITORS
from minzheng.matching.rules import RULES

RULE_NOT_ALLOWED = "只有县(区)民政局经办人、领导或系统管理员可以修改比对规则设置"
RULE_UNKNOWN = "未知的比对规则:{code}"
RULE_NO_THRESHOLD = "该规则不使用匹配阈值"
RULE_THRESHOLD_INVALID = "匹配阈值应为数字(最多2位小数)"
RULE_DUE_DAYS_INVALID = "核实时限应为1至90个工作日"
RULE_REGION_NOT_COUNTY = "比对规则按县(区)设置,请以县(区)用户操作"
DUE_DAYS_RANGE = (1, 90)
TWO_PLACES = Decimal("0.01")


def county_of(region_code: str) -> str:
    """The county (12-digit code) a region lies in; a province or city as it is."""
    if code_level(region_code) <= 3:
        return region_code
    return region_code[: LEVEL_DIGITS[3]].ljust(CODE_LENGTH, "0")


def _threshold(code: str, threshold: Decimal | None) -> Decimal | None:
    if threshold is None:
        return None
    if RULES[code].default_threshold is None:
        raise MatchingError({"threshold": [RULE_NO_THRESHOLD]})
    try:
        value = Decimal(str(threshold))
    except InvalidOperation:
        raise MatchingError({"threshold": [RULE_THRESHOLD_INVALID]}) from None
    if not value.is_finite() or abs(value) >= 10000 or value != value.quantize(TWO_PLACES):
        raise MatchingError({"threshold": [RULE_THRESHOLD_INVALID]})
    return value.quantize(TWO_PLACES)


def _due_days(due_days: int | None) -> int | None:
    if due_days is None:
        return None
    low, high = DUE_DAYS_RANGE
    if not isinstance(due_days, int) or not low <= due_days <= high:
        raise MatchingError({"due_days": [RULE_DUE_DAYS_INVALID]})
    return due_days


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@transaction.atomic
def rule_update(
    *,
    actor: User,
    code: str,
    enabled: bool,
    threshold: Decimal | None,
    due_days: int | None,
    note: str = "",
) -> MatchRule:
    """Set the actor's county's row of the rule (created on first edit), audited with the
    before/after values. MatchingError for an unknown rule, a threshold on a rule without
    one, due_days outside 1..90."""
    if actor.role not in RULE_EDITORS:
        raise PermissionDenied(RULE_NOT_ALLOWED)
    if code not in RULES:
        raise MatchingError({"code": [RULE_UNKNOWN.format(code=code)]})
    if code_level(actor.region_id) > 3:
        raise MatchingError(RULE_REGION_NOT_COUNTY)
    value = _threshold(code, threshold)
    days = _due_days(due_days)
    region_code = county_of(actor.region_id)
    row = MatchRule.objects.select_for_update().filter(code=code, region_code=region_code).first()
    created = row is None
    if row is None:
        row = MatchRule(code=code, region_code=region_code)
    before = {
        "enabled": None if created else row.enabled,
        "threshold": None if created else _plain(row.threshold),
        "due_days": None if created else row.due_days,
    }
    row.enabled, row.threshold, row.due_days = bool(enabled), value, days
    row.note, row.updated_by = note.strip(), actor
    row.full_clean(validate_unique=False)
    row.save()
    after = {"enabled": row.enabled, "threshold": _plain(row.threshold), "due_days": row.due_days}
    changes = {k: [before[k], v] for k, v in after.items() if created or before[k] != v}
    audit_record(
        actor=actor,
        action="matching.rule_update",
        object_type="MatchRule",
        object_id=code,
        region_code=region_code,
        changes={"rule": code, **changes},
        reason=row.note,
    )
    return row


def rule_settings(code: str, region_code: str) -> MatchRule:
    """The effective settings of a rule for a county: its own row, else the default row, else
    an unsaved row with the rule's defaults."""
    county = county_of(region_code)
    rows = {
        r.region_code: r for r in MatchRule.objects.filter(code=code, region_code__in=[county, ""])
    }
    row = rows.get(county) or rows.get("")
    if row is not None:
        return row
    rule = RULES.get(code)
    return MatchRule(
        code=code,
        region_code="",
        enabled=True,
        threshold=rule.default_threshold if rule else None,
        due_days=rule.default_due_days if rule else None,
    )


def rule_due_days(rule_code: str, settings_row: MatchRule) -> int:
    """Working days a flag of the rule is due in: the county's setting, else the rule's."""
    if settings_row.due_days:
        return int(settings_row.due_days)
    return RULES[rule_code].default_due_days


def rule_threshold(rule_code: str, settings_row: MatchRule) -> Decimal | None:
    if settings_row.threshold is not None:
        return settings_row.threshold
    return RULES[rule_code].default_threshold
