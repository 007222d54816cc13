"""The registry every program reads: persons, households (共同生活家庭) with dated
membership, and dated income and asset declarations."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minzheng.core.idnumbers import birth_date_of, sex_of
from minzheng.registry.names import pinyin_keys


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class HukouType(models.TextChoices):
    URBAN = "urban", _("城镇")
    RURAL = "rural", _("农村")


class MaritalStatus(models.TextChoices):
    UNMARRIED = "unmarried", _("未婚")
    MARRIED = "married", _("已婚")
    DIVORCED = "divorced", _("离婚")
    WIDOWED = "widowed", _("丧偶")


class Education(models.TextChoices):
    NONE = "none", _("文盲或半文盲")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中/中专")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科及以上")


class LabourCapacity(models.TextChoices):
    FULL = "full", _("有劳动能力")
    PARTIAL = "partial", _("部分丧失劳动能力")
    NONE = "none", _("无劳动能力")


class DisabilityCategory(models.TextChoices):
    VISUAL = "visual", _("视力残疾")
    HEARING = "hearing", _("听力残疾")
    SPEECH = "speech", _("言语残疾")
    PHYSICAL = "physical", _("肢体残疾")
    INTELLECTUAL = "intellectual", _("智力残疾")
    MENTAL = "mental", _("精神残疾")
    MULTIPLE = "multiple", _("多重残疾")


ETHNIC_GROUPS = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "其他",
    "外国血统",
]


SEARCH_KEYS = [
    "id_number_reversed",
    "name",
    "name_pinyin",
    "name_initials",
    "phone",
    "region_code",
]


class Person(models.Model):
    id_number = models.CharField(_("身份证号码"), max_length=18, unique=True)
    # The number reversed, so that "the last digits" is a prefix search on an index.
    id_number_reversed = models.CharField(max_length=18, editable=False)
    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(max_length=200, editable=False)
    name_initials = models.CharField(max_length=50, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    ethnicity = models.CharField(
        _("民族"), max_length=10, default="汉族", choices=[(e, e) for e in ETHNIC_GROUPS]
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    hukou_type = models.CharField(_("户籍性质"), max_length=8, choices=HukouType.choices)
    region_code = models.CharField(_("户籍所在地区划代码"), max_length=12)
    marital_status = models.CharField(
        _("婚姻状况"), max_length=12, choices=MaritalStatus.choices, blank=True
    )
    education = models.CharField(
        _("文化程度"), max_length=12, choices=Education.choices, blank=True
    )
    labour_capacity = models.CharField(
        _("劳动能力"), max_length=8, choices=LabourCapacity.choices, default=LabourCapacity.FULL
    )
    disability_category = models.CharField(
        _("残疾类别"), max_length=16, choices=DisabilityCategory.choices, blank=True
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("残疾等级"), null=True, blank=True, choices=[(g, f"{g}级") for g in range(1, 5)]
    )
    disability_certificate = models.CharField(_("残疾证号"), max_length=30, blank=True)
    serious_illness = models.CharField(
        _("重大疾病"), max_length=100, blank=True, help_text=_("无重大疾病请留空")
    )
    death_date = models.DateField(_("死亡日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        # One index per search key, with the pattern operator class: PostgreSQL answers both
        # "= x" and "LIKE 'x%'" from it (SQLite makes it a plain index and searches by range).
        # A plain index beside it, as db_index=True would add, only slows imports down and
        # tempts the planner into walking a whole index in order for ORDER BY ... LIMIT.
        indexes = [
            models.Index(
                fields=[field], name=f"person_{field}_idx", opclasses=["varchar_pattern_ops"]
            )
            for field in SEARCH_KEYS
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True)
                | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="person_disability_grade_1_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.id_number[-4:]})"

    def derive(self) -> None:
        """Fill the fields that follow from the ID number and the name."""
        self.id_number_reversed = self.id_number[::-1]
        self.birth_date = birth_date_of(self.id_number)
        self.sex = sex_of(self.id_number)
        self.name_pinyin, self.name_initials = pinyin_keys(self.name)

    def age_on(self, day: datetime.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def is_alive(self) -> bool:
        return self.death_date is None


class Household(models.Model):
    """共同生活家庭. The head and members are dated memberships; `head` is the current head."""

    head = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="headed_households",
        verbose_name=_("户主"),
    )
    address = models.CharField(_("家庭住址"), max_length=200)
    region_code = models.CharField(_("所在村(社区)区划代码"), max_length=12, db_index=True)
    bank_name = models.CharField(_("开户银行"), max_length=50, blank=True)
    bank_account_name = models.CharField(_("账户名"), max_length=50, blank=True)
    bank_account_number = models.CharField(_("银行账号"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("家庭")
        verbose_name_plural = _("家庭")

    def __str__(self) -> str:
        return f"{self.head.name if self.head else ''}户({self.pk})"


class Relationship(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
    OTHER = "other", _("其他")


class JoinReason(models.TextChoices):
    FOUNDING = "founding", _("建档")
    BIRTH = "birth", _("出生")
    MARRIAGE = "marriage", _("婚入")
    MOVE_IN = "move_in", _("迁入")
    OTHER = "other", _("其他")


class LeaveReason(models.TextChoices):
    DEATH = "death", _("死亡")
    MARRIAGE = "marriage", _("婚出")
    MOVE_OUT = "move_out", _("迁出")
    SEPARATION = "separation", _("分户")
    OTHER = "other", _("其他")


class Membership(models.Model):
    """A person's membership of a household from `valid_from` to `valid_to` (exclusive; open
    while null). A person belongs to at most one household at a time."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("家庭")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("成员")
    )
    relationship = models.CharField(_("与户主关系"), max_length=16, choices=Relationship.choices)
    valid_from = models.DateField(_("加入日期"))
    join_reason = models.CharField(
        _("加入原因"), max_length=16, choices=JoinReason.choices, default=JoinReason.FOUNDING
    )
    valid_to = models.DateField(_("离开日期"), null=True, blank=True)
    leave_reason = models.CharField(
        _("离开原因"), max_length=16, choices=LeaveReason.choices, blank=True
    )

    class Meta:
        ordering = ["household_id", "valid_from", "id"]
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(valid_to__isnull=True),
                name="membership_one_open_household_per_person",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="membership_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_relationship_display()}"

    def is_current_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


