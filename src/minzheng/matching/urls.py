"""Pages of 信息比对 under /matching/ (views/runs.py: the runs and their figures;
views/datasets.py: other departments' data; views/flags.py: the flags to work and the 漏保
candidates; views/rules.py: the rule catalogue and its settings)."""

from django.urls import path

from minzheng.matching.views import datasets, flags, rules, runs

app_name = "matching"

urlpatterns = [
    path("", runs.run_list, name="run_list"),
    path("runs/new/", runs.run_start, name="run_start"),
    path("runs/<int:pk>/", runs.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run_progress"),
    path("runs/<int:pk>/cancel/", runs.run_cancel, name="run_cancel"),
    path("datasets/", datasets.dataset_list, name="dataset_list"),
    path("datasets/new/", datasets.dataset_upload, name="dataset_upload"),
    path("datasets/<int:pk>/", datasets.dataset_detail, name="dataset_detail"),
    path("datasets/<int:pk>/columns/", datasets.dataset_columns, name="dataset_columns"),
    path("datasets/<int:pk>/progress/", datasets.dataset_progress, name="dataset_progress"),
    path("datasets/<int:pk>/problems/", datasets.dataset_problems, name="dataset_problems"),
    path("flags/", flags.flag_list, name="flag_list"),
    path("flags/<int:pk>/", flags.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/confirm/", flags.flag_confirm, name="flag_confirm"),
    path("flags/<int:pk>/dismiss/", flags.flag_dismiss, name="flag_dismiss"),
    path("candidates/", flags.candidate_list, name="candidate_list"),
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/<slug:code>/", rules.rule_edit, name="rule_edit"),
]
