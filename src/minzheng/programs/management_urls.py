"""动态管理 pages, mounted at /cases/manage/ (before the case pages' /cases/)."""

from django.urls import URLPattern, URLResolver, path

from minzheng.programs.views.management import reviews, tipoffs

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
]