class IncomeKind(models.TextChoices):
    # counted (DOMAIN.md §2.3)
    WAGES = "wages", _("工资性收入")
    BUSINESS = "business", _("经营净收入")
    PROPERTY = "property", _("财产净收入")
    TRANSFERS = "transfers", _("转移净收入")
    OTHER = "other", _("其他收入")
    # declared but not counted
    VETERANS_PENSION = "veterans_pension", _("优抚金(不计入)")
    FAMILY_PLANNING_REWARD = "family_planning_reward", _("计划生育奖励(不计入)")
    SCHOLARSHIP = "scholarship", _("奖学金、助学金(不计入)")
    AWARD = "award", _("见义勇为等奖励(不计入)")
    GOVERNMENT_ASSISTANCE = "government_assistance", _("政府救助金(不计入)")
    BASIC_PENSION = "basic_pension", _("城乡居民基础养老金(不计入)")
    # deducted from income
    DEDUCTION_MEDICAL = "deduction_medical", _("因病因残刚性支出(扣减)")
    DEDUCTION_JOB = "deduction_job", _("就业成本(扣减)")


COUNTED_INCOME = {
    IncomeKind.WAGES,
    IncomeKind.BUSINESS,
    IncomeKind.PROPERTY,
    IncomeKind.TRANSFERS,
    IncomeKind.OTHER,
}
DEDUCTIONS = {IncomeKind.DEDUCTION_MEDICAL, IncomeKind.DEDUCTION_JOB}


class AssetKind(models.TextChoices):
    DEPOSIT = "deposit", _("存款")
    SECURITIES = "securities", _("有价证券")
    INSURANCE = "insurance", _("商业保险")
    VEHICLE = "vehicle", _("机动车辆")
    REAL_ESTATE = "real_estate", _("房产")
    BUSINESS = "business", _("工商登记")
    OTHER = "other", _("其他财产")


class Declaration(models.Model):
    """A household's income and asset declaration (家庭经济状况申报) as of `declared_on`, covering
    the `reference_months` before it. Amounts are monthly averages."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("家庭")
    )
    declared_on = models.DateField(_("申报日期"))
    reference_months = models.PositiveSmallIntegerField(_("收入计算期(月)"), default=12)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-declared_on", "-id"]
        verbose_name = _("经济状况申报")
        verbose_name_plural = _("经济状况申报")

    def __str__(self) -> str:
        return f"{self.household} {self.declared_on}"


class IncomeItem(models.Model):
    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="incomes", verbose_name=_("申报")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("成员")
    )
    kind = models.CharField(_("收入类别"), max_length=32, choices=IncomeKind.choices)
    monthly_amount = models.DecimalField(_("月均金额(元)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("收入")
        verbose_name_plural = _("收入")
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=Decimal("0")), name="income_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.monthly_amount}"


class AssetItem(models.Model):
    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="assets", verbose_name=_("申报")
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所有人"),
    )
    kind = models.CharField(_("财产类别"), max_length=16, choices=AssetKind.choices)
    value = models.DecimalField(_("价值(元)"), max_digits=14, decimal_places=2, default=0)
    area = models.DecimalField(
        _("面积(平方米)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    registration_number = models.CharField(
        _("登记号"),
        max_length=50,
        blank=True,
        help_text=_("车牌号、不动产权证号或统一社会信用代码"),
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("财产")
        verbose_name_plural = _("财产")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=Decimal("0")), name="asset_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class ImportJob(models.Model):
    """One upload of households from an Excel/CSV file, processed in the background. Its state
    lives here so that the progress page survives a reload and the report stays available."""

    class Mode(models.TextChoices):
        STRICT = "strict", _("整体导入:有任何错误则整个文件都不导入")
        SKIP = "skip", _("跳过有错误的家庭,导入其余家庭")

    class Status(models.TextChoices):
        QUEUED = "queued", _("等待处理")
        RUNNING = "running", _("正在处理")
        DONE = "done", _("已完成")
        FAILED = "failed", _("未导入")

    class Stage(models.TextChoices):
        WAITING = "waiting", _("等待处理")
        CHECKING = "checking", _("读取并检查数据")
        WRITING = "writing", _("写入数据库")
        FINISHED = "finished", _("处理结束")

    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("导入人")
    )
    # The importer's region when the job was made: who may see the job and its report.
    region_code = models.CharField(_("导入人区划"), max_length=12, db_index=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    # Where the uploaded copy waits for the worker (under MEDIA_ROOT); emptied once processed.
    stored_path = models.CharField(max_length=500, blank=True, editable=False)
    mode = models.CharField(_("导入方式"), max_length=8, choices=Mode.choices)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(_("阶段"), max_length=10, choices=Stage.choices, default=Stage.WAITING)
    percent = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    households_imported = models.PositiveIntegerField(_("导入家庭数"), default=0)
    persons_imported = models.PositiveIntegerField(_("导入人数"), default=0)
    households_skipped = models.PositiveIntegerField(_("跳过家庭数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    # [{"row": 5, "column": "身份证号码", "reason": "..."}], the first IMPORT_REPORTED_ERRORS
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="import_job_percent_0_100")
        ]

    def __str__(self) -> str:
        return f"{self.file_name}({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
