"""/api/v1/ endpoints of 信息比对 (see matching/apis/)."""

from django.urls import URLPattern, URLResolver, path

from minzheng.core.api import one_url
from minzheng.matching import apis

dataset = "match-datasets/<int:pk>/"
run = "match-runs/<int:pk>/"
flag = "match-flags/<int:pk>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("dataset-kinds/", apis.DatasetKindListApi.as_view(), name="api-dataset-kinds"),
    path(
        "match-datasets/",
        one_url(apis.MatchDatasetListApi, apis.MatchDatasetUploadApi),
        name="api-match-datasets",
    ),
    path(dataset, apis.MatchDatasetDetailApi.as_view(), name="api-match-dataset"),
    path(
        dataset + "mapping/",
        apis.MatchDatasetMappingApi.as_view(),
        name="api-match-dataset-mapping",
    ),
    path(
        dataset + "validate/",
        apis.MatchDatasetValidateApi.as_view(),
        name="api-match-dataset-validate",
    ),
    path(
        dataset + "problems/",
        apis.MatchDatasetProblemsApi.as_view(),
        name="api-match-dataset-problems",
    ),
    path("match-rules/", apis.MatchRuleListApi.as_view(), name="api-match-rules"),
    path("match-rules/<str:code>/", apis.MatchRuleUpdateApi.as_view(), name="api-match-rule"),
    path(
        "match-runs/", one_url(apis.MatchRunListApi, apis.MatchRunStartApi), name="api-match-runs"
    ),
    path(run, apis.MatchRunDetailApi.as_view(), name="api-match-run"),
    path(run + "cancel/", apis.MatchRunCancelApi.as_view(), name="api-match-run-cancel"),
    path(run + "summary/", apis.MatchRunSummaryApi.as_view(), name="api-match-run-summary"),
    path("match-flags/", apis.MatchFlagListApi.as_view(), name="api-match-flags"),
    path(flag, apis.MatchFlagDetailApi.as_view(), name="api-match-flag"),
    path(flag + "confirm/", apis.MatchFlagConfirmApi.as_view(), name="api-match-flag-confirm"),
    path(flag + "dismiss/", apis.MatchFlagDismissApi.as_view(), name="api-match-flag-dismiss"),
    path("match-figures/", apis.MatchFiguresApi.as_view(), name="api-match-figures"),
]
