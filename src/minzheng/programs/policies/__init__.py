"""The programs the engine runs. Adding a program: copy the closest module, register its class
here, add its standards (programs/README.md)."""

from __future__ import annotations

from django.utils.translation import gettext

from minzheng.programs.policies.base import Policy
from minzheng.programs.policies.dibao import RuralDibao, UrbanDibao
from minzheng.programs.policies.tekun import Tekun
from minzheng.programs.policies.temporary import TemporaryEmergency, TemporaryExpense

POLICIES: dict[str, type[Policy]] = {
    p.code: p for p in (UrbanDibao, RuralDibao, Tekun, TemporaryEmergency, TemporaryExpense)
}
UNKNOWN_PROGRAM = "未知的救助项目:{code}"


def policy_for(code: str) -> Policy:
    try:
        return POLICIES[code]()
    except KeyError:
        raise KeyError(UNKNOWN_PROGRAM.format(code=code)) from None


def program_label(code: str) -> str:
    """A program's name in the active language; an unknown code as it is."""
    policy = POLICIES.get(code)
    return gettext(policy.label) if policy is not None else code


def program_choices() -> list[tuple[str, str]]:
    return [(code, gettext(p.label)) for code, p in POLICIES.items()]
