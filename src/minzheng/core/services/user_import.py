"""Many accounts from one CSV file (系统管理 → 用户管理 → 批量导入): "a county creates its 300
village accounts". The file is created whole or refused whole with the reason for each bad row.

Every row is checked first without writing anything (cheap: no password hashing). Only a clean
file is written, one account at a time through `user_create` inside one transaction; hashing a
password costs ~0.35 s, so `users_import_steps` yields progress for the page to show."""

from __future__ import annotations

import csv
import io
from collections.abc import Generator
from dataclasses import dataclass, field

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from minzheng.core.models import Role, User
from minzheng.core.regions import RegionCodeError, normalize_code
from minzheng.core.services.users import (
    USERNAME_TAKEN,
    _check_password,
    _check_role_region,
    user_create,
)

USER_FILE_EMPTY = "文件为空"
USER_FILE_ENCODING = "无法识别文件编码,请用Excel另存为“CSV UTF-8”或GBK编码的CSV文件"
USER_FILE_HEADERS = "表头缺少以下列:{missing}"
USER_FILE_TOO_MANY = "一次最多导入{limit}个账号,文件中有{count}个"
USER_REQUIRED = "不能为空"
USER_DUPLICATE_IN_FILE = "用户名“{username}”在文件中重复(第{first}行)"
USERNAME_INVALID = "用户名只能包含字母、数字和@/./+/-/_,不超过150个字符"
MAX_ROWS = 2000

# field -> accepted headers; the first is the one the template and error messages use
COLUMNS: dict[str, tuple[str, ...]] = {
    "username": ("用户名", "username"),
    "full_name": ("姓名", "full_name", "name"),
    "role": ("角色", "role"),
    "region_code": ("区划代码", "region_code", "region"),
    "password": ("初始密码", "密码", "password"),
    "phone": ("联系电话", "电话", "phone"),
}
OPTIONAL = {"phone"}
HEADER_ROW = [names[0] for names in COLUMNS.values()]
# What a service error's field is called in the file.
ERROR_COLUMNS = {"username": "username", "role": "role", "region": "region_code"}


@dataclass(frozen=True)
class UserRow:
    row: int  # line in the file (the header is line 1)
    username: str
    full_name: str
    role: str
    region_code: str
    password: str
    phone: str = ""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the column's header as in the template ("" for the whole file)
    message: str


class UserFileError(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors))


@dataclass
class ImportProgress:
    total: int
    done: int = 0
    errors: list[RowError] = field(default_factory=list)
    finished: bool = False

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 100


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserFileError([RowError(0, "", USER_FILE_ENCODING)])


def _header_map(headers: list[str]) -> dict[str, str]:
    found = {h.strip().lower(): h for h in headers if h}
    out: dict[str, str] = {}
    missing = []
    for key, names in COLUMNS.items():
        header = next((found[n.lower()] for n in names if n.lower() in found), None)
        if header is not None:
            out[key] = header
        elif key not in OPTIONAL:
            missing.append(names[0])
    if missing:
        raise UserFileError([RowError(1, "", USER_FILE_HEADERS.format(missing="、".join(missing)))])
    return out


def read_user_csv(data: bytes) -> list[UserRow]:
    """Rows of a CSV (UTF-8, with or without BOM, or GBK as Excel saves it in China)."""
    text = _decode(data).strip()
    if not text:
        raise UserFileError([RowError(0, "", USER_FILE_EMPTY)])
    reader = csv.DictReader(io.StringIO(text))
    columns = _header_map(list(reader.fieldnames or []))
    rows = []
    for line, record in enumerate(reader, start=2):
        values = {k: (record.get(h) or "").strip() for k, h in columns.items()}
        if any(values.values()):
            rows.append(UserRow(row=line, **values))
    if not rows:
        raise UserFileError([RowError(0, "", USER_FILE_EMPTY)])
    if len(rows) > MAX_ROWS:
        message = USER_FILE_TOO_MANY.format(limit=MAX_ROWS, count=len(rows))
        raise UserFileError([RowError(0, "", message)])
    return rows


