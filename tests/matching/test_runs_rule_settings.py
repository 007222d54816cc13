"""A county's settings of a rule (on/off, threshold, deadline), and what a run takes from them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from minzheng.core.models import AuditEvent
from minzheng.matching.errors import MatchingError
from minzheng.matching.models import MatchRule
from minzheng.matching.rules import RULES
from minzheng.matching.services.rule_settings import rule_settings, rule_update

pytestmark = pytest.mark.django_db

COUNTY = "341503000000"


def test_without_rows_the_rules_defaults_hold(regions):
    fuzzy = rule_settings("death_fuzzy", COUNTY)
    assert fuzzy.pk is None
    assert fuzzy.enabled is True
    assert fuzzy.threshold == RULES["death_fuzzy"].default_threshold
    assert fuzzy.due_days == 15


def test_a_county_officer_sets_the_countys_row(personas):
    row = rule_update(
        actor=personas.county_officer,
        code="death_fuzzy",
        enabled=True,
        threshold=Decimal("14.5"),
        due_days=10,
        note="提高阈值减少误报",
    )
    assert row.region_code == COUNTY
    assert row.threshold == Decimal("14.50")
    assert rule_settings("death_fuzzy", "341503100201").pk == row.pk  # a village reads its county
    assert rule_settings("death_fuzzy", "640324000000").pk is None
    event = AuditEvent.objects.get(action="matching.rule_update")
    assert event.object_id == "death_fuzzy"
    assert event.changes["threshold"] == [None, "14.50"]
    assert event.reason == "提高阈值减少误报"
    # a second edit updates the same row and audits the change only
    rule_update(
        actor=personas.county_officer,
        code="death_fuzzy",
        enabled=False,
        threshold=Decimal("14.5"),
        due_days=10,
    )
    assert MatchRule.objects.count() == 1
    last = AuditEvent.objects.filter(action="matching.rule_update").order_by("-id").first()
    assert last.changes == {"rule": "death_fuzzy", "enabled": [True, False]}


def test_the_default_row_applies_to_a_county_without_its_own(personas):
    MatchRule.objects.create(code="vehicle", region_code="", enabled=False)
    assert rule_settings("vehicle", COUNTY).enabled is False
    rule_update(
        actor=personas.county_officer, code="vehicle", enabled=True, threshold=None, due_days=None
    )
    assert rule_settings("vehicle", COUNTY).enabled is True


@pytest.mark.parametrize(
    ("code", "threshold", "due_days", "field"),
    [
        ("no_such_rule", None, None, "code"),
        ("vehicle", Decimal("3"), None, "threshold"),
        ("death_fuzzy", Decimal("1.234"), None, "threshold"),
        ("vehicle", None, 0, "due_days"),
        ("vehicle", None, 91, "due_days"),
    ],
)
def test_it_refuses_bad_settings(personas, code, threshold, due_days, field):
    with pytest.raises(MatchingError) as e:
        rule_update(
            actor=personas.county_officer,
            code=code,
            enabled=True,
            threshold=threshold,
            due_days=due_days,
        )
    assert field in e.value.errors


@pytest.mark.parametrize("persona", ["township_clerk", "auditor", "village_assistant"])
def test_only_rule_editors_change_settings(personas, persona):
    with pytest.raises(PermissionDenied):
        rule_update(
            actor=getattr(personas, persona),
            code="vehicle",
            enabled=False,
            threshold=None,
            due_days=None,
        )
