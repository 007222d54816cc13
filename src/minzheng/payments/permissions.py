"""Who may do what with money. Reads are further limited by scope (core.scope): a township
clerk sees the lines of the township's villages, a county officer the county's runs."""

from __future__ import annotations

from minzheng.core.models import Role

# Runs, lines, bank files, fund accounts and statements.
PAYROLL_READERS = {
    Role.TOWNSHIP_CLERK,
    Role.TOWNSHIP_LEADER,
    Role.COUNTY_OFFICER,
    Role.COUNTY_LEADER,
    Role.AUDITOR,
    Role.SYSTEM_ADMIN,
}
# A person's or a household's payment history (the village assistant answers residents).
PAYMENT_HISTORY_READERS = PAYROLL_READERS | {Role.VILLAGE_ASSISTANT}
# The county's social assistance section makes, checks, locks and sends the runs, imports the
# banks' return files and reissues failed payments.
PAYROLL_OPERATORS = {Role.COUNTY_OFFICER}
# The collective decision is recorded by the bureau's leadership.
PAYROLL_APPROVERS = {Role.COUNTY_LEADER}
# Fund accounts: allocations, adjustments, recovered money.
FUND_KEEPERS = {Role.COUNTY_OFFICER}
FUND_READERS = {Role.COUNTY_OFFICER, Role.COUNTY_LEADER, Role.AUDITOR, Role.SYSTEM_ADMIN}
# Bank file templates are configuration.
BANK_TEMPLATE_EDITORS = {Role.COUNTY_OFFICER, Role.SYSTEM_ADMIN}

ABILITIES: dict[str, set[Role]] = {
    "payroll": PAYROLL_READERS,
    "payroll_operate": PAYROLL_OPERATORS,
    "payroll_approve": PAYROLL_APPROVERS,
    "funds": FUND_READERS,
    "bank_templates": BANK_TEMPLATE_EDITORS,
    "payment_history": PAYMENT_HISTORY_READERS,
}
