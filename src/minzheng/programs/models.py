"""The case engine's data: effective-dated standards, cases and their steps, documents, public
notice objections, the close-relative register, benefit periods, reviews and tip-offs.

A program is not a table: it is a policy module in `programs/policies/` (POLICIES), so adding a
program adds a module and its standards, and nothing here changes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Standard(models.Model):
    """One policy number (低保标准, 分类施保比例, 临时救助倍数 ...) for a program and a region (a
    county, or a township that differs from its county), valid from `valid_from` until the day
    before the next row's `valid_from` (or `valid_to` when set)."""

    program = models.CharField(_("救助项目"), max_length=32)
    parameter = models.CharField(_("参数"), max_length=48)
    region_code = models.CharField(_("适用区划代码"), max_length=12)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    value = models.DecimalField(_("数值"), max_digits=14, decimal_places=4)
    note = models.CharField(_("文件依据"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "parameter", "region_code", "-valid_from"]
        verbose_name = _("救助标准")
        verbose_name_plural = _("救助标准")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "parameter", "region_code", "valid_from"],
                name="standard_one_value_per_day",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="standard_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}.{self.parameter}@{self.region_code} {self.valid_from}: {self.value}"


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("网上申请待受理")
    IN_PROGRESS = "in_progress", _("办理中")
    ACTIVE = "active", _("在保")
    EXIT_GRACE = "exit_grace", _("渐退期")
    SUSPENDED = "suspended", _("暂停发放")
    REFUSED = "refused", _("不予批准")
    TERMINATED = "terminated", _("已终止")
    WITHDRAWN = "withdrawn", _("已撤回")
    CLOSED = "closed", _("已办结")


# Cases that receive money every month (payroll reads these).
PAYING_STATUSES = (CaseStatus.ACTIVE, CaseStatus.EXIT_GRACE)
OPEN_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS)


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口受理")
    ONLINE = "online", _("网上申请")


class SupportMode(models.TextChoices):
    CENTRALIZED = "centralized", _("集中供养")
    DISPERSED = "dispersed", _("分散供养")


class CareLevel(models.TextChoices):
    SELF_CARE = "self_care", _("具备生活自理能力")
    PARTIAL = "partial", _("部分丧失生活自理能力")
    FULL = "full", _("完全丧失生活自理能力")


