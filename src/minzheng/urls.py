from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("minzheng.core.urls")),
    path("registry/", include("minzheng.registry.urls")),
    path("cases/manage/", include("minzheng.programs.management_urls")),
    path("cases/", include("minzheng.programs.urls")),
    path("payments/", include("minzheng.payments.urls")),
    path("matching/", include("minzheng.matching.urls")),
    path("api/v1/", include("minzheng.core.api_urls")),
    path("api/v1/", include("minzheng.registry.api_urls")),
    path("api/v1/", include("minzheng.programs.api_urls")),
    path("api/v1/", include("minzheng.payments.api_urls")),
    path("api/v1/", include("minzheng.matching.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
