"""工作台 pages of the case engine: my pending steps (overdue first) and the county's overdue
steps by township (超期督办)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from minzheng.programs import selectors
from minzheng.programs.views.common import case_reader, supervisor, today
from minzheng.programs.views.presenters import step_rows
from minzheng.registry.views.common import current_user, paginate, render_page


@case_reader
def inbox(request: HttpRequest) -> HttpResponse:
    """我的待办: the open steps the user's role works in the user's scope, the earliest deadline
    (so the longest overdue) first."""
    user = current_user(request)
    day = today()
    steps = selectors.inbox_steps(user=user)
    page = paginate(request, steps)
    context = {
        "page": page,
        "rows": step_rows(page.object_list, day),
        "overdue_count": steps.filter(due_on__lt=day).count(),
        "day": day,
    }
    return render_page(request, "programs/inbox.html", "results", context)


@supervisor
def overdue(request: HttpRequest) -> HttpResponse:
    """超期督办: open and overdue steps per township; a township's overdue steps below."""
    user = current_user(request)
    day = today()
    township = request.GET.get("township", "").strip()
    townships = selectors.overdue_by_township(user=user, day=day)
    context = {
        "townships": townships,
        "township": township,
        "township_name": next(
            (t.township_name for t in townships if t.township_code == township), ""
        ),
        "day": day,
    }
    if township:
        page = paginate(request, selectors.overdue_steps(user=user, day=day, township=township))
        context |= {"page": page, "rows": step_rows(page.object_list, day)}
    return render_page(request, "programs/overdue.html", "steps", context)
