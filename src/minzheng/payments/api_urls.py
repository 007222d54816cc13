"""/api/v1/ endpoints of payments (see payments/apis/)."""

from django.urls import URLPattern, URLResolver, path

from minzheng.core.api import one_url
from minzheng.payments import apis

run = "payroll-runs/<int:pk>/"
bank_file = "bank-files/<int:pk>/"
fund = "fund-accounts/<int:pk>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("payroll-runs/", one_url(apis.RunListApi, apis.RunStartApi), name="api-payroll-runs"),
    path(run, apis.RunDetailApi.as_view(), name="api-payroll-run"),
    path(run + "lines/", apis.RunLinesApi.as_view(), name="api-payroll-run-lines"),
    path(run + "check/", apis.RunCheckApi.as_view(), name="api-payroll-run-check"),
    path(run + "approve/", apis.RunApproveApi.as_view(), name="api-payroll-run-approve"),
    path(run + "lock/", apis.RunLockApi.as_view(), name="api-payroll-run-lock"),
    path(run + "send/", apis.RunSendApi.as_view(), name="api-payroll-run-send"),
    path(run + "regenerate/", apis.RunRegenerateApi.as_view(), name="api-payroll-run-regenerate"),
    path(run + "cancel/", apis.RunCancelApi.as_view(), name="api-payroll-run-cancel"),
    path(run + "bank-files/", apis.RunBankFilesApi.as_view(), name="api-payroll-run-bank-files"),
    path(bank_file, apis.BankFileDetailApi.as_view(), name="api-bank-file"),
    path(
        bank_file + "download/", apis.BankFileDownloadApi.as_view(), name="api-bank-file-download"
    ),
    path(bank_file + "returns/", apis.BankReturnCreateApi.as_view(), name="api-bank-file-returns"),
    path("bank-returns/<int:pk>/", apis.BankReturnDetailApi.as_view(), name="api-bank-return"),
    path(
        "payment-lines/reissue-queue/",
        apis.ReissueQueueApi.as_view(),
        name="api-payment-lines-reissue-queue",
    ),
    path("payment-lines/reissue/", apis.ReissueApi.as_view(), name="api-payment-lines-reissue"),
    path(
        "payment-lines/recoveries/",
        apis.RecoveryListApi.as_view(),
        name="api-payment-lines-recoveries",
    ),
    path(
        "payment-lines/<int:pk>/recovery/",
        apis.RecoveryRecordApi.as_view(),
        name="api-payment-line-recovery",
    ),
    path(
        "fund-accounts/",
        one_url(apis.FundAccountListApi, apis.FundAccountCreateApi),
        name="api-fund-accounts",
    ),
    path(fund, apis.FundAccountDetailApi.as_view(), name="api-fund-account"),
    path(fund + "entries/", apis.FundEntryCreateApi.as_view(), name="api-fund-account-entries"),
    path(fund + "statement/", apis.FundStatementApi.as_view(), name="api-fund-account-statement"),
    path(
        "bank-templates/",
        one_url(apis.BankTemplateListApi, apis.BankTemplateCreateApi),
        name="api-bank-templates",
    ),
    path(
        "bank-templates/<int:pk>/",
        one_url(apis.BankTemplateDetailApi, apis.BankTemplateUpdateApi),
        name="api-bank-template",
    ),
    path(
        "persons/<int:pk>/payments/", apis.PersonPaymentsApi.as_view(), name="api-person-payments"
    ),
    path(
        "households/<int:pk>/payments/",
        apis.HouseholdPaymentsApi.as_view(),
        name="api-household-payments",
    ),
]
