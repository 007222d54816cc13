"""Forms of the fund account pages, the reissue and recovery queues and the bank file
templates. They read what the officer typed and say in Chinese what is wrong with it; the
payments services do the business checks, and their PaymentError lands under the field it names
(`add_payment_errors`)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minzheng.core.models import Region, User
from minzheng.core.regions import prefix_q
from minzheng.payments import selectors
from minzheng.payments.models import BankTemplate, FundAccount, FundEntry, FundSource
from minzheng.payments.services.bank import (
    DEFAULT_COLUMNS,
    DEFAULT_RETURN_COLUMNS,
    DEFAULT_SUCCESS_VALUES,
)
from minzheng.payments.services.errors import NON_FIELD, PaymentError
from minzheng.programs.policies import program_choices
from minzheng.registry.forms import DateInput

PERIOD_REVERSED = "起始日期不能晚于截止日期"
ALLOCATION_POSITIVE = "拨入金额应大于0"
ALLOCATION_DOCUMENT_REQUIRED = "资金拨入请填写拨款文号"
ADJUSTMENT_NONZERO = "调账金额不能为0"
ADJUSTMENT_NOTE_REQUIRED = "调账请在摘要中写明原因"
RECOVERY_AMOUNT_POSITIVE = "追回金额应大于0"
COUNTY_REQUIRED = "请选择所属县(区)"
COLUMNS_REQUIRED = "请至少填写一列"
COLUMN_UNKNOWN_FIELD = "第{n}行“{text}”:不认识的字段“{field}”,请从下方字段列表中选择"
COLUMN_NO_HEADER = "第{n}行:请在“=”前写表头"
COLUMN_GUESS_FAILED = "第{n}行“{text}”:请写成“表头=字段”,例如“户名=户名”"
SUCCESS_VALUES_REQUIRED = "请填写银行回盘中表示成功的结果值"

# What a column of a bank's batch file may hold, and the fields of its return file.
BATCH_FIELD_LABELS: dict[str, Any] = {
    "serial": _("序号"),
    "account_name": _("户名"),
    "account_number": _("账号"),
    "id_number": _("身份证号码"),
    "amount": _("金额"),
    "remark": _("摘要"),
    "person_name": _("救助对象姓名"),
    "village": _("所在村(社区)"),
    "program": _("救助项目"),
    "month": _("所属月份"),
}
RETURN_FIELD_LABELS: dict[str, Any] = {
    "account_number": _("账号"),
    "account_name": _("户名"),
    "id_number": _("身份证号码"),
    "amount": _("金额"),
    "result": _("处理结果"),
    "reason": _("失败原因"),
}
DELIMITERS = [
    (",", _("逗号 ,")),
    ("|", _("竖线 |")),
    ("\t", _("制表符")),
]
ENTRY_KINDS = [
    (FundEntry.Kind.ALLOCATION.value, FundEntry.Kind.ALLOCATION.label),
    (FundEntry.Kind.ADJUSTMENT.value, FundEntry.Kind.ADJUSTMENT.label),
]


def add_payment_errors(
    form: forms.BaseForm, error: PaymentError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's PaymentError under the form fields it names (the rest on top)."""
    for key, messages in error.errors.items():
        name = (aliases or {}).get(key, key)
        field = name if name != NON_FIELD and name in form.fields else None
        for message in messages:
            form.add_error(field, message)


def money_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=14, decimal_places=2, **kwargs)


def county_choices(user: User) -> list[tuple[str, str]]:
    """The counties in the user's scope (the user's own county for a county officer)."""
    counties = Region.objects.filter(
        prefix_q("code", user.scope_prefix), level=Region.Level.COUNTY
    ).order_by("code")
    return [(r.code, r.name) for r in counties]


class CountyMixin:
    """A `region_code` field offering the counties in scope, preset when there is one."""

    fields: dict[str, forms.Field]

    def set_counties(self, user: User) -> None:
        field = self.fields["region_code"]
        choices = county_choices(user)
        field.choices = [("", "---------"), *choices]  # type: ignore[attr-defined]
        if len(choices) == 1 and field.initial is None:
            field.initial = choices[0][0]


# --- fund accounts --------------------------------------------------------------------------


