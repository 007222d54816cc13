"""/api/v1/ of 信息比对: the dataset kinds, datasets (upload, column mapping, validation, the
rows refused), rules and their county settings, runs (start, cancel, summary), flags and their
verification, and the figures; the roles and the scope of each, and errors as the convention
shapes them."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from minzheng.core.api import ROLE_NOT_ALLOWED
from minzheng.core.models import User
from minzheng.matching.models import ExternalDataset, MatchFlag, MatchRun
from minzheng.matching.rules import RULES
from minzheng.matching.schemas import SCHEMAS
from minzheng.registry.models import Person
from tests.api.case_support import at
from tests.api.conftest import ApiFor, Family, make_family
from tests.conftest import OTHER_COUNTY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, VILLAGE, Personas

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(at(2026, 11, 20), tick=False)]

V1 = "/api/v1"
DATASETS = V1 + "/match-datasets/"
RUNS = V1 + "/match-runs/"
FLAGS = V1 + "/match-flags/"
RULES_URL = V1 + "/match-rules/"
COUNTY = "341503000000"
OTHER_COUNTY = "640324000000"
TODAY = datetime.date(2026, 11, 20)


def dataset(
    actor: User, *, region_code: str = COUNTY, kind: str = "death", **fields: Any
) -> ExternalDataset:
    """A delivery as the intake leaves it, written directly."""
    data: dict[str, Any] = {
        "kind": kind,
        "region_code": region_code,
        "source": "县公安局",
        "data_date": datetime.date(2026, 10, 31),
        "file_name": "死亡人员.csv",
        "file_format": "csv",
        "encoding": "utf-8",
        "headers": ["身份证号", "姓名", "死亡日期"],
        "column_mapping": {"id_number": "身份证号", "name": "姓名", "death_date": "死亡日期"},
        "created_by": actor,
    }
    data.update(fields)
    return ExternalDataset.objects.create(**data)


_numbers = iter(range(1, 10_000))


def run(actor: User, *, region_code: str = COUNTY, **fields: Any) -> MatchRun:
    data: dict[str, Any] = {
        "number": f"BD{region_code}{next(_numbers):04d}",
        "region_code": region_code,
        "as_of": TODAY,
        "status": "done",
        "percent": 100,
        "created_by": actor,
    }
    data.update(fields)
    return MatchRun.objects.create(**data)


def flag(
    match_run: MatchRun, person: Person, region_code: str, *, rule: str = "vehicle", **fields: Any
) -> MatchFlag:
    data: dict[str, Any] = {
        "rule": rule,
        "action": "review",
        "run": match_run,
        "last_run": match_run,
        "person": person,
        "region_code": region_code,
        "program": "dibao_rural",
        "evidence_key": f"{rule}-{person.pk}-{MatchFlag.objects.count()}",
        "evidence": {"id_number": person.id_number, "plate_number": "皖N12345", "value": "85000"},
        "summary": "家庭成员名下登记有小型轿车(皖N12345),超过财产限定条件,请复核",
        "due_on": TODAY + datetime.timedelta(days=20),
    }
    data.update(fields)
    return MatchFlag.objects.create(**data)


@dataclass
class World:
    """The county's deliveries (one of 同心县 too), a run of the county and one of 同心县, and
    flags of 陶洪村 (苏埠镇), 戚桥村 (韩摆渡镇) and 同心县."""

    family: Family
    neighbour: Family
    far: Family
    deaths: ExternalDataset
    vehicles: ExternalDataset
    far_deaths: ExternalDataset
    run: MatchRun
    far_run: MatchRun
    flag: MatchFlag  # 陶洪村, vehicle, open, due in 20 days
    late: MatchFlag  # 陶洪村, death, open, overdue
    candidate: MatchFlag  # 陶洪村, age allowance, 漏保 candidate
    neighbour_flag: MatchFlag  # 戚桥村
    far_flag: MatchFlag  # 同心县


@pytest.fixture
def world(personas: Personas, family: Family, far_family: Family) -> World:
    officer = personas.county_officer
    neighbour = make_family(personas.other_township_clerk, OTHER_TOWNSHIP_VILLAGE)
    deaths = dataset(officer, status="active", total_rows=2, valid_rows=2)
    vehicles = dataset(officer, kind="vehicle", file_name="车辆.xlsx", file_format="xlsx")
    far_deaths = dataset(personas.other_county_officer, region_code=OTHER_COUNTY)
    match_run = run(
        officer,
        rules=["vehicle", "death_id", "age_allowance_missing"],
        datasets={"death": deaths.pk},
        rule_counts={"vehicle": {"hits": 2, "new": 2, "seconds": 0.4}},
        hit_count=4,
        new_flag_count=4,
        seconds=Decimal("1.5"),
    )
    far_run = run(personas.other_county_officer, region_code=OTHER_COUNTY)
    return World(
        family=family,
        neighbour=neighbour,
        far=far_family,
        deaths=deaths,
        vehicles=vehicles,
        far_deaths=far_deaths,
        run=match_run,
        far_run=far_run,
        flag=flag(match_run, family.head, VILLAGE, match_weight=Decimal("14.25")),
        late=flag(
            match_run,
            family.spouse,
            VILLAGE,
            rule="death_id",
            action="suspend",
            due_on=TODAY - datetime.timedelta(days=3),
            dataset=deaths,
            row_no=2,
        ),
        candidate=flag(
            match_run,
            family.head,
            VILLAGE,
            rule="age_allowance_missing",
            action="candidate",
            program="age_allowance",
        ),
        neighbour_flag=flag(match_run, neighbour.head, OTHER_TOWNSHIP_VILLAGE),
        far_flag=flag(far_run, far_family.head, OTHER_COUNTY_VILLAGE),
    )


def ids(response: Any) -> set[int]:
    return {item["id"] for item in response.json()["results"]}


def refused(response: Any, status: int = 403) -> bool:
    return response.status_code == status and set(response.json()["errors"]) == {"detail"}


# -- dataset kinds -----------------------------------------------------------------------------


def test_the_dataset_kinds_list_every_kind_with_its_columns(
    personas: Personas, api_for: ApiFor
) -> None:
    response = api_for(personas.township_clerk).get(V1 + "/dataset-kinds/")
    assert response.status_code == 200
    kinds = {k["kind"]: k for k in response.json()}
    assert set(kinds) == set(SCHEMAS)
    deaths = kinds["death"]
    assert deaths["label"] == "死亡人员"
    columns = {c["name"]: c for c in deaths["columns"]}
    assert columns["id_number"]["type"] == "id_number"
    assert columns["death_date"] == {
        "name": "death_date",
        "label": "死亡日期",
        "type": "date",
        "required": True,
        "aliases": ["死亡日期", "死亡时间"],
    }
    answer = api_for(personas.village_assistant).get(V1 + "/dataset-kinds/")
    assert refused(answer)
    assert answer.json()["errors"]["detail"] == [ROLE_NOT_ALLOWED]


# -- datasets --------------------------------------------------------------------------------


def test_the_county_lists_its_own_datasets_filtered(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    api = api_for(personas.county_officer)
    listed = api.get(DATASETS)
    assert listed.status_code == 200
    assert ids(listed) == {world.deaths.pk, world.vehicles.pk}
    row = next(r for r in listed.json()["results"] if r["id"] == world.deaths.pk)
    assert row["kind"] == "death" and row["kind_label"] == "死亡人员"
    assert row["status"] == "active" and row["data_date"] == "2026-10-31"
    assert row["created_by"] == personas.county_officer.username
    assert ids(api.get(DATASETS, {"kind": "vehicle"})) == {world.vehicles.pk}
    assert ids(api.get(DATASETS, {"status": "uploaded"})) == {world.vehicles.pk}
    bad = api.get(DATASETS, {"kind": "weather"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"kind"}
    assert ids(api_for(personas.auditor).get(DATASETS)) == {world.deaths.pk, world.vehicles.pk}
    assert ids(api_for(personas.other_county_officer).get(DATASETS)) == {world.far_deaths.pk}
    assert refused(api_for(personas.township_clerk).get(DATASETS))


def test_a_dataset_reads_with_its_file_mapping_columns_and_report(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    ExternalDataset.objects.filter(pk=world.deaths.pk).update(
        sample_rows=[["341503199001011234", "张三", "2026-10-01"]],
        report={"counts": {"invalid_id": 0}},
    )
    api = api_for(personas.county_leader)
    response = api.get(f"{DATASETS}{world.deaths.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["headers"] == ["身份证号", "姓名", "死亡日期"]
    assert body["sample_rows"][0][1] == "张三"
    assert body["column_mapping"]["death_date"] == "死亡日期"
    assert [c["name"] for c in body["columns"]] == SCHEMAS["death"].names
    assert body["report"] == {"counts": {"invalid_id": 0}}
    assert api.get(f"{DATASETS}{world.far_deaths.pk}/").status_code == 404
    assert api_for(personas.township_leader).get(f"{DATASETS}{world.deaths.pk}/").status_code == 403


def test_an_upload_refused_by_its_fields_answers_each_field_in_chinese(
    personas: Personas, api_for: ApiFor
) -> None:
    api = api_for(personas.county_officer)
    response = api.post(
        DATASETS, {"kind": "weather", "data_date": "2026-13-01"}, format="multipart"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"kind", "source", "data_date", "file"}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for ms in errors.values() for m in ms)
    upload = BytesIO("身份证号,姓名\n".encode())
    upload.name = "死亡.csv"
    data = {"kind": "death", "source": "县公安局", "data_date": "2026-10-31", "file": upload}
    assert refused(api_for(personas.county_leader).post(DATASETS, data, format="multipart"))
    assert not ExternalDataset.objects.exists()


def test_mapping_and_validating_are_the_keepers_and_within_the_county(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    mapping = {"mapping": {"id_number": "身份证号", "name": "姓名", "death_date": "死亡日期"}}
    far = f"{DATASETS}{world.far_deaths.pk}/"
    api = api_for(personas.county_officer)
    assert api.post(far + "mapping/", mapping, format="json").status_code == 404
    assert api.post(far + "validate/").status_code == 404
    assert api.get(far + "problems/").status_code == 404
    mine = f"{DATASETS}{world.vehicles.pk}/"
    leader = api_for(personas.county_leader)
    assert refused(leader.post(mine + "mapping/", mapping, format="json"))
    assert refused(leader.post(mine + "validate/"))
    bad = api.post(mine + "mapping/", {"mapping": ["身份证号"]}, format="json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"mapping"}


# -- runs ----------------------------------------------------------------------------------------


def test_runs_are_listed_to_the_county_and_its_townships(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    api = api_for(personas.county_officer)
    listed = api.get(RUNS)
    assert listed.status_code == 200 and ids(listed) == {world.run.pk}
    row = listed.json()["results"][0]
    assert row["engine"] == "duckdb" and row["status"] == "done" and row["seconds"] == "1.5"
    assert row["as_of"] == "2026-11-20" and row["new_flag_count"] == 4
    assert ids(api.get(RUNS, {"status": "queued"})) == set()
    assert ids(api.get(RUNS, {"engine": "duckdb"})) == {world.run.pk}
    assert api.get(RUNS, {"engine": "hadoop"}).status_code == 400
    # A township reads its county's runs (their figures cut to the township).
    assert ids(api_for(personas.township_clerk).get(RUNS)) == {world.run.pk}
    assert ids(api_for(personas.other_county_officer).get(RUNS)) == {world.far_run.pk}
    assert refused(api_for(personas.village_assistant).get(RUNS))


def test_a_run_reads_with_its_counts_per_rule_and_its_datasets(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    api = api_for(personas.township_clerk)
    response = api.get(f"{RUNS}{world.run.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["rules"] == ["vehicle", "death_id", "age_allowance_missing"]
    assert body["datasets"] == {"death": world.deaths.pk}
    assert body["rule_counts"]["vehicle"] == {"hits": 2, "new": 2, "seconds": 0.4}
    assert body["percent"] == 100 and body["stage"] == ""
    assert api.get(f"{RUNS}{world.far_run.pk}/").status_code == 404
    assert api.get(f"{RUNS}{world.far_run.pk}/summary/").status_code == 404


def test_a_runs_summary_shows_a_township_its_own_column(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    MatchFlag.objects.filter(pk=world.flag.pk).update(status="confirmed", outcome="adjust")
    county = api_for(personas.county_officer).get(f"{RUNS}{world.run.pk}/summary/")
    assert county.status_code == 200
    body = county.json()
    assert body["whole_run"] is True
    assert [t["name"] for t in body["townships"]] == ["苏埠镇", "韩摆渡镇"]
    vehicle = next(r for r in body["rules"] if r["code"] == "vehicle")
    assert (vehicle["hits"], vehicle["confirmed"], vehicle["open"]) == (2, 1, 1)
    assert vehicle["confirmed_rate"] == 100 and vehicle["by_township"] == [1, 1]
    assert body["totals"]["hits"] == 4
    township = api_for(personas.township_clerk).get(f"{RUNS}{world.run.pk}/summary/").json()
    assert township["whole_run"] is False
    assert [t["name"] for t in township["townships"]] == ["苏埠镇"]
    assert township["totals"]["hits"] == 3


def test_starting_and_cancelling_a_run_are_the_county_officers(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    leader = api_for(personas.county_leader)
    assert refused(leader.post(RUNS, {}, format="json"))
    assert refused(leader.post(f"{RUNS}{world.run.pk}/cancel/"))
    api = api_for(personas.county_officer)
    bad = api.post(RUNS, {"engine": "hadoop", "rules": ["weather"], "as_of": "soon"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"engine", "rules[0]", "as_of"}
    assert api.post(f"{RUNS}{world.far_run.pk}/cancel/").status_code == 404


# -- flags ---------------------------------------------------------------------------------------


def test_flags_are_listed_within_the_scope_and_filtered(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    mine = {world.flag.pk, world.late.pk, world.candidate.pk}
    county = api_for(personas.county_officer)
    assert ids(county.get(FLAGS)) == mine | {world.neighbour_flag.pk}
    assert ids(api_for(personas.township_clerk).get(FLAGS)) == mine
    assert ids(api_for(personas.other_township_clerk).get(FLAGS)) == {world.neighbour_flag.pk}
    assert ids(api_for(personas.other_county_officer).get(FLAGS)) == {world.far_flag.pk}
    assert refused(api_for(personas.village_assistant).get(FLAGS))
    for query, expected in [
        ({"rule": "death_id"}, {world.late.pk}),
        ({"action": "candidate"}, {world.candidate.pk}),
        ({"status": "open", "region_code": VILLAGE}, mine),
        ({"region_code": "341503101"}, {world.neighbour_flag.pk}),
        ({"overdue": "true"}, {world.late.pk}),
        ({"overdue": "false", "region_code": VILLAGE}, {world.flag.pk, world.candidate.pk}),
        ({"run": world.run.pk, "rule": "vehicle"}, {world.flag.pk, world.neighbour_flag.pk}),
        ({"status": "dismissed"}, set()),
    ]:
        assert ids(county.get(FLAGS, query)) == expected, query
    MatchFlag.objects.filter(pk=world.flag.pk).update(status="dismissed")
    order = [f["id"] for f in county.get(FLAGS, {"region_code": VILLAGE}).json()["results"]]
    assert order[0] == world.late.pk and order[-1] == world.flag.pk  # open first, by deadline
    bad = county.get(FLAGS, {"rule": "weather", "status": "maybe", "region_code": "34x"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"rule", "status", "region_code"}


def test_a_flag_reads_with_its_person_case_and_evidence(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    api = api_for(personas.township_clerk)
    response = api.get(f"{FLAGS}{world.late.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["rule"] == "death_id" and body["rule_label"] == "死亡人员(身份证号)"
    assert body["action"] == "suspend" and body["status"] == "open"
    assert body["person_name"] == "李四"
    assert body["id_number"] == world.family.spouse.id_number  # a township clerk sees it whole
    assert body["dataset_id"] == world.deaths.pk and body["row_no"] == 2
    assert body["overdue"] is True and body["due_on"] == "2026-11-17"
    assert body["evidence"]["plate_number"] == "皖N12345"
    weighed = api.get(f"{FLAGS}{world.flag.pk}/").json()
    assert weighed["match_weight"] == "14.25" and weighed["overdue"] is False
    assert api.get(f"{FLAGS}{world.neighbour_flag.pk}/").status_code == 404
    assert api.get(f"{FLAGS}{world.far_flag.pk}/").status_code == 404


def test_working_a_flag_is_the_reviewers_within_their_scope(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    dismiss = {"reason": "车辆已于2025年转让"}
    auditor = api_for(personas.auditor)
    assert refused(auditor.post(f"{FLAGS}{world.flag.pk}/dismiss/", dismiss, format="json"))
    assert refused(
        api_for(personas.system_admin).post(
            f"{FLAGS}{world.flag.pk}/confirm/", {"outcome": "adjust", "reason": "属实"}
        )
    )
    other = api_for(personas.other_township_clerk)
    assert other.post(f"{FLAGS}{world.flag.pk}/dismiss/", dismiss).status_code == 404
    api = api_for(personas.township_clerk)
    bad = api.post(f"{FLAGS}{world.flag.pk}/confirm/", {"outcome": "continue"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"outcome", "reason"}
    assert api.post(f"{FLAGS}{world.flag.pk}/dismiss/", {}).json()["errors"].keys() == {"reason"}
    assert MatchFlag.objects.get(pk=world.flag.pk).status == "open"


# -- figures and the schema ----------------------------------------------------------------------


def test_the_figures_count_the_flags_of_the_scope(
    personas: Personas, api_for: ApiFor, world: World
) -> None:
    county = api_for(personas.county_leader).get(V1 + "/match-figures/", {"year": 2026})
    assert county.status_code == 200
    body = county.json()
    assert (body["year"], body["runs"], body["raised"], body["open"]) == (2026, 1, 4, 4)
    assert body["overdue"] == 1
    assert {t["name"] for t in body["by_township"]} == {"苏埠镇", "韩摆渡镇"}
    township = api_for(personas.other_township_clerk).get(V1 + "/match-figures/").json()
    assert township["raised"] == 1
    assert (
        api_for(personas.county_leader).get(V1 + "/match-figures/", {"year": 1}).status_code == 400
    )
    assert refused(api_for(personas.village_assistant).get(V1 + "/match-figures/"))


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out: Path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(out), stderr=StringIO())
    yield yaml.safe_load(out.read_text())


@pytest.mark.django_db(False)
def test_the_schema_documents_enums_figures_uploads_and_conflicts(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["MatchRunStatusEnum"]["enum"] == [
        "queued",
        "running",
        "done",
        "failed",
        "cancelled",
    ]
    assert "death" in components["DatasetKindEnum"]["enum"]
    assert components["FlagConfirmOutcomeEnum"]["enum"] == [
        "adjust",
        "suspend",
        "terminate",
        "referred",
    ]
    weight = components["MatchFlag"]["properties"]["match_weight"]
    assert (weight["type"], weight["format"]) == ("string", "decimal")
    paths = schema["paths"]
    upload = paths["/api/v1/match-datasets/"]["post"]["requestBody"]["content"]
    assert set(upload) == {"multipart/form-data"}
    assert {"202", "400", "403", "409"} <= set(paths["/api/v1/match-runs/"]["post"]["responses"])
    assert "202" in paths["/api/v1/match-datasets/{id}/validate/"]["post"]["responses"]
    for path in (
        "/api/v1/match-flags/{id}/confirm/",
        "/api/v1/match-flags/{id}/dismiss/",
        "/api/v1/match-runs/{id}/cancel/",
        "/api/v1/match-datasets/{id}/mapping/",
    ):
        assert {"200", "400", "403", "404", "409"} <= set(paths[path]["post"]["responses"]), path
    summary = paths["/api/v1/match-runs/{id}/summary/"]["get"]["responses"]["200"]
    assert summary["content"]["application/json"]["schema"]["$ref"].endswith("MatchRunSummary")


# -- the services at work ------------------------------------------------------------------------


def csv_upload(text: str, name: str = "死亡人员.csv", encoding: str = "utf-8") -> BytesIO:
    upload = BytesIO(text.encode(encoding))
    upload.name = name
    return upload


def deaths_csv(*rows: tuple[str, str, str]) -> str:
    """A police file whose death column has a heading no alias knows (亡故日期)."""
    return "公民身份号码,死者姓名,亡故日期\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)


def test_a_delivery_is_uploaded_mapped_and_validated_into_use(
    personas: Personas,
    api_for: ApiFor,
    family: Family,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = api_for(personas.county_officer)
    text = deaths_csv(
        (family.head.id_number, "张三", "2026-10-01"),
        (family.spouse.id_number, "李四", "2026/9/30"),
    )
    upload = {
        "kind": "death",
        "source": "县公安局",
        "data_date": "2026-10-31",
        "note": "10月死亡人员",
        "file": csv_upload(text, encoding="gbk"),
    }
    made = api.post(DATASETS, upload, format="multipart")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["status"], body["region_code"], body["file_format"]) == ("uploaded", COUNTY, "csv")
    assert body["headers"] == ["公民身份号码", "死者姓名", "亡故日期"]
    assert body["sample_rows"][0][1] == "张三"
    guessed = body["column_mapping"]
    assert (guessed["id_number"], guessed["name"], guessed["death_date"]) == (
        "公民身份号码",
        "死者姓名",
        "",
    )
    url = f"{DATASETS}{body['id']}/"
    # Validating before every required column is mapped names the mapping.
    unmapped = api.post(url + "validate/")
    assert unmapped.status_code == 400 and set(unmapped.json()["errors"]) == {"mapping"}
    lacking = api.post(
        url + "mapping/", {"mapping": {**guessed, "death_date": "死亡日"}}, format="json"
    )
    assert lacking.status_code == 400 and set(lacking.json()["errors"]) == {"mapping"}
    mapping = {**guessed, "death_date": "亡故日期"}
    mapped = api.post(url + "mapping/", {"mapping": mapping}, format="json")
    assert mapped.status_code == 200 and mapped.json()["column_mapping"]["death_date"] == "亡故日期"
    with django_capture_on_commit_callbacks(execute=True):
        queued = api.post(url + "validate/")
    assert queued.status_code == 202 and queued.json()["status"] == "validating"
    done = api.get(url).json()
    assert (done["status"], done["total_rows"], done["valid_rows"]) == ("active", 2, 2)
    assert api.get(url + "problems/").json()["count"] == 0
    # In use, it is no longer mapped or validated: the state changed first.
    again = api.post(url + "mapping/", {"mapping": mapping}, format="json")
    assert again.status_code == 409 and set(again.json()["errors"]) == {"detail"}
    assert api.post(url + "validate/").status_code == 409


def test_a_delivery_with_broken_rows_is_refused_with_its_problem_rows(
    personas: Personas,
    api_for: ApiFor,
    family: Family,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = api_for(personas.county_officer)
    text = deaths_csv(
        (family.head.id_number, "张三", "2026-10-01"),
        ("341503", "王五", "2026-10-02"),
        (family.spouse.id_number, "李四", "2026-13-45"),
    )
    upload = {"kind": "death", "source": "县公安局", "data_date": "2026-10-31"}
    made = api.post(DATASETS, {**upload, "file": csv_upload(text)}, format="multipart").json()
    url = f"{DATASETS}{made['id']}/"
    mapping = {**made["column_mapping"], "death_date": "亡故日期"}
    assert api.post(url + "mapping/", {"mapping": mapping}, format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        api.post(url + "validate/")
    assert api.get(url).json()["status"] == "refused"
    problems = api.get(url + "problems/", {"page_size": 1})
    assert problems.status_code == 200
    assert problems.json()["count"] >= 1 and len(problems.json()["results"]) == 1
    rows = api.get(url + "problems/").json()["results"]
    date = next(r for r in rows if r["code"] == "bad_date")
    assert date["column"] == "死亡日期"
    assert date["row_no"] == 4 and date["value"] == "2026-13-45" and date["error"] is True
    assert "2026-13-45" in date["message"]
    # A mistyped ID number is kept for the fuzzy rules: a warning, not an error.
    kept = next(r for r in rows if r["row_no"] == 3)
    assert kept["error"] is False and kept["value"] == "341503"


def test_parquet_and_xlsx_deliveries_upload_with_their_headings_and_guessed_mapping(
    personas: Personas, api_for: ApiFor, family: Family
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from openpyxl import Workbook

    headings = ["身份证号", "姓名", "死亡日期"]
    parquet = BytesIO()
    pq.write_table(
        pa.table(
            {
                "身份证号": [family.head.id_number],
                "姓名": ["张三"],
                "死亡日期": [datetime.date(2026, 10, 1)],
            }
        ),
        parquet,
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2026年10月死亡人员名单"])  # a title row above the headings
    sheet.append(headings)
    sheet.append([family.head.id_number, "张三", datetime.date(2026, 10, 1)])
    xlsx = BytesIO()
    book.save(xlsx)
    api = api_for(personas.county_officer)
    for upload, name, file_format in (
        (parquet, "死亡人员.parquet", "parquet"),
        (xlsx, "死亡人员.xlsx", "xlsx"),
    ):
        upload.seek(0)
        upload.name = name
        data = {"kind": "death", "source": "县公安局", "data_date": "2026-10-31", "file": upload}
        made = api.post(DATASETS, data, format="multipart")
        assert made.status_code == 201, made.json()
        body = made.json()
        assert (body["file_format"], body["headers"]) == (file_format, headings)
        mapping = body["column_mapping"]
        assert (mapping["id_number"], mapping["death_date"], mapping["place"]) == (
            "身份证号",
            "死亡日期",
            "",
        )


def test_an_upload_over_the_limit_is_refused_on_its_file(
    personas: Personas, api_for: ApiFor, settings: Any
) -> None:
    settings.MATCHING_UPLOAD_MAX_BYTES = 10
    data = {"kind": "death", "source": "县公安局", "data_date": "2026-10-31"}
    response = api_for(personas.county_officer).post(
        DATASETS, {**data, "file": csv_upload(deaths_csv())}, format="multipart"
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"file"}
    assert not ExternalDataset.objects.exists()


def test_a_rules_settings_are_the_countys_and_edited_by_its_editors(
    personas: Personas, api_for: ApiFor
) -> None:
    api = api_for(personas.county_leader)
    rules = {r["code"]: r for r in api.get(RULES_URL).json()}
    assert rules["vehicle"]["enabled"] is True and rules["vehicle"]["customized"] is False
    fuzzy_default = f"{RULES['death_fuzzy'].default_threshold:.2f}"
    assert rules["death_fuzzy"]["threshold"] == fuzzy_default
    assert rules["death_fuzzy"]["method"] == "probabilistic"
    assert rules["death_id"]["action"] == "suspend" and rules["death_id"]["dataset_kind"] == "death"
    changed = api.patch(f"{RULES_URL}death_fuzzy/", {"threshold": "10.5", "due_days": 20})
    assert changed.status_code == 200
    body = changed.json()
    assert (body["threshold"], body["due_days"], body["customized"]) == ("10.50", 20, True)
    assert body["enabled"] is True  # not given: left as it was
    off = api.patch(f"{RULES_URL}death_fuzzy/", {"enabled": False}, format="json").json()
    assert (off["enabled"], off["threshold"], off["due_days"]) == (False, "10.50", 20)
    # Another county keeps the defaults.
    far = {r["code"]: r for r in api_for(personas.other_county_officer).get(RULES_URL).json()}
    assert far["death_fuzzy"]["threshold"] == fuzzy_default
    assert far["death_fuzzy"]["enabled"] is True
    bad = api.patch(f"{RULES_URL}vehicle/", {"threshold": "3", "due_days": 0}, format="json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) <= {"threshold", "due_days"}
    assert api.patch(f"{RULES_URL}weather/", {"due_days": 5}).status_code == 404
    assert refused(api_for(personas.township_clerk).patch(f"{RULES_URL}vehicle/", {"due_days": 5}))
    assert refused(api_for(personas.village_assistant).get(RULES_URL))


def test_a_run_is_started_once_per_county_and_cancelled_once(
    personas: Personas, api_for: ApiFor, family: Family
) -> None:
    api = api_for(personas.county_officer)
    started = api.post(RUNS, {"rules": ["age_allowance_missing"]}, format="json")
    assert started.status_code == 202, started.json()
    body = started.json()
    assert (body["status"], body["region_code"], body["engine"]) == ("queued", COUNTY, "duckdb")
    assert body["rules"] == ["age_allowance_missing"] and body["as_of"] == "2026-11-20"
    again = api.post(RUNS, {}, format="json")
    assert (
        again.status_code == 409 and "已有正在进行的比对批次" in again.json()["errors"]["detail"][0]
    )
    no_data = api_for(personas.other_county_officer).post(RUNS, {"rules": ["vehicle"]})
    assert no_data.status_code == 400 and set(no_data.json()["errors"]) == {"rules"}
    url = f"{RUNS}{body['id']}/"
    cancelled = api.post(url + "cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = api.post(url + "cancel/")
    assert twice.status_code == 409 and set(twice.json()["errors"]) == {"detail"}


def test_a_flag_worked_twice_answers_409(personas: Personas, api_for: ApiFor, world: World) -> None:
    api = api_for(personas.township_clerk)
    referred = {"outcome": "referred", "reason": "已协助申请高龄津贴"}
    url = f"{FLAGS}{world.candidate.pk}/"
    wrong = api.post(url + "confirm/", {"outcome": "terminate", "reason": "属实"}, format="json")
    assert wrong.status_code == 400 and set(wrong.json()["errors"]) == {"outcome"}
    done = api.post(url + "confirm/", referred, format="json")
    assert done.status_code == 200, done.json()
    body = done.json()
    assert (body["status"], body["outcome"]) == ("confirmed", "referred")
    assert body["worked_by"] == personas.township_clerk.username
    county = api_for(personas.county_officer)
    twice = county.post(url + "confirm/", referred, format="json")
    assert twice.status_code == 409 and set(twice.json()["errors"]) == {"detail"}
    assert county.post(url + "dismiss/", {"reason": "不属实"}).status_code == 409
    dismissed = api.post(f"{FLAGS}{world.flag.pk}/dismiss/", {"reason": "车辆已于2025年转让"})
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert api.post(f"{FLAGS}{world.flag.pk}/dismiss/", {"reason": "再次"}).status_code == 409


# -- a month's matching through the API ----------------------------------------------------------


def test_a_month_of_matching_through_the_api(
    personas: Personas, api_for: ApiFor, django_capture_on_commit_callbacks: Any
) -> None:
    """The police's deaths uploaded, mapped and put in use; a run of the death rule finds the
    85-year-old of 苏埠社区 who lived alone, suspends her case and opens a review; the township
    reads the flag and dismisses it (she is alive: another woman of her name), which resumes
    the payment; worked again it answers 409; a rerun over the same data raises nothing new."""
    from minzheng.programs.models import Case
    from tests.matching.support import county_for

    county = county_for(personas)
    officer = api_for(personas.county_officer)
    text = deaths_csv((county.sole.id_number, county.sole.name, "2026-11-03"))
    upload = {"kind": "death", "source": "县公安局", "data_date": "2026-11-15"}
    made = officer.post(DATASETS, {**upload, "file": csv_upload(text)}, format="multipart").json()
    url = f"{DATASETS}{made['id']}/"
    mapping = {**made["column_mapping"], "death_date": "亡故日期"}
    assert officer.post(url + "mapping/", {"mapping": mapping}, format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(url + "validate/")
    assert officer.get(url).json()["status"] == "active"

    with django_capture_on_commit_callbacks(execute=True):
        started = officer.post(RUNS, {"rules": ["death_id"]}, format="json")
    assert started.status_code == 202, started.json()
    run_url = f"{RUNS}{started.json()['id']}/"
    run_body = officer.get(run_url).json()
    assert (run_body["status"], run_body["percent"], run_body["new_flag_count"]) == (
        "done",
        100,
        1,
    ), run_body["message"]
    assert run_body["datasets"] == {"death": made["id"]}
    assert run_body["rule_counts"]["death_id"]["hits"] == 1

    clerk = api_for(personas.township_clerk)
    listed = clerk.get(FLAGS, {"run": started.json()["id"], "status": "open"}).json()["results"]
    assert [f["person_id"] for f in listed] == [county.sole.pk]
    flag_url = f"{FLAGS}{listed[0]['id']}/"
    flag_body = clerk.get(flag_url).json()
    assert flag_body["action"] == "suspend" and flag_body["case_id"] == county.sole_case.pk
    assert flag_body["review_id"] is not None
    assert flag_body["evidence"]["death_date"] == "2026-11-03"
    assert Case.objects.get(pk=county.sole_case.pk).status == "suspended"
    summary = clerk.get(run_url + "summary/").json()
    assert summary["totals"]["hits"] == 1 and summary["totals"]["open"] == 1

    dismissed = clerk.post(flag_url + "dismiss/", {"reason": "经入户核实本人健在,系同名人员"})
    assert dismissed.status_code == 200, dismissed.json()
    assert (dismissed.json()["status"], dismissed.json()["outcome"]) == ("dismissed", "continue")
    assert Case.objects.get(pk=county.sole_case.pk).status != "suspended"
    twice = api_for(personas.county_officer).post(
        flag_url + "confirm/", {"outcome": "terminate", "reason": "死亡"}, format="json"
    )
    assert twice.status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        rerun = officer.post(RUNS, {"rules": ["death_id"]}, format="json").json()
    again = officer.get(f"{RUNS}{rerun['id']}/").json()
    assert (again["status"], again["hit_count"], again["new_flag_count"]) == ("done", 1, 0)
    figures = officer.get(V1 + "/match-figures/").json()
    assert (figures["raised"], figures["dismissed"], figures["runs"]) == (1, 1, 2)
