"""/api/v1/cases/{id}/documents/ and /api/v1/documents/{id}/file/: upload, list and download a
case's documents through the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minzheng.programs.models import Step
from minzheng.programs.services import documents as svc
from tests.api.case_support import (
    CASES,
    START,
    Applicants,
    accept,
    ok,
    standards,  # noqa: F401 (fixture)
)
from tests.api.conftest import ApiFor
from tests.conftest import VILLAGE, Personas

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("standards"),
    pytest.mark.time_machine(START, tick=False),
]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    return tmp_path


def test_a_document_is_uploaded_listed_and_downloaded(personas: Personas, api_for: ApiFor) -> None:
    case_id = accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    url = f"{CASES}{case_id}/documents/"
    step = Step.objects.get(case_id=case_id, code="authorization")
    village = api_for(personas.village_assistant)
    body = ok(
        village.post(
            url,
            {
                "kind": "authorization",
                "step": step.pk,
                "file": SimpleUploadedFile("授权书.pdf", PDF),
            },
            format="multipart",
        ),
        201,
    )
    assert (body["kind"], body["original_name"], body["size"]) == (
        "authorization",
        "授权书.pdf",
        len(PDF),
    )
    assert (body["step_code"], body["uploaded_by"]) == ("authorization", "village")
    listed = ok(api_for(personas.county_officer).get(url))["results"]
    assert [d["id"] for d in listed] == [body["id"]]
    download = api_for(personas.auditor).get(body["file_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    assert api_for(personas.other_township_clerk).get(body["file_url"]).status_code == 404
    assert api_for(personas.other_township_clerk).get(url).status_code == 404


def test_a_document_is_refused_with_the_field_at_fault(personas: Personas, api_for: ApiFor) -> None:
    case_id = accept(api_for, personas, Applicants(personas.township_clerk, VILLAGE))
    url = f"{CASES}{case_id}/documents/"
    clerk = api_for(personas.township_clerk)
    exe = clerk.post(
        url, {"kind": "other", "file": SimpleUploadedFile("a.exe", EXE)}, format="multipart"
    )
    assert exe.json() == {"errors": {"file": [svc.DOCUMENT_TYPE_NOT_ALLOWED.format(name="a.exe")]}}
    disguised = clerk.post(
        url, {"kind": "other", "file": SimpleUploadedFile("a.pdf", EXE)}, format="multipart"
    )
    assert list(disguised.json()["errors"]) == ["file"]
    other_step = clerk.post(
        url,
        {"kind": "other", "step": 999_999, "file": SimpleUploadedFile("a.pdf", PDF)},
        format="multipart",
    )
    assert other_step.json() == {"errors": {"step": [svc.DOCUMENT_STEP_OTHER_CASE]}}
    auditor = api_for(personas.auditor).post(
        url, {"kind": "other", "file": SimpleUploadedFile("a.pdf", PDF)}, format="multipart"
    )
    assert auditor.status_code == 403
