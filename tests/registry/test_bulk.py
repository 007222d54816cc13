import datetime

import pytest
from django.db import transaction

from minzheng.core.idnumbers import make_id_number
from minzheng.core.models import AuditEvent
from minzheng.registry.bulk import HouseholdRow, PersonRow, households_bulk_create
from minzheng.registry.models import Household, Membership, Person
from minzheng.registry.selectors import person_search
from tests.conftest import VILLAGE


@pytest.mark.django_db(transaction=True)
def test_bulk_create_writes_households_members_search_keys_and_audit(personas):
    rows = [
        HouseholdRow(
            address=f"陶洪村{i}号",
            region_code=VILLAGE,
            members=[
                (
                    PersonRow(
                        make_id_number("342401", datetime.date(1960, 1, 1), 2 * i + 1),
                        "张三",
                        "rural",
                        VILLAGE,
                    ),
                    "head",
                ),
                (
                    PersonRow(
                        make_id_number("341503", datetime.date(2005, 1, 1), 2 * i + 2),
                        "李四",
                        "rural",
                        VILLAGE,
                    ),
                    "child",
                ),
            ],
        )
        for i in range(7)
    ]
    with transaction.atomic():
        result = households_bulk_create(
            households=rows,
            actor=personas.township_clerk,
            valid_from=datetime.date(2026, 1, 1),
            chunk_size=3,
        )
    assert (result.households, result.persons) == (7, 14)
    assert Household.objects.count() == 7 and Person.objects.count() == 14
    assert Membership.objects.filter(relationship="head").count() == 7
    head = Household.objects.first().head
    assert head.name == "张三" and head.sex == "M" and head.birth_date == datetime.date(1960, 1, 1)
    assert person_search(user=personas.village_assistant, q="zs").count() == 7
    assert AuditEvent.objects.filter(action="household.create").count() == 7
    # the sequences moved past the written keys: the ORM can still insert
    from tests.factories import make_person

    make_person(personas.village_assistant, region_code=VILLAGE)
