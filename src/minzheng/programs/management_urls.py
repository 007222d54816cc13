"""动态管理 pages, mounted at /cases/manage/ (before the case pages' /cases/)."""

from django.urls import URLPattern, URLResolver, path

from minzheng.programs.views.management import relatives, reviews, tipoffs

app_name = "programs_mgmt"

urlpatterns: list[URLPattern | URLResolver] = [
    path("reviews/", reviews.review_list, name="review_list"),
    path("reviews/export/", reviews.review_export, name="review_export"),
    path("reviews/generate/", reviews.reviews_generate, name="reviews_generate"),
    path("reviews/new/", reviews.review_create, name="review_create"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<int:pk>/complete/", reviews.review_complete, name="review_complete"),
    path("tipoffs/", tipoffs.tipoff_list, name="tipoff_list"),
    path("tipoffs/export/", tipoffs.tipoff_export, name="tipoff_export"),
    path("tipoffs/new/", tipoffs.tipoff_create, name="tipoff_create"),
    path("tipoffs/<int:pk>/", tipoffs.tipoff_detail, name="tipoff_detail"),
    path("tipoffs/<int:pk>/close/", tipoffs.tipoff_close, name="tipoff_close"),
    path("tipoffs/<int:pk>/assign/", tipoffs.tipoff_assign, name="tipoff_assign"),
    path("relatives/", relatives.relative_list, name="relative_list"),
    path("relatives/export/", relatives.relative_export, name="relative_export"),
    path("relatives/new/", relatives.relative_create, name="relative_create"),
    path("relatives/<int:pk>/", relatives.relative_detail, name="relative_detail"),
    path("relatives/<int:pk>/revoke/", relatives.relative_revoke, name="relative_revoke"),
]
