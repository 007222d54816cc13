"""用户管理 → 批量导入: a CSV of accounts is created whole or refused whole with row errors."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minzheng.core.models import AuditEvent, Role, User
from minzheng.core.services.user_import import read_user_csv, users_import, users_import_steps
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE

pytestmark = pytest.mark.django_db

HEADER = "用户名,姓名,角色,区划代码,初始密码,联系电话\n"
GOOD_ROWS = (
    "cun101,赵一,村(社区)民政协理员,341503100201,Cun101-Init-2026,13800000101\n"
    "cun102,钱二,village_assistant,341503100001,Cun102-Init-2026,\n"
    "zhen101,孙三,乡镇(街道)经办人,341503101,Zhen101-Init-2026,\n"
)


def upload(client, text, encoding="utf-8-sig"):
    file = SimpleUploadedFile("users.csv", text.encode(encoding), content_type="text/csv")
    return client.post("/system/users/import/", {"file": file})


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_a_clean_file_creates_every_account(client, personas):
    client.force_login(personas.system_admin)
    html = body(upload(client, HEADER + GOOD_ROWS))
    assert "已创建3个账号" in html
    created = {
        u.username: u for u in User.objects.filter(username__in=["cun101", "cun102", "zhen101"])
    }
    assert created["cun101"].region_id == VILLAGE
    assert created["zhen101"].role == Role.TOWNSHIP_CLERK
    assert created["zhen101"].region_id == "341503101000"
    assert created["cun102"].check_password("Cun102-Init-2026")
    assert AuditEvent.objects.filter(action="user.create").count() == 3


def test_a_file_saved_by_excel_in_gbk_is_read(client, personas):
    client.force_login(personas.system_admin)
    html = body(upload(client, HEADER + GOOD_ROWS, encoding="gb18030"))
    assert "已创建3个账号" in html
    assert User.objects.get(username="cun101").full_name == "赵一"


def test_a_file_with_any_bad_row_creates_nothing_and_names_each_row(client, personas):
    bad = (
        GOOD_ROWS
        + "cun101,重复,村(社区)民政协理员,341503100201,Cun101-Init-2026,\n"
        + "village,已有,村(社区)民政协理员,341503100201,Village-Init-2026,\n"
        + "cun103,错级,村(社区)民政协理员,341503100000,Cun103-Init-2026,\n"
        + f"cun104,外县,村(社区)民政协理员,{OTHER_COUNTY_VILLAGE},Cun104-Init-2026,\n"
        + "cun105,短密码,村(社区)民政协理员,341503100201,123,\n"
        + "cun106,无角色,村长,341503100201,Cun106-Init-2026,\n"
    )
    client.force_login(personas.system_admin)
    response = upload(client, HEADER + bad)
    assert not response.streaming
    errors = {}
    for e in response.context["errors"]:
        errors.setdefault((e.row, e.column), e.message)  # the first message of each cell
    assert errors[(5, "用户名")] == "用户名“cun101”在文件中重复(第2行)"
    assert errors[(6, "用户名")] == "用户名“village”已被使用"
    assert "村(社区)一级" in errors[(7, "区划代码")]
    assert errors[(8, "区划代码")] == "该记录不在您的管辖范围内"
    assert errors[(9, "初始密码")] == "密码太短,至少需要8个字符"
    assert "角色“村长”不存在" in errors[(10, "角色")]
    assert not User.objects.filter(username__startswith="cun10").exists()
    assert "未导入任何账号" in response.content.decode()


def test_missing_columns_are_named(client, personas):
    client.force_login(personas.system_admin)
    response = upload(client, "用户名,姓名\ncun1,张三\n")
    [error] = response.context["errors"]
    assert error.message == "表头缺少以下列:角色、区划代码、初始密码"


def test_an_empty_file_is_refused(client, personas):
    client.force_login(personas.system_admin)
    response = upload(client, HEADER)
    assert [e.message for e in response.context["errors"]] == ["文件为空"]


def test_a_failure_while_writing_rolls_back_every_account(personas, monkeypatch):
    rows = read_user_csv((HEADER + GOOD_ROWS).encode())
    # another administrator takes the last username after the check and before the write
    monkeypatch.setattr(
        "minzheng.core.services.user_import.users_import_check", lambda **kwargs: []
    )
    User.objects.create_user(username="zhen101", role=Role.TOWNSHIP_CLERK, region_id="341503101000")
    result = users_import(actor=personas.system_admin, rows=rows)
    assert result.finished
    assert [(e.row, e.column) for e in result.errors] == [(4, "用户名")]
    assert not User.objects.filter(username__in=["cun101", "cun102"]).exists()


def test_the_template_has_chinese_headers_and_a_bom(client, personas):
    client.force_login(personas.system_admin)
    response = client.get("/system/users/import/template.csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff用户名,姓名,角色,区划代码,初始密码,联系电话")
    assert read_user_csv(response.content)[0].username == "cun001"


def test_the_import_is_for_system_admins_only(client, personas):
    client.force_login(personas.county_officer)
    assert upload(client, HEADER + GOOD_ROWS).status_code == 404
    assert client.get("/system/users/import/template.csv").status_code == 404
    assert not User.objects.filter(username="cun101").exists()


def test_stopping_midway_keeps_no_account(personas):
    """What happens when the browser goes away: the page's generator stops the import."""
    rows = read_user_csv((HEADER + GOOD_ROWS).encode())
    steps = users_import_steps(actor=personas.system_admin, rows=rows)
    assert next(steps).done == 1
    assert User.objects.filter(username="cun101").exists()  # inside the open transaction
    steps.close()
    assert not User.objects.filter(username__in=["cun101", "cun102", "zhen101"]).exists()


def test_the_page_streams_progress_for_each_account(client, personas):
    client.force_login(personas.system_admin)
    html = body(upload(client, HEADER + GOOD_ROWS))
    assert "mzProgress(1,3)" in html and "mzProgress(3,3)" in html
