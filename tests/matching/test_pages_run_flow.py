"""A run started from its page with the real services: the start form queues it (the task runs
at once in tests), the run's page then shows its hits per rule and township, and the flags it
raised are in the list of the township they belong to."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from minzheng.matching.models import MatchFlag, MatchRun, RunStatus
from tests.matching.pages_world import make_dataset
from tests.matching.support import DEATH_TYPES, county_for, death_row, write_dataset
from tests.programs.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(at(2026, 11, 23), tick=False):
        yield


@pytest.fixture
def county(regions, personas):
    return county_for(personas)


def test_a_run_started_from_the_page_lands_its_flags(
    client, personas, county, django_capture_on_commit_callbacks
):
    path = write_dataset(
        settings.MATCHING_DIR / "datasets" / "pages-death.parquet",
        [
            death_row(2, county.sole, datetime.date(2026, 10, 3)),
            death_row(3, county.tekun, datetime.date(2026, 10, 20)),
        ],
        DEATH_TYPES,
    )
    make_dataset(personas.county_officer, "death", parquet_path=str(path), valid_rows=2)
    client.force_login(personas.county_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("matching:run_start"), {"engine": "duckdb", "rules": ["death_id"]}
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    run = MatchRun.objects.get()
    assert response.url == reverse("matching:run_detail", args=[run.pk])
    assert run.status == RunStatus.DONE, run.message
    assert set(MatchFlag.objects.values_list("person__name", flat=True)) == {"赵老汉", "孙福来"}
    html = client.get(response.url).content.decode()
    assert "死亡人员(身份证号)" in html and "苏埠镇" in html and "韩摆渡镇" in html
    assert 'hx-trigger="every 1s"' not in html
    client.force_login(personas.township_clerk)
    html = client.get(reverse("matching:flag_list")).content.decode()
    assert "赵老汉" in html and "孙福来" not in html
    html = client.get(response.url).content.decode()
    assert "苏埠镇" in html and "韩摆渡镇" not in html
