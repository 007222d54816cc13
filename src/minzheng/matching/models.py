"""信息比对: the external datasets other departments deliver, the rules that compare them with
the bureau's own rolls, the runs that apply the rules, and the flags a run raises.

A dataset's rows are not in the database: they are one Parquet file per delivery (tens of
millions of rows), written by the import and read by the engines. What the database holds is
what people work with: the delivery's metadata and validation report, the rules' settings, the
runs and their progress, and the flags with their evidence and outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minzheng.matching.schemas import KIND_CHOICES


class DatasetStatus(models.TextChoices):
    UPLOADED = "uploaded", _("待对应字段")
    VALIDATING = "validating", _("校验中")
    REFUSED = "refused", _("校验未通过")
    ACTIVE = "active", _("在用")
    SUPERSEDED = "superseded", _("已被新数据替代")
    FAILED = "failed", _("导入失败")


class ExternalDataset(models.Model):
    """One delivery of one kind of data (deaths, vehicles, ...) from a department, for a county.
    Uploaded -> columns mapped -> validated (report) -> active; the next delivery of the same
    kind that passes supersedes it (kept, with its file, for the flags that cite it)."""

    kind = models.CharField(_("数据类别"), max_length=24, choices=KIND_CHOICES)
    region_code = models.CharField(_("所属区划代码"), max_length=12, db_index=True)
    source = models.CharField(_("提供单位"), max_length=100)
    data_date = models.DateField(_("数据截止日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=DatasetStatus.choices, default=DatasetStatus.UPLOADED
    )
    # The delivered file as received, and what the import read from it.
    file_name = models.CharField(_("文件名"), max_length=255)
    file_format = models.CharField(_("文件格式"), max_length=8)  # csv / xlsx / parquet
    encoding = models.CharField(_("字符编码"), max_length=16, blank=True)
    file_size = models.BigIntegerField(_("文件大小(字节)"), default=0)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    upload_path = models.CharField(max_length=500, blank=True, editable=False)
    headers = models.JSONField(_("文件列名"), default=list, blank=True)
    sample_rows = models.JSONField(_("样例数据"), default=list, blank=True)
    # canonical column -> the file's heading
    column_mapping = models.JSONField(_("字段对应"), default=dict, blank=True)
    # The validated rows (canonical columns + row_no + id_valid), one Parquet file.
    parquet_path = models.CharField(max_length=500, blank=True, editable=False)
    # Validation report: counts by reason and sample rows with their row numbers.
    total_rows = models.BigIntegerField(_("数据行数"), default=0)
    valid_rows = models.BigIntegerField(_("有效行数"), default=0)
    error_rows = models.BigIntegerField(_("错误行数"), default=0)
    invalid_id_rows = models.BigIntegerField(_("身份证号无效行数"), default=0)
    duplicate_rows = models.BigIntegerField(_("重复行数"), default=0)
    report = models.JSONField(_("校验报告"), default=dict, blank=True)
    # Import progress (the page's progress bar).
    rows_done = models.BigIntegerField(_("已处理行数"), default=0)
    percent = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    message = models.CharField(_("提示"), max_length=300, blank=True)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("替代的数据"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("比对数据")
        verbose_name_plural = _("比对数据")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "region_code"],
                condition=Q(status="active"),
                name="matching_one_active_dataset_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.data_date:%Y-%m-%d}"


class RuleMethod(models.TextChoices):
    EXACT = "exact", _("身份证号精确比对")
    PROBABILISTIC = "probabilistic", _("姓名、出生日期等模糊比对")


class RuleAction(models.TextChoices):
    SUSPEND = "suspend", _("次月暂停发放,待核实")
    REVIEW = "review", _("转入复核")
    CANDIDATE = "candidate", _("疑似漏保,建议纳入")


class MatchRule(models.Model):
    """The editable settings of a rule defined in code (matching.rules.RULES): whether it runs,
    the probabilistic threshold, how many working days its reviews are due in. A county's own
    row overrides the default row (region_code blank)."""

    code = models.CharField(_("规则代码"), max_length=40)
    region_code = models.CharField(_("适用区划代码"), max_length=12, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    # Probabilistic rules: the Splink match weight a pair needs to be flagged.
    threshold = models.DecimalField(
        _("匹配阈值(匹配权重)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    due_days = models.PositiveSmallIntegerField(_("核实时限(工作日)"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "region_code"]
        verbose_name = _("比对规则")
        verbose_name_plural = _("比对规则")
        constraints = [
            models.UniqueConstraint(fields=["code", "region_code"], name="matching_rule_region"),
        ]

    def __str__(self) -> str:
        return self.code


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("比对中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


class MatchRun(models.Model):
    """One application of the enabled rules to a county's rolls and its active datasets, on
    one engine; a background job with a progress bar."""

    number = models.CharField(_("比对批次"), max_length=40, unique=True)
    region_code = models.CharField(_("比对区划代码"), max_length=12, db_index=True)
    engine = models.CharField(_("比对引擎"), max_length=8, default="duckdb")
    as_of = models.DateField(_("比对基准日"))
    status = models.CharField(
        _("状态"), max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    stage = models.CharField(_("进度"), max_length=60, blank=True)
    percent = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    message = models.TextField(_("提示"), blank=True)
    # The rules that ran and the datasets they read (kind -> dataset id), fixed at start.
    rules = models.JSONField(_("比对规则"), default=list, blank=True)
    datasets = models.JSONField(_("比对数据"), default=dict, blank=True)
    # Counts when done: per rule {"hits": n, "new": n, "seconds": s} and totals.
    rule_counts = models.JSONField(_("各规则命中"), default=dict, blank=True)
    beneficiary_count = models.PositiveIntegerField(_("比对人数"), default=0)
    hit_count = models.PositiveIntegerField(_("命中数"), default=0)
    new_flag_count = models.PositiveIntegerField(_("新增疑点数"), default=0)
    seconds = models.DecimalField(_("耗时(秒)"), max_digits=9, decimal_places=1, null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("比对批次")
        verbose_name_plural = _("比对批次")
        constraints = [
            models.UniqueConstraint(
                fields=["region_code"],
                condition=Q(status__in=["queued", "running"]),
                name="matching_one_live_run_per_region",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class FlagStatus(models.TextChoices):
    OPEN = "open", _("待核实")
    CONFIRMED = "confirmed", _("核实属实")
    DISMISSED = "dismissed", _("核实不属实")


class MatchFlag(models.Model):
    """A finding: this person (of this case, or not enrolled at all for a 漏保 candidate) hit
    this rule on this evidence. Unique per (rule, person, evidence_key): the same evidence in a
    later run or a later delivery raises nothing new, so a flag dismissed once stays dismissed.
    `evidence_key` is a digest of the evidence row's content (not its row number or dataset).

    The keys written by a run's landing (person, case, household, run, last_run, dataset) carry
    no database constraint (as PaymentLine's): flags are written in bulk from the run's
    snapshot of rows that exist, and persons, cases, households, runs and deliveries are never
    deleted; Django still applies PROTECT. Checking every key at commit cost more than the
    COPY itself (100,000 flags: 1.1 s of 3.2 s). For the same reason no index is kept that no
    query needs or another one covers: `rule` leads the unique constraint, `run` the (run,
    rule) index; flags are not looked up by person, case, household, delivery or worker; the
    review's index is partial (the landing writes flags without one)."""

    rule = models.CharField(_("比对规则"), max_length=40)
    action = models.CharField(_("处理方式"), max_length=12, choices=RuleAction.choices)
    run = models.ForeignKey(
        MatchRun,
        on_delete=models.PROTECT,
        related_name="flags",
        db_index=False,
        db_constraint=False,
        verbose_name=_("发现批次"),
    )
    last_run = models.ForeignKey(
        MatchRun,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("最近命中批次"),
    )
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("人员"),
    )
    case = models.ForeignKey(
        "programs.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("案件"),
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("家庭"),
    )
    # The village of the case's household (or the person's), for scope and statistics.
    region_code = models.CharField(_("所在村(社区)区划代码"), max_length=12, db_index=True)
    program = models.CharField(_("救助项目"), max_length=32, blank=True)
    dataset = models.ForeignKey(
        ExternalDataset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flags",
        db_index=False,
        db_constraint=False,
        verbose_name=_("比对数据"),
    )
    row_no = models.BigIntegerField(_("数据行号"), null=True, blank=True)
    evidence_key = models.CharField(max_length=64)
    # The evidence row (canonical columns) and what the rule worked out from it.
    evidence = models.JSONField(_("比对依据"), default=dict)
    summary = models.CharField(_("疑点摘要"), max_length=300)
    match_weight = models.DecimalField(
        _("匹配权重"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("核实状态"),
        max_length=10,
        choices=FlagStatus.choices,
        default=FlagStatus.OPEN,
    )
    due_on = models.DateField(_("核实时限"), null=True, blank=True)
    review = models.ForeignKey(
        "programs.Review",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("复核任务"),
    )
    outcome = models.CharField(_("处理结果"), max_length=12, blank=True)
    outcome_reason = models.TextField(_("核实情况"), blank=True)
    worked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    worked_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        ordering = ["status", "due_on", "id"]
        verbose_name = _("比对疑点")
        verbose_name_plural = _("比对疑点")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "person", "evidence_key"], name="matching_flag_once"
            ),
        ]
        indexes = [
            models.Index(fields=["run", "rule"], name="matching_flag_run_rule"),
            # a plain index (a db_index on a CharField adds a LIKE twin on PostgreSQL)
            models.Index(fields=["status"], name="matching_flag_status"),
            # a flag's review is set after the landing: the COPY writes no entry for it
            models.Index(
                fields=["review"],
                condition=Q(review__isnull=False),
                name="matching_flag_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule}:{self.person_id}"
