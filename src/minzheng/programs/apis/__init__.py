"""REST endpoints of the case engine: cases and their steps, objections, the work lists,
standards and programs, reviews, tip-offs and the close-relative register. One class per
operation (`<Entity><Action>Api` with nested Input/Output serializers); reads through the
scoped selectors (outside the caller's scope an object answers 404), writes through
programs.services (a refused rule answers 400, a conflicting change 409)."""

from minzheng.programs.apis.cases import (
    CaseAcceptApi,
    CaseCalculationApi,
    CaseCreateApi,
    CaseDetailApi,
    CaseEventsApi,
    CaseListApi,
    CaseMembersSetApi,
    CaseWithdrawApi,
    StepCompleteApi,
)
from minzheng.programs.apis.documents import DocumentCreateApi, DocumentFileApi, DocumentListApi
from minzheng.programs.apis.households import HouseholdCaseHistoryApi
from minzheng.programs.apis.objections import ObjectionCreateApi, ObjectionResolveApi
from minzheng.programs.apis.printouts import CaseLetterApi, PublicNoticeApi
from minzheng.programs.apis.programs import ProgramListApi
from minzheng.programs.apis.relatives import (
    RelativeFilingCreateApi,
    RelativeFilingListApi,
    RelativeFilingRevokeApi,
)
from minzheng.programs.apis.reviews import (
    CaseResumeApi,
    FuneralGrantCreateApi,
    ReviewCompleteApi,
    ReviewCreateApi,
    ReviewListApi,
)
from minzheng.programs.apis.standards import StandardCreateApi, StandardListApi
from minzheng.programs.apis.tipoffs import (
    TipOffAssignApi,
    TipOffCloseApi,
    TipOffCreateApi,
    TipOffListApi,
)
from minzheng.programs.apis.work import InboxListApi, OverdueListApi

__all__ = [
    "CaseAcceptApi",
    "CaseCalculationApi",
    "CaseCreateApi",
    "CaseDetailApi",
    "CaseEventsApi",
    "CaseLetterApi",
    "CaseListApi",
    "CaseMembersSetApi",
    "CaseResumeApi",
    "CaseWithdrawApi",
    "DocumentCreateApi",
    "DocumentFileApi",
    "DocumentListApi",
    "FuneralGrantCreateApi",
    "HouseholdCaseHistoryApi",
    "InboxListApi",
    "ObjectionCreateApi",
    "ObjectionResolveApi",
    "OverdueListApi",
    "ProgramListApi",
    "PublicNoticeApi",
    "RelativeFilingCreateApi",
    "RelativeFilingListApi",
    "RelativeFilingRevokeApi",
    "ReviewCompleteApi",
    "ReviewCreateApi",
    "ReviewListApi",
    "StandardCreateApi",
    "StandardListApi",
    "StepCompleteApi",
    "TipOffAssignApi",
    "TipOffCloseApi",
    "TipOffCreateApi",
    "TipOffListApi",
]
