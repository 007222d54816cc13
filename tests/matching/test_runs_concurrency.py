"""Two officers starting a run of the same county at the same moment: one run, one refusal
(the partial unique constraint on live runs, behind an advisory lock on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from minzheng.matching.errors import MatchingError
from minzheng.matching.models import MatchRun
from minzheng.matching.services.runs import run_start

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads need a database server"
)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_starts_make_one_run(regions, personas):
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def start() -> None:
        try:
            barrier.wait()
            outcomes.append(
                run_start(
                    actor=personas.county_officer,
                    rules=["age_allowance_missing"],
                    enqueue=False,
                )
            )
        except MatchingError as e:
            outcomes.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runs = [o for o in outcomes if isinstance(o, MatchRun)]
    refused = [o for o in outcomes if isinstance(o, MatchingError)]
    assert len(runs) == 1
    assert len(refused) == 1
    assert runs[0].number in refused[0].message
    assert MatchRun.objects.count() == 1
