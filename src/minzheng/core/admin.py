"""系统管理 (/admin/): regions, user accounts, the audit log (read only) and the local holiday
table, for system administrators (role system_admin, or a superuser).

Writes go through the same services as the command line and the pages, so each one leaves an
audit event: account forms call `user_create`/`user_update`/`user_set_password` while they
validate, and show the service's Chinese messages beside the fields they concern. A system
administrator sees the accounts and audit events of the own region's subtree only."""

from __future__ import annotations

import json
from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from minzheng.core.audit import audit_record, diff, snapshot
from minzheng.core.models import AuditEvent, CalendarDay, Region, Role, User
from minzheng.core.regions import (
    RegionCodeError,
    code_level,
    normalize_code,
    parent_code,
    prefix_q,
)
from minzheng.core.services.users import user_create, user_set_password, user_update

admin.site.site_header = _("民政业务平台 系统管理")
admin.site.site_title = _("系统管理")
admin.site.index_title = _("系统管理")

PASSWORDS_DIFFER = _("两次输入的密码不一致")
REGION_PARENT_MISSING = _("上级区划{parent}不存在,请先添加上级区划")
NATIONAL_REGION = "000000000000"  # audit region of changes that concern no one region

REGION_FIELDS = ["code", "name", "level", "parent_id", "urban_rural_code", "is_active"]
CALENDAR_FIELDS = ["date", "kind", "name"]


def is_system_admin(user: Any) -> bool:
    return bool(
        user.is_active
        and user.is_staff
        and (user.is_superuser or getattr(user, "role", "") == Role.SYSTEM_ADMIN)
    )


def scope_filter(qs: QuerySet[Any], user: Any, field: str) -> QuerySet[Any]:
    """Rows beneath the administrator's region (a superuser sees everything)."""
    if user.is_superuser:
        return qs
    return qs.filter(prefix_q(field, user.scope_prefix))


class SystemAdminOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Permissions by role rather than by Django's per-model permissions: system
    administrators manage everything here, nobody else sees the admin."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_system_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request.user)


# --- Regions -------------------------------------------------------------------------------


class RegionForm(forms.ModelForm):  # type: ignore[type-arg]
    """A division: level and parent follow from the 12-digit code."""

    class Meta:
        model = Region
        fields = ["code", "name", "urban_rural_code", "is_active"]
        help_texts = {
            "code": _("2、4、6、9或12位区划代码;层级和上级区划由代码决定"),
            "urban_rural_code": _("村(社区)的城乡分类代码,如111(主城区)、220(村庄)"),
        }

    def clean_code(self) -> str:
        try:
            code = normalize_code(self.cleaned_data["code"])
        except RegionCodeError as e:
            raise ValidationError(str(e)) from None
        parent = parent_code(code)
        if parent and not Region.objects.filter(code=parent).exists():
            raise ValidationError(REGION_PARENT_MISSING.format(parent=parent))
        return code

    def clean_urban_rural_code(self) -> str:
        value: str = self.cleaned_data["urban_rural_code"].strip()
        if value and not (len(value) == 3 and value.isdigit()):
            raise ValidationError(_("城乡分类代码应为3位数字"))
        return value


