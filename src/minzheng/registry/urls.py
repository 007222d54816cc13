from django.urls import URLPattern, URLResolver, include, path

from minzheng.registry.views import declarations, households, members, persons

app_name = "registry"

urlpatterns: list[URLPattern | URLResolver] = [
    path("persons/", persons.person_list, name="person_list"),
    path("persons/export/", persons.person_export, name="person_export"),
    path("persons/new/", persons.person_create, name="person_create"),
    path("persons/<int:pk>/", persons.person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", persons.person_edit, name="person_edit"),
    path("households/", households.household_list, name="household_list"),
    path("households/export/", households.household_export, name="household_export"),
    path("households/new/", households.household_create, name="household_create"),
    path("households/<int:pk>/", households.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", households.household_edit, name="household_edit"),
    path("households/<int:pk>/members/add/", members.member_add, name="member_add"),
    path(
        "households/<int:pk>/members/<int:membership_pk>/remove/",
        members.member_remove,
        name="member_remove",
    ),
    path("households/<int:pk>/head/", members.head_change, name="head_change"),
    path(
        "households/<int:pk>/declarations/new/",
        declarations.declaration_create,
        name="declaration_create",
    ),
    path("import/", include("minzheng.registry.import_urls")),
]
