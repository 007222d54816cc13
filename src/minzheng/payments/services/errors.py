"""The payments app's errors (pages show a PaymentError on the form, the API answers 400; a
PaymentConflict - someone changed the run meanwhile - 409)."""

from __future__ import annotations

NON_FIELD = "__all__"
RUN_CHANGED_MEANWHILE = "该发放批次已被他人处理,请刷新页面后重试"


class PaymentError(Exception):
    """A rule refused the action: `errors` maps a field (or "__all__") to Chinese messages."""

    def __init__(self, errors: dict[str, list[str]] | str, field: str = NON_FIELD) -> None:
        if isinstance(errors, str):
            errors = {field: [errors]}
        self.errors: dict[str, list[str]] = errors
        self.message = ";".join(m for messages in errors.values() for m in messages)
        super().__init__(self.message)


class PaymentConflict(Exception):
    def __init__(self, message: str = RUN_CHANGED_MEANWHILE) -> None:
        self.message = message
        super().__init__(message)
