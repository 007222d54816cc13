"""Documents from the case page: the upload form (type and size refused in Chinese under the
file field), the list with download links, the documents of each step on the timeline, and
the download itself — within the user's scope only."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minzheng.programs.models import Case, CaseDocument, DocumentKind
from minzheng.programs.services import documents as doc_svc
from tests.programs.conftest import at
from tests.programs.views_support import accept, authorize, case_url

pytestmark = pytest.mark.django_db

START = at(2026, 3, 2)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def case(personas, family) -> Case:
    with time_machine.travel(START, tick=False):
        return accept(personas, family)


def upload_url(case: Case) -> str:
    return reverse("programs:document_upload", args=[case.pk])


def download_url(document: CaseDocument) -> str:
    return reverse("programs:document_download", args=[document.pk])


def pdf_file(name: str = "申请书.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def post(client, case: Case, **data):
    return client.post(upload_url(case), {"kind": "application", "step": "", **data})


def stored(personas, case: Case, name: str = "申请书.pdf", step=None) -> CaseDocument:
    return doc_svc.document_upload(
        actor=personas.township_clerk,
        case=case,
        kind=DocumentKind.APPLICATION,
        uploaded_file=pdf_file(name),
        step=step,
    )


def test_a_clerk_uploads_a_document_for_the_open_step(client, personas, case, media):
    step = case.steps.get(code="authorization")
    client.force_login(personas.township_clerk)
    html = client.get(case_url(case)).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert f'<option value="{step.pk}" selected>' in html  # the open step is proposed
    response = post(client, case, kind="authorization", step=step.pk, file=pdf_file("授权书.pdf"))
    assert response.status_code == 302
    assert response["Location"] == case_url(case) + "#documents"
    document = CaseDocument.objects.get(case=case)
    assert (document.kind, document.step_id, document.original_name) == (
        "authorization",
        step.pk,
        "授权书.pdf",
    )
    assert (media / document.file.name).read_bytes() == PDF
    html = client.get(case_url(case)).content.decode()
    assert "已上传材料“授权书.pdf”" in html
    link = f'<a href="{download_url(document)}">授权书.pdf</a>'
    assert html.count(link) == 2  # in the documents list and under its step on the timeline
    assert 'class="step-docs' in html


def test_a_document_of_no_step_is_listed_but_not_on_the_timeline(client, personas, case):
    client.force_login(personas.village_assistant)
    response = post(client, case, kind="hukou", file=pdf_file("户口簿.pdf"))
    assert response.status_code == 302
    html = client.get(case_url(case)).content.decode()
    assert html.count("户口簿.pdf</a>") == 1
    assert "step-docs" not in html


def test_a_file_of_the_wrong_type_is_refused_in_chinese(client, personas, case):
    client.force_login(personas.township_clerk)
    response = post(client, case, file=SimpleUploadedFile("setup.exe", EXE))
    html = response.content.decode()
    assert response.status_code == 200
    assert doc_svc.DOCUMENT_TYPE_NOT_ALLOWED.format(name="setup.exe") in html
    assert 'id="id_file_error"' in html
    assert '<details class="panel" open>' in html  # the form stays open on its error
    # a program renamed to .pdf: the content must agree with the extension
    response = post(client, case, file=SimpleUploadedFile("收入证明.pdf", EXE))
    mismatch = doc_svc.DOCUMENT_CONTENT_MISMATCH.format(name="收入证明.pdf", label="PDF")
    assert mismatch in response.content.decode()
    assert not CaseDocument.objects.exists()


def test_a_file_over_the_limit_is_refused_with_the_limit(client, personas, case, settings):
    settings.CASE_DOCUMENT_MAX_BYTES = 2048
    client.force_login(personas.township_clerk)
    html = client.get(case_url(case)).content.decode()
    assert "每个文件不超过2KB" in html
    big = PDF + b"0" * 4096
    response = post(client, case, file=pdf_file("病历.pdf", big))
    message = doc_svc.DOCUMENT_TOO_LARGE.format(
        name="病历.pdf", size=doc_svc.size_label(len(big)), limit="2KB"
    )
    assert message in response.content.decode()
    assert not CaseDocument.objects.exists()


def test_the_kind_and_the_file_are_asked_for(client, personas, case):
    client.force_login(personas.township_clerk)
    html = post(client, case, kind="", file=pdf_file()).content.decode()
    assert doc_svc.DOCUMENT_KIND_UNKNOWN in html
    html = post(client, case).content.decode()
    assert doc_svc.DOCUMENT_MISSING in html


def test_a_step_of_another_case_is_refused(client, personas, case, family):
    with time_machine.travel(START, tick=False):
        other = accept(
            personas,
            family,
            program="temporary_emergency",
            details={"hardship": "ordinary", "emergency_cause": "fire"},
        )
    foreign = other.steps.order_by("seq").first()
    client.force_login(personas.township_clerk)
    html = post(client, case, step=foreign.pk, file=pdf_file()).content.decode()
    assert doc_svc.DOCUMENT_STEP_OTHER_CASE in html
    assert not CaseDocument.objects.exists()


def test_a_document_may_be_filed_under_a_done_step(client, personas, case):
    with time_machine.travel(START, tick=False):
        authorize(personas, case)
    done = case.steps.get(code="authorization")
    client.force_login(personas.township_clerk)
    response = post(client, case, kind="authorization", step=done.pk, file=pdf_file())
    assert response.status_code == 302
    assert CaseDocument.objects.get().step == done


def test_readers_who_may_not_upload_get_no_form_and_403(client, personas, case):
    for user in (personas.auditor, personas.system_admin):
        client.force_login(user)
        html = client.get(case_url(case)).content.decode()
        assert "上传材料" not in html
        assert post(client, case, file=pdf_file()).status_code == 403
    assert not CaseDocument.objects.exists()


def test_an_upload_to_a_case_outside_the_scope_is_not_found(client, personas, case):
    for user in (personas.other_township_clerk, personas.other_county_officer):
        client.force_login(user)
        assert post(client, case, file=pdf_file()).status_code == 404
    assert not CaseDocument.objects.exists()


def test_a_document_is_downloaded_as_it_was_uploaded(client, personas, case):
    document = stored(personas, case, name="低保申请书.pdf")
    for user in (
        personas.village_assistant,
        personas.township_clerk,
        personas.county_officer,
        personas.auditor,
    ):
        client.force_login(user)
        response = client.get(download_url(document))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert "%E4%BD%8E%E4%BF%9D" in response["Content-Disposition"]  # 低保, RFC 5987
        assert b"".join(response.streaming_content) == PDF


def test_a_document_outside_the_scope_is_not_found(client, personas, case):
    document = stored(personas, case)
    for user in (
        personas.other_village_assistant,  # the neighbouring community of the same township
        personas.other_township_clerk,
        personas.other_county_officer,
    ):
        client.force_login(user)
        assert client.get(download_url(document)).status_code == 404
    client.force_login(personas.hospital_clerk)
    assert client.get(download_url(document)).status_code == 403
    client.logout()
    assert client.get(download_url(document)).status_code == 302  # to the login page


def test_a_document_whose_file_is_gone_is_not_found(client, personas, case, media):
    document = stored(personas, case)
    (media / document.file.name).unlink()
    client.force_login(personas.township_clerk)
    assert client.get(download_url(document)).status_code == 404
