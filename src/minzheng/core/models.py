"""The shared kernel's data: the region tree, users with a role and a data scope, the
append-only audit log, and the local table of working-day exceptions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.core.regions import code_prefix


class Region(models.Model):
    """One division: province, city, county, township/street, or village/community."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省级")
        CITY = 2, _("地级")
        COUNTY = 3, _("县级")
        TOWNSHIP = 4, _("乡级")
        VILLAGE = 5, _("村级")

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )
    # NBS urban-rural classification code of a village/community (111 main urban .. 220 village).
    urban_rural_code = models.CharField(_("城乡分类代码"), max_length=3, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    @property
    def prefix(self) -> str:
        return code_prefix(self.code)

    @property
    def is_urban(self) -> bool:
        """Villages coded 1xx (city/town areas) are urban communities, 2xx rural villages."""
        return self.urban_rural_code.startswith("1")


class Role(models.TextChoices):
    VILLAGE_ASSISTANT = "village_assistant", _("村(社区)民政协理员")
    TOWNSHIP_CLERK = "township_clerk", _("乡镇(街道)经办人")
    TOWNSHIP_LEADER = "township_leader", _("乡镇(街道)分管领导")
    COUNTY_OFFICER = "county_officer", _("县(区)民政局经办人")
    COUNTY_LEADER = "county_leader", _("县(区)民政局领导")
    AUDITOR = "auditor", _("审计人员")
    HOSPITAL_CLERK = "hospital_clerk", _("医院结算员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


class MinzhengUserManager(UserManager["User"]):
    pass


class User(AbstractUser):
    """A bureau user. `region` is where the user works; everything the user reads or writes lies
    beneath it (the data scope is the region's code prefix)."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="users", verbose_name=_("所属区划")
    )
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    objects: ClassVar[MinzhengUserManager] = MinzhengUserManager()

    REQUIRED_FIELDS: ClassVar[list[str]] = ["role", "region"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def scope_prefix(self) -> str:
        return code_prefix(self.region_id)

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else ""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise ValidationError(AUDIT_APPEND_ONLY)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(AUDIT_APPEND_ONLY)


AUDIT_APPEND_ONLY = "审计记录只能追加,不能修改或删除"


class AuditEvent(models.Model):
    """One business action, written once and never changed (the database refuses UPDATE and
    DELETE on this table too, see the migration's triggers)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_username = models.CharField(_("用户名"), max_length=150, blank=True)
    actor_role = models.CharField(_("角色"), max_length=32, blank=True)
    actor_region_code = models.CharField(_("操作人区划"), max_length=12, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    region_code = models.CharField(_("对象区划"), max_length=12, db_index=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError(AUDIT_APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(AUDIT_APPEND_ONLY)


class CalendarDay(models.Model):
    """A working-day exception entered by an administrator: a holiday or a make-up working day
    (调休) announced after the installed chinesecalendar was released. Rows here win over the
    library; a year with rows here counts as known even when the library does not know it."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
