"""A case's documents (申请材料): uploads checked by extension and by content, kept under
MEDIA_ROOT/cases/<year>/<month>/ with a random name, listed and opened within the user's scope.

Only the formats a township office exchanges are taken: PDF, JPG/PNG scans and photos, Word and
Excel (old and new). The extension names the format; the first bytes must agree (a renamed .exe
is refused), and a Word or Excel 2007+ file must be the document it claims to be, without
macros. At most CASE_DOCUMENT_MAX_BYTES (setting; 10 MB by default) per file."""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from minzheng.core.models import Role, User
from minzheng.core.scope import OUT_OF_SCOPE, require_in_scope, scoped
from minzheng.programs.models import Case, CaseDocument, DocumentKind, Step
from minzheng.programs.permissions import may_read_cases
from minzheng.programs.services.errors import CaseError
from minzheng.programs.services.events import case_audit

DOCUMENT_TYPE_NOT_ALLOWED = (
    "文件“{name}”的类型不能上传:只能上传PDF、JPG、PNG、Word(doc、docx)或Excel(xls、xlsx)文件"
)
DOCUMENT_CONTENT_MISMATCH = (
    "文件“{name}”的内容不是{label}文件(可能已损坏,或被改了扩展名),请上传原始文件"
)
DOCUMENT_MACROS = "文件“{name}”含有宏,出于安全原因不能上传,请另存为不含宏的文件后上传"
DOCUMENT_TOO_LARGE = "文件“{name}”大小为{size},超过了{limit}的上限,请压缩或分开上传"
DOCUMENT_EMPTY = "文件“{name}”是空文件"
DOCUMENT_MISSING = "请选择要上传的文件"
DOCUMENT_KIND_UNKNOWN = "请选择材料类型"
DOCUMENT_STEP_OTHER_CASE = "所选办理环节不属于该案件"
DOCUMENT_NOT_ALLOWED = "您的角色不能上传案件材料"
DOCUMENT_READ_NOT_ALLOWED = "您的角色不能查看案件材料"
DOCUMENT_FILE_GONE = "该材料的文件已不存在,请联系系统管理员"

# Who may add documents to a case (the auditor and the leaders read them).
DOCUMENT_UPLOADERS = {
    Role.VILLAGE_ASSISTANT,
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_LEADER,
    Role.COUNTY_OFFICER,
    Role.COUNTY_LEADER,
}


@dataclass(frozen=True)
class Format:
    label: str
    content_type: str
    content: str  # what the first bytes must be (see sniff())
    member: str = ""  # for Office 2007+: the part the zip must hold