def _role_codes() -> dict[str, str]:
    """Role code, or its label in Chinese or the current language, -> code."""
    out = {code: code for code in Role.values}
    out.update({str(label): code for code, label in Role.choices})
    with translation.override("zh-hans"):
        out.update({str(label): code for code, label in Role.choices})
    return out


def _row_errors(actor: User | None, row: UserRow, roles: dict[str, str]) -> list[RowError]:
    errors = []

    def add(key: str, message: str) -> None:
        errors.append(RowError(row.row, COLUMNS[key][0], message))

    for key in ("username", "role", "region_code", "password"):
        if not getattr(row, key):
            add(key, USER_REQUIRED)
    if row.username:
        try:
            UnicodeUsernameValidator()(row.username)
            if len(row.username) > 150:
                raise ValidationError(USERNAME_INVALID)
        except ValidationError:
            add("username", USERNAME_INVALID)
    if row.role and row.region_code:
        try:
            code = normalize_code(row.region_code)
            _check_role_region(roles.get(row.role, row.role), code, actor)
        except RegionCodeError as e:
            add("region_code", str(e))
        except ValidationError as e:
            for key, messages in e.message_dict.items():
                for m in messages:
                    add(ERROR_COLUMNS.get(key, "username"), m)
    if row.password:
        probe = User(username=row.username, full_name=row.full_name)
        try:
            _check_password(row.password, probe)
        except ValidationError as e:
            for m in e.messages:
                add("password", m)
    return errors


def users_import_check(*, actor: User | None, rows: list[UserRow]) -> list[RowError]:
    """Every reason the file would be refused, row by row; writes nothing."""
    roles = _role_codes()
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    taken = set(
        User.objects.filter(username__in=[r.username for r in rows]).values_list(
            "username", flat=True
        )
    )
    for row in rows:
        errors += _row_errors(actor, row, roles)
        if row.username in first_seen:
            message = USER_DUPLICATE_IN_FILE.format(
                username=row.username, first=first_seen[row.username]
            )
            errors.append(RowError(row.row, COLUMNS["username"][0], message))
        elif row.username in taken:
            message = USERNAME_TAKEN.format(username=row.username)
            errors.append(RowError(row.row, COLUMNS["username"][0], message))
        first_seen.setdefault(row.username, row.row)
    return errors


def users_import_steps(
    *, actor: User | None, rows: list[UserRow]
) -> Generator[ImportProgress, None, None]:
    """Create every account or none, yielding progress after each one. Stopping the iteration
    early (the browser went away) rolls everything back."""
    progress = ImportProgress(total=len(rows))
    progress.errors = users_import_check(actor=actor, rows=rows)
    if progress.errors:
        progress.finished = True
        yield progress
        return
    roles = _role_codes()
    with transaction.atomic():
        for row in rows:
            _create(actor, row, roles, progress)
            progress.done += 1
            yield progress
        if progress.errors:
            transaction.set_rollback(True)
    progress.finished = True
    yield progress


def _create(actor: User | None, row: UserRow, roles: dict[str, str], p: ImportProgress) -> None:
    try:
        with transaction.atomic():
            user_create(
                actor=actor,
                username=row.username,
                role=roles.get(row.role, row.role),
                region_code=normalize_code(row.region_code),
                password=row.password,
                full_name=row.full_name,
                phone=row.phone,
            )
    except ValidationError as e:
        for key, messages in e.message_dict.items():
            column = COLUMNS.get(ERROR_COLUMNS.get(key, key), (key,))[0]
            p.errors += [RowError(row.row, column, m) for m in messages]


def users_import(*, actor: User | None, rows: list[UserRow]) -> ImportProgress:
    """The whole import at once (scripts and tests)."""
    last = ImportProgress(total=len(rows))
    for last in users_import_steps(actor=actor, rows=rows):  # noqa: B007
        pass
    return last