class Case(models.Model):
    """One application to one program, from acceptance to termination (申请/救助对象档案)."""

    number = models.CharField(_("案件编号"), max_length=32, unique=True, blank=True)
    # Indexed by the two composite indexes below (program first in one of them).
    program = models.CharField(_("救助项目"), max_length=32)
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="cases", verbose_name=_("家庭")
    )
    applicant = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    region_code = models.CharField(_("所在村(社区)区划代码"), max_length=12)
    channel = models.CharField(
        _("申请渠道"), max_length=8, choices=Channel.choices, default=Channel.WINDOW
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.IN_PROGRESS
    )
    current_step = models.CharField(_("当前环节"), max_length=24, blank=True)
    reason = models.TextField(_("申请理由"), blank=True)
    # Program-specific applicant data, validated by the policy (hardship type, self-care items ...)
    details = models.JSONField(_("项目信息"), default=dict, blank=True)
    is_single_person = models.BooleanField(_("单人保"), default=False)
    support_mode = models.CharField(
        _("供养方式"), max_length=12, choices=SupportMode.choices, blank=True
    )
    care_level = models.CharField(
        _("生活自理能力"), max_length=12, choices=CareLevel.choices, blank=True
    )
    relative_flag = models.BooleanField(_("近亲属备案"), default=False)
    # What the benefit was computed from (kept so that a standard change recalculates in SQL).
    per_capita_income = models.DecimalField(
        _("家庭月人均收入"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    counted_members = models.PositiveSmallIntegerField(_("保障人数"), default=0)
    extra_members = models.JSONField(_("分类施保人数"), default=dict, blank=True)
    monthly_amount = models.DecimalField(
        _("月保障金额"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    one_off_amount = models.DecimalField(
        _("救助金额"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    calculation = models.JSONField(_("计算过程"), default=dict, blank=True)
    decision = models.CharField(_("审批结果"), max_length=12, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    start_month = models.DateField(_("起始发放月份"), null=True, blank=True)
    end_month = models.DateField(_("停发月份"), null=True, blank=True)
    exit_grace_until = models.DateField(_("渐退期截止月份"), null=True, blank=True)
    review_frequency_months = models.PositiveSmallIntegerField(_("复核周期(月)"), default=12)
    next_review_on = models.DateField(_("下次复核日期"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    due_on = models.DateField(_("办结时限"), null=True, blank=True)
    due_provisional = models.BooleanField(_("时限为预估"), default=False)
    version = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("救助案件")
        verbose_name_plural = _("救助案件")
        indexes = [
            models.Index(fields=["region_code", "program", "status"], name="case_region_prog_st"),
            models.Index(fields=["program", "status"], name="case_program_status"),
        ]

    def __str__(self) -> str:
        return self.number or f"case-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_paying(self) -> bool:
        return self.status in PAYING_STATUSES


class ExclusionReason(models.TextChoices):
    RELIGIOUS = "religious", _("宗教教职人员(离家3年以上)")
    PRISONER = "prisoner", _("服刑人员")
    REHAB = "rehab", _("强制隔离戒毒人员")
    MISSING = "missing", _("宣告失踪人员")
    SINGLE_PERSON = "single_person", _("单人保:不计入保障")
    OTHER = "other", _("其他(省级规定)")


class CaseMember(models.Model):
    """A household member as the case counts them (共同生活的家庭成员 per DOMAIN.md §2.2)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    relationship = models.CharField(_("与户主关系"), max_length=16, blank=True)
    counted = models.BooleanField(_("计入保障"), default=True)
    exclusion_reason = models.CharField(
        _("不计入原因"), max_length=16, choices=ExclusionReason.choices, blank=True
    )
    extra_category = models.CharField(_("分类施保类别"), max_length=24, blank=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("案件家庭成员")
        verbose_name_plural = _("案件家庭成员")
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="case_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.person_id}"


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("未开始")
    OPEN = "open", _("待办")
    DONE = "done", _("已办")
    SKIPPED = "skipped", _("已跳过")
    CANCELLED = "cancelled", _("已撤销")


class StepLevel(models.TextChoices):
    VILLAGE = "village", _("村(社区)")
    TOWNSHIP = "township", _("乡镇(街道)")
    COUNTY = "county", _("县(区)")


class Step(models.Model):
    """One step of a case (受理、入户调查、公示 ...). A step done again (after an objection) is a
    new row with the next `round`."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    code = models.CharField(_("环节"), max_length=24)
    round = models.PositiveSmallIntegerField(default=1)
    seq = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(_("办理层级"), max_length=8, choices=StepLevel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=StepStatus.choices, default=StepStatus.WAITING
    )
    opened_on = models.DateField(_("开始日期"), null=True, blank=True)
    due_on = models.DateField(_("办理时限"), null=True, blank=True)
    due_provisional = models.BooleanField(_("时限为预估"), default=False)
    completed_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办理人"),
    )
    outcome = models.CharField(_("办理结果"), max_length=16, blank=True)
    data = models.JSONField(_("办理记录"), default=dict, blank=True)
    note = models.TextField(_("意见"), blank=True)

    class Meta:
        ordering = ["case_id", "seq", "round", "id"]
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        constraints = [
            models.UniqueConstraint(fields=["case", "code", "round"], name="step_once_per_round"),
        ]
        indexes = [models.Index(fields=["status", "code", "due_on"], name="step_status_code_due")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.code}#{self.round}"

    def is_overdue_on(self, day: datetime.date) -> bool:
        return self.status == StepStatus.OPEN and self.due_on is not None and self.due_on < day


class DocumentKind(models.TextChoices):
    APPLICATION = "application", _("申请书")
    ID_CARD = "id_card", _("身份证明")
    HUKOU = "hukou", _("户籍证明")
    AUTHORIZATION = "authorization", _("核对授权书")
    INCOME = "income", _("收入证明")
    DISABILITY = "disability", _("残疾证或病历")
    SURVEY_FORM = "survey_form", _("入户调查表")
    PHOTO = "photo", _("照片")
    VERIFICATION = "verification", _("经济状况核对报告")
    MINUTES = "minutes", _("会议记录")
    NOTICE_PHOTO = "notice_photo", _("公示照片")
    OTHER = "other", _("其他材料")


class CaseDocument(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    step = models.ForeignKey(
        Step, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    kind = models.CharField(_("材料类型"), max_length=16, choices=DocumentKind.choices)
    file = models.FileField(_("文件"), upload_to="cases/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveIntegerField(_("大小(字节)"))
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["case_id", "uploaded_at", "id"]
        verbose_name = _("案件材料")
        verbose_name_plural = _("案件材料")

    def __str__(self) -> str:
        return self.original_name


class Objection(models.Model):
    """An objection raised during the public notice (公示异议); the case waits until it is
    investigated and resolved."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="objections")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="objections")
    raised_by_name = models.CharField(_("异议人"), max_length=50, blank=True)
    raised_by_contact = models.CharField(_("联系方式"), max_length=50, blank=True)
    content = models.TextField(_("异议内容"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    investigation = models.TextField(_("调查情况"), blank=True)
    outcome = models.CharField(_("处理结果"), max_length=12, choices=Outcome.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["case_id", "registered_at", "id"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.content[:20]}"

    @property
    def is_open(self) -> bool:
        return not self.outcome


class RelativeFiling(models.Model):
    """近亲属备案: a close relative of a bureau, township or village worker. Cases of their
    households are marked, go to the county, and may not be approved by the related worker."""

    class StaffKind(models.TextChoices):
        COUNTY_STAFF = "county_staff", _("县(区)民政部门工作人员")
        TOWNSHIP_STAFF = "township_staff", _("乡镇(街道)经办人员")
        VILLAGE_CADRE = "village_cadre", _("村(居)委会成员")

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("配偶")
        PARENT = "parent", _("父母")
        CHILD = "child", _("子女")
        SIBLING = "sibling", _("兄弟姐妹")
        GRANDPARENT = "grandparent", _("祖父母、外祖父母")
        GRANDCHILD = "grandchild", _("孙子女、外孙子女")
        IN_LAW = "in_law", _("其他近姻亲")

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("近亲属")
    )
    staff_name = models.CharField(_("工作人员姓名"), max_length=50)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relative_filings",
        verbose_name=_("工作人员账号"),
    )
    staff_kind = models.CharField(_("人员类别"), max_length=16, choices=StaffKind.choices)
    staff_position = models.CharField(_("职务"), max_length=50, blank=True)
    relation = models.CharField(_("亲属关系"), max_length=12, choices=Relation.choices)
    region_code = models.CharField(_("备案区划"), max_length=12, db_index=True)
    valid_from = models.DateField(_("备案日期"))
    valid_to = models.DateField(_("撤销日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("近亲属备案")
        verbose_name_plural = _("近亲属备案")

    def __str__(self) -> str:
        return f"{self.staff_name}-{self.get_relation_display()}"


class BenefitPeriod(models.Model):
    """The monthly amount of a case from `valid_from` (the first day of a month) until the next
    period starts or the case stops. Payroll reads the entitlement of a month from here."""

    class Reason(models.TextChoices):
        APPROVAL = "approval", _("审批确认")
        STANDARD_CHANGE = "standard_change", _("标准调整")
        REVIEW = "review", _("复核调整")
        EXIT_GRACE = "exit_grace", _("渐退期")
        SUSPENSION = "suspension", _("暂停发放")
        RESUMPTION = "resumption", _("恢复发放")
        TERMINATION = "termination", _("终止")

    # Indexed by the unique (case, valid_from) below.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="benefit_periods", db_index=False
    )
    valid_from = models.DateField(_("起始月份"))
    monthly_amount = models.DecimalField(_("月保障金额"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("变动原因"), max_length=16, choices=Reason.choices)
    calculation = models.JSONField(_("计算过程"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "valid_from", "id"]
        verbose_name = _("保障金额变动")
        verbose_name_plural = _("保障金额变动")
        constraints = [
            models.UniqueConstraint(fields=["case", "valid_from"], name="benefit_one_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}@{self.valid_from:%Y-%m}: {self.monthly_amount}"


class Grant(models.Model):
    """A one-off payment: temporary assistance (临时救助) or a 特困 funeral grant (丧葬费)."""

    class Kind(models.TextChoices):
        TEMPORARY = "temporary", _("临时救助金")
        FUNERAL = "funeral", _("丧葬补助")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="grants")
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    granted_on = models.DateField(_("发放日期"))
    paid_first = models.BooleanField(_("先行救助"), default=False)
    calculation = models.JSONField(_("计算过程"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "granted_on", "id"]
        verbose_name = _("一次性救助")
        verbose_name_plural = _("一次性救助")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="grant_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.get_kind_display()} {self.amount}"


class ReviewKind(models.TextChoices):
    PERIODIC = "periodic", _("定期复核")
    TIP_OFF = "tip_off", _("举报核查")
    DATA_MATCHING = "data_matching", _("信息比对")
    DEATH = "death", _("成员死亡")
    INCOME_CHANGE = "income_change", _("收入变化")
    OTHER = "other", _("其他")


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", _("继续保障")
    ADJUST = "adjust", _("调整金额")
    SUSPEND = "suspend", _("暂停发放")
    TERMINATE = "terminate", _("终止保障")


class Review(models.Model):
    """动态管理: a review of an enrolled case, periodic or triggered (tip-off, data matching,
    a member's death), ending in continue / adjust / suspend / terminate with reasons."""

    class Status(models.TextChoices):
        OPEN = "open", _("待复核")
        DONE = "done", _("已复核")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("复核类型"), max_length=16, choices=ReviewKind.choices)
    reason = models.TextField(_("复核原因"), blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    due_on = models.DateField(_("复核时限"))
    due_provisional = models.BooleanField(_("时限为预估"), default=False)
    evidence = models.JSONField(_("依据"), default=dict, blank=True)
    findings = models.TextField(_("复核情况"), blank=True)
    outcome = models.CharField(
        _("复核结论"), max_length=12, choices=ReviewOutcome.choices, blank=True
    )
    outcome_reason = models.TextField(_("结论理由"), blank=True)
    new_amount = models.DecimalField(
        _("调整后金额"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("复核")
        verbose_name_plural = _("复核")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="open", kind="periodic"),
                name="review_one_open_periodic_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.get_kind_display()}"


class TipOff(models.Model):
    """举报投诉: registered with source and contact, linked to a household or case, assigned,
    with a deadline; its outcome may open a review."""

    class Source(models.TextChoices):
        PHONE = "phone", _("电话")
        LETTER = "letter", _("来信")
        VISIT = "visit", _("来访")
        ONLINE = "online", _("网络")
        HOTLINE = "hotline", _("12345热线")
        SUPERIOR = "superior", _("上级转办")

    class Status(models.TextChoices):
        OPEN = "open", _("待核查")
        CLOSED = "closed", _("已办结")

    class Outcome(models.TextChoices):
        SUBSTANTIATED = "substantiated", _("情况属实")
        PARTLY = "partly", _("部分属实")
        UNSUBSTANTIATED = "unsubstantiated", _("情况不实")

    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    reporter_name = models.CharField(_("举报人"), max_length=50, blank=True)
    reporter_contact = models.CharField(_("联系方式"), max_length=50, blank=True)
    content = models.TextField(_("举报内容"))
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="tip_offs"
    )
    region_code = models.CharField(_("涉及区划"), max_length=12, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承办人"),
    )
    due_on = models.DateField(_("办理时限"))
    due_provisional = models.BooleanField(_("时限为预估"), default=False)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    investigation = models.TextField(_("核查情况"), blank=True)
    outcome = models.CharField(_("核查结论"), max_length=16, choices=Outcome.choices, blank=True)
    review = models.ForeignKey(
        Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("举报投诉")
        verbose_name_plural = _("举报投诉")

    def __str__(self) -> str:
        return f"{self.get_source_display()}:{self.content[:20]}"
