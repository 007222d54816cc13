"""Who may do what in the case engine. Reads are further limited by scope (core.scope)."""

from __future__ import annotations

from minzheng.core.models import Role, User
from minzheng.programs.models import StepLevel

CASE_READERS = {
    Role.VILLAGE_ASSISTANT,
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_LEADER,
    Role.COUNTY_OFFICER,
    Role.COUNTY_LEADER,
    Role.AUDITOR,
    Role.SYSTEM_ADMIN,
}
# One-window acceptance and the township's steps.
CASE_ACCEPTORS = {Role.TOWNSHIP_CLERK, Role.TOWNSHIP_LEADER}
# A village assistant files an application on the household's behalf (代办), as an online one.
ONLINE_APPLICANTS = {Role.VILLAGE_ASSISTANT, Role.TOWNSHIP_CLERK, Role.TOWNSHIP_LEADER}
# 超期督办: the county watches every township's deadlines.
CASE_SUPERVISORS = {Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.SYSTEM_ADMIN}
STANDARD_EDITORS = {Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.SYSTEM_ADMIN}
REVIEWERS = {Role.TOWNSHIP_CLERK, Role.TOWNSHIP_LEADER, Role.COUNTY_OFFICER, Role.COUNTY_LEADER}
# Tip-offs name their reporters and may concern village cadres: only the staff who investigate
# them and the auditors read them.
TIPOFF_READERS = REVIEWERS | {Role.AUDITOR}
RELATIVE_FILERS = {
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_LEADER,
    Role.COUNTY_OFFICER,
    Role.COUNTY_LEADER,
}
# The close-relative register (单独登记备案) is kept for supervision: the village assistant,
# often the cadre concerned, does not read it; the cases themselves still show their mark.
RELATIVE_READERS = RELATIVE_FILERS | {Role.AUDITOR}

# The roles that work a step at each level.
LEVEL_ROLES: dict[str, set[Role]] = {
    StepLevel.VILLAGE: {Role.VILLAGE_ASSISTANT, Role.TOWNSHIP_CLERK, Role.TOWNSHIP_LEADER},
    StepLevel.TOWNSHIP: {Role.TOWNSHIP_CLERK, Role.TOWNSHIP_LEADER},
    StepLevel.COUNTY: {Role.COUNTY_OFFICER, Role.COUNTY_LEADER},
}
# Approval is a leader's act where it is delegated to the township (审核确认权下放).
DELEGATED_APPROVERS = {Role.TOWNSHIP_LEADER}


def roles_for_step(code: str, level: str) -> set[Role]:
    if code == "county_approval" and level == StepLevel.TOWNSHIP:
        return set(DELEGATED_APPROVERS)
    return set(LEVEL_ROLES[level])


def step_roles(code: str) -> set[Role]:
    """Every role that works step `code` at some level in some program (the case's own level
    is checked by the service)."""
    from minzheng.programs.policies import POLICIES

    roles: set[Role] = set()
    for policy in POLICIES.values():
        for spec in policy.steps:
            if spec.code == code:
                roles |= LEVEL_ROLES[spec.level]
                if code == "county_approval":
                    roles |= DELEGATED_APPROVERS
    return roles


def may_read_cases(user: User) -> bool:
    return bool(user.is_authenticated and user.role in CASE_READERS)


# The menu's abilities (core.templatetags.layout `user|may:"cases"`).
ABILITIES: dict[str, set[Role]] = {
    "cases": CASE_READERS,
    "case_accept": CASE_ACCEPTORS | ONLINE_APPLICANTS,
    "case_supervise": CASE_SUPERVISORS,
    "case_tipoffs": TIPOFF_READERS,
    "case_relatives": RELATIVE_READERS,
}
