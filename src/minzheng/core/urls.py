from django.urls import path

from minzheng.core.views import audit, auth, calendar, dashboard, regions, user_import, users

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("system/regions/", regions.region_tree, name="region_tree"),
    path("system/regions/options/", regions.region_datalist, name="region_options"),
    path("system/regions/<str:code>/", regions.region_tree, name="region_node"),
    path("system/users/", users.user_index, name="user_list"),
    path("system/users/new/", users.user_new, name="user_create"),
    path("system/users/<int:pk>/", users.user_edit, name="user_edit"),
    path("system/users/<int:pk>/password/", users.user_password, name="user_password"),
    path("system/users/import/", user_import.user_import, name="user_import"),
    path(
        "system/users/import/template.csv",
        user_import.user_import_template,
        name="user_import_template",
    ),
    path("system/audit/", audit.audit_search, name="audit_search"),
    path("system/audit/export.xlsx", audit.audit_export, name="audit_export"),
    path("system/calendar/", calendar.calendar_index, name="calendar"),
    path("system/calendar/<int:pk>/delete/", calendar.calendar_delete, name="calendar_delete"),
]
