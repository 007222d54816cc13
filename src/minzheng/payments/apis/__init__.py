"""REST endpoints of payments: payroll runs and their way through the bureau, the banks' files
and returns, the reissue queue and the recovery ledger, fund accounts and bank templates, and
a person's or a household's payment history. One class per operation; reads through
payments.selectors (outside the caller's scope an object answers 404), writes through
payments.services (a refused rule answers 400, a run changed meanwhile 409)."""

from minzheng.payments.apis.banks import (
    BankFileDetailApi,
    BankFileDownloadApi,
    BankReturnCreateApi,
    BankReturnDetailApi,
    BankTemplateCreateApi,
    BankTemplateDetailApi,
    BankTemplateListApi,
    BankTemplateUpdateApi,
    RunBankFilesApi,
)
from minzheng.payments.apis.funds import (
    FundAccountCreateApi,
    FundAccountDetailApi,
    FundAccountListApi,
    FundEntryCreateApi,
    FundStatementApi,
)
from minzheng.payments.apis.history import HouseholdPaymentsApi, PersonPaymentsApi
from minzheng.payments.apis.lines import (
    RecoveryListApi,
    RecoveryRecordApi,
    ReissueApi,
    ReissueQueueApi,
)
from minzheng.payments.apis.runs import (
    RunApproveApi,
    RunCancelApi,
    RunCheckApi,
    RunDetailApi,
    RunLinesApi,
    RunListApi,
    RunLockApi,
    RunRegenerateApi,
    RunSendApi,
    RunStartApi,
)

__all__ = [
    "BankFileDetailApi",
    "BankFileDownloadApi",
    "BankReturnCreateApi",
    "BankReturnDetailApi",
    "BankTemplateCreateApi",
    "BankTemplateDetailApi",
    "BankTemplateListApi",
    "BankTemplateUpdateApi",
    "FundAccountCreateApi",
    "FundAccountDetailApi",
    "FundAccountListApi",
    "FundEntryCreateApi",
    "FundStatementApi",
    "HouseholdPaymentsApi",
    "PersonPaymentsApi",
    "RecoveryListApi",
    "RecoveryRecordApi",
    "ReissueApi",
    "ReissueQueueApi",
    "RunApproveApi",
    "RunBankFilesApi",
    "RunCancelApi",
    "RunCheckApi",
    "RunDetailApi",
    "RunLinesApi",
    "RunListApi",
    "RunLockApi",
    "RunRegenerateApi",
    "RunSendApi",
    "RunStartApi",
]
