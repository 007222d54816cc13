"""Case documents: which files are taken (extension and content must agree), the size limit,
where they are kept, and who may list and open them."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from openpyxl import Workbook

from minzheng.core.models import AuditEvent
from minzheng.programs.models import Case, CaseDocument, CaseStatus, Step, StepStatus
from minzheng.programs.services import documents as svc
from minzheng.programs.services.errors import CaseError
from tests.programs.conftest import make_family

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
CFB = svc.CFB_SIGNATURE + b"\x00" * 1024  # Word / Excel 97-2003 container
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def ooxml(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "收入证明"
    book.save(buffer)
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def case(personas) -> Case:
    family = make_family(personas.township_clerk)
    case = Case.objects.create(
        number="NCDB3415030000001",
        program="dibao_rural",
        household=family.household,
        applicant=family.head,
        region_code=family.household.region_code,
        status=CaseStatus.IN_PROGRESS,
        monthly_amount=Decimal("0"),
        created_by=personas.township_clerk,
    )
    return case


@pytest.fixture
def survey(case) -> Step:
    return Step.objects.create(
        case=case, code="survey", seq=2, level="township", status=StepStatus.OPEN
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("申请书.pdf", PDF, "application/pdf"),
        ("身份证.JPG", JPG, "image/jpeg"),
        ("户口本.jpeg", JPG, "image/jpeg"),
        ("照片.png", PNG, "image/png"),
        ("调查表.doc", CFB, "application/msword"),
        ("收入.xls", CFB, "application/vnd.ms-excel"),
        (
            "调查表.docx",
            ooxml("word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("收入.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_it_takes_the_offices_formats(personas, case, media, name, content, content_type):
    document = svc.document_upload(
        actor=personas.township_clerk,
        case=case,
        kind="application",
        uploaded_file=upload(name, content),
    )
    assert document.original_name == name
    assert document.content_type == content_type
    assert document.size == len(content)
    assert document.uploaded_by == personas.township_clerk
    # kept under MEDIA_ROOT/cases/<year>/<month>/ with a random name, byte for byte
    stored = Path(document.file.path)
    assert stored.is_relative_to(media / "cases")
    assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|jpg|png|doc|xls|docx|xlsx)", stored.name)
    assert stored.read_bytes() == content


def test_the_upload_is_audited_and_linked_to_its_step(personas, case, survey):
    document = svc.document_upload(
        actor=personas.village_assistant,
        case=case,
        kind="survey_form",
        uploaded_file=upload("入户调查表.pdf", PDF),
        step=survey,
    )
    assert document.step == survey
    event = AuditEvent.objects.get(action="case.document_upload")
    assert event.object_type == "case" and event.object_id == str(case.pk)
    assert event.region_code == case.region_code
    assert event.actor_username == personas.village_assistant.username
    assert event.changes["document"] == document.pk
    assert event.changes["original_name"] == "入户调查表.pdf"
    assert event.changes["step"] == "survey"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("说明.txt", b"hello", svc.DOCUMENT_TYPE_NOT_ALLOWED.format(name="说明.txt")),
        ("病毒.exe", EXE, svc.DOCUMENT_TYPE_NOT_ALLOWED.format(name="病毒.exe")),
        ("无扩展名", PDF, svc.DOCUMENT_TYPE_NOT_ALLOWED.format(name="无扩展名")),
        (
            "改名.pdf",
            EXE,
            svc.DOCUMENT_CONTENT_MISMATCH.format(name="改名.pdf", label="PDF"),
        ),
        (
            "其实是PNG.jpg",
            PNG,
            svc.DOCUMENT_CONTENT_MISMATCH.format(name="其实是PNG.jpg", label="JPG图片"),
        ),
        (
            "表格当文档.docx",
            xlsx(),
            svc.DOCUMENT_CONTENT_MISMATCH.format(name="表格当文档.docx", label="Word"),
        ),
        (
            "压缩包.xlsx",
            ooxml("readme.txt"),
            svc.DOCUMENT_CONTENT_MISMATCH.format(name="压缩包.xlsx", label="Excel"),
        ),
        (
            "坏文件.docx",
            b"PK\x03\x04" + b"\x00" * 100,
            svc.DOCUMENT_CONTENT_MISMATCH.format(name="坏文件.docx", label="Word"),
        ),
        ("旧文档.doc", PDF, svc.DOCUMENT_CONTENT_MISMATCH.format(name="旧文档.doc", label="Word")),
        (
            "宏.xlsx",
            ooxml("xl/workbook.xml", "xl/vbaProject.bin"),
            svc.DOCUMENT_MACROS.format(name="宏.xlsx"),
        ),
        ("空.pdf", b"", svc.DOCUMENT_EMPTY.format(name="空.pdf")),
    ],
)
def test_it_refuses_other_files_with_a_reason(personas, case, media, name, content, message):
    with pytest.raises(CaseError) as e:
        svc.document_upload(
            actor=personas.township_clerk,
            case=case,
            kind="other",
            uploaded_file=upload(name, content),
        )
    assert e.value.errors == {"file": [message]}
    assert not CaseDocument.objects.exists()
    assert not list(media.rglob("*.*"))  # nothing left on the disk


def test_it_refuses_files_over_the_limit(personas, case, settings):
    assert svc.max_bytes() == 10 * 1024 * 1024  # the default
    settings.CASE_DOCUMENT_MAX_BYTES = 1024 * 1024
    big = PDF + b"0" * (1536 * 1024)
    with pytest.raises(CaseError) as e:
        svc.document_upload(
            actor=personas.township_clerk,
            case=case,
            kind="income",
            uploaded_file=upload("大.pdf", big),
        )
    assert e.value.errors == {
        "file": [svc.DOCUMENT_TOO_LARGE.format(name="大.pdf", size="1.5MB", limit="1MB")]
    }
    just = PDF + b"0" * (1024 * 1024 - len(PDF))
    svc.document_upload(
        actor=personas.township_clerk,
        case=case,
        kind="income",
        uploaded_file=upload("刚好.pdf", just),
    )


def test_kind_step_and_file_must_make_sense(personas, case):
    clerk = personas.township_clerk
    with pytest.raises(CaseError) as e:
        svc.document_upload(
            actor=clerk, case=case, kind="selfie", uploaded_file=upload("a.pdf", PDF)
        )
    assert e.value.errors == {"kind": [svc.DOCUMENT_KIND_UNKNOWN]}
    with pytest.raises(CaseError) as e:
        svc.document_upload(actor=clerk, case=case, kind="other", uploaded_file=None)
    assert e.value.errors == {"file": [svc.DOCUMENT_MISSING]}
    other = Case.objects.create(
        number="TK3415030000002",
        program="tekun",
        household=case.household,
        applicant=case.applicant,
        region_code=case.region_code,
        created_by=clerk,
    )
    foreign = Step.objects.create(case=other, code="survey", level="township")
    with pytest.raises(CaseError) as e:
        svc.document_upload(
            actor=clerk, case=case, kind="other", uploaded_file=upload("a.pdf", PDF), step=foreign
        )
    assert e.value.errors == {"step": [svc.DOCUMENT_STEP_OTHER_CASE]}


def test_uploads_are_for_the_case_workers_in_scope(personas, case):
    with pytest.raises(Http404):
        svc.document_upload(
            actor=personas.other_township_clerk,
            case=case,
            kind="other",
            uploaded_file=upload("a.pdf", PDF),
        )
    for reader in (personas.auditor, personas.hospital_clerk):
        with pytest.raises(PermissionDenied):
            svc.document_upload(
                actor=reader, case=case, kind="other", uploaded_file=upload("a.pdf", PDF)
            )


def test_documents_are_listed_and_opened_within_scope(personas, case, survey):
    clerk = personas.township_clerk
    first = svc.document_upload(
        actor=clerk, case=case, kind="application", uploaded_file=upload("申请书.pdf", PDF)
    )
    second = svc.document_upload(
        actor=clerk, case=case, kind="photo", uploaded_file=upload("照片.png", PNG), step=survey
    )
    for reader in (clerk, personas.village_assistant, personas.county_officer, personas.auditor):
        assert list(svc.document_list(user=reader, case=case)) == [first, second]
    with pytest.raises(Http404):
        svc.document_list(user=personas.other_township_clerk, case=case)
    with pytest.raises(PermissionDenied):
        svc.document_list(user=personas.hospital_clerk, case=case)

    opened = svc.document_open(user=personas.auditor, pk=second.pk)
    try:
        assert opened.file.read() == PNG
        assert opened.content_type == "image/png"
    finally:
        opened.file.close()
    for outsider in (personas.other_township_clerk, personas.other_village_assistant):
        with pytest.raises(Http404):
            svc.document_open(user=outsider, pk=second.pk)
    with pytest.raises(PermissionDenied):
        svc.document_open(user=personas.hospital_clerk, pk=second.pk)


def test_a_file_gone_from_the_disk_is_a_clear_404(personas, case):
    document = svc.document_upload(
        actor=personas.township_clerk, case=case, kind="other", uploaded_file=upload("a.pdf", PDF)
    )
    Path(document.file.path).unlink()
    with pytest.raises(Http404, match=svc.DOCUMENT_FILE_GONE):
        svc.document_open(user=personas.township_clerk, pk=document.pk)


def test_size_label():
    assert svc.size_label(10 * 1024 * 1024) == "10MB"
    assert svc.size_label(1536 * 1024) == "1.5MB"
    assert svc.size_label(300) == "1KB"
    assert svc.size_label(512 * 1024) == "512KB"


def test_a_large_upload_spooled_to_disk_is_checked_the_same(personas, case):
    """Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE arrive as TemporaryUploadedFile."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    content = xlsx()
    spooled = TemporaryUploadedFile("收入.xlsx", "application/octet-stream", len(content), None)
    spooled.write(content)
    spooled.seek(0)
    try:
        document = svc.document_upload(
            actor=personas.township_clerk, case=case, kind="income", uploaded_file=spooled
        )
    finally:
        spooled.close()
    assert Path(document.file.path).read_bytes() == content
