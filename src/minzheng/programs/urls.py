from django.urls import URLPattern, URLResolver, path

from minzheng.programs.views import acceptance, cases, households, inbox, printouts, standards

app_name = "programs"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", cases.case_list, name="case_list"),
    path("export/", cases.case_export, name="case_export"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("overdue/", inbox.overdue, name="overdue"),
    path("accept/", acceptance.case_accept, name="case_accept"),
    path("online/", acceptance.online_list, name="online_list"),
    path("standards/", standards.standards, name="standards"),
    path("standards/new/", standards.standard_create, name="standard_create"),
    path("households/<int:pk>/", households.household_cases, name="household_cases"),
    path("notice/", printouts.notice_list, name="notice_list"),
    path("notice/<slug:code>/", printouts.notice_village, name="notice_village"),
    path("notice/<slug:code>/pdf/", printouts.notice_pdf, name="notice_pdf"),
    path("documents/<int:pk>/", cases.document_download, name="document_download"),
    path("<int:pk>/", cases.case_detail, name="case_detail"),
    path("<int:pk>/steps/<slug:code>/", cases.step_complete, name="step_complete"),
    path("<int:pk>/withdraw/", cases.case_withdraw, name="case_withdraw"),
    path("<int:pk>/documents/", cases.document_upload, name="document_upload"),
    path("<int:pk>/letter/", printouts.case_letter, name="case_letter"),
    path("<int:pk>/objections/", cases.objection_register, name="objection_register"),
    path(
        "<int:pk>/objections/<int:objection_pk>/resolve/",
        cases.objection_resolve,
        name="objection_resolve",
    ),
]
