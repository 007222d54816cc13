"""系统管理 → 节假日调整 (system administrators): the holidays and make-up working days entered
locally, and whether each year's calendar is known at all."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.core.forms import CalendarDayForm, CalendarYearForm
from minzheng.core.models import CalendarDay
from minzheng.core.scope import USER_ADMINS
from minzheng.core.services.calendar import calendar_day_delete, calendar_days_add
from minzheng.core.views.access import current_user, roles_required
from minzheng.core.views.users import add_service_errors
from minzheng.core.workdays import year_is_known

FIRST_YEAR_SHOWN = 2024


def _years() -> list[dict[str, object]]:
    next_year = timezone.localdate().year + 1
    counts: dict[int, int] = {}
    for day in CalendarDay.objects.filter(date__year__gte=FIRST_YEAR_SHOWN).values_list(
        "date", flat=True
    ):
        counts[day.year] = counts.get(day.year, 0) + 1
    return [
        {"year": y, "known": year_is_known(y), "local_days": counts.get(y, 0)}
        for y in range(FIRST_YEAR_SHOWN, next_year + 1)
    ]


@roles_required(USER_ADMINS)
def calendar_index(request: HttpRequest) -> HttpResponse:
    actor = current_user(request)
    year = CalendarYearForm(request.GET or None).year_or(timezone.localdate().year + 1)
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            added = calendar_days_add(
                actor=actor, start=d["start"], end=d["end"], kind=d["kind"], name=d["name"]
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已录入%(n)s天") % {"n": len(added)})
            return redirect(f"{reverse('calendar')}?year={d['start'].year}")
    context = {
        "form": form,
        "year": year,
        "days": CalendarDay.objects.filter(date__year=year).order_by("date"),
        "years": _years(),
    }
    return render(request, "core/calendar.html", context)


@roles_required(USER_ADMINS)
@require_POST
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = current_user(request)
    day = get_object_or_404(CalendarDay, pk=pk)
    calendar_day_delete(actor=actor, day=day, reason=request.POST.get("reason", ""))
    messages.success(request, _("已删除%(date)s的调整") % {"date": day.date.isoformat()})
    return redirect(f"{reverse('calendar')}?year={day.date.year}")
