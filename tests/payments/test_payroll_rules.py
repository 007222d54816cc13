"""Who is paid what in a month: start and end months, suspension and termination, the gradual
exit (still paid), a future start; arrears for a case approved late (once), adjustments for a
standard raised backwards and for a death learnt late (recovery); one-off grants paid once."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from minzheng.payments.models import LineKind, PaymentLine, PayrollRun
from minzheng.payments.services import payroll
from minzheng.programs.models import BenefitPeriod, CaseStatus, Grant
from minzheng.programs.services.reviews import person_death_recorded
from tests.payments.support import COUNTY, NOV, OCT, paying_household
from tests.programs.conftest import at
from tests.programs.dynamic_support import enrolled_case

D = Decimal
AUG = datetime.date(2026, 8, 1)
SEP = datetime.date(2026, 9, 1)
DEC = datetime.date(2026, 12, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early():
    """The world is made in August; each test moves on with on()."""
    with time_machine.travel(at(2026, 8, 20), tick=False):
        yield


def on(month: int, day: int):
    return time_machine.travel(at(2026, month, day), tick=False)


def generate(month: datetime.date, program: str = "dibao_rural", region_code: str = COUNTY):
    run = payroll.run_start(
        actor=None, program=program, region_code=region_code, month=month, background=False
    )
    return payroll.run_generate(run_id=run.pk)


def lines_of(run: PayrollRun, case=None, kind: str | None = None) -> list[PaymentLine]:
    qs = PaymentLine.objects.filter(run=run).order_by("month", "kind", "id")
    if case is not None:
        qs = qs.filter(case=case)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return list(qs)


def paid(run, case) -> list[tuple[datetime.date, str, Decimal]]:
    return [(x.month, x.kind, x.amount) for x in lines_of(run, case)]


def zero_from(case, month: datetime.date, reason=BenefitPeriod.Reason.SUSPENSION, **calc):
    BenefitPeriod.objects.create(
        case=case, valid_from=month, monthly_amount=D("0"), reason=reason, calculation=calc
    )


# --- the month's entitlement ---------------------------------------------------------------------


def test_start_end_suspension_grace_and_future_start(personas, standards):
    actor = personas.county_officer

    def case(amount: str, start: datetime.date = SEP, **fields):
        return enrolled_case(
            actor, paying_household(actor), amount=amount, start_month=start, **fields
        )

    starts_now = case("410.00", start=NOV)
    case("420.00", start=DEC)  # starts later
    ended = case("430.00", status=CaseStatus.TERMINATED)
    ended.end_month = OCT
    ended.save()
    zero_from(ended, NOV, BenefitPeriod.Reason.TERMINATION)
    ends_now = case("440.00", status=CaseStatus.TERMINATED)
    ends_now.end_month = NOV
    ends_now.save()
    zero_from(ends_now, DEC, BenefitPeriod.Reason.TERMINATION)
    suspended = case("450.00", status=CaseStatus.SUSPENDED)
    zero_from(suspended, NOV)
    suspended_later = case("460.00")
    zero_from(suspended_later, DEC)
    grace = case("470.00", status=CaseStatus.EXIT_GRACE)
    grace.exit_grace_until = DEC
    grace.save()
    BenefitPeriod.objects.create(
        case=grace, valid_from=OCT, monthly_amount=D("470.00"), reason="exit_grace"
    )
    lowered = case("480.00")
    BenefitPeriod.objects.create(
        case=lowered, valid_from=NOV, monthly_amount=D("240.00"), reason="review"
    )
    raised_later = case("490.00")
    BenefitPeriod.objects.create(
        case=raised_later, valid_from=DEC, monthly_amount=D("590.00"), reason="standard_change"
    )
    never_paid = case("500.00", start=SEP)
    never_paid.start_month = None
    never_paid.status = CaseStatus.REFUSED
    never_paid.save()

    with on(11, 5):
        run = generate(NOV)

    amounts = {x.case_id: x.amount for x in lines_of(run)}
    assert amounts == {
        starts_now.pk: D("410.00"),
        ends_now.pk: D("440.00"),
        suspended_later.pk: D("460.00"),
        grace.pk: D("470.00"),
        lowered.pk: D("240.00"),
        raised_later.pk: D("490.00"),
    }
    assert {x.kind for x in lines_of(run)} == {LineKind.REGULAR}


def test_a_person_with_two_cases_of_the_program_is_paid_once_a_month(personas, world):
    first = world.cases[0]
    enrolled_case(
        personas.county_officer, first.household, applicant=first.applicant, amount="999.00"
    )
    with on(11, 5):
        run = generate(NOV)
    assert PaymentLine.objects.filter(run=run, person=first.applicant).count() == 1
    assert run.line_count == 9


def test_a_tekun_run_pays_tekun_cases_only(personas, standards):
    actor = personas.county_officer
    dibao = enrolled_case(actor, paying_household(actor), amount="500.00")
    tekun = enrolled_case(actor, paying_household(actor), program="tekun", amount="800.00")
    with on(11, 5):
        run = generate(NOV, program="tekun")
    assert paid(run, tekun) == [(NOV, "regular", D("800.00"))]
    assert paid(run, dibao) == []


# --- arrears -------------------------------------------------------------------------------------


def test_a_case_approved_late_is_paid_its_missed_month_once(personas, world):
    actor = personas.county_officer
    with on(10, 5):
        october = generate(OCT)
    assert october.line_count == 9
    with on(10, 20):
        late = enrolled_case(actor, paying_household(actor), amount="520.00", start_month=OCT)

    with on(11, 5):
        november = generate(NOV)
    assert paid(november, late) == [
        (OCT, "arrears", D("520.00")),
        (NOV, "regular", D("520.00")),
    ]
    arrears = lines_of(november, late, LineKind.ARREARS)[0]
    assert "2026年10月" in arrears.note
    assert november.line_count == 11
    assert november.total_amount == world.amounts() + D("1040.00")
    # Nobody else gets anything for October.
    assert not PaymentLine.objects.filter(run=november, month=OCT).exclude(case=late).exists()

    with on(11, 6):
        assert payroll.run_generate(run_id=november.pk).line_count == 11
    with on(12, 3):
        december = generate(DEC)
    assert paid(december, late) == [(DEC, "regular", D("520.00"))]
    assert december.line_count == 10
    assert PaymentLine.objects.filter(case=late, month=OCT).count() == 1


def test_arrears_cover_every_month_a_run_paid_since_the_start(personas, world):
    actor = personas.county_officer
    with on(9, 5):
        generate(SEP)
    with on(10, 5):
        generate(OCT)
    with on(10, 25):
        late = enrolled_case(actor, paying_household(actor), amount="300.00", start_month=AUG)

    with on(11, 5):
        november = generate(NOV)
    # August had no run: nothing to make up for it here.
    assert paid(november, late) == [
        (SEP, "arrears", D("300.00")),
        (OCT, "arrears", D("300.00")),
        (NOV, "regular", D("300.00")),
    ]


def test_a_township_run_makes_up_a_month_the_county_run_paid(personas, world):
    actor = personas.county_officer
    with on(10, 5):
        generate(OCT)
    with on(10, 20):
        late = enrolled_case(actor, paying_household(actor), amount="350.00", start_month=OCT)
    with on(11, 5):
        township = generate(NOV, region_code="341503100000")
    assert paid(township, late) == [(OCT, "arrears", D("350.00")), (NOV, "regular", D("350.00"))]


def test_a_suspended_case_resumed_backwards_gets_its_arrears(personas, world):
    case = world.cases[0]
    zero_from(case, SEP)
    with on(9, 5):
        generate(SEP)
    with on(10, 5):
        generate(OCT)
    with on(10, 28):  # The review found the suspension wrong: paid again from September.
        BenefitPeriod.objects.filter(case=case, valid_from=SEP).delete()
        BenefitPeriod.objects.create(
            case=case, valid_from=SEP, monthly_amount=case.monthly_amount, reason="resumption"
        )
    with on(11, 5):
        november = generate(NOV)
    amount = case.monthly_amount
    assert paid(november, case) == [
        (SEP, "arrears", amount),
        (OCT, "arrears", amount),
        (NOV, "regular", amount),
    ]


# --- adjustments ---------------------------------------------------------------------------------


def test_a_standard_raised_backwards_pays_the_difference(personas, world):
    case = world.cases[1]  # 400.50
    with on(9, 5):
        generate(SEP)
    with on(10, 5):
        generate(OCT)
    with on(10, 25):
        BenefitPeriod.objects.create(
            case=case, valid_from=SEP, monthly_amount=D("450.50"), reason="standard_change"
        )

    with on(11, 5):
        november = generate(NOV)
    assert paid(november, case) == [
        (SEP, "adjustment", D("50.00")),
        (OCT, "adjustment", D("50.00")),
        (NOV, "regular", D("450.50")),
    ]
    note = lines_of(november, case, LineKind.ADJUSTMENT)[0].note
    assert note == "2026年9月应发450.50元,已发400.50元"
    assert november.total_amount == world.amounts() + D("150.00")
    assert november.recovery_amount == 0

    with on(11, 6):  # generating again adds nothing
        assert payroll.run_generate(run_id=november.pk).line_count == 11
    with on(12, 3):
        december = generate(DEC)
    assert paid(december, case) == [(DEC, "regular", D("450.50"))]


def test_a_death_learnt_late_is_recovered(personas, world):
    case = world.cases[2]  # 500.50
    person = case.applicant
    with on(9, 5):
        generate(SEP)
    with on(10, 5):
        october = generate(OCT)
    with on(11, 3):
        outcome = person_death_recorded(
            actor=personas.county_officer, person=person, death_date=datetime.date(2026, 9, 14)
        )
    assert outcome.suspended == [case]

    with on(11, 5):
        november = generate(NOV)
    # September is paid (alive on its first day), October is recovered, November not paid.
    assert paid(november, case) == [(OCT, "adjustment", D("-500.50"))]
    line = lines_of(november, case)[0]
    assert line.note == "2026年10月应发0.00元,已发500.50元"
    assert november.recovery_amount == D("500.50")
    assert november.total_amount == october.total_amount - D("500.50") * 2
    assert november.payable_amount == october.total_amount - D("500.50")
    assert november.payable_amount - november.recovery_amount == november.total_amount


def test_a_death_learnt_two_months_late_recovers_both_months(personas, world):
    case = world.cases[3]  # 600.50
    with on(9, 5):
        generate(SEP)
    with on(10, 5):
        generate(OCT)
    with on(10, 29):
        person_death_recorded(
            actor=personas.county_officer,
            person=case.applicant,
            death_date=datetime.date(2026, 8, 30),
        )
    with on(11, 5):
        november = generate(NOV)
    assert paid(november, case) == [
        (SEP, "adjustment", D("-600.50")),
        (OCT, "adjustment", D("-600.50")),
    ]
    assert november.recovery_amount == D("1201.00")


def test_the_check_report_names_the_stopped_case_and_its_reason(personas, world):
    case = world.cases[2]
    with on(10, 5):
        generate(OCT)
    with on(10, 20):
        person_death_recorded(
            actor=personas.county_officer,
            person=case.applicant,
            death_date=datetime.date(2026, 10, 14),
        )
        BenefitPeriod.objects.create(
            case=world.cases[0], valid_from=NOV, monthly_amount=D("350.50"), reason="review"
        )
        BenefitPeriod.objects.create(
            case=world.cases[1], valid_from=NOV, monthly_amount=D("300.00"), reason="review"
        )
        late = enrolled_case(
            personas.county_officer, paying_household(personas.county_officer), start_month=NOV
        )
    with on(11, 5):
        november = generate(NOV)
        report = payroll.check_report_build(november)

    changes = report["changes"]
    assert changes["new"]["count"] == 1 and changes["new"]["amount"] == "500.00"
    assert changes["new"]["samples"][0]["case"] == late.number
    assert changes["increased"]["count"] == 1 and changes["increased"]["amount"] == "50.00"
    assert changes["decreased"]["count"] == 1 and changes["decreased"]["amount"] == "100.50"
    stopped = changes["stopped"]
    assert stopped["count"] == 1 and stopped["amount"] == "500.50"
    sample = stopped["samples"][0]
    assert sample["case"] == case.number and sample["name"] == case.applicant.name
    assert sample["before"] == "500.50" and sample["after"] is None
    assert sample["reason"] == payroll.DEATH_REASON
    assert changes["unchanged"]["count"] == 6
    assert report["previous_runs"] == ["FF202610-dibao_rural-341503"]
    assert report["totals"]["line_count"] == 9
    townships = {t["code"]: t for t in report["by_township"]}
    assert set(townships) == {"341503100000", "341503101000"}
    assert townships["341503100000"]["name"] == "苏埠镇"
    assert sum(D(t["amount"]) for t in townships.values()) == november.total_amount
    assert report["by_kind"] == [
        {
            "kind": "regular",
            "label": "当月发放",
            "lines": 9,
            "amount": str(november.total_amount),
        }
    ]


def test_without_a_previous_run_every_case_is_new(personas, world):
    with on(11, 5):
        report = payroll.check_report_build(generate(NOV))
    assert report["changes"]["new"]["count"] == 9
    assert report["changes"]["new"]["amount"] == "3904.50"
    assert report["previous_runs"] == []


# --- grants --------------------------------------------------------------------------------------


def grant_case(actor, program="temporary_emergency"):
    return enrolled_case(actor, paying_household(actor), program=program, amount="0.00")


def test_a_temporary_grant_is_paid_once_in_its_months_run(personas, standards):
    actor = personas.county_officer
    case = grant_case(actor)
    later = grant_case(actor)
    grant = Grant.objects.create(
        case=case, kind="temporary", amount=D("2000.00"), granted_on=datetime.date(2026, 11, 3)
    )
    Grant.objects.create(
        case=later, kind="temporary", amount=D("800.00"), granted_on=datetime.date(2026, 12, 2)
    )
    with on(11, 5):
        november = generate(NOV, program="temporary_emergency")
    assert [(x.grant_id, x.kind, x.month, x.amount) for x in lines_of(november)] == [
        (grant.pk, "grant", NOV, D("2000.00"))
    ]
    assert november.total_amount == D("2000.00") and november.payable_amount == D("2000.00")
    assert "临时救助金" in lines_of(november)[0].note

    with on(11, 6):
        assert payroll.run_generate(run_id=november.pk).line_count == 1
    with on(12, 5):
        december = generate(DEC, program="temporary_emergency")
    assert [(x.case_id, x.amount) for x in lines_of(december)] == [(later.pk, D("800.00"))]
    assert PaymentLine.objects.filter(grant=grant).count() == 1


def test_a_grant_of_an_earlier_month_left_unpaid_is_paid_next(personas, standards):
    case = grant_case(personas.county_officer)
    Grant.objects.create(
        case=case, kind="temporary", amount=D("1500.00"), granted_on=datetime.date(2026, 9, 9)
    )
    with on(11, 5):
        run = generate(NOV, program="temporary_emergency")
    assert paid(run, case) == [(SEP, "grant", D("1500.00"))]


def test_a_tekun_run_pays_the_funeral_grant(personas, standards):
    actor = personas.county_officer
    case = enrolled_case(actor, paying_household(actor), program="tekun", amount="900.00")
    with on(10, 5):
        generate(OCT, program="tekun")
    with on(10, 20):
        outcome = person_death_recorded(
            actor=actor, person=case.applicant, death_date=datetime.date(2026, 10, 18)
        )
    assert outcome.grants, outcome.problems
    funeral = outcome.grants[0]
    with on(11, 5):
        november = generate(NOV, program="tekun")
    assert paid(november, case) == [(OCT, "grant", funeral.amount)]
    assert lines_of(november, case)[0].grant_id == funeral.pk
