"""近亲属备案: who may file, what a filing marks, and who is related to a household."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minzheng.core.models import AuditEvent, Role
from minzheng.programs.models import CaseStatus, RelativeFiling
from minzheng.programs.services import relatives as svc
from minzheng.programs.services.errors import CaseError
from minzheng.registry.models import LeaveReason, Membership
from minzheng.registry.services import member_remove
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE, make_user
from tests.programs.conftest import at, make_family
from tests.programs.dynamic_support import enrolled_case

pytestmark = pytest.mark.django_db

TOWNSHIP = "341503100000"
TODAY = at(2026, 5, 10)


def file(actor, person, **kwargs):
    data = {
        "staff_name": "陈主任",
        "staff_kind": RelativeFiling.StaffKind.TOWNSHIP_STAFF,
        "relation": RelativeFiling.Relation.SIBLING,
        "region_code": TOWNSHIP,
        "valid_from": datetime.date(2026, 5, 1),
    }
    data.update(kwargs)
    return svc.relative_filing_create(actor=actor, person=person, **data)


@time_machine.travel(TODAY, tick=False)
def test_a_filing_marks_the_households_open_and_paying_cases(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    paying = enrolled_case(clerk, family.household)
    ended = enrolled_case(clerk, family.household, status=CaseStatus.TERMINATED)
    version = paying.version

    filing = file(clerk, family.spouse, staff_position="副镇长")

    assert filing.filed_by == clerk
    paying.refresh_from_db()
    ended.refresh_from_db()
    assert paying.relative_flag is True
    assert paying.version == version + 1
    assert ended.relative_flag is False
    event = AuditEvent.objects.get(action="relative.file")
    assert event.object_id == str(filing.pk)
    assert event.changes["staff_name"] == [None, "陈主任"]
    flag = AuditEvent.objects.get(action="case.relative_flag")
    assert flag.object_id == str(paying.pk)
    assert "李秀英" in flag.reason and "陈主任" in flag.reason


@time_machine.travel(TODAY, tick=False)
def test_a_county_officer_files_for_any_township_of_the_county(personas):
    family = make_family(personas.township_clerk)
    filing = file(
        personas.county_officer,
        family.head,
        region_code="341503000000",
        staff_kind=RelativeFiling.StaffKind.COUNTY_STAFF,
    )
    assert filing.region_code == "341503000000"


@time_machine.travel(TODAY, tick=False)
def test_a_village_assistant_may_not_file(personas):
    family = make_family(personas.township_clerk)
    with pytest.raises(PermissionDenied):
        file(personas.village_assistant, family.head, region_code=VILLAGE)


@time_machine.travel(TODAY, tick=False)
def test_another_townships_clerk_cannot_file_here(personas):
    family = make_family(personas.township_clerk)
    with pytest.raises(Http404):
        file(personas.other_township_clerk, family.head)


@time_machine.travel(TODAY, tick=False)
def test_it_lists_every_missing_field_at_once(personas):
    family = make_family(personas.township_clerk)
    with pytest.raises(CaseError) as err:
        file(
            personas.township_clerk,
            family.head,
            staff_name=" ",
            staff_kind="boss",
            relation="friend",
            valid_from=datetime.date(2026, 6, 1),
        )
    assert set(err.value.errors) == {"staff_name", "staff_kind", "relation", "valid_from"}
    assert err.value.errors["staff_name"] == [svc.RELATIVE_STAFF_NAME_REQUIRED]


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_the_same_filing_twice(personas):
    family = make_family(personas.township_clerk)
    file(personas.township_clerk, family.head)
    with pytest.raises(CaseError) as err:
        file(personas.township_clerk, family.head)
    assert "无需重复备案" in err.value.errors["person"][0]


@time_machine.travel(TODAY, tick=False)
def test_revoking_ends_the_filing_with_a_reason(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    filing = file(clerk, family.head)
    with pytest.raises(CaseError) as err:
        svc.relative_filing_revoke(
            actor=clerk, filing=filing, valid_to=datetime.date(2026, 5, 8), reason=""
        )
    assert err.value.errors == {"reason": [svc.RELATIVE_REVOKE_REASON_REQUIRED]}

    svc.relative_filing_revoke(
        actor=clerk, filing=filing, valid_to=datetime.date(2026, 5, 8), reason="陈主任已调离"
    )

    filing.refresh_from_db()
    assert filing.valid_to == datetime.date(2026, 5, 8)
    event = AuditEvent.objects.get(action="relative.revoke")
    assert event.reason == "陈主任已调离"
    on_the_day = svc.relative_filings_for_household(
        household=family.household, day=datetime.date(2026, 5, 8)
    )
    before = svc.relative_filings_for_household(
        household=family.household, day=datetime.date(2026, 5, 7)
    )
    assert (on_the_day, before) == ([], [filing])
    with pytest.raises(CaseError):
        svc.relative_filing_revoke(
            actor=clerk, filing=filing, valid_to=datetime.date(2026, 5, 9), reason="再次撤销"
        )


@time_machine.travel(TODAY, tick=False)
def test_a_household_has_the_filings_of_its_members_on_the_day(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    filing = file(clerk, family.spouse, valid_from=datetime.date(2026, 3, 1))
    membership = Membership.objects.get(person=family.spouse, valid_to__isnull=True)
    member_remove(
        actor=clerk,
        membership=membership,
        valid_to=datetime.date(2026, 4, 1),
        leave_reason=LeaveReason.MOVE_OUT,
    )

    def on(day):
        return svc.relative_filings_for_household(household=family.household, day=day)

    assert on(datetime.date(2026, 2, 28)) == []  # not filed yet
    assert on(datetime.date(2026, 3, 15)) == [filing]
    assert on(datetime.date(2026, 4, 1)) == []  # she left the household


@time_machine.travel(TODAY, tick=False)
def test_a_worker_is_related_by_account_or_by_name_in_the_same_branch(personas, regions):
    clerk = personas.township_clerk
    family = make_family(clerk)
    day = datetime.date(2026, 5, 10)
    leader = personas.township_leader
    leader.full_name = "陈主任"
    leader.save()
    namesake = make_user("namesake", Role.COUNTY_OFFICER, OTHER_COUNTY_VILLAGE[:6] + "000000")
    namesake.full_name = "陈主任"
    namesake.save()

    file(clerk, family.head)  # by name only
    assert svc.user_is_related(user=leader, household=family.household, day=day)
    assert not svc.user_is_related(user=namesake, household=family.household, day=day)
    assert not svc.user_is_related(user=clerk, household=family.household, day=day)

    file(clerk, family.child, staff_name="某某", staff_user=personas.county_officer)
    assert svc.user_is_related(user=personas.county_officer, household=family.household, day=day)


@time_machine.travel(TODAY, tick=False)
def test_the_register_is_scoped_and_searchable(personas):
    clerk = personas.township_clerk
    family = make_family(clerk)
    filing = file(clerk, family.spouse)

    assert list(svc.relative_filing_list(user=clerk)) == [filing]
    assert list(svc.relative_filing_list(user=personas.county_officer, q="李秀")) == [filing]
    assert list(svc.relative_filing_list(user=clerk, q="陈主任")) == [filing]
    assert list(svc.relative_filing_list(user=clerk, q="王")) == []
    assert list(svc.relative_filing_list(user=personas.other_township_clerk)) == []
    assert list(svc.relative_filing_list(user=personas.hospital_clerk)) == []
    with pytest.raises(Http404):
        svc.relative_filing_get(user=personas.other_township_clerk, pk=filing.pk)
