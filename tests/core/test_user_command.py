"""`minzheng user`: accounts from the command line, password on standard input, through
core.services.users (so each one is audited)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from minzheng.core.management.base import PASSWORD_MISSING, PASSWORDS_DIFFER
from minzheng.core.management.commands.user import USER_UNKNOWN
from minzheng.core.models import AuditEvent, Role, User
from minzheng.core.services.users import (
    PASSWORD_TOO_SHORT,
    REGION_UNKNOWN,
    ROLE_NEEDS_LEVEL,
    ROLE_UNKNOWN,
    USERNAME_TAKEN,
)
from tests.conftest import VILLAGE, Personas

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Taohong-Cun-2026"


def user(*args: str, stdin: str = f"{GOOD_PASSWORD}\n") -> str:
    out = io.StringIO()
    call_command("user", *args, stdin=io.StringIO(stdin), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args: str, stdin: str = f"{GOOD_PASSWORD}\n") -> str:
    with pytest.raises(CommandError) as caught:
        user(*args, stdin=stdin)
    return str(caught.value)


def create_args(username: str, role: str = "village_assistant", region: str = VILLAGE) -> list[str]:
    return ["create", username, "--role", role, "--region", region]


def test_a_village_account_is_created_with_the_password_from_stdin(regions: Any) -> None:
    out = user(*create_args("cun001"), "--full-name", " 王芳 ", "--phone", "13800000001")
    created = User.objects.get(username="cun001")
    assert created.check_password(GOOD_PASSWORD)
    assert (created.role, created.region_id) == (Role.VILLAGE_ASSISTANT, VILLAGE)
    assert (created.full_name, created.phone) == ("王芳", "13800000001")
    assert created.is_active and not created.is_staff
    assert out.strip() == "已创建用户 cun001(村(社区)民政协理员,陶洪村(341503100201))"


def test_creating_an_account_writes_an_audit_event_by_the_system(regions: Any) -> None:
    user(*create_args("cun001"))
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor is None
    assert event.actor_username == "system"
    assert event.object_id == str(User.objects.get(username="cun001").pk)
    assert event.region_code == VILLAGE
    assert event.changes["role"] == [None, "village_assistant"]
    assert "password" not in event.changes


def test_a_short_code_and_the_chinese_role_name_are_accepted(regions: Any) -> None:
    user(*create_args("zhen01", role="乡镇(街道)经办人", region="341503100"))
    created = User.objects.get(username="zhen01")
    assert (created.role, created.region_id) == (Role.TOWNSHIP_CLERK, "341503100000")


def test_a_system_administrator_created_here_may_use_the_admin_site(regions: Any) -> None:
    user(*create_args("xitong", role="system_admin", region="341503"))
    assert User.objects.get(username="xitong").is_staff


def test_a_county_creates_village_accounts_in_a_loop(regions: Any) -> None:
    villages = ["341503100201", "341503100001", "341503101201"]
    started = time.perf_counter()
    for n, village in enumerate(villages * 2, start=1):
        user(*create_args(f"cun{n:03d}", region=village), stdin=f"Cun-Mima-{n:04d}-x\n")
    elapsed = time.perf_counter() - started
    assert User.objects.filter(role=Role.VILLAGE_ASSISTANT).count() == 6
    assert AuditEvent.objects.filter(action="user.create").count() == 6
    assert User.objects.get(username="cun004").check_password("Cun-Mima-0004-x")
    assert elapsed < 6 * 0.5, f"{elapsed:.2f}s for 6 accounts"


def test_an_unknown_role_is_refused(regions: Any) -> None:
    message = refused(*create_args("cun001", role="cunzhang"))
    assert message == ROLE_UNKNOWN.format(role="cunzhang", choices=", ".join(Role.values))
    assert not User.objects.filter(username="cun001").exists()


def test_a_role_at_the_wrong_level_of_region_is_refused(regions: Any) -> None:
    message = refused(*create_args("cun001", region="341503100"))
    assert message == ROLE_NEEDS_LEVEL.format(role="村(社区)民政协理员", level="村(社区)")
    message = refused(*create_args("xian01", role="county_officer", region=VILLAGE))
    assert message == ROLE_NEEDS_LEVEL.format(role="县(区)民政局经办人", level="县(区)")


def test_an_unknown_or_malformed_region_is_refused(regions: Any) -> None:
    assert refused(*create_args("cun001", region="341503100299")) == REGION_UNKNOWN.format(
        code="341503100299"
    )
    assert refused(*create_args("cun001", region="34150310")) == (
        "区划代码“34150310”应为2、4、6、9或12位数字"
    )


def test_a_duplicate_username_is_refused(personas: Personas) -> None:
    message = refused(*create_args(personas.village_assistant.username))
    assert message == USERNAME_TAKEN.format(username=personas.village_assistant.username)
    assert AuditEvent.objects.filter(action="user.create").count() == 0


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("Ab1", [PASSWORD_TOO_SHORT.format(min_length=8)]),
        ("12345678", ["这个密码太常见了。", "密码只包含数字。"]),
        ("password", ["这个密码太常见了。"]),
        ("cun001cun", ["密码跟 用户名 太相似了。"]),
    ],
)
def test_a_weak_password_is_refused_with_chinese_messages(
    regions: Any, password: str, messages: list[str]
) -> None:
    assert refused(*create_args("cun001"), stdin=f"{password}\n") == "\n".join(messages)
    assert not User.objects.filter(username="cun001").exists()


def test_no_password_on_stdin_is_refused(regions: Any) -> None:
    assert refused(*create_args("cun001"), stdin="") == PASSWORD_MISSING
    assert refused(*create_args("cun001"), stdin="\n") == PASSWORD_MISSING


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_password_is_asked_twice(
    regions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PASSWORD, "Other-Password-1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("user", *create_args("cun001"), stdin=FakeTerminal(), stdout=io.StringIO())
    assert User.objects.get(username="cun001").check_password(GOOD_PASSWORD)
    with pytest.raises(CommandError, match=PASSWORDS_DIFFER):
        call_command("user", *create_args("cun002"), stdin=FakeTerminal(), stdout=io.StringIO())


def test_set_password_reads_stdin_validates_and_is_audited(personas: Personas) -> None:
    out = user("set-password", "village", stdin="New-Taohong-2026\n")
    assert out.strip() == "已为用户 village 设置新密码"
    personas.village_assistant.refresh_from_db()
    assert personas.village_assistant.check_password("New-Taohong-2026")
    event = AuditEvent.objects.get(action="user.set_password")
    assert event.changes == {"password": ["***", "***"]}
    assert "New-Taohong-2026" not in str(event.changes)
    assert refused("set-password", "village", stdin="short\n") == PASSWORD_TOO_SHORT.format(
        min_length=8
    )
    assert refused("set-password", "nobody") == USER_UNKNOWN.format(username="nobody")


def test_list_shows_the_accounts_beneath_a_region(personas: Personas) -> None:
    lines = user("list", "--region", "341503100").splitlines()
    names = [line.split("\t")[0] for line in lines[:-1]]
    assert set(names) == {"village", "village2", "township", "township_leader"}
    assert lines[-1] == "共4个用户"
    assert "\t陶洪村\t" in next(line for line in lines if line.startswith("village\t"))
    everyone = user("list").splitlines()
    assert everyone[-1] == f"共{len(personas.all())}个用户"
    assert user("list", "--region", "341503100000").splitlines()[-1] == "共4个用户"
    assert user("list", "--region", "11").strip() == "没有用户"


def test_from_a_shell_a_refusal_prints_the_chinese_message_and_exits_1() -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "minzheng", "user", *create_args("cun001", role="cunzhang")],
        input=f"{GOOD_PASSWORD}\n",
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "minzheng.settings.test", "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    expected = ROLE_UNKNOWN.format(role="cunzhang", choices=", ".join(Role.values))
    assert done.stderr.strip().splitlines()[-1] == expected


def test_a_county_creates_its_village_accounts_from_one_csv_file(regions: Any, tmp_path) -> None:
    path = tmp_path / "accounts.csv"
    lines = ["用户名,姓名,角色,区划代码,初始密码"]
    lines += [f"cun{i:03d},协理员{i},village_assistant,{VILLAGE},{GOOD_PASSWORD}" for i in range(5)]
    path.write_text("\n".join(lines), encoding="gbk")
    out = user("import", str(path))
    assert "已创建5个用户" in out
    assert User.objects.filter(username__startswith="cun", region_id=VILLAGE).count() == 5


def test_a_csv_file_with_one_bad_row_creates_no_account(regions: Any, tmp_path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "用户名,姓名,角色,区划代码,初始密码\n"
        f"cun001,甲,village_assistant,{VILLAGE},{GOOD_PASSWORD}\n"
        f"cun002,乙,village_assistant,999999999999,{GOOD_PASSWORD}\n",
        encoding="utf-8",
    )
    message = refused("import", str(path))
    assert "第3行" in message and "区划代码" in message
    assert not User.objects.filter(username__startswith="cun").exists()
