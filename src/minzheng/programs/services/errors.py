"""The case engine's errors, shared by every service module (pages answer a CaseError with the
form and its field errors, the API with 400; a CaseConflict with 409)."""

from __future__ import annotations

CASE_CHANGED_MEANWHILE = "该案件已被他人修改,请刷新页面后重新办理"
NON_FIELD = "__all__"


class CaseError(Exception):
    """A business rule refused the action: `errors` maps a field (or "__all__") to its Chinese
    messages, as a form shows them."""

    def __init__(self, errors: dict[str, list[str]] | str, field: str = NON_FIELD) -> None:
        if isinstance(errors, str):
            errors = {field: [errors]}
        self.errors: dict[str, list[str]] = errors
        self.message = ";".join(m for messages in errors.values() for m in messages)
        super().__init__(self.message)


class CaseConflict(Exception):
    """Someone else changed the case between reading and writing it (optimistic lock)."""

    def __init__(self, message: str = CASE_CHANGED_MEANWHILE) -> None:
        self.message = message
        super().__init__(message)
