"""REST endpoints of the registry: persons, households with their dated membership, and
declarations. One class per operation (`<Entity><Action>Api` with nested Input/Output
serializers); reads through registry.selectors (scoped: outside the caller's scope an object
answers 404), writes through registry.services."""

from minzheng.registry.apis.declarations import (
    DeclarationCreateApi,
    DeclarationDetailApi,
    DeclarationListApi,
)
from minzheng.registry.apis.households import (
    HouseholdCreateApi,
    HouseholdDetailApi,
    HouseholdHeadChangeApi,
    HouseholdHistoryApi,
    HouseholdListApi,
    HouseholdMemberAddApi,
    HouseholdMemberEndApi,
    HouseholdUpdateApi,
)
from minzheng.registry.apis.persons import (
    PersonCreateApi,
    PersonDetailApi,
    PersonListApi,
    PersonUpdateApi,
)

__all__ = [
    "DeclarationCreateApi",
    "DeclarationDetailApi",
    "DeclarationListApi",
    "HouseholdCreateApi",
    "HouseholdDetailApi",
    "HouseholdHeadChangeApi",
    "HouseholdHistoryApi",
    "HouseholdListApi",
    "HouseholdMemberAddApi",
    "HouseholdMemberEndApi",
    "HouseholdUpdateApi",
    "PersonCreateApi",
    "PersonDetailApi",
    "PersonListApi",
    "PersonUpdateApi",
]
