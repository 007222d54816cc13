"""The case engine in the OpenAPI schema: enums named after the domain's choices, money as
decimal strings, and the 409 documented where a step or a review may have been done first."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out: Path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(out), stderr=StringIO())
    loaded: dict[str, Any] = yaml.safe_load(out.read_text())
    return loaded


def test_money_is_a_decimal_string(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for component, field in (
        ("Case", "monthly_amount"),
        ("CaseDetail", "per_capita_income"),
        ("Calculation", "amount"),
        ("BenefitPeriod", "monthly_amount"),
        ("Grant", "amount"),
    ):
        prop = components[component]["properties"][field]
        assert (prop["type"], prop["format"]) == ("string", "decimal"), (component, field)


def test_enums_are_named_after_the_domain(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["CaseStatusEnum"]["enum"][:2] == ["submitted", "in_progress"]
    assert "upheld" in components["ObjectionOutcomeEnum"]["enum"]
    assert components["ProgramEnum"]["enum"] == [
        "dibao_urban",
        "dibao_rural",
        "tekun",
        "temporary_emergency",
        "temporary_expense",
    ]
    status = components["Case"]["properties"]["status"]
    assert status == {"$ref": "#/components/schemas/CaseStatusEnum"}


def test_a_conflict_is_documented_where_it_can_happen(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    for path in (
        "/api/v1/cases/{id}/steps/{code}/complete/",
        "/api/v1/cases/{id}/accept/",
        "/api/v1/objections/{id}/resolve/",
        "/api/v1/reviews/{id}/complete/",
    ):
        responses = paths[path]["post"]["responses"]
        assert {"400", "403", "404", "409"} <= set(responses), path
