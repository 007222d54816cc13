"""Shared fixtures: a small region tree (two townships of the demo county 裕安区 and one of
同心县) and one persona per role and scope, as healthchecks' alice/bob/charlie."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import translation

from minzheng.core.models import Region, Role, User

PASSWORD = "Minzheng-Test-2026"


@pytest.fixture(autouse=True)
def _back_to_chinese():
    """A request in English leaves English active in the thread; every test starts Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


REGIONS = [
    ("340000000000", "安徽省", 1, None, ""),
    ("341500000000", "六安市", 2, "340000000000", ""),
    ("341503000000", "裕安区", 3, "341500000000", ""),
    ("341503100000", "苏埠镇", 4, "341503000000", ""),
    ("341503100001", "苏埠社区", 5, "341503100000", "121"),
    ("341503100201", "陶洪村", 5, "341503100000", "220"),
    ("341503101000", "韩摆渡镇", 4, "341503000000", ""),
    ("341503101201", "戚桥村", 5, "341503101000", "220"),
    ("640000000000", "宁夏回族自治区", 1, None, ""),
    ("640300000000", "吴忠市", 2, "640000000000", ""),
    ("640324000000", "同心县", 3, "640300000000", ""),
    ("640324100000", "豫海镇", 4, "640324000000", ""),
    ("640324100201", "新区村", 5, "640324100000", "220"),
]

VILLAGE = "341503100201"  # 陶洪村, 苏埠镇
OTHER_VILLAGE_SAME_TOWNSHIP = "341503100001"  # 苏埠社区
OTHER_TOWNSHIP_VILLAGE = "341503101201"  # 戚桥村, 韩摆渡镇
OTHER_COUNTY_VILLAGE = "640324100201"  # 新区村, 同心县


@pytest.fixture
def regions(db: None) -> dict[str, Region]:
    out: dict[str, Region] = {}
    for code, name, level, parent, ur in REGIONS:
        out[code] = Region.objects.create(
            code=code, name=name, level=level, parent_id=parent, urban_rural_code=ur
        )
    return out


def make_user(username: str, role: Role, region_code: str) -> User:
    user = User(username=username, role=role, region_id=region_code, full_name=username)
    user.set_password(PASSWORD)
    user.save()
    return user


@dataclass
class Personas:
    village_assistant: User  # 陶洪村
    other_village_assistant: User  # 苏埠社区 (same township)
    township_clerk: User  # 苏埠镇
    township_leader: User
    other_township_clerk: User  # 韩摆渡镇
    county_officer: User  # 裕安区
    county_leader: User
    auditor: User
    hospital_clerk: User
    system_admin: User
    other_county_officer: User  # 同心县

    def all(self) -> list[User]:
        return list(vars(self).values())


@pytest.fixture
def personas(regions: dict[str, Region]) -> Personas:
    return Personas(
        village_assistant=make_user("village", Role.VILLAGE_ASSISTANT, VILLAGE),
        other_village_assistant=make_user(
            "village2", Role.VILLAGE_ASSISTANT, OTHER_VILLAGE_SAME_TOWNSHIP
        ),
        township_clerk=make_user("township", Role.TOWNSHIP_CLERK, "341503100000"),
        township_leader=make_user("township_leader", Role.TOWNSHIP_LEADER, "341503100000"),
        other_township_clerk=make_user("township2", Role.TOWNSHIP_CLERK, "341503101000"),
        county_officer=make_user("county", Role.COUNTY_OFFICER, "341503000000"),
        county_leader=make_user("county_leader", Role.COUNTY_LEADER, "341503000000"),
        auditor=make_user("auditor", Role.AUDITOR, "341503000000"),
        hospital_clerk=make_user("hospital", Role.HOSPITAL_CLERK, "341503000000"),
        system_admin=make_user("admin", Role.SYSTEM_ADMIN, "341503000000"),
        other_county_officer=make_user("county2", Role.COUNTY_OFFICER, "640324000000"),
    )
