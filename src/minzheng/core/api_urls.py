"""/api/v1/ endpoints of the shared kernel (see core/apis.py)."""

from django.urls import URLPattern, URLResolver, path

from minzheng.core import apis
from minzheng.core.api import one_url

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "auth/token/",
        one_url(apis.AuthTokenCreateApi, apis.AuthTokenDeleteApi),
        name="api-auth-token",
    ),
    path("regions/", apis.RegionListApi.as_view(), name="api-regions"),
    path("regions/<str:code>/", apis.RegionDetailApi.as_view(), name="api-region"),
    path("users/", one_url(apis.UserListApi, apis.UserCreateApi), name="api-users"),
    path("users/<int:pk>/", one_url(apis.UserDetailApi, apis.UserUpdateApi), name="api-user"),
    path(
        "users/<int:pk>/set-password/",
        apis.UserSetPasswordApi.as_view(),
        name="api-user-set-password",
    ),
    path("audit-events/", apis.AuditEventListApi.as_view(), name="api-audit-events"),
    path("audit-events/<int:pk>/", apis.AuditEventDetailApi.as_view(), name="api-audit-event"),
]
