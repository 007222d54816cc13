"""What the project's own commands share: errors a user can fix are printed as they are (in
Chinese, without Django's "CommandError:" prefix) and end the command with exit status 1;
the password (or other secret) a command needs is read from standard input."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Any, TextIO

from django.core.management.base import BaseCommand, CommandError

if TYPE_CHECKING:
    from minzheng.core.models import User

PASSWORD_PROMPT = "密码: "  # noqa: S105 (a prompt)
PASSWORD_AGAIN_PROMPT = "再次输入密码: "  # noqa: S105
PASSWORDS_DIFFER = "两次输入的密码不一致"
PASSWORD_MISSING = "请从标准输入提供密码(一行)"  # noqa: S105
USER_UNKNOWN = "用户“{username}”不存在或已停用"


class MinzhengCommand(BaseCommand):
    """A command whose CommandError messages are meant for the user: from a shell they are
    printed alone on standard error; from call_command (tests) they propagate as usual."""

    # call_command(..., stdin=io.StringIO("...")) feeds the secret in tests.
    stealth_options = ("stdin",)
    # These commands touch no URL or template: skipping the system checks spares importing the
    # whole URL tree (DRF, the schema generator), which keeps a 300-account shell loop quick.
    requires_system_checks: list[str] = []

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except CommandError as e:
            if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
                raise
            self.stderr.write(str(e))
            sys.exit(e.returncode)

    def actor(self, username: str) -> User | None:
        """The active user a command acts as (`--user`), None when not given (the system)."""
        from minzheng.core.models import User

        if not username:
            return None
        user = User.objects.filter(username=username.strip(), is_active=True).first()
        if user is None:
            raise CommandError(USER_UNKNOWN.format(username=username))
        return user

    def read_secret(self, options: dict[str, Any]) -> str:
        """One line from standard input; on a terminal, asked twice without echo."""
        stream: TextIO = options.get("stdin") or sys.stdin
        if stream.isatty():
            first = getpass.getpass(PASSWORD_PROMPT)
            if first != getpass.getpass(PASSWORD_AGAIN_PROMPT):
                raise CommandError(PASSWORDS_DIFFER)
            return first
        line = stream.readline().rstrip("\r\n")
        if not line:
            raise CommandError(PASSWORD_MISSING)
        return line
