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
from minzheng.programs.apis.objections import ObjectionCreateApi, ObjectionResolveApi
from minzheng.programs.apis.programs import ProgramListApi
from minzheng.programs.apis.relatives import (
    RelativeFilingCreateApi,
    RelativeFilingListApi,
    RelativeFilingRevokeApi,
)
from minzheng.programs.apis.reviews import ReviewCompleteApi, ReviewListApi
from minzheng.programs.apis.standards import StandardCreateApi, StandardListApi
from minzheng.programs.apis.tipoffs import TipOffCloseApi, TipOffCreateApi, TipOffListApi
from minzheng.programs.apis.work import InboxListApi, OverdueListApi

__all__ = [
    "CaseAcceptApi",
    "CaseCalculationApi",
    "CaseCreateApi",
    "CaseDetailApi",
    "CaseEventsApi",
    "CaseListApi",
    "CaseMembersSetApi",
    "CaseWithdrawApi",
    "InboxListApi",
    "ObjectionCreateApi",
    "ObjectionResolveApi",
    "OverdueListApi",
    "ProgramListApi",
    "RelativeFilingCreateApi",
    "RelativeFilingListApi",
    "RelativeFilingRevokeApi",
    "ReviewCompleteApi",
    "ReviewListApi",
    "StandardCreateApi",
    "StandardListApi",
    "StepCompleteApi",
    "TipOffCloseApi",
    "TipOffCreateApi",
    "TipOffListApi",
]
