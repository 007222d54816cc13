"""Pages of 资金发放 under /payments/ (views/runs.py and views/banks.py: the run's cycle;
views/funds.py, views/queues.py, views/history.py, views/bank_templates.py: the rest)."""

from django.urls import path

from minzheng.payments.views import bank_templates, banks, funds, history, queues, runs

app_name = "payments"

urlpatterns = [
    path("", runs.run_list, name="run_list"),
    path("runs/new/", runs.run_start, name="run_start"),
    path("runs/<int:pk>/", runs.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run_progress"),
    path("runs/<int:pk>/lines/", runs.run_lines, name="run_lines"),
    path("runs/<int:pk>/check/", runs.run_check, name="run_check"),
    path("runs/<int:pk>/approve/", runs.run_approve, name="run_approve"),
    path("runs/<int:pk>/lock/", runs.run_lock, name="run_lock"),
    path("runs/<int:pk>/send/", runs.run_send, name="run_send"),
    path("runs/<int:pk>/regenerate/", runs.run_regenerate, name="run_regenerate"),
    path("runs/<int:pk>/resume/", runs.run_resume, name="run_resume"),
    path("runs/<int:pk>/cancel/", runs.run_cancel, name="run_cancel"),
    path(
        "runs/<int:pk>/villages/<str:code>/pdf/",
        history.village_payroll_pdf,
        name="village_payroll_pdf",
    ),
    path("bank-files/<int:pk>/download/", banks.bank_file_download, name="bank_file_download"),
    path("bank-files/<int:pk>/return/", banks.bank_return_upload, name="bank_return_upload"),
    path("returns/<int:pk>/", banks.bank_return_detail, name="bank_return_detail"),
    path("reissue/", queues.reissue_queue, name="reissue_queue"),
    path("recoveries/", queues.recovery_list, name="recovery_list"),
    path("recoveries/<int:pk>/", queues.recovery_record, name="recovery_record"),
    path("funds/", funds.fund_list, name="fund_list"),
    path("funds/new/", funds.fund_create, name="fund_create"),
    path("funds/<int:pk>/", funds.fund_detail, name="fund_detail"),
    path("funds/<int:pk>/entries/new/", funds.fund_entry_add, name="fund_entry_add"),
    path("bank-templates/", bank_templates.template_list, name="bank_templates"),
    path("bank-templates/new/", bank_templates.template_edit, name="bank_template_new"),
    path("bank-templates/<int:pk>/", bank_templates.template_edit, name="bank_template_edit"),
    path("persons/<int:pk>/", history.person_payments, name="person_payments"),
    path("households/<int:pk>/", history.household_payments, name="household_payments"),
]
