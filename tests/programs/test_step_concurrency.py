"""Two users complete the same step at the same moment, each in its own connection and
transaction: one wins, the other is told who did it; the step is done once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from minzheng.core.models import AuditEvent
from minzheng.programs.models import Case, Step, StepStatus
from minzheng.programs.services import cases as svc
from minzheng.programs.services.errors import CaseConflict


@pytest.mark.django_db(transaction=True)
def test_one_of_two_simultaneous_completions_wins(personas, family, standards):
    case = svc.case_accept(
        actor=personas.township_clerk,
        household=family.household,
        applicant=family.head,
        program="dibao_rural",
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def complete(name, actor):
        try:
            stale = Case.objects.get(pk=case.pk)
            barrier.wait(timeout=10)
            svc.step_complete(
                actor=actor,
                case=stale,
                code="authorization",
                data={"signed": True},
                version=stale.version,
            )
            outcomes[name] = "done"
        except CaseConflict as conflict:
            outcomes[name] = conflict
        finally:
            connection.close()

    threads = [
        threading.Thread(target=complete, args=("clerk", personas.township_clerk)),
        threading.Thread(target=complete, args=("leader", personas.township_leader)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(type(v).__name__ for v in outcomes.values()) == ["CaseConflict", "str"]
    loser = next(v for v in outcomes.values() if isinstance(v, CaseConflict))
    assert "核对授权" in loser.message and "已由" in loser.message
    done = Step.objects.filter(case=case, code="authorization", status=StepStatus.DONE)
    assert done.count() == 1
    completions = AuditEvent.objects.filter(
        object_id=str(case.pk), action="case.step_complete", changes__step="authorization"
    )
    assert completions.count() == 1
    assert Step.objects.get(case=case, code="survey").status == StepStatus.OPEN
