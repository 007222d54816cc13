"""/api/v1/ of payments: runs and their lines, the steps of a run (check, approval, lock, send,
regenerate, cancel), bank files and returns, the reissue queue and the recovery ledger, fund
accounts and their statements, bank templates, and a person's or a household's payments; and
the whole cycle of a month through the API in one test."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from minzheng.core.api import ROLE_NOT_ALLOWED
from minzheng.payments.apis.base import FUND_ACCOUNT_NOT_FOUND, MONTH_INVALID
from minzheng.payments.apis.lines import LINES_NOT_IN_QUEUE
from minzheng.payments.models import (
    BankFile,
    BankTemplate,
    FundAccount,
    FundEntry,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.services.errors import RUN_CHANGED_MEANWHILE
from minzheng.registry.models import Household
from tests.api.case_support import MONEY, at, ok
from tests.api.conftest import ApiFor
from tests.conftest import OTHER_COUNTY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, VILLAGE, Personas
from tests.payments.support import (
    COUNTY,
    OCT,
    TOWNSHIP,
    PayingWorld,
    make_run,
    paying_household,
    paying_world,
)
from tests.programs.conftest import standards  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(at(2026, 11, 20), tick=False)]

V1 = "/api/v1"
RUNS = V1 + "/payroll-runs/"
FUNDS = V1 + "/fund-accounts/"
TEMPLATES = V1 + "/bank-templates/"


@pytest.fixture
def world(personas: Personas, standards: None) -> PayingWorld:  # noqa: F811
    """Nine paying 低保 cases in three villages of two townships, since January 2026."""
    return paying_world(personas.county_officer)


def fund_account(
    personas: Personas, *, balance: str = "100000.00", region_code: str = COUNTY
) -> FundAccount:
    """A county's account with one allocation, written directly."""
    account = FundAccount.objects.create(
        name=f"低保资金专户{FundAccount.objects.count() + 1}",
        source="central",
        region_code=region_code,
        bank_name="裕安农商行",
        account_number="20000001",
        created_by=personas.county_officer,
    )
    FundEntry.objects.create(
        account=account,
        kind="allocation",
        amount=Decimal(balance),
        entry_date=datetime.date(2026, 1, 5),
        document_number="皖财社〔2026〕1号",
        created_by=personas.county_officer,
    )
    return account


def bank_file(run: PayrollRun, content: bytes, *, name: str = "批量代发.csv") -> BankFile:
    """A file of the run's lines at the 农商行, written directly (as run_send leaves it)."""
    template = BankTemplate.objects.create(
        region_code=COUNTY, bank_name="安徽裕安农村商业银行", encoding="gbk"
    )
    lines = run.lines.filter(bank_name="安徽裕安农村商业银行")
    total = sum((line.amount for line in lines), Decimal("0.00"))
    made = BankFile.objects.create(
        run=run,
        bank_name=template.bank_name,
        template=template,
        file_name=name,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        row_count=lines.count(),
        total_amount=total,
    )
    lines.update(bank_file=made, status="sent", attempts=1)
    return made


# -- the schema ---------------------------------------------------------------------------------


def test_the_schema_shows_money_as_decimal_strings_months_and_conflicts(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), stderr=StringIO())
    schema = yaml.safe_load(out.read_text())
    components = schema["components"]["schemas"]
    for component, field in (
        ("Run", "total_amount"),
        ("RunDetail", "payable_amount"),
        ("PaymentLine", "amount"),
        ("BankReturn", "failed_amount"),
        ("FundAccountDetail", "available"),
        ("Statement", "closing"),
    ):
        prop = components[component]["properties"][field]
        assert (prop["type"], prop["format"]) == ("string", "decimal"), (component, field)
    assert components["Run"]["properties"]["month"]["pattern"] == r"^\d{4}-\d{2}$"
    assert components["RunStatusEnum"]["enum"][:2] == ["generating", "draft"]
    paths = schema["paths"]
    for step in ("check", "approve", "lock", "send", "regenerate", "cancel"):
        responses = paths[f"/api/v1/payroll-runs/{{id}}/{step}/"]["post"]["responses"]
        assert {"200", "400", "403", "404", "409"} <= set(responses), step
    download = paths["/api/v1/bank-files/{id}/download/"]["get"]["responses"]["200"]
    assert "application/octet-stream" in download["content"]


