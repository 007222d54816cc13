"""A case's recorded events read in words, not codes."""

from __future__ import annotations

from minzheng.programs.views.presenters import change_facts


def test_review_outcomes_and_kinds_read_in_chinese():
    facts = {f.label: f.value for f in change_facts({"outcome": "continue", "kind": "periodic"})}
    assert "继续保障" in facts.values()
    assert "定期复核" in facts.values()