FORMATS: dict[str, Format] = {
    "pdf": Format("PDF", "application/pdf", "pdf"),
    "jpg": Format("JPG图片", "image/jpeg", "jpg"),
    "png": Format("PNG图片", "image/png", "png"),
    "doc": Format("Word", "application/msword", "cfb"),
    "xls": Format("Excel", "application/vnd.ms-excel", "cfb"),
    "docx": Format(
        "Word",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "zip",
        member="word/document.xml",
    ),
    "xlsx": Format(
        "Excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "zip",
        member="xl/workbook.xml",
    ),
}
ALIASES = {"jpeg": "jpg", "jpe": "jpg"}
# Compound File Binary (Word 97-2003, Excel 97-2003): filetype recognises only some of them by
# their inner layout (WPS writes others), so the container's signature is what we check.
CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_KINDS = {"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "jar", "apk"}
MACRO_PARTS = ("word/vbaProject.bin", "xl/vbaProject.bin")
HEAD_BYTES = 8192


def max_bytes() -> int:
    return int(settings.CASE_DOCUMENT_MAX_BYTES)


def size_label(size: int) -> str:
    """10MB, 1.5MB, 512KB."""
    mb = 1024 * 1024
    if size >= mb:
        return f"{size / mb:.1f}".removesuffix(".0") + "MB"
    return f"{max(size // 1024, 1)}KB"


def sniff(head: bytes) -> str:
    """What the first bytes say the content is: pdf, jpg, png, zip, cfb, or "" (unknown)."""
    if head.startswith(CFB_SIGNATURE):
        return "cfb"
    kind = filetype.guess(head)
    if kind is None:
        return ""
    extension = str(kind.extension)
    return "zip" if extension in ZIP_KINDS else extension


def _zip_parts(stream: IO[bytes]) -> set[str] | None:
    """The part names of a zip (an Office 2007+ file), None when it is not a readable zip."""
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        stream.seek(0)


def document_check(uploaded_file: UploadedFile[bytes] | None) -> tuple[str, Format]:
    """(extension, format) of an acceptable upload; CaseError({"file": [...]}) otherwise."""
    if uploaded_file is None:
        raise CaseError({"file": [DOCUMENT_MISSING]})
    name = Path(uploaded_file.name or "").name
    extension = Path(name).suffix.lower().lstrip(".")
    extension = ALIASES.get(extension, extension)
    fmt = FORMATS.get(extension)
    if fmt is None:
        raise CaseError({"file": [DOCUMENT_TYPE_NOT_ALLOWED.format(name=name)]})
    size = int(uploaded_file.size or 0)
    if size == 0:
        raise CaseError({"file": [DOCUMENT_EMPTY.format(name=name)]})
    limit = max_bytes()
    if size > limit:
        raise CaseError(
            {
                "file": [
                    DOCUMENT_TOO_LARGE.format(
                        name=name, size=size_label(size), limit=size_label(limit)
                    )
                ]
            }
        )
    stream = uploaded_file.file
    if stream is None:
        raise CaseError({"file": [DOCUMENT_MISSING]})
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    mismatch = CaseError({"file": [DOCUMENT_CONTENT_MISMATCH.format(name=name, label=fmt.label)]})
    if sniff(head) != fmt.content:
        raise mismatch
    if fmt.member:
        parts = _zip_parts(stream)
        if parts is None or fmt.member not in parts:
            raise mismatch
        if any(part in parts for part in MACRO_PARTS):
            raise CaseError({"file": [DOCUMENT_MACROS.format(name=name)]})
    return extension, fmt


@transaction.atomic
def document_upload(
    *,
    actor: User,
    case: Case,
    kind: str,
    uploaded_file: UploadedFile[bytes] | None,
    step: Step | None = None,
) -> CaseDocument:
    """Keep a document of the case (of one of its steps, when given). The file is stored under
    a random name; the name the user gave is kept as `original_name`."""
    require_in_scope(actor, case.region_code)
    if actor.role not in DOCUMENT_UPLOADERS:
        raise PermissionDenied(DOCUMENT_NOT_ALLOWED)
    if kind not in DocumentKind.values:
        raise CaseError({"kind": [DOCUMENT_KIND_UNKNOWN]})
    if step is not None and step.case_id != case.pk:
        raise CaseError({"step": [DOCUMENT_STEP_OTHER_CASE]})
    if uploaded_file is None:
        raise CaseError({"file": [DOCUMENT_MISSING]})
    extension, fmt = document_check(uploaded_file)
    original_name = Path(uploaded_file.name or "").name[-255:]
    document = CaseDocument(
        case=case,
        step=step,
        kind=kind,
        original_name=original_name,
        size=int(uploaded_file.size or 0),
        content_type=fmt.content_type,
        uploaded_by=actor,
    )
    document.file.save(f"{uuid.uuid4().hex}.{extension}", uploaded_file, save=False)
    try:
        document.save()
        case_audit(
            case,
            actor,
            "case.document_upload",
            document=document.pk,
            kind=kind,
            original_name=original_name,
            size=document.size,
            step=step.code if step else "",
        )
    except Exception:
        document.file.delete(save=False)  # no row, no file
        raise
    return document


def _require_reader(user: User) -> None:
    if not may_read_cases(user):
        raise PermissionDenied(DOCUMENT_READ_NOT_ALLOWED)


def document_list(*, user: User, case: Case) -> QuerySet[CaseDocument]:
    """The case's documents, oldest first, with who uploaded them and at which step."""
    _require_reader(user)
    require_in_scope(user, case.region_code)
    return (
        CaseDocument.objects.filter(case=case)
        .select_related("uploaded_by", "step")
        .order_by("uploaded_at", "id")
    )


def document_open(*, user: User, pk: int) -> CaseDocument:
    """A document for download, its file opened for reading: a view answers
    FileResponse(document.file, as_attachment=True, filename=document.original_name,
    content_type=document.content_type). Http404 outside the user's scope or when the file is
    gone from the disk."""
    _require_reader(user)
    document = (
        scoped(CaseDocument.objects.select_related("case"), user, field="case__region_code")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404(OUT_OF_SCOPE)
    try:
        document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(DOCUMENT_FILE_GONE) from None
    return document
