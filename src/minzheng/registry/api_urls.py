"""/api/v1/ endpoints of the registry (see registry/apis.py)."""

from django.urls import URLPattern, URLResolver, path

from minzheng.core.api import one_url
from minzheng.registry import apis

household = "households/<int:pk>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("persons/", one_url(apis.PersonListApi, apis.PersonCreateApi), name="api-persons"),
    path(
        "persons/<int:pk>/",
        one_url(apis.PersonDetailApi, apis.PersonUpdateApi),
        name="api-person",
    ),
    path(
        "households/",
        one_url(apis.HouseholdListApi, apis.HouseholdCreateApi),
        name="api-households",
    ),
    path(
        household,
        one_url(apis.HouseholdDetailApi, apis.HouseholdUpdateApi),
        name="api-household",
    ),
    path(
        household + "members/",
        apis.HouseholdMemberAddApi.as_view(),
        name="api-household-members",
    ),
    path(
        household + "members/<int:membership_id>/end/",
        apis.HouseholdMemberEndApi.as_view(),
        name="api-household-member-end",
    ),
    path(household + "head/", apis.HouseholdHeadChangeApi.as_view(), name="api-household-head"),
    path(
        household + "history/",
        apis.HouseholdHistoryApi.as_view(),
        name="api-household-history",
    ),
    path(
        household + "declarations/",
        one_url(apis.DeclarationListApi, apis.DeclarationCreateApi),
        name="api-household-declarations",
    ),
    path(
        household + "declarations/<int:declaration_id>/",
        apis.DeclarationDetailApi.as_view(),
        name="api-household-declaration",
    ),
]