@admin.register(Region)
class RegionAdmin(SystemAdminOnly):
    form = RegionForm
    list_display = ["code", "name", "level", "parent", "urban_rural_code", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["^code", "name"]
    list_select_related = ["parent"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["code"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The code is the key every record refers to: a new code is a new region.
        return ["code", "level", "parent"] if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records refer to regions; a region is made inactive instead

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        before = snapshot(Region.objects.get(pk=obj.pk), REGION_FIELDS) if change else {}
        obj.level = code_level(obj.code)
        obj.parent_id = parent_code(obj.code)
        obj.save()
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action="region.update" if change else "region.create",
            object_type="Region",
            object_id=obj.code,
            region_code=obj.code,
            changes=diff(before, snapshot(obj, REGION_FIELDS)),
        )


# --- Users ---------------------------------------------------------------------------------


class ServiceForm(forms.ModelForm):  # type: ignore[type-arg]
    """A form whose validation ends in a service call: the service's errors land on the fields
    they name. `actor` is set per request by UserAdmin.get_form."""

    actor: User
    error_fields = {"password": "password2", "region_code": "region"}

    def service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            name = self.error_fields.get(field, field)
            self.add_error(name if name in self.fields else None, messages)

    def passwords(self, first: str, second: str) -> str:
        one, two = self.cleaned_data.get(first, ""), self.cleaned_data.get(second, "")
        if one != two:
            self.add_error(second, PASSWORDS_DIFFER)
        return str(one)


class UserAddForm(ServiceForm):
    password1 = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("确认密码"), strip=False, widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ["username", "role", "region", "full_name", "phone"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = self.passwords("password1", "password2")
        if self.errors:
            return data
        try:
            self.instance = user_create(
                actor=self.actor,
                username=data["username"],
                role=data["role"],
                region_code=data["region"].code,
                password=password,
                full_name=data.get("full_name", ""),
                phone=data.get("phone", ""),
            )
        except ValidationError as e:
            self.service_errors(e)
        return data


class UserChangeForm(ServiceForm):
    password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        required=False,
        widget=forms.PasswordInput,
        help_text=_("不修改密码请留空"),
    )
    password2 = forms.CharField(
        label=_("确认新密码"), strip=False, required=False, widget=forms.PasswordInput
    )
    reason = forms.CharField(label=_("变更原因"), required=False, max_length=200)

    class Meta:
        model = User
        fields = ["full_name", "phone", "role", "region", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = self.passwords("password1", "password2")
        if self.errors:
            return data
        fields = ["full_name", "phone", "role", "is_active"]
        changes = {f: data[f] for f in fields if f in data}
        if "region" in data:
            changes["region_code"] = data["region"].code
        try:
            user_update(actor=self.actor, user=self.instance, data=changes, reason=data["reason"])
            if password:
                user_set_password(actor=self.actor, user=self.instance, password=password)
        except ValidationError as e:
            self.service_errors(e)
        return data


@admin.register(User)
class UserAdmin(SystemAdminOnly):
    list_display = ["username", "full_name", "role", "region", "phone", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name", "phone", "^region__code", "region__name"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    ordering = ["region_id", "username"]
    list_per_page = 50
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2"]}),
        (_("岗位"), {"fields": ["role", "region", "full_name", "phone"]}),
    ]
    change_fieldsets = [
        (None, {"fields": ["username", "full_name", "phone"]}),
        (_("岗位"), {"fields": ["role", "region", "is_active"]}),
        (_("修改密码"), {"fields": ["password1", "password2"]}),
        (_("记录"), {"fields": ["reason", "last_login", "date_joined"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.change_fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["username", "last_login", "date_joined"] if obj else []

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Any]]:
        kwargs["form"] = UserChangeForm if obj else UserAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return scope_filter(super().get_queryset(request), request.user, "region__code")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Nothing left to do: the form's service call saved the account and audited it."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # audit events refer to accounts: deactivate instead


# --- Audit log -----------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(SystemAdminOnly):
    """Read only for everyone: no add, change or delete permission, whoever asks."""

    list_display = [
        "at",
        "actor_username",
        "role_label",
        "action",
        "object_type",
        "object_id",
        "region_code",
        "reason",
    ]
    list_filter = ["action", "object_type", "actor_role"]
    search_fields = [
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "^region_code",
        "reason",
    ]
    date_hierarchy = "at"
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = fields = (
        "at",
        "actor_username",
        "role_label",
        "actor_region_code",
        "action",
        "object_type",
        "object_id",
        "region_code",
        "changes_table",
        "reason",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return scope_filter(super().get_queryset(request), request.user, "region_code")

    @admin.display(description=_("角色"), ordering="actor_role")
    def role_label(self, event: AuditEvent) -> str:
        return str(Role(event.actor_role).label) if event.actor_role in Role.values else ""

    @admin.display(description=_("变更内容"))
    def changes_table(self, event: AuditEvent) -> str:
        text = json.dumps(event.changes, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", text)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Working-day calendar ------------------------------------------------------------------


@admin.register(CalendarDay)
class CalendarDayAdmin(SystemAdminOnly):
    """Holidays and make-up working days announced after the installed chinesecalendar. For a
    year the library does not know, enter every holiday and every make-up weekend day of the
    State Council's notice: other weekdays count as working days, weekends as rest days."""

    list_display = ["date", "weekday", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description=_("星期"))
    def weekday(self, day: CalendarDay) -> str:
        return "一二三四五六日"[day.date.weekday()]

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        before = snapshot(CalendarDay.objects.get(pk=obj.pk), CALENDAR_FIELDS) if change else {}
        obj.save()
        self.audit(request, obj, "calendar_day.update" if change else "calendar_day.create", before)

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        before = snapshot(obj, CALENDAR_FIELDS)
        obj.delete()
        self.audit(request, obj, "calendar_day.delete", before, after={})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in queryset:
            self.delete_model(request, day)

    def audit(
        self,
        request: HttpRequest,
        day: CalendarDay,
        action: str,
        before: dict[str, Any],
        after: dict[str, Any] | None = None,
    ) -> None:
        actor: User = request.user  # type: ignore[assignment]
        audit_record(
            actor=actor,
            action=action,
            object_type="CalendarDay",
            object_id=day.date.isoformat(),
            region_code=actor.region_id or NATIONAL_REGION,
            changes=diff(before, snapshot(day, CALENDAR_FIELDS) if after is None else after),
        )


# --- Login lockouts (django-axes) ----------------------------------------------------------


class LockoutAdmin(AccessAttemptAdmin):  # type: ignore[misc]
    """Failed logins; deleting a row unlocks that account at that address before the cool-off
    ends. System administrators see the attempts on accounts of their own subtree."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessAttempt]:
        qs: QuerySet[AccessAttempt] = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        users = scope_filter(User.objects.all(), request.user, "region__code")
        return qs.filter(username__in=users.values("username"))


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, LockoutAdmin)
if admin.site.is_registered(Group):
    admin.site.unregister(Group)  # roles, not groups, decide what a user may do
