from django.urls import URLPattern, URLResolver, include, path

app_name = "registry"

urlpatterns: list[URLPattern | URLResolver] = [
    path("import/", include("minzheng.registry.import_urls")),
]
