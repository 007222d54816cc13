"""The import pages: upload, the job page with its polling progress bar and result report, the
error list and the template as downloads, and who may see what."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.registry.importer import reading
from minzheng.registry.importer.columns import HEADERS
from minzheng.registry.importer.service import import_job_start
from minzheng.registry.models import Household, ImportJob
from tests.registry.import_files import family, person, run_import, table, write_xlsx

pytestmark = pytest.mark.django_db

UPLOAD = reverse("registry:registry-import")
TEMPLATE = reverse("registry:registry-import-template")


def job_url(job: ImportJob, name: str = "registry:registry-import-job") -> str:
    return reverse(name, args=[job.pk])


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def login(client, user):
    client.force_login(user)
    return client


def xlsx_upload(tmp_path, rows, name="居民.xlsx"):
    path = write_xlsx(tmp_path / "upload.xlsx", table(rows))
    return SimpleUploadedFile(name, path.read_bytes())


def test_a_township_clerk_sees_the_upload_form_and_the_template_link(client, personas):
    response = login(client, personas.township_clerk).get(UPLOAD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "批量导入居民和家庭" in html and TEMPLATE in html and 'name="mode"' in html


@pytest.mark.parametrize("role", ["village_assistant", "county_leader", "hospital_clerk"])
def test_roles_that_may_not_import_get_403(client, personas, role):
    client = login(client, getattr(personas, role))
    assert client.get(UPLOAD).status_code == 403
    assert client.get(TEMPLATE).status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client, db):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_template_has_the_headers_instructions_and_an_example(client, personas):
    response = login(client, personas.township_clerk).get(TEMPLATE)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[:3] == ["导入数据", "填写说明", "填写示例"]
    assert [c.value for c in wb["导入数据"][1]] == HEADERS
    instructions = [row[0] for row in wb["填写说明"].iter_rows(values_only=True)]
    assert "户籍性质" in instructions and "残疾类别" in instructions
    example = list(wb["填写示例"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in example] == ["户主", "配偶", "子女"]
    assert example[0][HEADERS.index("所在村(社区)区划代码")].startswith("341503100")


def test_uploading_a_file_queues_a_job_that_imports_and_deletes_the_file(
    client, personas, tmp_path, media, django_capture_on_commit_callbacks
):
    client = login(client, personas.township_clerk)
    upload = xlsx_upload(tmp_path, family("H1", 3) + family("H2", 2))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(UPLOAD, {"file": upload, "mode": "strict"})

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert job.status == ImportJob.Status.DONE and job.file_name == "居民.xlsx"
    assert Household.objects.count() == 2
    assert job.stored_path == "" and not any((media / "imports").iterdir())
    page = client.get(job_url(job)).content.decode()
    assert "已导入2户、5人" in page and "hx-trigger" not in page


def test_the_job_page_shows_the_error_report_and_offers_it_as_xlsx(client, personas, tmp_path):
    rows = [*family("H1", 2), person("H2", "户主", "坏人", 身份证号码="1234")]
    job = run_import(personas.township_clerk, write_xlsx(tmp_path / "b.xlsx", table(rows)), "skip")
    client = login(client, personas.township_clerk)

    page = client.get(job_url(job)).content.decode()
    download = client.get(job_url(job, "registry:registry-import-job-errors"))

    assert "已导入1户、2人;1户因有错误未导入" in page
    assert '<td class="row">4</td>' in page and "身份证号码应为18位" in page
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("行号", "列", "错误原因"),
        (4, "身份证号码", "身份证号码应为18位(或15位旧号码)"),
    ]


def test_a_running_job_polls_every_second_with_htmx_fragments(client, personas):
    job = import_job_start(actor=personas.township_clerk, file_name="a.xlsx", mode="strict")
    client = login(client, personas.township_clerk)

    full = client.get(job_url(job)).content.decode()
    fragment = client.get(job_url(job), headers={"HX-Request": "true"}).content.decode()

    assert 'hx-trigger="every 1s"' in full and "<html" in full
    assert fragment.lstrip().startswith("<section") and 'hx-trigger="every 1s"' in fragment
    assert "<progress" in fragment


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("township_clerk", 200),
        ("county_officer", 200),
        ("township_leader", 200),
        ("other_township_clerk", 404),
        ("other_county_officer", 404),
        ("village_assistant", 404),
    ],
)
def test_the_job_page_is_visible_only_within_the_jobs_scope(client, personas, role, status):
    job = import_job_start(actor=personas.township_clerk, file_name="a.xlsx", mode="strict")
    client = login(client, getattr(personas, role))
    assert client.get(job_url(job)).status_code == status
    assert client.get(job_url(job, "registry:registry-import-job-errors")).status_code == status


def test_a_file_above_the_limit_is_refused_on_the_form(client, personas, tmp_path, settings, media):
    settings.IMPORT_MAX_BYTES = 2048
    client = login(client, personas.township_clerk)
    upload = SimpleUploadedFile("big.csv", b"x" * 10_000)

    response = client.post(UPLOAD, {"file": upload, "mode": "strict"})

    assert response.status_code == 200
    assert reading.FILE_TOO_LARGE.format(limit="2KB") in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_upload_page_lists_recent_jobs_in_scope(client, personas, tmp_path):
    run_import(personas.township_clerk, write_xlsx(tmp_path / "mine.xlsx", table(family("H1"))))
    other = write_xlsx(tmp_path / "theirs.xlsx", table(family("H2")))
    run_import(personas.other_township_clerk, other)

    html = login(client, personas.township_clerk).get(UPLOAD).content.decode()

    assert "mine.xlsx" in html and "theirs.xlsx" not in html
