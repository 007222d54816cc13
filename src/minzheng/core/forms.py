"""Forms of the platform's own pages. They parse and check input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from minzheng.core.models import CalendarDay, Role, User
from minzheng.core.regions import RegionCodeError, normalize_code

PASSWORDS_DIFFER = _("两次输入的密码不一致")
LOGIN_INVALID = _("用户名或密码不正确(密码区分大小写)。连续输错%(limit)s次,账号将被锁定30分钟。")
LOGIN_INACTIVE = _("该账号已停用,请联系系统管理员")
CANNOT_DEACTIVATE_SELF = _("不能停用自己正在使用的账号")
USER_FILE_TOO_LARGE = _("文件不能超过1MB")
DATE_RANGE_REVERSED = _("结束日期不能早于开始日期")
REGION_FIELD_HELP = _("输入区划代码或名称(如 341503100201 或 陶洪村),从列表中选择")
USER_FILE_MAX_BYTES = 1024 * 1024

ACTIVE_CHOICES = [("", _("全部")), ("1", _("在用")), ("0", _("已停用"))]


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": LOGIN_INVALID,
        "inactive": LOGIN_INACTIVE,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": settings.AXES_FAILURE_LIMIT},
        )


class RegionCodeField(forms.CharField):
    """A division code typed or picked from the datalist ("341503100201 陶洪村" is fine too)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("所属区划"))
        kwargs.setdefault("max_length", 120)
        kwargs.setdefault("help_text", REGION_FIELD_HELP)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"list": "region-options", "autocomplete": "off", "class": "region-input"}
        )

    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "").strip()
        if not text:
            return ""
        try:
            return normalize_code(text.split()[0])
        except RegionCodeError as e:
            raise ValidationError(str(e)) from None


def _role_field(*, required: bool = True) -> forms.ChoiceField:
    choices: list[tuple[str, Any]] = list(Role.choices)
    if not required:
        choices = [("", _("全部角色")), *choices]
    return forms.ChoiceField(label=_("角色"), choices=choices, required=required)


class PasswordPairMixin(forms.Form):
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError(PASSWORDS_DIFFER)
        return str(second or "")


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("用户名、姓名或电话"), required=False)
    role = _role_field(required=False)
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    active = forms.ChoiceField(label=_("状态"), choices=ACTIVE_CHOICES, required=False)

    def is_active_value(self) -> bool | None:
        value = self.cleaned_data.get("active", "")
        return None if value == "" else value == "1"


class UserCreateForm(PasswordPairMixin):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    role = _role_field()
    region_code = RegionCodeField()

    field_order = ["username", "full_name", "phone", "role", "region_code"]


class UserEditForm(forms.Form):
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    role = _role_field()
    region_code = RegionCodeField()
    is_active = forms.BooleanField(label=_("账号在用"), required=False)
    reason = forms.CharField(label=_("修改原因"), max_length=200, required=False)

    def __init__(self, *args: Any, target: User, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "full_name": target.full_name,
                "phone": target.phone,
                "role": target.role,
                "region_code": target.region_id,
                "is_active": target.is_active,
            },
        )
        super().__init__(*args, **kwargs)
        self.target, self.actor = target, actor

    def clean_is_active(self) -> bool:
        active = bool(self.cleaned_data.get("is_active"))
        if not active and self.target.pk == self.actor.pk:
            raise ValidationError(CANNOT_DEACTIVATE_SELF)
        return active


class PasswordResetForm(PasswordPairMixin):
    pass


class UserImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV文件"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > USER_FILE_MAX_BYTES:
            raise ValidationError(USER_FILE_TOO_LARGE)
        return bytes(upload.read())


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())
    username = forms.CharField(label=_("操作人用户名"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("操作"), required=False)
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)

    def __init__(
        self,
        *args: Any,
        actions: list[tuple[str, str]],
        object_types: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        action_field = self.fields["action"]
        type_field = self.fields["object_type"]
        assert isinstance(action_field, forms.ChoiceField)
        assert isinstance(type_field, forms.ChoiceField)
        action_field.choices = [("", _("全部")), *actions]
        type_field.choices = [("", _("全部")), *object_types]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", DATE_RANGE_REVERSED)
        return data


class CalendarDayForm(forms.Form):
    start = forms.DateField(label=_("日期(起)"), widget=DateInput())
    end = forms.DateField(
        label=_("日期(止)"),
        required=False,
        widget=DateInput(),
        help_text=_("连续放假时填写最后一天;只录一天可留空"),
    )
    kind = forms.ChoiceField(label=_("类型"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(label=_("节日名称"), max_length=50)


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=_("年份"), min_value=2004, max_value=2100, required=False)

    def year_or(self, default: int) -> int:
        if self.is_valid() and self.cleaned_data.get("year"):
            return int(self.cleaned_data["year"])
        return default
