"""救助记录: a household's whole assistance history on one page — every case with its status
and amount, and every application, decision, amount change and review as recorded."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from minzheng.programs import selectors
from minzheng.programs.permissions import CASE_ACCEPTORS
from minzheng.programs.views.common import case_reader, may
from minzheng.programs.views.presenters import case_rows, household_entries
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user

TIMELINE_LIMIT = 500


@case_reader
def household_cases(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = registry_selectors.household_get(user=user, pk=pk)
    cases = selectors.case_list(user=user).filter(household=household)
    names = registry_selectors.region_names([household.region_code])
    context = {
        "household": household,
        "region_name": names.get(household.region_code, household.region_code),
        "rows": case_rows(user, cases),
        "timeline": household_entries(
            selectors.household_timeline(user=user, household=household)[:TIMELINE_LIMIT]
        ),
        "may_accept": may(user, CASE_ACCEPTORS),
    }
    return render(request, "programs/household_cases.html", context)
