"""动态管理 pages, mounted at /cases/manage/ (before the case pages' /cases/)."""

from django.urls import URLPattern, URLResolver, path

from minzheng.programs.views.management import reviews

app_name = "programs_mgmt"

urlpatterns: list[URLPattern | URLResolver] = [
    path("reviews/", reviews.review_list, name="review_list"),
    path("reviews/export/", reviews.review_export, name="review_export"),
    path("reviews/generate/", reviews.reviews_generate, name="reviews_generate"),
    path("reviews/new/", reviews.review_create, name="review_create"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<int:pk>/complete/", reviews.review_complete, name="review_complete"),
]
