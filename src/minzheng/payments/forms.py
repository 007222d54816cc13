"""Forms of the payroll run pages (the run's cycle and the banks' files). They read what the
officer typed; the services (payments/services/*) do the business checks and their PaymentError
lands under the field it names. Every action form carries the run's `version`, so that a run
moved meanwhile by someone else is refused (409) instead of acted on twice."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.core.models import Region, User
from minzheng.core.regions import LEVEL_DIGITS, code_prefix
from minzheng.payments import selectors
from minzheng.payments.models import FundAccount, LineKind, LineStatus, PayrollRun, RunStatus
from minzheng.programs.policies import program_choices
from minzheng.registry.forms import DateInput, region_filter_choices

ALL = ("", _("全部"))
BLANK = ("", "---------")
MONTH_INVALID = "请按“年-月”填写月份,例如2026-11"
FILE_EMPTY = "上传的文件是空的"
FILE_TOO_LARGE = "文件超过{limit}MB,请确认是否为银行的回盘文件"
RETURN_MAX_BYTES = 20 * 1024 * 1024


def county_code(code: str) -> str:
    """The county (6 digits) a 12-digit code lies in, as a 12-digit code."""
    return code[: LEVEL_DIGITS[3]].ljust(12, "0")


class MonthInput(forms.DateInput):
    """The browser's month picker; the value travels as YYYY-MM."""

    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as the date of its first day."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_error_messages = {"invalid": MONTH_INVALID}

    def to_python(self, value: Any) -> datetime.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class RunFilterForm(forms.Form):
    program = forms.ChoiceField(label=_("救助项目"), required=False)
    month = MonthField(label=_("发放月份"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[ALL, *RunStatus.choices])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [ALL, *program_choices()]  # type: ignore[attr-defined]

    def filter(self, runs: QuerySet[PayrollRun]) -> QuerySet[PayrollRun]:
        self.is_valid()  # a value outside the lists is dropped; the other filters still apply
        c = self.cleaned_data
        if c.get("program"):
            runs = runs.filter(program=c["program"])
        if c.get("month"):
            runs = runs.filter(month=c["month"])
        if c.get("status"):
            runs = runs.filter(status=c["status"])
        return runs


def start_region_choices(user: User) -> list[tuple[str, Any]]:
    """The user's county (all of it) and each of its townships."""
    county = county_code(user.region_id)
    regions = Region.objects.filter(code=county) | Region.objects.filter(
        parent_id=county, level=Region.Level.TOWNSHIP, is_active=True
    )
    choices: list[tuple[str, Any]] = []
    for region in regions.order_by("level", "code"):
        if region.level == Region.Level.COUNTY:
            choices.insert(0, (region.code, _("%(name)s(全县/区)") % {"name": region.name}))
        else:
            choices.append((region.code, region.name))
    return choices


class RunStartForm(forms.Form):
    program = forms.ChoiceField(label=_("救助项目"))
    region_code = forms.ChoiceField(
        label=_("发放区划"),
        help_text=_("全县(区)统一发放,或只发放一个乡镇(街道)"),
    )
    month = MonthField(label=_("发放月份"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"region_code": county_code(user.region_id), "month": timezone.localdate()},
        )
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [BLANK, *program_choices()]  # type: ignore[attr-defined]
        self.fields["region_code"].choices = start_region_choices(user)  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    """An action on the run as it was when the page was read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class CancelForm(VersionForm):
    reason = forms.CharField(
        label=_("作废原因"), max_length=200, widget=forms.TextInput(attrs={"size": 40})
    )


def fund_account_label(account: FundAccount, available: Any) -> str:
    return f"{account.name}({account.get_source_display()},可用余额 {available:,.2f} 元)"


class ApprovalForm(VersionForm):
    """集体审批: the meeting's record and the fund account that pays the run."""

    meeting_date = forms.DateField(label=_("会议日期"), widget=DateInput)
    attendees = forms.CharField(
        label=_("参会人员"),
        help_text=_("参会人员姓名,用顿号或逗号分隔"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    decision = forms.CharField(label=_("会议决定"), widget=forms.Textarea(attrs={"rows": 3}))
    fund_account = forms.ModelChoiceField(
        label=_("支付专户"), queryset=FundAccount.objects.none(), empty_label="---------"
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        run: PayrollRun,
        available: dict[int, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["fund_account"]
        field.queryset = payable_accounts(user, run)  # type: ignore[attr-defined]
        labels = available or {}
        field.label_from_instance = lambda a: (  # type: ignore[attr-defined]
            fund_account_label(a, labels[a.pk]) if a.pk in labels else str(a)
        )


def payable_accounts(user: User, run: PayrollRun) -> QuerySet[FundAccount]:
    """The user's active fund accounts that may pay the run: of this program or of all, of a
    region containing the run's."""
    accounts = selectors.fund_accounts(user).filter(is_active=True)
    ids = [
        a.pk
        for a in accounts
        if a.program in ("", run.program) and run.region_code.startswith(code_prefix(a.region_code))
    ]
    return FundAccount.objects.filter(pk__in=ids).order_by("source", "name")


class LineFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("区划"), required=False)
    kind = forms.ChoiceField(label=_("类别"), required=False, choices=[ALL, *LineKind.choices])
    status = forms.ChoiceField(
        label=_("发放状态"), required=False, choices=[ALL, *LineStatus.choices]
    )
    q = forms.CharField(label=_("姓名或身份证号"), required=False, max_length=40)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_filter_choices(user)  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})


class BankReturnForm(forms.Form):
    file = forms.FileField(
        label=_("回盘文件"),
        help_text=_("银行返回的处理结果文件:CSV(GBK或UTF-8编码)或Excel(.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.size:
            raise forms.ValidationError(FILE_EMPTY)
        if upload.size > RETURN_MAX_BYTES:
            raise forms.ValidationError(
                FILE_TOO_LARGE.format(limit=RETURN_MAX_BYTES // (1024 * 1024))
            )
        return upload
