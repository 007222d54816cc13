"""Forms of the 信息比对 pages. They read what the clerk typed or picked; the services
(matching/services/*) do the business checks and their MatchingError lands under the field it
names."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.core.models import User
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.matching.models import (
    ExternalDataset,
    FlagStatus,
    MatchFlag,
    MatchRun,
    RuleAction,
)
from minzheng.matching.rules import RULES
from minzheng.matching.schemas import KIND_CHOICES, DatasetSchema
from minzheng.matching.views.common import OTHER_PROGRAMS
from minzheng.programs.models import ReviewOutcome
from minzheng.programs.policies import program_choices
from minzheng.registry.forms import DateInput, region_filter_choices

ALL = ("", _("全部"))
BLANK = ("", "---------")
NOT_IN_FILE = ("", _("(文件中没有此列)"))
FILE_FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
FILE_WRONG_FORMAT = "请上传CSV、Excel(.xlsx)或Parquet文件,旧版Excel(.xls)请另存为.xlsx"
FILE_EMPTY = "上传的文件是空的"
FILE_TOO_LARGE = "文件超过{limit},请分批报送或改用Parquet格式"
REQUIRED_COLUMN = "“{label}”是必需的列,请选择文件中对应的列"
HEADING_TWICE = "文件中的“{heading}”列同时对应了“{a}”和“{b}”,一列只能对应一个字段"
DATE_IN_FUTURE = "数据截止日期不能晚于今天"
REFERRED = "referred"
# Confirming a flag of a case: what the review concludes (continuing is not a confirmation).
CASE_OUTCOMES = [
    (ReviewOutcome.ADJUST.value, ReviewOutcome.ADJUST.label),
    (ReviewOutcome.SUSPEND.value, ReviewOutcome.SUSPEND.label),
    (ReviewOutcome.TERMINATE.value, ReviewOutcome.TERMINATE.label),
]
CANDIDATE_OUTCOMES = [(REFERRED, _("建议纳入(转乡镇受理)"))]
ENGINES = [
    ("duckdb", _("DuckDB(本机,默认)")),
    ("spark", _("Spark(集群,全省或全市大批量)")),
]


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size = size / 1024  # type: ignore[assignment]
    return str(size)


# --- datasets -----------------------------------------------------------------------------------


class DatasetUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("数据类别"), choices=[BLANK, *KIND_CHOICES])
    source = forms.CharField(
        label=_("提供单位"),
        max_length=100,
        help_text=_("报送数据的部门,如“裕安区公安分局”“六安市殡仪馆”"),
        widget=forms.TextInput(attrs={"size": 30}),
    )
    data_date = forms.DateField(
        label=_("数据截止日期"),
        widget=DateInput,
        help_text=_("数据统计到哪一天(不是上传日期)"),
    )
    note = forms.CharField(
        label=_("备注"), max_length=200, required=False, widget=forms.TextInput(attrs={"size": 40})
    )
    file = forms.FileField(
        label=_("数据文件"),
        help_text=_("CSV(UTF-8或GBK编码)、Excel(.xlsx)或Parquet,第一行为列名"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.parquet"}),
    )

    def clean_data_date(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["data_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(DATE_IN_FUTURE)
        return day

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if PurePath(upload.name or "").suffix.lower() not in FILE_FORMATS:
            raise forms.ValidationError(FILE_WRONG_FORMAT)
        if not upload.size:
            raise forms.ValidationError(FILE_EMPTY)
        limit = getattr(settings, "MATCHING_UPLOAD_MAX_BYTES", 0)
        if limit and upload.size > limit:
            raise forms.ValidationError(FILE_TOO_LARGE.format(limit=human_size(limit)))
        return upload


def _sample_cell(row: Any, index: int, heading: str) -> str:
    if isinstance(row, dict):
        value = row.get(heading)
    elif isinstance(row, list | tuple) and index < len(row):
        value = row[index]
    else:
        value = None
    return "" if value is None else str(value)


def sample_table(dataset: ExternalDataset, limit: int = 5) -> list[list[str]]:
    """The file's first rows as cells in the order of its headings (rows are stored as lists
    or as {heading: value})."""
    headers = [str(h) for h in dataset.headers or []]
    return [
        [_sample_cell(row, i, h) for i, h in enumerate(headers)]
        for row in (dataset.sample_rows or [])[:limit]
    ]


def heading_choices(dataset: ExternalDataset) -> list[tuple[str, str]]:
    """Each heading of the file, with its first non-blank value as an example."""
    headers = [str(h) for h in dataset.headers or []]
    rows = sample_table(dataset)
    choices: list[tuple[str, str]] = []
    for i, h in enumerate(headers):
        example = next((r[i] for r in rows if i < len(r) and r[i].strip()), "")
        if len(example) > 20:
            example = example[:19] + "…"
        choices.append((h, f"{h}(例:{example})" if example else h))
    return choices


class ColumnMappingForm(forms.Form):
    """One select per canonical column of the kind, preselected with the guessed heading."""

    def __init__(
        self, *args: Any, dataset: ExternalDataset, schema: DatasetSchema, **kwargs: Any
    ) -> None:
        guessed = dataset.column_mapping or {}
        kwargs.setdefault(
            "initial",
            {c.name: guessed.get(c.name, "") for c in schema.columns if guessed.get(c.name, "")},
        )
        super().__init__(*args, **kwargs)
        self.schema = schema
        choices = [NOT_IN_FILE, *heading_choices(dataset)]
        for column in schema.columns:
            field = forms.ChoiceField(
                label=str(column.label),
                choices=choices,
                required=False,
                help_text=_("必填") if column.required else "",
            )
            field.column = column  # type: ignore[attr-defined]
            self.fields[column.name] = field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        used: dict[str, str] = {}
        for column in self.schema.columns:
            heading = cleaned.get(column.name, "")
            if column.required and not heading:
                self.add_error(column.name, REQUIRED_COLUMN.format(label=column.label))
            elif heading in used:
                first = self.schema.column(used[heading]).label
                self.add_error(
                    column.name, HEADING_TWICE.format(heading=heading, a=first, b=column.label)
                )
            elif heading:
                used[heading] = column.name
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {c.name: self.cleaned_data.get(c.name, "") for c in self.schema.columns}


# --- runs ---------------------------------------------------------------------------------------


class RunStartForm(forms.Form):
    engine = forms.ChoiceField(
        label=_("比对引擎"),
        choices=ENGINES,
        initial="duckdb",
        widget=forms.RadioSelect,
        help_text=_("本县(区)的数据量用默认的DuckDB即可;Spark用于全市、全省的大批量比对"),
    )
    rules = forms.MultipleChoiceField(
        label=_("比对规则"), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args: Any, runnable: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"engine": "duckdb", "rules": runnable})
        super().__init__(*args, **kwargs)
        self.fields["rules"].choices = [  # type: ignore[attr-defined]
            (code, RULES[code].label) for code in runnable
        ]
        self.fields["rules"].error_messages["required"] = _("请至少选择一条比对规则")
        self.fields["rules"].error_messages["invalid_choice"] = _(
            "规则“%(value)s”现在不能运行(没有在用的比对数据或已停用)"
        )


class RunCancelForm(forms.Form):
    confirm = forms.BooleanField(widget=forms.HiddenInput, initial=True, required=False)


# --- flags --------------------------------------------------------------------------------------


def rule_choices(action: str | None = None) -> list[tuple[str, Any]]:
    return [(r.code, r.label) for r in RULES.values() if action is None or r.action == action]


class FlagFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("核实状态"), required=False)
    rule = forms.ChoiceField(label=_("比对规则"), required=False)
    region = forms.ChoiceField(label=_("区划"), required=False)
    program = forms.ChoiceField(label=_("救助项目"), required=False)
    run = forms.ChoiceField(label=_("比对批次"), required=False)
    q = forms.CharField(
        label=_("姓名或身份证号"),
        required=False,
        widget=forms.SearchInput(attrs={"size": 18, "autocomplete": "off"}),
    )
    overdue = forms.BooleanField(label=_("只看超期"), required=False)

    def __init__(
        self,
        *args: Any,
        user: User,
        runs: QuerySet[MatchRun],
        action: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["status"].choices = [ALL, *FlagStatus.choices]  # type: ignore[attr-defined]
        self.fields["rule"].choices = [ALL, *rule_choices(action)]  # type: ignore[attr-defined]
        self.fields["region"].choices = region_filter_choices(user)  # type: ignore[attr-defined]
        others = [(code, label) for code, label in OTHER_PROGRAMS.items() if code != "dibao"]
        self.fields["program"].choices = [  # type: ignore[attr-defined]
            ALL,
            *program_choices(),
            *others,
        ]
        self.fields["run"].choices = [  # type: ignore[attr-defined]
            ALL,
            *[(str(r.pk), r.number) for r in runs.order_by("-created_at", "-id")[:24]],
        ]

    def filter(self, flags: QuerySet[MatchFlag], day: datetime.date) -> QuerySet[MatchFlag]:
        self.is_valid()  # a value outside the lists is dropped; the other filters still apply
        c = self.cleaned_data
        if self.action:
            flags = flags.filter(action=self.action)
        if c.get("status"):
            flags = flags.filter(status=c["status"])
        if c.get("rule"):
            flags = flags.filter(rule=c["rule"])
        if c.get("region"):
            flags = flags.filter(prefix_q("region_code", code_prefix(c["region"])))
        if c.get("program"):
            flags = flags.filter(program=c["program"])
        if c.get("run"):
            flags = flags.filter(run_id=int(c["run"]))
        if c.get("overdue"):
            flags = flags.filter(status=FlagStatus.OPEN, due_on__lt=day)
        q = (c.get("q") or "").strip()
        if q:
            if len(q) >= 15 and q[:-1].isdigit():
                flags = flags.filter(person__id_number=q.upper())
            else:
                flags = flags.filter(person__name__startswith=q)
        return flags


class FlagConfirmForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("核实情况及理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明入户核查或向有关部门核实的情况,将记入复核结论"),
    )
    findings = forms.CharField(
        label=_("补充说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, flag: MatchFlag, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "confirm_%s")  # both work forms are on one page
        super().__init__(*args, **kwargs)
        candidate = flag.action == RuleAction.CANDIDATE or flag.case_id is None
        self.fields["outcome"].choices = (  # type: ignore[attr-defined]
            CANDIDATE_OUTCOMES if candidate else CASE_OUTCOMES
        )
        if candidate:
            self.fields["outcome"].initial = REFERRED
        elif flag.action == RuleAction.SUSPEND:
            self.fields["outcome"].initial = ReviewOutcome.TERMINATE.value
        self.fields["outcome"].error_messages["required"] = _("请选择处理结果")
        self.fields["reason"].error_messages["required"] = _("请填写核实情况及理由")


class FlagDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("不属实的理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如:非同一人、车辆已过户、收入已申报等;同一依据以后不再提示"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "dismiss_%s")
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("请填写不属实的理由")


# --- rules --------------------------------------------------------------------------------------


class RuleSettingsForm(forms.Form):
    enabled = forms.BooleanField(label=_("启用"), required=False)
    threshold = forms.DecimalField(
        label=_("匹配阈值"),
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("-99"),
        widget=forms.NumberInput(attrs={"step": "0.5", "size": 8}),
    )
    due_days = forms.IntegerField(
        label=_("核实时限(工作日)"),
        min_value=1,
        max_value=90,
        widget=forms.NumberInput(attrs={"size": 6}),
    )
    note = forms.CharField(
        label=_("修改说明"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"size": 40}),
    )

    def __init__(self, *args: Any, has_threshold: bool, threshold_help: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not has_threshold:
            del self.fields["threshold"]
        else:
            self.fields["threshold"].help_text = threshold_help
        self.fields["due_days"].error_messages["required"] = _("请填写核实时限")
