"""Audit events are written once and never changed: the model, its queryset and (on
PostgreSQL) a database trigger all refuse updates and deletes."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from minzheng.core.audit import audit_record
from minzheng.core.models import AUDIT_APPEND_ONLY, AuditEvent
from tests.conftest import VILLAGE, Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(personas: Personas) -> AuditEvent:
    return audit_record(
        actor=personas.village_assistant,
        action="person.update",
        object_type="Person",
        object_id=1,
        region_code=VILLAGE,
        changes={"phone": ["13800000000", "13900000000"]},
        reason="电话号码变更",
    )


def test_an_event_records_who_when_role_region_object_changes_and_reason(
    event: AuditEvent, personas: Personas
) -> None:
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.at is not None
    assert (stored.actor_id, stored.actor_username) == (personas.village_assistant.pk, "village")
    assert (stored.actor_role, stored.actor_region_code) == ("village_assistant", VILLAGE)
    assert (stored.object_type, stored.object_id, stored.region_code) == ("Person", "1", VILLAGE)
    assert stored.changes == {"phone": ["13800000000", "13900000000"]}
    assert stored.reason == "电话号码变更"


def test_saving_an_existing_event_is_refused(event: AuditEvent) -> None:
    event.reason = "改过的原因"
    with pytest.raises(ValidationError) as caught:
        event.save()
    assert caught.value.messages == [AUDIT_APPEND_ONLY]
    assert AuditEvent.objects.get(pk=event.pk).reason == "电话号码变更"


def test_deleting_an_event_is_refused(event: AuditEvent) -> None:
    with pytest.raises(ValidationError, match=AUDIT_APPEND_ONLY):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_updating_or_deleting_through_a_queryset_is_refused(event: AuditEvent) -> None:
    with pytest.raises(ValidationError, match=AUDIT_APPEND_ONLY):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(ValidationError, match=AUDIT_APPEND_ONLY):
        AuditEvent.objects.all().delete()
    with pytest.raises(ValidationError, match=AUDIT_APPEND_ONLY):
        AuditEvent.objects.filter(pk=event.pk).update_or_create(
            pk=event.pk, defaults={"reason": "x"}
        )
    assert AuditEvent.objects.get(pk=event.pk).reason == "电话号码变更"


def test_a_bulk_create_only_appends(event: AuditEvent) -> None:
    before = AuditEvent.objects.count()
    AuditEvent.objects.bulk_create(
        [AuditEvent(action="x", object_type="Person", object_id="2", region_code=VILLAGE)]
    )
    assert AuditEvent.objects.count() == before + 1


MIGRATION = import_module("minzheng.core.migrations.0002_auditevent_append_only")


@pytest.fixture
def db_triggers() -> None:
    """The migration's triggers. The SQLite test settings leave them out (test isolation there
    deletes rows); this test installs them inside its own transaction, which rolls them back."""
    if getattr(settings, "AUDIT_DB_TRIGGERS", True):
        return
    assert connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        for sql in MIGRATION.SQLITE_UP:
            cursor.execute(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_a_raw_update_or_delete(
    event: AuditEvent, db_triggers: None, sql: str
) -> None:
    with (
        pytest.raises(DatabaseError, match=AUDIT_APPEND_ONLY),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == "电话号码变更"


def test_the_database_still_accepts_a_raw_insert(event: AuditEvent, db_triggers: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (at, actor_username, actor_role, actor_region_code,"
            " action, object_type, object_id, region_code, changes, reason)"
            " VALUES (%s, 'system', '', '', 'x', 'Person', '3', %s, '{}', '')",
            [timezone.now(), VILLAGE],
        )
    assert AuditEvent.objects.filter(object_id="3").exists()
