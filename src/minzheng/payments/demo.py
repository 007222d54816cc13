"""The demo county's money, for `minzheng demo` (after the case engine's demo): fund accounts
with this year's allocations, bank file templates, and for every monthly program the payroll
runs of the last two months done to the end plus this month's run waiting for its check.

Everything goes through the payments services, as the county's officer (经办) and leader (领导)
would have done it: generate, check, collective approval, lock, send to the banks, the banks'
return files (two or three failed payments a run: 账户已销户, 户名与账号不符 ...), one of them
reissued after the household's account was corrected. The services date what they do today;
the demo then moves the runs, fund entries, bank files and payment dates back to the days of
their month on which a bureau would have done them (the audit log keeps the moment the demo
really did them: it is append-only)."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from stdnum import luhn

from minzheng.core.models import Role, User
from minzheng.payments.models import (
    BankFile,
    BankReturn,
    BankTemplate,
    FundAccount,
    FundEntry,
    FundSource,
    LineStatus,
    PaymentLine,
    PayrollRun,
)
from minzheng.payments.services import approval, bank, funds, payroll
from minzheng.programs.deadlines import add_months
from minzheng.programs.models import BenefitPeriod, Case, CaseStatus
from minzheng.programs.policies import POLICIES, program_label
from minzheng.programs.services import benefits
from minzheng.registry.models import LeaveReason, Membership
from minzheng.registry.services import household_update, member_remove

ALREADY = "已有资金专户,跳过资金发放演示数据"
MONTHLY_PROGRAMS = tuple(code for code, policy in POLICIES.items() if policy.kind == "monthly")

# The county's rural commercial bank as the registry's demo households name it (their accounts
# are matched to templates by this name), and the postal savings bank.
RURAL_BANK = "六安农商银行"
POSTAL_BANK = "中国邮政储蓄银行"

# (source, account name, bank, the programs whose runs it pays, issuing office of the 文号)
ACCOUNTS = (
    (
        FundSource.CENTRAL,
        "中央困难群众救助补助资金专户",
        ("dibao_rural",),
        "皖财社",
    ),
    (
        FundSource.PROVINCIAL,
        "省级困难群众救助补助资金专户",
        ("dibao_urban",),
        "皖财社",
    ),
    (
        FundSource.COUNTY,
        "县级困难群众救助补助资金专户",
        ("tekun",),
        "裕财社",
    ),
)
ALLOCATION_NOTES = {
    FundSource.CENTRAL: "{year}年中央财政困难群众救助补助资金",
    FundSource.PROVINCIAL: "{year}年省级财政困难群众救助补助资金",
    FundSource.COUNTY: "{year}年县级财政困难群众救助配套资金",
}
# Money for the whole year with a margin, in round ten thousands.
YEAR_MARGIN = Decimal("1.15")
ROUND_TO = Decimal("10000")

ATTENDEES = "陈国庆、张丽萍、李明华、赵红梅、孙志强"
DECISION = (
    "经局务会集体研究,同意{year}年{month}月{program}发放批次{number}:"
    "发放{people}人,应付银行金额{amount}元,由{account}支付。"
)
# Why banks return payments, and which of them the officer fixes with a new account.
FAILURES = ("账户已销户", "户名与账号不符", "账户冻结")
FIXED_REASON = "银行回盘{reason},户主提供新的银行账户"

# Days of its month on which a run's steps were done (moved to the next weekday).
DAYS = {
    "generate": (3, 9),
    "check": (5, 15),
    "approve": (8, 10),
    "lock": (9, 9),
    "send": (10, 10),
    "return": (15, 14),
    "reissue": (20, 9),
    "reissue_return": (24, 15),
}


@dataclass
class DemoPaymentsResult:
    accounts: int = 0
    allocated: Decimal = field(default_factory=lambda: Decimal("0.00"))
    templates: int = 0
    runs_done: int = 0
    runs_draft: int = 0
    lines: int = 0
    paid: Decimal = field(default_factory=lambda: Decimal("0.00"))
    failed: int = 0
    reissued: int = 0
    changed: int = 0  # amounts changed by a review this month
    deaths: int = 0
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return ALREADY
        if not self.accounts:  # no paying cases, or no county officer and leader
            return ""
        return (
            f"已生成资金发放:资金专户 {self.accounts} 个(拨入 {self.allocated:,.2f} 元)、"
            f"银行文件模板 {self.templates} 个、发放批次 {self.runs_done + self.runs_draft} 个"
            f"(已对账 {self.runs_done} 个、待审核 {self.runs_draft} 个)、"
            f"发放明细 {self.lines} 笔、到账 {self.paid:,.2f} 元、"
            f"银行回盘失败 {self.failed} 笔(已更正账户重发 {self.reissued} 笔);"
            f"本月复核调整金额 {self.changed} 户、死亡停发 {self.deaths} 人"
        )


def demo_payments(*, county_code: str, seed: int) -> str:
    return demo_payments_load(county_code=county_code, seed=seed).summary()


def demo_payments_load(*, county_code: str, seed: int) -> DemoPaymentsResult:
    """Fund accounts, bank templates and payroll runs of the demo county `county_code` (6 or
    12 digits). A county that has fund accounts already is left alone; a county without paying
    cases or without its county officer and leader gets nothing."""
    result = DemoPaymentsResult()
    county = county_code[:6].ljust(12, "0")
    if FundAccount.objects.filter(region_code=county).exists():
        result.skipped = True
        return result
    paying = (
        Case.objects.filter(region_code__startswith=county[:6], status=CaseStatus.ACTIVE)
        .filter(program__in=MONTHLY_PROGRAMS)
        .values("program")
        .annotate(monthly=Sum("monthly_amount"))
    )
    monthly = {row["program"]: row["monthly"] for row in paying if row["monthly"]}
    officer = _user(Role.COUNTY_OFFICER, county)
    leader = _user(Role.COUNTY_LEADER, county)
    if not monthly or officer is None or leader is None:
        return result
    demo = _Demo(
        rng=random.Random(f"payments-demo:{seed}"),
        county=county,
        officer=officer,
        leader=leader,
        today=timezone.localdate(),
        result=result,
    )
    with transaction.atomic():
        demo.templates()
        demo.accounts(monthly)
        this_month = demo.today.replace(day=1)
        programs = [p for p in MONTHLY_PROGRAMS if p in monthly]
        for back in (2, 1):
            demo.month_done(add_months(this_month, -back), programs)
        demo.month_started(this_month, programs)
    return result


def _user(role: str, county: str) -> User | None:
    return User.objects.filter(role=role, region_id=county, is_active=True).order_by("pk").first()


def _weekday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _moment(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@dataclass
class _Demo:
    rng: random.Random
    county: str
    officer: User
    leader: User
    today: datetime.date
    result: DemoPaymentsResult
    account_of: dict[str, FundAccount] = field(default_factory=dict)
    fixed: set[int] = field(default_factory=set)  # households whose account was corrected

    # --- configuration ------------------------------------------------------------------------

    def templates(self) -> None:
        """The rural bank wants GBK CSV, the postal savings bank an Excel file."""
        bank.bank_template_save(
            actor=self.officer,
            region_code=self.county,
            bank_name=RURAL_BANK,
            file_format=BankTemplate.Format.CSV,
            encoding=BankTemplate.Encoding.GBK,
            delimiter=",",
            columns=bank.DEFAULT_COLUMNS,
            return_columns=bank.DEFAULT_RETURN_COLUMNS,
            success_values=["成功"],
            remark_template="{year}年{month}月{program}",
        )
        bank.bank_template_save(
            actor=self.officer,
            region_code=self.county,
            bank_name=POSTAL_BANK,
            file_format=BankTemplate.Format.XLSX,
            encoding=BankTemplate.Encoding.UTF8,
            delimiter=",",
            columns=[
                {"header": "序号", "field": "serial"},
                {"header": "收款人姓名", "field": "account_name"},
                {"header": "收款账号", "field": "account_number"},
                {"header": "证件号码", "field": "id_number"},
                {"header": "金额(元)", "field": "amount"},
                {"header": "所在村(社区)", "field": "village"},
                {"header": "附言", "field": "remark"},
            ],
            return_columns={
                "account_number": "收款账号",
                "account_name": "收款人姓名",
                "id_number": "证件号码",
                "amount": "金额(元)",
                "result": "交易结果",
                "reason": "失败原因",
            },
            success_values=["交易成功", "成功"],
            remark_template="{program}{year}年{month}月",
        )
        self.result.templates = 2

    def accounts(self, monthly: dict[str, Decimal]) -> None:
        """One account per source; each year of the runs gets its allocation (a 文号 of the
        finance office), enough for a year of the programs the account pays."""
        years = sorted({add_months(self.today.replace(day=1), -2).year, self.today.year})
        for source, name, programs, office in ACCOUNTS:
            needed = sum((monthly.get(p, Decimal(0)) for p in programs), Decimal(0))
            if not needed:
                continue
            account = funds.fund_account_create(
                actor=self.officer,
                name=name,
                source=source,
                region_code=self.county,
                bank_name=RURAL_BANK,
                account_number=f"2000{self.rng.randrange(10**14):014d}",
                note="困难群众救助补助资金专账核算、专款专用",
            )
            self.result.accounts += 1
            for program in programs:
                self.account_of[program] = account
            amount = (needed * 12 * YEAR_MARGIN / ROUND_TO).to_integral_value(ROUND_CEILING)
            amount = (amount * ROUND_TO).quantize(Decimal("0.01"))
            for year in years:
                day = min(_weekday(datetime.date(year, 1, 12)), self.today)
                number = self.rng.randrange(20, 260)
                funds.fund_entry_add(
                    actor=self.officer,
                    account=account,
                    kind=FundEntry.Kind.ALLOCATION,
                    amount=amount,
                    entry_date=day,
                    document_number=f"{office}〔{year}〕{number}号",
                    note=ALLOCATION_NOTES[source].format(year=year),
                )
                self.result.allocated += amount
        FundEntry.objects.filter(account__region_code=self.county).update(
            created_at=_moment(min(self.today, datetime.date(years[0], 1, 12)), 10)
        )

    # --- a month's runs -----------------------------------------------------------------------

    @contextmanager
    def dated(self, month: datetime.date, step: str) -> Iterator[datetime.date]:
        """What the services book inside the block happened on the step's day of `month`: the
        fund entries, bank files and return files made in it are moved back to it."""
        day_of_month, hour = DAYS[step]
        day = _weekday(month.replace(day=day_of_month))
        marks = {model: _last_id(model) for model in (FundEntry, BankFile, BankReturn)}
        yield day
        moment = _moment(day, hour, self.rng.randrange(60))
        FundEntry.objects.filter(pk__gt=marks[FundEntry]).update(entry_date=day, created_at=moment)
        BankFile.objects.filter(pk__gt=marks[BankFile]).update(created_at=moment)
        BankReturn.objects.filter(pk__gt=marks[BankReturn]).update(created_at=moment)

    def generate(self, month: datetime.date, program: str) -> PayrollRun:
        run = payroll.run_start(
            actor=self.officer,
            program=program,
            region_code=self.county,
            month=month,
            background=False,
        )
        return payroll.run_generate(run_id=run.pk)

    def month_done(self, month: datetime.date, programs: list[str]) -> None:
        times: dict[str, datetime.datetime] = {}
        with self.dated(month, "generate") as day:
            runs = [self.generate(month, p) for p in programs]
            times["generate"] = _moment(day, 9, 5)
        with self.dated(month, "check") as day:
            for run in runs:
                approval.run_check(actor=self.officer, run=run)
            times["check"] = _moment(day, 15, 20)
        with self.dated(month, "approve") as day:
            for run in runs:
                self.approve(run, day)
            times["approve"] = _moment(day, 11, 30)
        with self.dated(month, "lock") as day:
            for run in runs:
                approval.run_lock(actor=self.officer, run=run)
            times["lock"] = _moment(day, 9, 40)
        with self.dated(month, "send") as day:
            files = {run.pk: bank.run_send(actor=self.officer, run=run) for run in runs}
            times["send"] = _moment(day, 10, 15)
        failed: dict[int, list[PaymentLine]] = {}
        with self.dated(month, "return") as day:
            for run in runs:
                failed[run.pk] = self.returns(run, files[run.pk])
            PaymentLine.objects.filter(run__in=runs, paid_on=self.today).update(paid_on=day)
            times["return"] = _moment(day, 14, 50)
        with self.dated(month, "reissue") as day:
            reissued = {run.pk: self.reissue(failed[run.pk]) for run in runs}
        with self.dated(month, "reissue_return") as day:
            for run in runs:
                self.returns(run, reissued[run.pk], fail=0)
            PaymentLine.objects.filter(run__in=runs, paid_on=self.today).update(paid_on=day)
            times["reconcile"] = _moment(day, 15, 30)
        for run in runs:
            PayrollRun.objects.filter(pk=run.pk).update(
                created_at=times["generate"],
                started_at=times["generate"],
                generated_at=times["generate"] + datetime.timedelta(minutes=2),
                checked_at=times["check"],
                approved_at=times["approve"],
                locked_at=times["lock"],
                sent_at=times["send"],
                reconciled_at=times["reconcile" if reissued[run.pk] else "return"],
            )
            PaymentLine.objects.filter(run=run).update(created_at=times["generate"])
            run.refresh_from_db()
            self.result.runs_done += 1
            self.result.lines += run.line_count
        self.result.paid = PaymentLine.objects.filter(
            run__region_code=self.county, status=LineStatus.PAID
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")

    def month_started(self, month: datetime.date, programs: list[str]) -> None:
        """This month's runs, generated and waiting for the officer's check, after the changes a
        month brings (so that the check has something to show against last month)."""
        self.changes(month)
        for program in programs:
            run = self.generate(month, program)
            self.result.runs_draft += 1
            self.result.lines += run.line_count

    def changes(self, month: datetime.date) -> None:
        """Through the case engine's services: two rural 低保 households' amounts raised and one
        lowered by a review from this month, and a 特困 person who died last month (payment
        stops this month, the funeral grant is made)."""
        paying = Case.objects.filter(
            region_code__startswith=self.county[:6], status=CaseStatus.ACTIVE
        ).order_by("pk")
        rural = list(paying.filter(program="dibao_rural", monthly_amount__gt=100)[:40])
        chosen = self.rng.sample(rural, min(3, len(rural)))
        for case, delta in zip(chosen, (60, 45, -40), strict=False):
            benefits.benefit_period_set(
                case=case,
                valid_from=month,
                amount=case.monthly_amount + delta,
                reason=BenefitPeriod.Reason.REVIEW,
                calculation={"demo": "复核调整"},
                actor=self.officer,
            )
            self.result.changed += 1
        # A supported person living in a relative's household (not its head): the death ends
        # the membership, as the registry records deaths.
        supported = list(
            paying.filter(program="tekun")
            .exclude(applicant_id=F("household__head_id"))
            .select_related("applicant")[:20]
        )
        if supported:
            person = self.rng.choice(supported).applicant
            membership = Membership.objects.filter(person=person, valid_to__isnull=True).first()
            died = _weekday(add_months(month, -1).replace(day=12))
            if membership is not None and membership.valid_from < died:
                member_remove(
                    actor=self.officer,
                    membership=membership,
                    valid_to=died,
                    leave_reason=LeaveReason.DEATH,
                    reason="公安部门死亡信息比对",
                )
                self.result.deaths += 1

    def approve(self, run: PayrollRun, day: datetime.date) -> None:
        account = self.account_of[run.program]
        decision = DECISION.format(
            year=run.month.year,
            month=run.month.month,
            program=program_label(run.program),
            number=run.number,
            people=run.beneficiary_count,
            amount=funds.money_text(run.payable_amount),
            account=account.name,
        )
        approval.run_approve(
            actor=self.leader,
            run=run,
            meeting_date=min(day, self.today),
            attendees=ATTENDEES,
            decision=decision,
            fund_account=account,
        )

    # --- the banks ----------------------------------------------------------------------------

    def returns(
        self, run: PayrollRun, files: list[BankFile], fail: int | None = None
    ) -> list[PaymentLine]:
        """Import each file's return: every row paid but `fail` of the run's rows (two or
        three); the failed lines."""
        rows = [
            (f, row)
            for f in files
            for row in _file_rows(f)
            if row["household_id"] not in self.fixed  # a new account pays
        ]
        if fail is None:
            fail = min(self.rng.choice((2, 3)), max(0, len(rows) - 1))
        failing = {(f.pk, row["bank_row"]) for f, row in self.rng.sample(rows, fail)}
        reasons: dict[tuple[int, int], str] = {}
        for i, key in enumerate(sorted(failing)):
            reasons[key] = FAILURES[i % len(FAILURES)]
        for f in files:
            template = bank.template_for(run.region_code, f.bank_name)
            answer = BankTemplate(
                region_code=template.region_code,
                bank_name=template.bank_name,
                file_format=template.file_format,
                encoding=template.encoding,
                delimiter=template.delimiter,
                columns=[{"header": h, "field": k} for k, h in template.return_columns.items()],
            )
            success = (template.success_values or ["成功"])[0]
            content_rows = []
            for row in _file_rows(f):
                reason = reasons.get((f.pk, row["bank_row"]), "")
                content_rows.append(
                    {**row, "result": "失败" if reason else success, "reason": reason}
                )
            content, ext = bank.bank_file_render(template=answer, rows=content_rows)
            name = f.file_name.rsplit(".", 1)[0]
            bank.bank_return_import(
                actor=self.officer, bank_file=f, content=content, file_name=f"{name}_回盘.{ext}"
            )
        failed = list(
            PaymentLine.objects.filter(run=run, status=LineStatus.FAILED)
            .select_related("household")
            .order_by("bank_file_id", "bank_row", "id")
        )
        self.result.failed += len({(x.bank_file_id, x.bank_row) for x in failed}) if fail else 0
        return failed

    def reissue(self, failed: list[PaymentLine]) -> list[BankFile]:
        """The payee whose account was closed opens a new one at the same bank: the officer
        corrects the household and sends the payment again."""
        closed = [line for line in failed if line.failure_reason == FAILURES[0]]
        if not closed:
            return []
        household = closed[0].household
        digits = household.bank_account_number[:6] or "623059"
        body = digits + f"{self.rng.randrange(10**12):012d}"
        household_update(
            actor=self.officer,
            household=household,
            data={"bank_account_number": body + luhn.calc_check_digit(body)},
            reason=FIXED_REASON.format(reason=FAILURES[0]),
        )
        self.fixed.add(household.pk)
        lines = [line for line in closed if line.household_id == household.pk]
        self.result.reissued += len(lines)
        return bank.reissue(actor=self.officer, lines=lines)


def _last_id(model: Any) -> int:
    return int(model.objects.aggregate(last=Max("pk"))["last"] or 0)


def _file_rows(bank_file: BankFile) -> list[dict[str, Any]]:
    """The rows of a bank file as the bank read them: account, name, ID number, amount."""
    rows: dict[int, dict[str, Any]] = {}
    totals: dict[int, Decimal] = defaultdict(Decimal)
    lines = (
        PaymentLine.objects.filter(bank_file=bank_file)
        .order_by("bank_row", "id")
        .values_list(
            "bank_row",
            "account_number",
            "account_name",
            "person__id_number",
            "household_id",
            "amount",
        )
    )
    for row_number, account, name, id_number, household_id, amount in lines:
        bank_row = int(row_number or 0)
        rows.setdefault(
            bank_row,
            {
                "bank_row": bank_row,
                "account_number": account,
                "account_name": name,
                "id_number": id_number,
                "household_id": household_id,
            },
        )
        totals[bank_row] += amount
    return [{**row, "amount": totals[r]} for r, row in sorted(rows.items())]
