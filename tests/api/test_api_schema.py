"""The OpenAPI schema covers every endpoint and generates without a warning; the docs page is
served from local files (no CDN)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from tests.conftest import Personas

ENDPOINTS = {
    "/api/v1/auth/token/": {"post", "delete"},
    "/api/v1/regions/": {"get"},
    "/api/v1/regions/{code}/": {"get"},
    "/api/v1/persons/": {"get", "post"},
    "/api/v1/persons/{id}/": {"get", "patch"},
    "/api/v1/households/": {"get", "post"},
    "/api/v1/households/{id}/": {"get", "patch"},
    "/api/v1/households/{id}/members/": {"post"},
    "/api/v1/households/{id}/members/{membership_id}/end/": {"post"},
    "/api/v1/households/{id}/head/": {"post"},
    "/api/v1/households/{id}/history/": {"get"},
    "/api/v1/households/{id}/declarations/": {"get", "post"},
    "/api/v1/households/{id}/declarations/{declaration_id}/": {"get"},
    "/api/v1/users/": {"get", "post"},
    "/api/v1/users/{id}/": {"get", "patch"},
    "/api/v1/users/{id}/set-password/": {"post"},
    "/api/v1/audit-events/": {"get"},
    "/api/v1/audit-events/{id}/": {"get"},
    "/api/v1/cases/": {"get", "post"},
    "/api/v1/cases/{id}/": {"get"},
    "/api/v1/cases/{id}/steps/{code}/complete/": {"post"},
    "/api/v1/cases/{id}/accept/": {"post"},
    "/api/v1/cases/{id}/withdraw/": {"post"},
    "/api/v1/cases/{id}/members/": {"post"},
    "/api/v1/cases/{id}/events/": {"get"},
    "/api/v1/cases/{id}/calculation/": {"get"},
    "/api/v1/cases/{id}/objections/": {"post"},
    "/api/v1/objections/{id}/resolve/": {"post"},
    "/api/v1/inbox/": {"get"},
    "/api/v1/overdue/": {"get"},
    "/api/v1/standards/": {"get", "post"},
    "/api/v1/programs/": {"get"},
    "/api/v1/reviews/": {"get", "post"},
    "/api/v1/reviews/{id}/complete/": {"post"},
    "/api/v1/tip-offs/": {"get", "post"},
    "/api/v1/tip-offs/{id}/close/": {"post"},
    "/api/v1/relative-filings/": {"get", "post"},
    "/api/v1/relative-filings/{id}/revoke/": {"post"},
    "/api/v1/cases/{id}/documents/": {"get", "post"},
    "/api/v1/documents/{id}/file/": {"get"},
    "/api/v1/cases/{id}/letter/": {"get"},
    "/api/v1/cases/{id}/resume/": {"post"},
    "/api/v1/cases/{id}/funeral-grant/": {"post"},
    "/api/v1/public-notices/{code}/": {"get"},
    "/api/v1/households/{id}/case-history/": {"get"},
    "/api/v1/tip-offs/{id}/assign/": {"post"},
    "/api/v1/payroll-runs/": {"get", "post"},
    "/api/v1/payroll-runs/{id}/": {"get"},
    "/api/v1/payroll-runs/{id}/lines/": {"get"},
    "/api/v1/payroll-runs/{id}/check/": {"post"},
    "/api/v1/payroll-runs/{id}/approve/": {"post"},
    "/api/v1/payroll-runs/{id}/lock/": {"post"},
    "/api/v1/payroll-runs/{id}/send/": {"post"},
    "/api/v1/payroll-runs/{id}/regenerate/": {"post"},
    "/api/v1/payroll-runs/{id}/cancel/": {"post"},
    "/api/v1/payroll-runs/{id}/bank-files/": {"get"},
    "/api/v1/bank-files/{id}/": {"get"},
    "/api/v1/bank-files/{id}/download/": {"get"},
    "/api/v1/bank-files/{id}/returns/": {"post"},
    "/api/v1/bank-returns/{id}/": {"get"},
    "/api/v1/payment-lines/reissue-queue/": {"get"},
    "/api/v1/payment-lines/reissue/": {"post"},
    "/api/v1/payment-lines/recoveries/": {"get"},
    "/api/v1/payment-lines/{id}/recovery/": {"post"},
    "/api/v1/fund-accounts/": {"get", "post"},
    "/api/v1/fund-accounts/{id}/": {"get"},
    "/api/v1/fund-accounts/{id}/entries/": {"post"},
    "/api/v1/fund-accounts/{id}/statement/": {"get"},
    "/api/v1/bank-templates/": {"get", "post"},
    "/api/v1/bank-templates/{id}/": {"get", "put"},
    "/api/v1/persons/{id}/payments/": {"get"},
    "/api/v1/households/{id}/payments/": {"get"},
    "/api/v1/dataset-kinds/": {"get"},
    "/api/v1/match-datasets/": {"get", "post"},
    "/api/v1/match-datasets/{id}/": {"get"},
    "/api/v1/match-datasets/{id}/mapping/": {"post"},
    "/api/v1/match-datasets/{id}/validate/": {"post"},
    "/api/v1/match-datasets/{id}/problems/": {"get"},
    "/api/v1/match-rules/": {"get"},
    "/api/v1/match-rules/{code}/": {"patch"},
    "/api/v1/match-runs/": {"get", "post"},
    "/api/v1/match-runs/{id}/": {"get"},
    "/api/v1/match-runs/{id}/cancel/": {"post"},
    "/api/v1/match-runs/{id}/summary/": {"get"},
    "/api/v1/match-flags/": {"get"},
    "/api/v1/match-flags/{id}/": {"get"},
    "/api/v1/match-flags/{id}/confirm/": {"post"},
    "/api/v1/match-flags/{id}/dismiss/": {"post"},
    "/api/v1/match-figures/": {"get"},
}


def test_the_schema_validates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=StringIO()
    )
    schema = yaml.safe_load(out.read_text())
    paths = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}
    assert paths == ENDPOINTS


def test_every_operation_has_a_chinese_summary_and_documents_its_errors(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), stderr=StringIO())
    schema = yaml.safe_load(out.read_text())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in operation["summary"]), (path, method)
            if "{" in path:
                assert "404" in operation["responses"], (path, method)
    end = schema["paths"]["/api/v1/households/{id}/members/{membership_id}/end/"]["post"]
    assert "409" in end["responses"]
    money = schema["components"]["schemas"]["IncomeItem"]["properties"]["monthly_amount"]
    assert money["type"] == "string" and money["format"] == "decimal"


@pytest.mark.django_db
def test_the_schema_and_the_docs_are_served(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.county_officer)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
