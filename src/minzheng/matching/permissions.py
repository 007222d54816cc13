"""Who may do what in 信息比对. Reads are further limited by scope (core.scope): a township
clerk sees the flags of the township's villages; datasets and runs are a county's."""

from __future__ import annotations

from minzheng.core.models import Role
from minzheng.programs.permissions import REVIEWERS

# Flags to work, run results, the statistics.
MATCH_READERS = {
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_LEADER,
    Role.COUNTY_OFFICER,
    Role.COUNTY_LEADER,
    Role.AUDITOR,
    Role.SYSTEM_ADMIN,
}
# The county's section receives other departments' data and runs the comparisons.
DATASET_KEEPERS = {Role.COUNTY_OFFICER}
DATASET_READERS = {Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.AUDITOR, Role.SYSTEM_ADMIN}
MATCH_OPERATORS = {Role.COUNTY_OFFICER}
# A flag is verified where reviews are done: the township, or the county.
FLAG_WORKERS = REVIEWERS
# Rule settings (threshold, deadline, on/off) are configuration.
RULE_EDITORS = {Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.SYSTEM_ADMIN}

ABILITIES: dict[str, set[Role]] = {
    "matching": MATCH_READERS,
    "matching_datasets": DATASET_READERS,
    "matching_operate": MATCH_OPERATORS,
    "matching_flags_work": FLAG_WORKERS,
    "matching_rules": RULE_EDITORS,
}
