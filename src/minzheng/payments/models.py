"""Money leaving the bureau: payroll runs and their payment lines, bank batch files and the
banks' return files, and the ring-fenced fund accounts (专户) that pay for them.

The rule every table here serves: a beneficiary is paid once per program and month
(`payment_once_per_month`). A late month is paid once too (补发, kind ARREARS); a later change to
an already paid month is a signed ADJUSTMENT line (差额补发 / 追回)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FundSource(models.TextChoices):
    CENTRAL = "central", _("中央资金")
    PROVINCIAL = "provincial", _("省级资金")
    CITY = "city", _("市级资金")
    COUNTY = "county", _("县级资金")


class FundAccount(models.Model):
    """A special account (专户) of a county for one source of money, for one program or all."""

    name = models.CharField(_("账户名称"), max_length=100)
    source = models.CharField(_("资金来源"), max_length=12, choices=FundSource.choices)
    # Blank: pays every program.
    program = models.CharField(_("适用项目"), max_length=32, blank=True)
    region_code = models.CharField(_("所属区划代码"), max_length=12, db_index=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    account_number = models.CharField(_("账号"), max_length=40, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "source", "name"]
        verbose_name = _("资金专户")
        verbose_name_plural = _("资金专户")
        constraints = [
            models.UniqueConstraint(fields=["region_code", "name"], name="fund_account_name"),
        ]

    def __str__(self) -> str:
        return self.name


class FundEntry(models.Model):
    """One movement on a fund account. `amount` is signed: money in is positive (allocations,
    bank returns of failed payments, recovered overpayments), money out negative (disbursements
    for a run, reissues). The balance is the sum; entries are never edited, a wrong one is
    reversed by an ADJUSTMENT."""

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", _("资金拨入")
        DISBURSEMENT = "disbursement", _("发放支出")
        BANK_RETURN = "bank_return", _("发放失败退回")
        REISSUE = "reissue", _("重新发放支出")
        RECOVERY = "recovery", _("追回资金入账")
        ADJUSTMENT = "adjustment", _("调账")

    account = models.ForeignKey(
        FundAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("专户")
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    entry_date = models.DateField(_("记账日期"))
    document_number = models.CharField(_("文号/凭证号"), max_length=100, blank=True)
    run = models.ForeignKey(
        "PayrollRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fund_entries",
        verbose_name=_("发放批次"),
    )
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "entry_date", "id"]
        verbose_name = _("专户收支")
        verbose_name_plural = _("专户收支")

    def __str__(self) -> str:
        return f"{self.account_id} {self.entry_date} {self.get_kind_display()} {self.amount}"


class RunStatus(models.TextChoices):
    GENERATING = "generating", _("正在生成")
    DRAFT = "draft", _("待审核")
    CHECKED = "checked", _("已审核")
    APPROVED = "approved", _("已集体审批")
    LOCKED = "locked", _("已锁定")
    SENT = "sent", _("已报送银行")
    RECONCILED = "reconciled", _("已对账")
    CANCELLED = "cancelled", _("已作废")


# Runs whose lines count as paid or committed (a cancelled run's lines are deleted).
LIVE_RUN_STATUSES = tuple(s for s in RunStatus if s != RunStatus.CANCELLED)
# Until locked, a run may be regenerated or cancelled.
EDITABLE_RUN_STATUSES = (RunStatus.GENERATING, RunStatus.DRAFT, RunStatus.CHECKED)


class PayrollRun(models.Model):
    """The payroll of one program, one region (county or township) and one month: draft ->
    checked -> collectively approved -> locked -> sent -> reconciled."""

    number = models.CharField(_("批次编号"), max_length=60, unique=True)
    program = models.CharField(_("救助项目"), max_length=32)
    region_code = models.CharField(_("发放区划代码"), max_length=12, db_index=True)
    month = models.DateField(_("发放月份"))
    status = models.CharField(
        _("状态"), max_length=12, choices=RunStatus.choices, default=RunStatus.GENERATING
    )
    # Generation progress (the page's and the CLI's progress bar; survives reloads).
    cases_total = models.PositiveIntegerField(_("应处理案件数"), default=0)
    cases_done = models.PositiveIntegerField(_("已处理案件数"), default=0)
    stage = models.CharField(_("进度"), max_length=40, blank=True)
    message = models.CharField(_("提示"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("开始生成时间"), null=True, blank=True)
    generated_at = models.DateTimeField(_("生成完成时间"), null=True, blank=True)
    # Totals, filled when generation ends (and by the check).
    line_count = models.PositiveIntegerField(_("明细笔数"), default=0)
    beneficiary_count = models.PositiveIntegerField(_("发放人数(户)"), default=0)
    total_amount = models.DecimalField(
        _("明细合计"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    # What goes to the banks: per payee the positive net of its lines.
    payable_amount = models.DecimalField(
        _("应付银行金额"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    recovery_amount = models.DecimalField(
        _("待追回金额"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    # The check: totals and the changes against last month by reason (new, increased, ...).
    check_report = models.JSONField(_("审核报告"), default=dict, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # Collective approval (集体研究): the meeting's record.
    meeting_date = models.DateField(_("会议日期"), null=True, blank=True)
    meeting_attendees = models.TextField(_("参会人员"), blank=True)
    meeting_decision = models.TextField(_("会议决定"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("审批登记时间"), null=True, blank=True)
    fund_account = models.ForeignKey(
        FundAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("支付专户"),
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("报送银行时间"), null=True, blank=True)
    reconciled_at = models.DateTimeField(_("对账完成时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("作废原因"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "program", "region_code"]
        verbose_name = _("发放批次")
        verbose_name_plural = _("发放批次")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "region_code", "month"],
                condition=~Q(status="cancelled"),
                name="payroll_one_live_run",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def percent(self) -> int:
        if self.status != RunStatus.GENERATING:
            return 100
        if not self.cases_total:
            return 0
        return min(99, self.cases_done * 100 // self.cases_total)

    @property
    def is_generating(self) -> bool:
        return self.status == RunStatus.GENERATING


class LineKind(models.TextChoices):
    REGULAR = "regular", _("当月发放")
    ARREARS = "arrears", _("补发")  # the one payment of an earlier month that was missed
    ADJUSTMENT = "adjustment", _("差额调整")  # signed: + 差额补发, - 追回
    GRANT = "grant", _("一次性救助")  # a programs.Grant (临时救助金, 丧葬补助), paid once


class LineStatus(models.TextChoices):
    PENDING = "pending", _("待发放")
    NO_ACCOUNT = "no_account", _("缺少银行账户")
    SENT = "sent", _("已报送银行")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("发放失败")
    OFFSET = "offset", _("已抵扣")  # netted against the payee's other lines
    TO_RECOVER = "to_recover", _("待追回")
    RECOVERED = "recovered", _("已追回")


class PaymentLine(models.Model):
    """One payment of one beneficiary for one month in one run. Written in bulk by set-based SQL
    (services/payroll.py), hence the plain columns and no auto timestamps.

    The run, case, person and household keys have no database constraint: every line's ids
    are read from the existing case row in the same INSERT ... SELECT that writes it, nothing
    deletes cases, persons or households, and Django still applies CASCADE/PROTECT on deletes.
    Checking the four keys row by row at commit cost three times the writing itself (bench:
    35 s instead of 11 s per million lines on PostgreSQL)."""

    # Indexed by payment_line_once_per_run (run first).
    run = models.ForeignKey(
        PayrollRun,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("发放批次"),
        db_index=False,
        db_constraint=False,
    )
    case = models.ForeignKey(
        "programs.Case",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The beneficiary (救助对象): the case's applicant; the household owns the bank account.
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    grant = models.ForeignKey(
        "programs.Grant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # payment_grant_once
    )
    program = models.CharField(_("救助项目"), max_length=32)
    region_code = models.CharField(_("所在村(社区)区划代码"), max_length=12)
    month = models.DateField(_("所属月份"))
    kind = models.CharField(_("类别"), max_length=12, choices=LineKind.choices)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    # Why (adjustments: the months' entitlement and what was paid; arrears: the period).
    note = models.CharField(_("说明"), max_length=200, blank=True)
    status = models.CharField(
        _("发放状态"), max_length=12, choices=LineStatus.choices, default=LineStatus.PENDING
    )
    # The account the money was sent to (copied from the household when the run is locked, and
    # again when a failed line is reissued to a corrected account).
    account_name = models.CharField(_("户名"), max_length=50, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    account_number = models.CharField(_("银行账号"), max_length=40, blank=True)
    bank_file = models.ForeignKey(
        "BankFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="lines"
    )
    bank_row = models.PositiveIntegerField(_("银行文件行号"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("报送次数"), default=0)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    paid_on = models.DateField(_("到账日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"))

    class Meta:
        ordering = ["run_id", "region_code", "id"]
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        constraints = [
            # Never paid twice: one payment per beneficiary, program and month, whichever run
            # (a cancelled run's lines are deleted with it).
            models.UniqueConstraint(
                fields=["person", "program", "month"],
                condition=Q(kind__in=["regular", "arrears"]),
                name="payment_once_per_month",
            ),
            models.UniqueConstraint(
                fields=["grant"], condition=Q(grant__isnull=False), name="payment_grant_once"
            ),
            # A rerun of the same run adds no second adjustment for a month.
            models.UniqueConstraint(
                fields=["run", "case", "month", "kind"], name="payment_line_once_per_run"
            ),
        ]
        indexes = [
            models.Index(fields=["household", "month"], name="payment_household_month"),
            models.Index(fields=["case", "month"], name="payment_case_month"),
            # The reissue queue and the recovery ledger.
            models.Index(
                fields=["status"],
                condition=Q(status__in=["failed", "to_recover", "no_account"]),
                name="payment_open_problems",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.person_id}@{self.month:%Y-%m} {self.amount}"


class BankTemplate(models.Model):
    """How one bank wants its batch file and how its return file reads (configurable columns).

    `columns` lists the batch file's columns in order: [{"header": "户名", "field":
    "account_name"}, ...] with field one of BATCH_FIELDS. `return_columns` maps RETURN_FIELDS to
    the headers of the bank's return file; `success_values` are the result texts meaning paid."""

    BATCH_FIELDS = (
        "serial",
        "account_name",
        "account_number",
        "id_number",
        "amount",
        "remark",
        "person_name",
        "village",
        "program",
        "month",
    )
    RETURN_FIELDS = ("account_number", "account_name", "id_number", "amount", "result", "reason")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV文本文件")
        XLSX = "xlsx", _("Excel文件(xlsx)")

    class Encoding(models.TextChoices):
        GBK = "gbk", _("GBK(多数银行系统)")
        GB18030 = "gb18030", _("GB18030")
        UTF8 = "utf-8", _("UTF-8")
        UTF8_BOM = "utf-8-sig", _("UTF-8(带BOM)")

    region_code = models.CharField(_("所属区划代码"), max_length=12, db_index=True)
    # Matched against Household.bank_name.
    bank_name = models.CharField(_("银行名称"), max_length=100)
    file_format = models.CharField(
        _("文件格式"), max_length=8, choices=Format.choices, default=Format.CSV
    )
    encoding = models.CharField(
        _("文字编码"), max_length=12, choices=Encoding.choices, default=Encoding.GBK
    )
    delimiter = models.CharField(_("分隔符"), max_length=2, default=",")
    columns = models.JSONField(_("批量文件列"), default=list)
    return_columns = models.JSONField(_("回盘文件列"), default=dict)
    success_values = models.JSONField(_("表示成功的结果值"), default=list)
    remark_template = models.CharField(
        _("摘要模板"), max_length=100, default="{year}年{month}月{program}"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_code", "bank_name"]
        verbose_name = _("银行文件模板")
        verbose_name_plural = _("银行文件模板")
        constraints = [
            models.UniqueConstraint(fields=["region_code", "bank_name"], name="bank_template_once"),
        ]

    def __str__(self) -> str:
        return self.bank_name


class BankFile(models.Model):
    """One batch file for one bank: the run's lines for that bank (or a reissue of failed lines),
    one row per payee with the net amount. The bytes are kept so that the same file can be
    downloaded again and audited."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("正常发放")
        REISSUE = "reissue", _("失败重发")

    class Status(models.TextChoices):
        SENT = "sent", _("已报送,待回盘")
        RETURNED = "returned", _("已回盘")

    run = models.ForeignKey(
        PayrollRun, on_delete=models.PROTECT, related_name="bank_files", verbose_name=_("发放批次")
    )
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices, default=Kind.REGULAR)
    bank_name = models.CharField(_("银行"), max_length=100)
    template = models.ForeignKey(BankTemplate, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容"))
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(_("笔数"), default=0)
    total_amount = models.DecimalField(
        _("金额合计"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SENT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        ordering = ["run_id", "id"]
        verbose_name = _("银行批量文件")
        verbose_name_plural = _("银行批量文件")

    def __str__(self) -> str:
        return self.file_name


class BankReturn(models.Model):
    """One return file (回盘文件) imported for a bank file: the rows applied, and the rows refused
    with their row numbers and reasons (unknown account, amount differs, duplicate row ...)."""

    bank_file = models.ForeignKey(
        BankFile, on_delete=models.PROTECT, related_name="returns", verbose_name=_("银行文件")
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    paid_count = models.PositiveIntegerField(_("成功笔数"), default=0)
    failed_count = models.PositiveIntegerField(_("失败笔数"), default=0)
    paid_amount = models.DecimalField(
        _("成功金额"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    failed_amount = models.DecimalField(
        _("失败金额"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    # [{"row": 7, "reason": "账号不在本批次文件中", "account_number": "..."}]
    problems = models.JSONField(_("未处理的行"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        ordering = ["bank_file_id", "id"]
        verbose_name = _("银行回盘")
        verbose_name_plural = _("银行回盘")

    def __str__(self) -> str:
        return self.file_name
