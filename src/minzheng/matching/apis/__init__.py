"""REST endpoints of 信息比对: the other departments' datasets (upload, column mapping,
validation and its problem rows) and their kinds, the rules and their county settings, the
runs and their summaries, the flags and their verification, and the dashboard figures. One
class per operation; reads through matching.selectors (outside the caller's scope an object
answers 404), writes through matching.services (a refused rule answers 400, a flag or run
changed meanwhile 409)."""

from minzheng.matching.apis.datasets import (
    DatasetKindListApi,
    MatchDatasetDetailApi,
    MatchDatasetListApi,
    MatchDatasetMappingApi,
    MatchDatasetProblemsApi,
    MatchDatasetUploadApi,
    MatchDatasetValidateApi,
)
from minzheng.matching.apis.flags import (
    MatchFlagConfirmApi,
    MatchFlagDetailApi,
    MatchFlagDismissApi,
    MatchFlagListApi,
)
from minzheng.matching.apis.rules import MatchRuleListApi, MatchRuleUpdateApi
from minzheng.matching.apis.runs import (
    MatchFiguresApi,
    MatchRunCancelApi,
    MatchRunDetailApi,
    MatchRunListApi,
    MatchRunStartApi,
    MatchRunSummaryApi,
)

__all__ = [
    "DatasetKindListApi",
    "MatchDatasetDetailApi",
    "MatchDatasetListApi",
    "MatchDatasetMappingApi",
    "MatchDatasetProblemsApi",
    "MatchDatasetUploadApi",
    "MatchDatasetValidateApi",
    "MatchFiguresApi",
    "MatchFlagConfirmApi",
    "MatchFlagDetailApi",
    "MatchFlagDismissApi",
    "MatchFlagListApi",
    "MatchRuleListApi",
    "MatchRuleUpdateApi",
    "MatchRunCancelApi",
    "MatchRunDetailApi",
    "MatchRunListApi",
    "MatchRunStartApi",
    "MatchRunSummaryApi",
]