# -- runs ---------------------------------------------------------------------------------------


def test_the_runs_are_listed_filtered_with_money_as_strings(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    november = make_run(world)
    make_run(world, month=OCT, status="reconciled")
    api = api_for(personas.county_officer)
    body = ok(api.get(RUNS))
    assert body["count"] == 2
    assert [r["month"] for r in body["results"]] == ["2026-11", "2026-10"]
    row = body["results"][0]
    assert row["id"] == november.pk
    assert row["total_amount"] == f"{world.amounts():.2f}"
    assert MONEY.match(row["payable_amount"]) and row["recovery_amount"] == "0.00"
    assert (row["status"], row["percent"], row["program_label"]) == (
        "draft",
        100,
        "农村最低生活保障",
    )
    assert ok(api.get(RUNS, {"month": "2026-10"}))["results"][0]["status"] == "reconciled"
    assert ok(api.get(RUNS, {"status": "draft"}))["count"] == 1
    assert ok(api.get(RUNS, {"program": "tekun"}))["count"] == 0
    bad = api.get(RUNS, {"month": "2026-13"})
    assert bad.status_code == 400
    assert bad.json() == {"errors": {"month": [MONTH_INVALID]}}


def test_a_run_reads_with_progress_totals_check_report_and_meeting(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    account = fund_account(personas)
    run = make_run(world, status="approved")
    PayrollRun.objects.filter(pk=run.pk).update(
        check_report={"totals": {"line_count": 9}},
        meeting_date=datetime.date(2026, 11, 18),
        meeting_attendees="王局长、李副局长、张科长",
        meeting_decision="同意发放",
        approved_by=personas.county_leader,
        fund_account=account,
        version=2,
    )
    body = ok(api_for(personas.auditor).get(f"{RUNS}{run.pk}/"))
    assert body["number"] == run.number
    assert body["check_report"] == {"totals": {"line_count": 9}}
    assert body["meeting"] == {
        "meeting_date": "2026-11-18",
        "attendees": "王局长、李副局长、张科长",
        "decision": "同意发放",
        "approved_by": "county_leader",
        "approved_at": None,
    }
    assert body["fund_account"] == {"id": account.pk, "name": account.name, "source": "central"}
    assert (body["version"], body["bank_files"]) == (2, [])

    generating = make_run(world, month=OCT, status="generating")
    PayrollRun.objects.filter(pk=generating.pk).update(cases_total=8, cases_done=3, stage="生成中")
    body = ok(api_for(personas.county_officer).get(f"{RUNS}{generating.pk}/"))
    assert (body["percent"], body["stage"], body["cases_done"]) == (37, "生成中", 3)


def test_a_run_outside_the_scope_is_not_found(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world, region_code=TOWNSHIP)
    assert api_for(personas.other_county_officer).get(f"{RUNS}{run.pk}/").status_code == 404
    assert api_for(personas.other_township_clerk).get(f"{RUNS}{run.pk}/").status_code == 404
    assert api_for(personas.township_clerk).get(f"{RUNS}{run.pk}/").status_code == 200
    # A village assistant reads payments only through a person's or a household's history.
    denied = api_for(personas.village_assistant).get(RUNS)
    assert denied.status_code == 403
    assert denied.json() == {"errors": {"detail": [ROLE_NOT_ALLOWED]}}


def test_a_township_clerk_reads_the_townships_lines_of_a_county_run(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world)
    url = f"{RUNS}{run.pk}/lines/"
    assert ok(api_for(personas.county_officer).get(url))["count"] == 9
    body = ok(api_for(personas.township_clerk).get(url))
    assert body["count"] == 6
    assert {line["region_code"][:9] for line in body["results"]} == {TOWNSHIP[:9]}
    line = body["results"][0]
    assert line["month"] == "2026-11" and MONEY.match(line["amount"])
    assert line["id_number"].isalnum() and len(line["account_number"]) == 16
    assert ok(api_for(personas.township_clerk).get(url, {"region_code": VILLAGE}))["count"] == 3
    county = api_for(personas.county_officer)
    assert ok(county.get(url, {"region_code": OTHER_TOWNSHIP_VILLAGE}))["count"] == 3
    assert ok(county.get(url, {"kind": "arrears"}))["count"] == 0
    assert ok(county.get(url, {"status": "pending"}))["count"] == 9


def test_a_run_is_started_in_a_region_of_the_scope_only(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    api = api_for(personas.county_officer)
    far = api.post(
        RUNS,
        {"program": "dibao_rural", "region_code": OTHER_COUNTY_VILLAGE[:6], "month": "2026-11"},
        format="json",
    )
    assert far.status_code == 400 and "region_code" in far.json()["errors"]
    bad = api.post(
        RUNS, {"program": "dibao_rural", "region_code": COUNTY, "month": "11/2026"}, format="json"
    )
    assert bad.json() == {"errors": {"month": [MONTH_INVALID]}}
    clerk = api_for(personas.township_clerk)
    refused = clerk.post(
        RUNS, {"program": "dibao_rural", "region_code": TOWNSHIP, "month": "2026-11"}, format="json"
    )
    assert refused.status_code == 403


def test_starting_the_same_run_twice_gives_the_same_run(
    personas: Personas,
    api_for: ApiFor,
    world: PayingWorld,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = api_for(personas.county_officer)
    data = {"program": "dibao_rural", "region_code": COUNTY[:6], "month": "2026-11"}
    with django_capture_on_commit_callbacks(execute=True):
        first = ok(api.post(RUNS, data, format="json"), 201)
    assert first["region_code"] == COUNTY and first["month"] == "2026-11"
    again = ok(api_for(personas.county_officer).post(RUNS, data, format="json"), 200)
    assert again["id"] == first["id"]
    run = ok(api.get(f"{RUNS}{first['id']}/"))
    assert (run["status"], run["line_count"]) == ("draft", 9)
    assert run["total_amount"] == f"{world.amounts():.2f}"


def test_a_step_on_a_stale_version_is_a_conflict(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world)
    api = api_for(personas.county_officer)
    stale = api.post(f"{RUNS}{run.pk}/check/", {"version": run.version + 1}, format="json")
    assert stale.status_code == 409
    assert stale.json() == {"errors": {"detail": [RUN_CHANGED_MEANWHILE]}}
    missing = api.post(f"{RUNS}{run.pk}/check/", {}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()["errors"]
    cancel = api.post(
        f"{RUNS}{run.pk}/cancel/", {"version": run.version + 1, "reason": "重复"}, format="json"
    )
    assert cancel.status_code == 409
    assert PayrollRun.objects.get(pk=run.pk).status == RunStatus.DRAFT


def test_a_run_in_the_wrong_status_is_refused_with_a_reason(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world, status="checked")
    response = api_for(personas.county_officer).post(
        f"{RUNS}{run.pk}/lock/", {"version": run.version}, format="json"
    )
    assert response.status_code == 400
    (message,) = response.json()["errors"]["non_field_errors"]
    assert run.number in message


def test_approval_names_the_fund_account_in_scope_and_its_balance(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world, status="checked")
    short = fund_account(personas, balance="100.00")
    far = fund_account(personas, region_code="640324000000")
    api = api_for(personas.county_leader)
    meeting = {
        "version": run.version,
        "meeting_date": "2026-11-18",
        "attendees": "王局长、李副局长、张科长",
        "decision": "同意发放",
    }
    url = f"{RUNS}{run.pk}/approve/"
    outside = api.post(url, {**meeting, "fund_account": far.pk}, format="json")
    assert outside.json() == {
        "errors": {"fund_account": [FUND_ACCOUNT_NOT_FOUND.format(pk=far.pk)]}
    }
    poor = api.post(url, {**meeting, "fund_account": short.pk}, format="json")
    assert poor.status_code == 400
    text = str(poor.json()["errors"])
    assert "100.00" in text and f"{run.payable_amount:,.2f}" in text
    rich = fund_account(personas)
    done = ok(api.post(url, {**meeting, "fund_account": rich.pk}, format="json"))
    assert done["status"] == "approved" and done["fund_account"]["id"] == rich.pk
    assert done["meeting"]["attendees"] == "王局长、李副局长、张科长"
    officer = api_for(personas.county_officer).post(url, meeting, format="json")
    assert officer.status_code == 403


def test_a_draft_run_is_cancelled_with_a_reason(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world)
    api = api_for(personas.county_officer)
    url = f"{RUNS}{run.pk}/cancel/"
    blank = api.post(url, {"version": run.version, "reason": " "}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()["errors"]
    body = ok(api.post(url, {"version": run.version, "reason": "月份选错"}, format="json"))
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "月份选错")
    assert not PaymentLine.objects.filter(run=run).exists()


# -- bank files ---------------------------------------------------------------------------------


def test_a_bank_file_downloads_byte_for_byte_with_its_name(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world, status="sent")
    content = "序号,户名,账号,金额\r\n1,王建国,6228480000000001,300.50\r\n".encode("gbk")
    made = bank_file(run, content, name="裕安区2026年11月农村低保_农商行.csv")
    files = ok(api_for(personas.county_leader).get(f"{RUNS}{run.pk}/bank-files/"))
    assert [f["id"] for f in files] == [made.pk]
    assert files[0]["download_url"] == f"{V1}/bank-files/{made.pk}/download/"
    detail = ok(api_for(personas.auditor).get(f"{V1}/bank-files/{made.pk}/"))
    assert (detail["row_count"], detail["status"]) == (made.row_count, "sent")
    assert MONEY.match(detail["total_amount"])

    response = api_for(personas.county_officer).get(files[0]["download_url"])
    assert response.status_code == 200
    assert response.content == content
    assert response["Content-Type"] == "text/csv; charset=gbk"
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert api_for(personas.auditor).get(files[0]["download_url"]).status_code == 200
    # The file holds the accounts of the whole county: a township sees its lines, not the file.
    clerk = api_for(personas.township_clerk)
    assert clerk.get(files[0]["download_url"]).status_code == 404
    assert clerk.get(f"{V1}/bank-files/{made.pk}/").status_code == 404
    assert ok(clerk.get(f"{RUNS}{run.pk}/bank-files/")) == []
    assert ok(clerk.get(f"{RUNS}{run.pk}/"))["bank_files"] == []
    assert ok(api_for(personas.auditor).get(f"{RUNS}{run.pk}/"))["bank_files"][0]["id"] == made.pk
    assert api_for(personas.village_assistant).get(files[0]["download_url"]).status_code == 403
    far = api_for(personas.other_county_officer).get(files[0]["download_url"])
    assert far.status_code == 404


def test_an_unreadable_return_file_is_refused_whole(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world, status="sent")
    made = bank_file(run, b"x")
    upload = io.BytesIO(b"\x00\x01 not a table")
    upload.name = "回盘.csv"
    response = api_for(personas.county_officer).post(
        f"{V1}/bank-files/{made.pk}/returns/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"]
    assert not made.returns.exists()
    assert PaymentLine.objects.filter(run=run, status="sent").count() == made.row_count


def test_a_return_with_mismatched_rows_reports_them_and_applies_nothing_wrongly(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    from minzheng.payments.services import approval, bank

    run = make_run(world, status="approved")
    PayrollRun.objects.filter(pk=run.pk).update(fund_account=fund_account(personas))
    run.refresh_from_db()
    approval.run_lock(actor=personas.county_officer, run=run)
    made = bank.run_send(actor=personas.county_officer, run=run)[0]
    first, second, third, *_ = made.lines.order_by("bank_row")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["账号", "户名", "金额", "处理结果", "失败原因"])
    writer.writerow([first.account_number, first.account_name, f"{first.amount:.2f}", "成功", ""])
    writer.writerow(["6228000000000000", "查无此人", "100.00", "成功", ""])
    writer.writerow([second.account_number, second.account_name, "1.00", "成功", ""])
    writer.writerow([third.account_number, third.account_name, f"{third.amount:.2f}", "成功", ""])
    writer.writerow([third.account_number, third.account_name, f"{third.amount:.2f}", "成功", ""])
    upload = io.BytesIO(out.getvalue().encode("gbk"))
    upload.name = "回盘.csv"
    body = ok(
        api_for(personas.county_officer).post(
            f"{V1}/bank-files/{made.pk}/returns/", {"file": upload}, format="multipart"
        ),
        201,
    )
    assert (body["rows"], body["paid_count"], body["failed_count"]) == (5, 1, 0)
    assert body["paid_amount"] == f"{first.amount:.2f}"
    assert sorted(p["row"] for p in body["problems"]) == [3, 4, 5, 6]
    assert all(p["reason"] for p in body["problems"])
    statuses = dict(PaymentLine.objects.filter(bank_file=made).values_list("pk", "status"))
    assert statuses[first.pk] == "paid"
    assert {statuses[second.pk], statuses[third.pk]} == {"sent"}
    assert ok(api_for(personas.auditor).get(f"{V1}/bank-returns/{body['id']}/"))
    hidden = api_for(personas.township_clerk).get(f"{V1}/bank-returns/{body['id']}/")
    assert hidden.status_code == 404


# -- reissue and recovery -----------------------------------------------------------------------


def test_the_reissue_queue_lists_failed_lines_and_refuses_others(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world, month=OCT, status="sent")
    failed = list(run.lines.order_by("id")[:2])
    PaymentLine.objects.filter(pk__in=[f.pk for f in failed]).update(
        status="failed", failure_reason="账户已销户", attempts=1
    )
    body = ok(api_for(personas.county_officer).get(f"{V1}/payment-lines/reissue-queue/"))
    assert {line["id"] for line in body["results"]} == {f.pk for f in failed}
    assert body["results"][0]["failure_reason"] == "账户已销户"
    assert body["results"][0]["account_fixed"] is False
    paid = run.lines.exclude(pk__in=[f.pk for f in failed]).first()
    assert paid is not None
    api = api_for(personas.county_officer)
    response = api.post(
        f"{V1}/payment-lines/reissue/", {"line_ids": [failed[0].pk, paid.pk]}, format="json"
    )
    assert response.json() == {"errors": {"line_ids": [LINES_NOT_IN_QUEUE.format(pks=paid.pk)]}}
    unchanged = api.post(
        f"{V1}/payment-lines/reissue/", {"line_ids": [failed[0].pk]}, format="json"
    )
    assert unchanged.status_code == 400  # the household's account is the one that failed
    Household.objects.filter(pk=failed[0].household_id).update(bank_account_number="6228489999")
    files = ok(
        api.post(f"{V1}/payment-lines/reissue/", {"line_ids": [failed[0].pk]}, format="json"), 201
    )
    assert [f["kind"] for f in files] == ["reissue"]
    assert PaymentLine.objects.get(pk=failed[0].pk).status == "sent"
    assert (
        api_for(personas.township_clerk)
        .post(f"{V1}/payment-lines/reissue/", {"line_ids": [failed[1].pk]}, format="json")
        .status_code
        == 403
    )


def test_an_overpayment_is_recovered_into_a_fund_account(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    run = make_run(world, month=OCT, status="reconciled")
    case = world.cases[0]
    line = PaymentLine.objects.create(
        run=run,
        case=case,
        person_id=case.applicant_id,
        household=case.household,
        program=case.program,
        region_code=case.region_code,
        month=datetime.date(2026, 9, 1),
        kind="adjustment",
        amount=Decimal("-300.50"),
        note="死亡后多发",
        status="to_recover",
        created_at=timezone.now(),
    )
    account = fund_account(personas)
    ledger = ok(api_for(personas.township_clerk).get(f"{V1}/payment-lines/recoveries/"))
    assert [row["id"] for row in ledger["results"]] == [line.pk]
    assert ledger["results"][0]["amount"] == "-300.50"
    api = api_for(personas.county_officer)
    url = f"{V1}/payment-lines/{line.pk}/recovery/"
    data = {"receipt": "收据0001", "recovered_on": "2026-11-19", "fund_account": account.pk}
    body = ok(api.post(url, data, format="json"))
    assert body["status"] == "recovered"
    recovered = ok(api.get(f"{V1}/payment-lines/recoveries/", {"status": "recovered"}))
    assert recovered["count"] == 1
    entry = FundEntry.objects.get(account=account, kind="recovery")
    assert entry.amount == Decimal("300.50")
    far = api_for(personas.other_county_officer).post(url, data, format="json")
    assert far.status_code == 404


# -- fund accounts ------------------------------------------------------------------------------


def test_a_fund_account_is_opened_allocated_and_its_statement_read(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    api = api_for(personas.county_officer)
    new = {"name": "中央财政低保资金专户", "source": "central", "region_code": COUNTY}
    account = ok(api.post(FUNDS, {**new, "program": "dibao_rural"}, format="json"), 201)
    assert (account["balance"], account["available"]) == ("0.00", "0.00")
    url = f"{FUNDS}{account['id']}/"
    allocation = {
        "kind": "allocation",
        "amount": "50000",
        "entry_date": "2026-11-02",
        "document_number": "皖财社〔2026〕88号",
        "note": "11月低保资金",
    }
    entry = ok(api.post(url + "entries/", allocation, format="json"), 201)
    assert (entry["kind"], entry["amount"]) == ("allocation", "50000.00")
    no_doc = api.post(url + "entries/", {**allocation, "document_number": ""}, format="json")
    assert no_doc.status_code == 400 and "document_number" in no_doc.json()["errors"]
    ok(
        api.post(
            url + "entries/",
            {"kind": "adjustment", "amount": "-0.10", "entry_date": "2026-11-03", "note": "更正"},
            format="json",
        ),
        201,
    )
    other = api.post(url + "entries/", {**allocation, "kind": "disbursement"}, format="json")
    assert other.status_code == 400 and "kind" in other.json()["errors"]

    detail = ok(api_for(personas.auditor).get(url))
    assert (detail["balance"], detail["available"]) == ("49999.90", "49999.90")
    listed = ok(api_for(personas.county_leader).get(FUNDS, {"program": "dibao_rural"}))
    assert [(a["id"], a["balance"]) for a in listed["results"]] == [(account["id"], "49999.90")]

    statement = ok(api.get(url + "statement/", {"from": "2026-11-03", "to": "2026-11-30"}))
    assert (statement["opening"], statement["closing"]) == ("50000.00", "49999.90")
    assert statement["money_out"] in ("-0.10", "0.10")
    assert [line["balance"] for line in statement["lines"]] == ["49999.90"]
    assert statement["lines"][0]["entry"]["kind"] == "adjustment"
    reversed_period = api.get(url + "statement/", {"from": "2026-11-30", "to": "2026-11-01"})
    assert reversed_period.json()["errors"]["to"]

    far = api.post(FUNDS, {**new, "region_code": "640324000000"}, format="json")
    assert far.status_code == 400 and "region_code" in far.json()["errors"]
    assert api_for(personas.township_clerk).get(FUNDS).status_code == 403
    assert api_for(personas.other_county_officer).get(url).status_code == 404


# -- bank templates -----------------------------------------------------------------------------


def test_a_bank_template_is_created_read_and_replaced(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    api = api_for(personas.county_officer)
    template = {
        "region_code": COUNTY,
        "bank_name": "中国邮政储蓄银行",
        "file_format": "csv",
        "encoding": "gbk",
        "delimiter": "|",
        "columns": [
            {"header": "户名", "field": "account_name"},
            {"header": "账号", "field": "account_number"},
            {"header": "金额", "field": "amount"},
        ],
        "return_columns": {"account_number": "账号", "amount": "金额", "result": "结果"},
        "success_values": ["成功"],
    }
    made = ok(api.post(TEMPLATES, template, format="json"), 201)
    assert made["remark_template"] == "{year}年{month}月{program}"
    assert made["columns"][1] == {"header": "账号", "field": "account_number"}
    assert ok(api_for(personas.system_admin).get(TEMPLATES))["count"] == 1
    url = f"{TEMPLATES}{made['id']}/"
    assert ok(api.get(url))["delimiter"] == "|"
    changed = ok(api.put(url, {**template, "file_format": "xlsx"}, format="json"))
    assert (changed["file_format"], changed["region_code"]) == ("xlsx", COUNTY)
    wrong = api.put(
        url, {**template, "columns": [{"header": "X", "field": "salary"}]}, format="json"
    )
    assert wrong.status_code == 400 and "columns[0].field" in wrong.json()["errors"]
    assert api_for(personas.auditor).get(TEMPLATES).status_code == 403
    assert api_for(personas.other_county_officer).get(url).status_code == 404


# -- a person's and a household's payments -------------------------------------------------------


def test_the_village_assistant_reads_a_households_payments_masked(
    personas: Personas, api_for: ApiFor, world: PayingWorld
) -> None:
    make_run(world, month=OCT, status="reconciled")
    make_run(world)
    case = next(c for c in world.cases if c.region_code == VILLAGE)
    api = api_for(personas.village_assistant)
    body = ok(api.get(f"{V1}/households/{case.household_id}/payments/"))
    assert [line["month"] for line in body["results"]] == ["2026-11", "2026-10"]
    line = body["results"][0]
    assert line["run_status"] == "draft" and line["run_number"]
    assert "*" in line["id_number"] and "*" in line["account_number"]
    person = ok(api.get(f"{V1}/persons/{case.applicant_id}/payments/"))
    assert person["count"] == 2
    assert ok(api_for(personas.county_officer).get(f"{V1}/persons/{case.applicant_id}/"))
    neighbour = api_for(personas.other_village_assistant)
    assert neighbour.get(f"{V1}/households/{case.household_id}/payments/").status_code == 404
    clerk = ok(api_for(personas.township_clerk).get(f"{V1}/persons/{case.applicant_id}/payments/"))
    assert "*" not in clerk["results"][0]["id_number"]
    assert (
        api_for(personas.hospital_clerk)
        .get(f"{V1}/persons/{case.applicant_id}/payments/")
        .status_code
        == 403
    )


# -- the whole cycle ----------------------------------------------------------------------------


def return_file(content: bytes, encoding: str, *, fail: str = "") -> bytes:
    """The bank's answer to a batch file: every row paid but the account `fail`."""
    text = content.decode(encoding)
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["账号", "户名", "金额", "处理结果", "失败原因"])
    for row in rows:
        failed = row["账号"] == fail
        writer.writerow(
            [
                row["账号"],
                row["户名"],
                row["金额"],
                "失败" if failed else "成功",
                "账户已冻结" if failed else "",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def test_a_month_goes_through_the_whole_cycle_by_the_api(
    personas: Personas,
    api_for: ApiFor,
    world: PayingWorld,
    django_capture_on_commit_callbacks: Any,
) -> None:
    officer = api_for(personas.county_officer)
    leader = api_for(personas.county_leader)
    # A household whose account is missing is paid nothing until it has one.
    paying_household(personas.county_officer, with_account=False)

    with django_capture_on_commit_callbacks(execute=True):
        run = ok(
            officer.post(
                RUNS,
                {"program": "dibao_rural", "region_code": COUNTY, "month": "2026-11"},
                format="json",
            ),
            201,
        )
    url = f"{RUNS}{run['id']}/"
    run = ok(officer.get(url))
    assert (run["status"], run["percent"], run["line_count"]) == ("draft", 100, 9)
    assert run["total_amount"] == f"{world.amounts():.2f}"
    lines = ok(officer.get(url + "lines/", {"page_size": 50}))["results"]
    assert sum(Decimal(line["amount"]) for line in lines) == world.amounts()

    account = ok(
        officer.post(
            FUNDS,
            {"name": "低保资金专户", "source": "central", "region_code": COUNTY},
            format="json",
        ),
        201,
    )
    ok(
        officer.post(
            f"{FUNDS}{account['id']}/entries/",
            {
                "kind": "allocation",
                "amount": "100000.00",
                "entry_date": "2026-11-02",
                "document_number": "皖财社〔2026〕88号",
            },
            format="json",
        ),
        201,
    )

    run = ok(officer.post(url + "check/", {"version": run["version"]}, format="json"))
    assert run["status"] == "checked" and run["check_report"]
    run = ok(
        leader.post(
            url + "approve/",
            {
                "version": run["version"],
                "meeting_date": "2026-11-18",
                "attendees": "王局长、李副局长、张科长",
                "decision": "同意按审核结果发放",
                "fund_account": account["id"],
            },
            format="json",
        )
    )
    assert run["status"] == "approved"
    available = ok(officer.get(f"{FUNDS}{account['id']}/"))["available"]
    assert Decimal(available) == Decimal("100000.00") - Decimal(run["payable_amount"])
    run = ok(officer.post(url + "lock/", {"version": run["version"]}, format="json"))
    assert run["status"] == "locked"
    run = ok(officer.post(url + "send/", {"version": run["version"]}, format="json"))
    assert run["status"] == "sent"
    files = ok(officer.get(url + "bank-files/"))
    assert len(files) == 2 and {f["bank_name"] for f in files} == {
        "安徽裕安农村商业银行",
        "中国邮政储蓄银行",
    }
    assert sum(Decimal(f["total_amount"]) for f in files) == Decimal(run["payable_amount"])

    lines = ok(officer.get(url + "lines/", {"page_size": 50}))["results"]
    assert {line["status"] for line in lines} == {"sent"}
    failing = lines[0]["account_number"]
    for made in files:
        download = officer.get(made["download_url"])
        assert download.status_code == 200
        encoding = download["Content-Type"].split("charset=")[-1]
        answer = io.BytesIO(return_file(download.content, encoding, fail=failing))
        answer.name = "回盘.csv"
        result = ok(
            officer.post(
                f"{V1}/bank-files/{made['id']}/returns/", {"file": answer}, format="multipart"
            ),
            201,
        )
        assert result["problems"] == []
        assert result["paid_count"] + result["failed_count"] == made["row_count"]
        assert ok(officer.get(f"{V1}/bank-returns/{result['id']}/"))["id"] == result["id"]

    run = ok(officer.get(url))
    assert run["status"] == "reconciled"
    queue = ok(officer.get(f"{V1}/payment-lines/reissue-queue/"))["results"]
    assert [line["account_number"] for line in queue] == [failing]
    assert queue[0]["failure_reason"] == "账户已冻结"
    statement = ok(officer.get(f"{FUNDS}{account['id']}/statement/", {"from": "2026-11-01"}))
    paid = sum(Decimal(line["amount"]) for line in lines if line["account_number"] != failing)
    assert Decimal(statement["closing"]) == Decimal("100000.00") - paid
