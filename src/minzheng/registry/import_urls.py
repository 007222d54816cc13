from django.urls import URLPattern, URLResolver, path

from minzheng.registry import import_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", import_views.import_upload, name="registry-import"),
    path("template/", import_views.import_template, name="registry-import-template"),
    path("jobs/<int:pk>/", import_views.import_job, name="registry-import-job"),
    path(
        "jobs/<int:pk>/errors/",
        import_views.import_job_errors,
        name="registry-import-job-errors",
    ),
]
