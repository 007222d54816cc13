"""`minzheng user`: accounts from the command line, so that a county can create its village
accounts from a script. The password comes from standard input (one line), never an argument:

    echo 'S3cret-Passw0rd' | minzheng user create cun001 --role village_assistant \\
        --region 341503100201 --full-name 张三 --phone 13800000000
    minzheng user set-password cun001 < password.txt
    minzheng user list --region 341503100
    minzheng user import village-accounts.csv    # 用户名,姓名,角色,区划代码,初始密码[,联系电话]
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from tqdm import tqdm

from minzheng.core.management.base import MinzhengCommand
from minzheng.core.models import Role, User
from minzheng.core.regions import RegionCodeError, code_prefix, normalize_code, prefix_q
from minzheng.core.services.user_import import (
    RowError,
    UserFileError,
    read_user_csv,
    users_import_steps,
)
from minzheng.core.services.users import user_create, user_set_password

USER_UNKNOWN = "用户“{username}”不存在"
USER_CREATED = "已创建用户 {username}({role},{region})"
PASSWORD_SET = "已为用户 {username} 设置新密码"  # noqa: S105 (a message)
NO_USERS = "没有用户"
REGION_PREFIX_INVALID = "区划代码前缀“{prefix}”应由数字组成"
USERS_IMPORTED = "已创建{count}个用户"
USERS_REFUSED = "文件未导入,没有创建任何用户:"


def file_errors(errors: list[RowError]) -> str:
    lines = [USERS_REFUSED]
    for e in errors:
        where = f"第{e.row}行" if e.row else "文件"
        lines.append(f"{where}{f' [{e.column}]' if e.column else ''}: {e.message}")
    return "\n".join(lines)


def role_value(raw: str) -> str:
    """The role's value; its Chinese label (乡镇(街道)经办人) is accepted too."""
    labels = {str(label): value for value, label in Role.choices}
    return labels.get(raw.strip(), raw.strip())


def region_code(raw: str) -> str:
    """A 12-digit code from 2/4/6/9/12 digits (341503 is the county)."""
    try:
        return normalize_code(raw)
    except RegionCodeError as e:
        raise CommandError(str(e)) from None


def messages_of(error: ValidationError) -> str:
    """The service's Chinese messages, one per line."""
    if hasattr(error, "error_dict"):
        return "\n".join(m for messages in error.message_dict.values() for m in messages)
    return "\n".join(error.messages)


class Command(MinzhengCommand):
    help = "用户账号:创建(create)、设置密码(set-password)、列出(list)。密码从标准输入读取。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser("create", help="创建用户,密码从标准输入读取(一行)")
        create.add_argument("username", help="用户名")
        roles = ", ".join(f"{v}={label}" for v, label in Role.choices)
        create.add_argument("--role", required=True, help=f"角色:{roles}")
        create.add_argument("--region", required=True, help="所属区划代码,如 341503100201")
        create.add_argument("--full-name", default="", help="姓名")
        create.add_argument("--phone", default="", help="联系电话")
        password = sub.add_parser("set-password", help="设置密码,新密码从标准输入读取(一行)")
        password.add_argument("username", help="用户名")
        bulk = sub.add_parser("import", help="从CSV文件批量创建用户(全部创建或全部拒绝)")
        bulk.add_argument("file", help="CSV文件:用户名,姓名,角色,区划代码,初始密码[,联系电话]")
        listing = sub.add_parser("list", help="列出用户")
        listing.add_argument("--region", default="", help="区划代码或其前缀,如 341503100")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self.create(options)
        elif action == "set-password":
            self.set_password(options)
        elif action == "import":
            self.import_file(options["file"])
        else:
            self.list(options["region"])

    def create(self, options: dict[str, Any]) -> None:
        code = region_code(options["region"])
        password = self.read_secret(options)
        try:
            user = user_create(
                actor=None,
                username=options["username"].strip(),
                role=role_value(options["role"]),
                region_code=code,
                password=password,
                full_name=options["full_name"].strip(),
                phone=options["phone"].strip(),
            )
        except ValidationError as e:
            raise CommandError(messages_of(e)) from None
        self.stdout.write(
            USER_CREATED.format(username=user.username, role=user.role_label, region=user.region)
        )

    def set_password(self, options: dict[str, Any]) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(USER_UNKNOWN.format(username=options["username"]))
        password = self.read_secret(options)
        try:
            user_set_password(actor=None, user=user, password=password)
        except ValidationError as e:
            raise CommandError(messages_of(e)) from None
        self.stdout.write(PASSWORD_SET.format(username=user.username))

    def import_file(self, path: str) -> None:
        """Every account of the file or none, with a progress bar (hashing a password takes
        a fraction of a second, so 300 accounts take a minute or two)."""
        try:
            rows = read_user_csv(Path(path).read_bytes())
        except OSError as e:
            raise CommandError(f"无法读取文件{path}:{e.strerror}") from None
        except UserFileError as e:
            raise CommandError(file_errors(e.errors)) from None
        progress = None
        with tqdm(total=len(rows), unit="个", desc="创建账号", disable=None) as bar:
            for progress in users_import_steps(actor=None, rows=rows):
                bar.n = progress.done
                bar.refresh()
        if progress is None or progress.errors:
            raise CommandError(file_errors(progress.errors if progress else []))
        self.stdout.write(USERS_IMPORTED.format(count=progress.done))

    def list(self, prefix: str) -> None:
        prefix = prefix.strip()
        if prefix and not prefix.isdigit():
            raise CommandError(REGION_PREFIX_INVALID.format(prefix=prefix))
        if len(prefix) == 12:
            prefix = code_prefix(prefix)
        users = (
            User.objects.filter(prefix_q("region__code", prefix))
            .select_related("region")
            .order_by("region_id", "username")
        )
        count = 0
        for user in users.iterator(chunk_size=1000):
            count += 1
            state = "" if user.is_active else "  (已停用)"
            self.stdout.write(
                f"{user.username}\t{user.full_name}\t{user.role_label}\t"
                f"{user.region_id}\t{user.region.name}\t{user.phone}{state}"
            )
        self.stdout.write(f"共{count}个用户" if count else NO_USERS)
