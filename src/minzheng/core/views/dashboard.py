"""工作台: counts by region within the user's scope and the latest activity there."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from minzheng.core.models import Role
from minzheng.core.selectors import audit_recent, region_breakdown
from minzheng.core.views.access import current_user
from minzheng.core.views.display import event_lines
from minzheng.core.workdays import year_is_known

RECENT_EVENTS = 20


def unknown_calendar_year(role: str) -> int | None:
    """Next year, when an administrator still has to enter its holidays."""
    if role != Role.SYSTEM_ADMIN:
        return None
    year = timezone.localdate().year + 1
    return None if year_is_known(year) else year


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    breakdown = region_breakdown(user=user)
    most = max((row.persons for row in breakdown.rows), default=0)
    context = {
        "breakdown": breakdown,
        "bar_max": most or 1,
        "events": event_lines(user=user, events=audit_recent(user=user, limit=RECENT_EVENTS)),
        "calendar_year": unknown_calendar_year(user.role),
        "month_start": timezone.localdate().replace(day=1),
    }
    return render(request, "core/dashboard.html", context)