class FundAccountForm(CountyMixin, forms.Form):
    name = forms.CharField(label=_("账户名称"), max_length=100)
    source = forms.ChoiceField(label=_("资金来源"), choices=FundSource.choices)
    program = forms.ChoiceField(
        label=_("适用项目"), required=False, help_text=_("不选则用于所有救助项目")
    )
    region_code = forms.ChoiceField(
        label=_("所属县(区)"), error_messages={"required": COUNTY_REQUIRED}
    )
    bank_name = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    account_number = forms.CharField(label=_("账号"), max_length=40, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [  # type: ignore[attr-defined]
            ("", _("所有救助项目")),
            *program_choices(),
        ]
        self.set_counties(user)


def this_year(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)


class StatementPeriodForm(forms.Form):
    """The period of a statement: this year unless asked."""

    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", PERIOD_REVERSED)
        return cleaned

    def period(self, today: datetime.date) -> tuple[datetime.date, datetime.date]:
        first, last = this_year(today)
        if not self.is_valid():
            return first, last
        start = self.cleaned_data.get("date_from")
        end = self.cleaned_data.get("date_to")
        if start and not end:
            end = max(start, last)
        if end and not start:
            start = min(end, first)
        return start or first, end or last


class FundEntryForm(forms.Form):
    """资金拨入 (amount > 0, the allocation's document number) or 调账 (signed, with a reason)."""

    kind = forms.ChoiceField(
        label=_("记账类别"), choices=ENTRY_KINDS, widget=forms.RadioSelect, initial="allocation"
    )
    amount = money_field(_("金额(元)"), help_text=_("调账时调增填正数,调减填负数(如 -120.50)"))
    entry_date = forms.DateField(label=_("记账日期"), widget=DateInput)
    document_number = forms.CharField(
        label=_("文号/凭证号"),
        max_length=100,
        required=False,
        help_text=_("如 裕财社〔2026〕12号"),
    )
    note = forms.CharField(label=_("摘要"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, amount = cleaned.get("kind"), cleaned.get("amount")
        if kind == FundEntry.Kind.ALLOCATION:
            if amount is not None and amount <= 0:
                self.add_error("amount", ALLOCATION_POSITIVE)
            if not (cleaned.get("document_number") or "").strip():
                self.add_error("document_number", ALLOCATION_DOCUMENT_REQUIRED)
        elif kind == FundEntry.Kind.ADJUSTMENT:
            if amount is not None and amount == 0:
                self.add_error("amount", ADJUSTMENT_NONZERO)
            if not (cleaned.get("note") or "").strip():
                self.add_error("note", ADJUSTMENT_NOTE_REQUIRED)
        return cleaned


# --- recovered overpayments -----------------------------------------------------------------


class RecoveryForm(forms.Form):
    receipt = forms.CharField(label=_("收款凭证号"), max_length=100)
    recovered_on = forms.DateField(label=_("追回日期"), widget=DateInput)
    fund_account = forms.ModelChoiceField(
        label=_("缴回专户"), queryset=FundAccount.objects.none(), empty_label="---------"
    )
    amount = money_field(
        _("追回金额(元)"), required=False, help_text=_("不填则按应追回金额全额登记")
    )

    def __init__(self, *args: Any, user: User, program: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts = selectors.fund_accounts(user).filter(is_active=True)
        field = self.fields["fund_account"]
        field.queryset = accounts.filter(program__in=["", program])  # type: ignore[attr-defined]
        field.label_from_instance = lambda a: (  # type: ignore[attr-defined]
            f"{a.name}({a.get_source_display()})"
        )

    def clean_amount(self) -> Decimal | None:
        amount: Decimal | None = self.cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(RECOVERY_AMOUNT_POSITIVE)
        return amount


# --- bank file templates --------------------------------------------------------------------


def field_by_text(text: str, labels: dict[str, Any]) -> str | None:
    """The field a clerk named, by its code or its Chinese label."""
    text = text.strip()
    if text in labels:
        return text
    for code, label in labels.items():
        if str(label) == text:
            return code
    return None


def parse_columns(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Lines "表头=字段" (字段 by its Chinese name or code; a line with only a field name uses
    it as the header too) -> ([{"header", "field"}], errors)."""
    columns: list[dict[str, str]] = []
    errors: list[str] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        header, sep, name = line.replace("=", "=").partition("=")
        header = header.strip()
        if not sep:
            field = field_by_text(header, BATCH_FIELD_LABELS)
            if field is None:
                errors.append(COLUMN_GUESS_FAILED.format(n=n, text=line))
                continue
            columns.append({"header": header, "field": field})
            continue
        if not header:
            errors.append(COLUMN_NO_HEADER.format(n=n))
            continue
        field = field_by_text(name, BATCH_FIELD_LABELS)
        if field is None:
            errors.append(COLUMN_UNKNOWN_FIELD.format(n=n, text=line, field=name.strip()))
            continue
        columns.append({"header": header, "field": field})
    return columns, errors


def columns_text(columns: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{c.get('header', '')}={BATCH_FIELD_LABELS.get(c.get('field', ''), c.get('field', ''))}"
        for c in columns
    )


def split_values(text: str) -> list[str]:
    parts = text.replace(",", ",").replace("、", ",").replace("\n", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


class BankTemplateForm(CountyMixin, forms.Form):
    """A bank's batch file columns as lines "表头=字段", the return file's headers one field
    each, and the result values that mean paid."""

    region_code = forms.ChoiceField(
        label=_("所属县(区)"), error_messages={"required": COUNTY_REQUIRED}
    )
    bank_name = forms.CharField(
        label=_("银行名称"),
        max_length=100,
        help_text=_("与家庭档案中的开户银行名称一致,如 安徽裕安农村商业银行"),
    )
    file_format = forms.ChoiceField(label=_("文件格式"), choices=BankTemplate.Format.choices)
    encoding = forms.ChoiceField(
        label=_("文字编码"),
        choices=BankTemplate.Encoding.choices,
        help_text=_("CSV文件使用;多数银行系统要求GBK"),
    )
    delimiter = forms.ChoiceField(label=_("分隔符"), choices=DELIMITERS)
    columns = forms.CharField(
        label=_("批量文件列(按顺序,每行一列)"),
        widget=forms.Textarea({"rows": 10, "spellcheck": "false"}),
        help_text=_("每行写“表头=字段”,如“收款人户名=户名”;表头与字段相同时可只写字段名"),
        error_messages={"required": COLUMNS_REQUIRED},
    )
    remark_template = forms.CharField(
        label=_("摘要模板"),
        max_length=100,
        help_text=_("可用 {year} 年、{month} 月、{program} 救助项目,如 {year}年{month}月{program}"),
    )
    success_values = forms.CharField(
        label=_("表示成功的结果值"),
        help_text=_("回盘文件“处理结果”列中表示成功的值,用逗号分隔,如 成功,交易成功,S"),
        error_messages={"required": SUCCESS_VALUES_REQUIRED},
    )

    def __init__(
        self, *args: Any, user: User, template: BankTemplate | None = None, **kwargs: Any
    ) -> None:
        initial = self.initial_from(template) if template else self.initial_default()
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.set_counties(user)
        if template is not None:
            self.fields["region_code"].disabled = True
            self.fields["region_code"].choices = [  # type: ignore[attr-defined]
                (template.region_code, dict(county_choices(user)).get(template.region_code, ""))
            ]
        for key, label in RETURN_FIELD_LABELS.items():
            self.fields[f"return_{key}"] = forms.CharField(
                label=label, max_length=50, required=key in ("account_number", "result")
            )

    @staticmethod
    def initial_default() -> dict[str, Any]:
        initial: dict[str, Any] = {
            "file_format": BankTemplate.Format.CSV,
            "encoding": BankTemplate.Encoding.GBK,
            "delimiter": ",",
            "columns": columns_text(DEFAULT_COLUMNS),
            "remark_template": "{year}年{month}月{program}",
            "success_values": ",".join(DEFAULT_SUCCESS_VALUES),
        }
        for key, header in DEFAULT_RETURN_COLUMNS.items():
            initial[f"return_{key}"] = header
        return initial

    @staticmethod
    def initial_from(template: BankTemplate) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "region_code": template.region_code,
            "bank_name": template.bank_name,
            "file_format": template.file_format,
            "encoding": template.encoding,
            "delimiter": template.delimiter,
            "columns": columns_text(template.columns or []),
            "remark_template": template.remark_template,
            "success_values": ",".join(template.success_values or []),
        }
        for key, header in (template.return_columns or {}).items():
            initial[f"return_{key}"] = header
        return initial

    def return_fields(self) -> list[forms.BoundField]:
        return [self[f"return_{key}"] for key in RETURN_FIELD_LABELS]

    def clean_columns(self) -> list[dict[str, str]]:
        columns, errors = parse_columns(self.cleaned_data["columns"])
        if errors:
            raise forms.ValidationError(errors)
        if not columns:
            raise forms.ValidationError(COLUMNS_REQUIRED)
        return columns

    def clean_success_values(self) -> list[str]:
        values = split_values(self.cleaned_data["success_values"])
        if not values:
            raise forms.ValidationError(SUCCESS_VALUES_REQUIRED)
        return values

    def service_kwargs(self) -> dict[str, Any]:
        c = self.cleaned_data
        return {
            "region_code": c["region_code"],
            "bank_name": c["bank_name"].strip(),
            "file_format": c["file_format"],
            "encoding": c["encoding"],
            "delimiter": c["delimiter"],
            "columns": c["columns"],
            "return_columns": {
                key: c[f"return_{key}"].strip()
                for key in RETURN_FIELD_LABELS
                if c.get(f"return_{key}", "").strip()
            },
            "success_values": c["success_values"],
            "remark_template": c["remark_template"],
        }
