"""`minzheng cases daily` opens the periodic reviews that fall due, once."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from minzheng.programs.models import Review
from tests.programs.dynamic_support import enrolled_case

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("cases", *args, stdout=out)
    return out.getvalue()


def test_it_opens_the_due_reviews_once(personas, family, standards):
    case = enrolled_case(
        personas.township_clerk, family.household, next_review_on=datetime.date(2026, 12, 10)
    )
    assert "生成复核任务1条" in run("daily", "--date", "2026-12-01")
    assert "生成复核任务0条" in run("daily", "--date", "2026-12-01")
    assert Review.objects.filter(case=case, kind="periodic").count() == 1


def test_a_bad_date_is_refused_in_chinese(personas):
    with pytest.raises(CommandError) as err:
        run("daily", "--date", "1 Dec")
    assert "YYYY-MM-DD" in str(err.value)
