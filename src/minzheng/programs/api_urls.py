"""/api/v1/ endpoints of the case engine (see programs/apis/)."""

from django.urls import URLPattern, URLResolver, path

from minzheng.core.api import one_url
from minzheng.programs import apis

case = "cases/<int:pk>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/", one_url(apis.CaseListApi, apis.CaseCreateApi), name="api-cases"),
    path(case, apis.CaseDetailApi.as_view(), name="api-case"),
    path(
        case + "steps/<str:code>/complete/",
        apis.StepCompleteApi.as_view(),
        name="api-case-step-complete",
    ),
    path(case + "accept/", apis.CaseAcceptApi.as_view(), name="api-case-accept"),
    path(case + "withdraw/", apis.CaseWithdrawApi.as_view(), name="api-case-withdraw"),
    path(case + "members/", apis.CaseMembersSetApi.as_view(), name="api-case-members"),
    path(case + "events/", apis.CaseEventsApi.as_view(), name="api-case-events"),
    path(case + "calculation/", apis.CaseCalculationApi.as_view(), name="api-case-calculation"),
    path(case + "objections/", apis.ObjectionCreateApi.as_view(), name="api-case-objections"),
    path(
        case + "documents/",
        one_url(apis.DocumentListApi, apis.DocumentCreateApi),
        name="api-case-documents",
    ),
    path("documents/<int:pk>/file/", apis.DocumentFileApi.as_view(), name="api-document-file"),
    path(case + "letter/", apis.CaseLetterApi.as_view(), name="api-case-letter"),
    path(case + "resume/", apis.CaseResumeApi.as_view(), name="api-case-resume"),
    path(
        case + "funeral-grant/",
        apis.FuneralGrantCreateApi.as_view(),
        name="api-case-funeral-grant",
    ),
    path(
        "public-notices/<str:code>/",
        apis.PublicNoticeApi.as_view(),
        name="api-public-notice",
    ),
    path(
        "households/<int:pk>/case-history/",
        apis.HouseholdCaseHistoryApi.as_view(),
        name="api-household-case-history",
    ),
    path(
        "objections/<int:pk>/resolve/",
        apis.ObjectionResolveApi.as_view(),
        name="api-objection-resolve",
    ),
    path("inbox/", apis.InboxListApi.as_view(), name="api-inbox"),
    path("overdue/", apis.OverdueListApi.as_view(), name="api-overdue"),
    path(
        "standards/",
        one_url(apis.StandardListApi, apis.StandardCreateApi),
        name="api-standards",
    ),
    path("programs/", apis.ProgramListApi.as_view(), name="api-programs"),
    path("reviews/", one_url(apis.ReviewListApi, apis.ReviewCreateApi), name="api-reviews"),
    path(
        "reviews/<int:pk>/complete/",
        apis.ReviewCompleteApi.as_view(),
        name="api-review-complete",
    ),
    path("tip-offs/", one_url(apis.TipOffListApi, apis.TipOffCreateApi), name="api-tip-offs"),
    path("tip-offs/<int:pk>/close/", apis.TipOffCloseApi.as_view(), name="api-tip-off-close"),
    path(
        "tip-offs/<int:pk>/assign/",
        apis.TipOffAssignApi.as_view(),
        name="api-tip-off-assign",
    ),
    path(
        "relative-filings/",
        one_url(apis.RelativeFilingListApi, apis.RelativeFilingCreateApi),
        name="api-relative-filings",
    ),
    path(
        "relative-filings/<int:pk>/revoke/",
        apis.RelativeFilingRevokeApi.as_view(),
        name="api-relative-filing-revoke",
    ),
]
