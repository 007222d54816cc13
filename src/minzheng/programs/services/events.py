"""A case's audit events: every service that changes a case records it through `case_audit`,
so that the case's history and the household's read one object type."""

from __future__ import annotations

from typing import Any

from minzheng.core.audit import audit_record
from minzheng.core.models import User
from minzheng.programs.models import Case


def case_audit(
    case: Case, actor: User | None, action: str, reason: str = "", **changes: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="case",
        object_id=case.pk,
        region_code=case.region_code,
        changes=changes,
        reason=reason,
    )
