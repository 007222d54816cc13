"""系统管理 → 节假日调整: administrators enter holidays and make-up working days; every change
is audited and the working-day calculation sees it at once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from minzheng.core.models import AuditEvent, CalendarDay, Role
from minzheng.core.services.calendar import calendar_days_add
from minzheng.core.workdays import is_working_day, year_is_known

pytestmark = pytest.mark.django_db

FAR_YEAR = 2099  # a year neither chinesecalendar nor the table knows


def test_the_calendar_is_for_system_admins_only(client, personas):
    day = CalendarDay.objects.create(
        date=datetime.date(FAR_YEAR, 1, 1), kind="holiday", name="元旦"
    )
    for user in personas.all():
        client.force_login(user)
        expected = 200 if user.role == Role.SYSTEM_ADMIN else 404
        assert client.get("/system/calendar/").status_code == expected
        if user.role != Role.SYSTEM_ADMIN:
            assert client.post(f"/system/calendar/{day.pk}/delete/").status_code == 404
    assert CalendarDay.objects.filter(pk=day.pk).exists()


def test_an_admin_enters_a_run_of_holidays_and_it_is_audited(client, personas):
    client.force_login(personas.system_admin)
    response = client.post(
        "/system/calendar/",
        {
            "start": f"{FAR_YEAR}-10-01",
            "end": f"{FAR_YEAR}-10-07",
            "kind": "holiday",
            "name": "国庆节",
        },
    )
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date__year=FAR_YEAR, name="国庆节").count() == 7
    assert AuditEvent.objects.filter(action="calendar.add").count() == 7
    event = AuditEvent.objects.filter(action="calendar.add").first()
    assert event.actor_username == "admin"
    assert not is_working_day(datetime.date(FAR_YEAR, 10, 5))
    assert year_is_known(FAR_YEAR)


def test_a_make_up_workday_must_fall_on_a_weekend(client, personas):
    client.force_login(personas.system_admin)
    response = client.post(
        "/system/calendar/",
        {"start": f"{FAR_YEAR}-10-05", "kind": "workday", "name": "国庆调休"},  # a Monday
    )
    assert "调休上班日应为周六或周日" in response.context["form"].errors["start"][0]
    assert not CalendarDay.objects.exists()


def test_a_day_entered_twice_is_refused(client, personas):
    client.force_login(personas.system_admin)
    data = {"start": f"{FAR_YEAR}-01-01", "kind": "holiday", "name": "元旦"}
    client.post("/system/calendar/", data)
    response = client.post("/system/calendar/", data)
    assert "已录入为“放假”" in response.context["form"].errors["start"][0]
    assert CalendarDay.objects.count() == 1


def test_deleting_a_day_is_audited(client, personas):
    client.force_login(personas.system_admin)
    client.post(
        "/system/calendar/", {"start": f"{FAR_YEAR}-01-01", "kind": "holiday", "name": "元旦"}
    )
    day = CalendarDay.objects.get()
    response = client.post(f"/system/calendar/{day.pk}/delete/", {"reason": "录入错误"})
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    event = AuditEvent.objects.get(action="calendar.delete")
    assert event.reason == "录入错误"
    assert event.changes["date"] == [f"{FAR_YEAR}-01-01", None]
    assert not year_is_known(FAR_YEAR)


def test_deleting_needs_a_post(client, personas):
    day = CalendarDay.objects.create(
        date=datetime.date(FAR_YEAR, 1, 1), kind="holiday", name="元旦"
    )
    client.force_login(personas.system_admin)
    assert client.get(f"/system/calendar/{day.pk}/delete/").status_code == 405


def test_the_page_lists_whether_each_year_is_known(client, personas):
    client.force_login(personas.system_admin)
    years = {y["year"]: y for y in client.get("/system/calendar/").context["years"]}
    assert years[2024]["known"] is True
    assert min(years) == 2024


def test_the_service_refuses_non_admins(personas):
    with pytest.raises(PermissionDenied):
        calendar_days_add(
            actor=personas.county_officer,
            start=datetime.date(FAR_YEAR, 1, 1),
            kind="holiday",
            name="元旦",
        )
