"""Forms of the case pages. They read what the clerk typed and show Chinese messages under each
field; the case services do the business checks, and their CaseError lands under the field it
names (views.common.add_case_errors). Every step form carries the case's `version`, so that a
step completed meanwhile by someone else is refused instead of done twice."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.core.models import User
from minzheng.programs.models import (
    CaseStatus,
    DocumentKind,
    ExclusionReason,
    Objection,
    SupportMode,
)
from minzheng.programs.policies import POLICIES, program_choices, temporary
from minzheng.programs.policies.base import SELF_CARE_ITEMS, SELF_CARE_LABELS
from minzheng.programs.services import documents as document_services
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.forms import DateInput, region_filter_choices
from minzheng.registry.models import Membership

EXCLUSION_REASON_REQUIRED = "请选择不计入的原因"
APPLICANT_EXCLUDED = "申请人不能认定为不计入保障的成员"
SUPPORT_MODE_REQUIRED = "请选择供养方式"
PROGRAM_REQUIRED = "请选择救助项目"
APPLICANT_REQUIRED = "请选择申请人"
PARAMETER_NOT_OF_PROGRAM = "该参数不属于所选救助项目"
REGION_REQUIRED = "请选择适用区划"
VALID_TO_BEFORE = "失效日期应晚于生效日期"

SPLIT_NAMES = re.compile(r"[、,,;;\s]+")
ALL = ("", _("全部"))
BLANK = ("", "---------")

# Program-specific applicant data (Case.details), named as the policies' validate_details
# names them so that their errors land under these fields.
TEKUN_DETAILS = ("has_able_supporter", "receives_orphan_allowance")
TEMPORARY_DETAILS = ("hardship", "multiple")
EMERGENCY_DETAILS = ("emergency_cause", "emergency_description")
EXPENSE_DETAILS = ("rigid_expense", "expense_kind")
DETAILS_OF: dict[str, tuple[str, ...]] = {
    "tekun": TEKUN_DETAILS,
    "temporary_emergency": TEMPORARY_DETAILS + EMERGENCY_DETAILS,
    "temporary_expense": TEMPORARY_DETAILS + EXPENSE_DETAILS,
}
EXCLUSION_CHOICES = [c for c in ExclusionReason.choices if c[0] != ExclusionReason.SINGLE_PERSON]


def _temporary_choices(attribute: str) -> list[tuple[str, str]]:
    """The choices the 临时救助 policy offers (HARDSHIP_TIERS ...)."""
    return [BLANK, *getattr(temporary, attribute, {}).items()]


def yes_no(label: Any, yes: Any, no: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("1", yes), ("0", no)],
        coerce=lambda v: v == "1",
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
    )


class CaseFilterForm(forms.Form):
    program = forms.ChoiceField(label=_("救助项目"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)
    region = forms.ChoiceField(label=_("区划"), required=False)
    q = forms.CharField(label=_("案件编号、申请人姓名或身份证号"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [ALL, *program_choices()]  # type: ignore[attr-defined]
        self.fields["status"].choices = [ALL, *CaseStatus.choices]  # type: ignore[attr-defined]
        self.fields["region"].choices = region_filter_choices(user)  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})


class MemberExclusionMixin:
    """One "不计入" checkbox and one reason per current member (共同生活家庭成员认定)."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    members: list[Membership]

    def add_exclusion_fields(self, members: list[Membership]) -> None:
        self.members = members
        for m in members:
            name = m.person.name
            self.fields[f"exclude_{m.person_id}"] = forms.BooleanField(
                label=_("不计入"), required=False
            )
            self.fields[f"exclude_{m.person_id}"].widget.attrs["aria-label"] = _(
                "%(name)s不计入保障"
            ) % {"name": name}
            self.fields[f"exclusion_{m.person_id}"] = forms.ChoiceField(
                label=_("不计入原因"), choices=[BLANK, *EXCLUSION_CHOICES], required=False
            )
            self.fields[f"exclusion_{m.person_id}"].widget.attrs["aria-label"] = _(
                "%(name)s不计入的原因"
            ) % {"name": name}

    def member_rows(self) -> list[tuple[Membership, Any, Any]]:
        form: Any = self
        return [
            (m, form[f"exclude_{m.person_id}"], form[f"exclusion_{m.person_id}"])
            for m in self.members
        ]

    def clean_exclusions(self, applicant_id: int | None) -> dict[int, str]:
        form: Any = self
        out: dict[int, str] = {}
        for m in self.members:
            if not self.cleaned_data.get(f"exclude_{m.person_id}"):
                continue
            reason = self.cleaned_data.get(f"exclusion_{m.person_id}", "")
            if not reason:
                form.add_error(f"exclusion_{m.person_id}", EXCLUSION_REASON_REQUIRED)
            elif m.person_id == applicant_id:
                form.add_error(f"exclude_{m.person_id}", APPLICANT_EXCLUDED)
            else:
                out[m.person_id] = reason
        return out


class AcceptanceForm(MemberExclusionMixin, forms.Form):
    """一门受理: the household is chosen before; the applicant among its current members, the
    program, the reason, who is not counted, and the program's own data."""

    program = forms.ChoiceField(label=_("救助项目"), error_messages={"required": PROGRAM_REQUIRED})
    applicant = forms.TypedChoiceField(
        label=_("申请人"), coerce=int, error_messages={"required": APPLICANT_REQUIRED}
    )
    reason = forms.CharField(
        label=_("申请理由"), required=False, widget=forms.Textarea({"rows": 3}), max_length=2000
    )
    is_single_person = forms.BooleanField(
        label=_("单人保(仅申请人单独纳入保障)"),
        required=False,
        help_text=_("低保边缘家庭中的重度残疾人、重病患者等可单独申请;其他成员不计入保障"),
    )
    # 特困
    support_mode = forms.ChoiceField(
        label=_("供养方式"),
        choices=SupportMode.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    has_able_supporter = yes_no(_("是否有具备赡养、抚养、扶养能力的义务人"), _("有"), _("无"))
    receives_orphan_allowance = forms.BooleanField(
        label=_("已领取孤儿基本生活费(未成年人)"), required=False
    )
    # 临时救助
    hardship = forms.ChoiceField(label=_("困难程度"), required=False)
    multiple = forms.DecimalField(
        label=_("评定救助倍数"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=6,
        decimal_places=2,
        help_text=_("当地月低保标准的倍数;不填按该困难程度的上限计算"),
    )
    emergency_cause = forms.ChoiceField(label=_("突发事件原因"), required=False)
    emergency_description = forms.CharField(
        label=_("事件经过"), required=False, widget=forms.Textarea({"rows": 2}), max_length=2000
    )
    rigid_expense = forms.DecimalField(
        label=_("近12个月刚性支出(元)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    expense_kind = forms.ChoiceField(label=_("支出类别"), required=False)

    def __init__(
        self,
        *args: Any,
        members: list[Membership],
        with_exclusions: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [BLANK, *program_choices()]  # type: ignore[attr-defined]
        self.fields["applicant"].choices = [  # type: ignore[attr-defined]
            BLANK,
            *((m.person_id, f"{m.person.name}({m.get_relationship_display()})") for m in members),
        ]
        for name, attribute in (
            ("hardship", "HARDSHIP_TIERS"),
            ("emergency_cause", "EMERGENCY_CAUSES"),
            ("expense_kind", "EXPENSE_KINDS"),
        ):
            self.fields[name].choices = _temporary_choices(attribute)  # type: ignore[attr-defined]
        self.with_exclusions = with_exclusions
        self.members = members
        if with_exclusions:
            self.add_exclusion_fields(members)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("program") == "tekun" and not cleaned.get("support_mode"):
            self.add_error("support_mode", SUPPORT_MODE_REQUIRED)
        cleaned["exclusions"] = (
            self.clean_exclusions(cleaned.get("applicant")) if self.with_exclusions else {}
        )
        return cleaned

    def details(self) -> dict[str, Any]:
        """The program's own data as Case.details keeps it (JSON: strings, numbers, bools)."""
        program = self.cleaned_data.get("program", "")
        out: dict[str, Any] = {}
        for key in DETAILS_OF.get(program, ()):
            value = self.cleaned_data.get(key)
            if value in (None, ""):
                continue
            out[key] = str(value) if isinstance(value, Decimal) else value
        return out

    def service_kwargs(self) -> dict[str, Any]:
        c = self.cleaned_data
        program = c["program"]
        return {
            "program": program,
            "reason": c.get("reason", ""),
            "details": self.details(),
            "is_single_person": bool(c.get("is_single_person")),
            "support_mode": c.get("support_mode", "") if program == "tekun" else "",
        }


# --- the forms of the steps -----------------------------------------------------------------


class StepForm(forms.Form):
    """A step's form: `version` is the case's version when the page was read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def step_args(self) -> dict[str, Any]:
        """outcome, data and note as step_complete takes them."""
        return {"outcome": "", "data": {}, "note": ""}


class AcceptanceStepForm(MemberExclusionMixin, StepForm):
    """受理 of an online application at the window: who is not counted."""

    def __init__(self, *args: Any, members: list[Membership], applicant_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.applicant_id = applicant_id
        self.add_exclusion_fields(members)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["exclusions"] = self.clean_exclusions(self.applicant_id)
        return cleaned


class AuthorizationForm(StepForm):
    signed = forms.BooleanField(
        label=_("申请人及家庭成员已签署家庭经济状况核对授权书"), required=False
    )

    def step_args(self) -> dict[str, Any]:
        return {"outcome": "", "data": {"signed": bool(self.cleaned_data["signed"])}, "note": ""}


class SurveyForm(StepForm):
    surveyors = forms.CharField(
        label=_("调查人员"),
        required=False,
        max_length=200,
        help_text=_("至少2人,姓名之间用顿号或逗号分隔"),
    )
    visited_on = forms.DateField(label=_("入户调查日期"), required=False, widget=DateInput)
    findings = forms.CharField(
        label=_("调查情况"), required=False, widget=forms.Textarea({"rows": 4}), max_length=4000
    )
    self_care_failed = forms.MultipleChoiceField(
        label=_("生活自理能力评估:不能自主完成的项目"),
        choices=[(code, SELF_CARE_LABELS[code]) for code in SELF_CARE_ITEMS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("均能完成为具备生活自理能力;1至3项不能完成为部分丧失;4项以上为完全丧失"),
    )

    def __init__(self, *args: Any, self_care: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self_care:
            del self.fields["self_care_failed"]

    def step_args(self) -> dict[str, Any]:
        c = self.cleaned_data
        names = [n for n in SPLIT_NAMES.split(c.get("surveyors", "")) if n]
        data: dict[str, Any] = {
            "surveyors": names,
            "visited_on": c["visited_on"].isoformat() if c.get("visited_on") else "",
            "findings": c.get("findings", ""),
        }
        if "self_care_failed" in self.fields:
            data["self_care_failed"] = list(c.get("self_care_failed", []))
        return {"outcome": "", "data": data, "note": c.get("findings", "")}


class VerificationForm(StepForm):
    outcome = forms.ChoiceField(
        label=_("核对结果"),
        choices=[("pass", _("符合条件")), ("fail", _("不符合条件"))],
        required=False,
        widget=forms.RadioSelect,
    )
    report_number = forms.CharField(label=_("核对报告编号"), required=False, max_length=50)
    summary = forms.CharField(
        label=_("核对情况"), required=False, widget=forms.Textarea({"rows": 3}), max_length=4000
    )

    def step_args(self) -> dict[str, Any]:
        c = self.cleaned_data
        return {
            "outcome": c.get("outcome", ""),
            "data": {"report_number": c.get("report_number", ""), "summary": c.get("summary", "")},
            "note": c.get("summary", ""),
        }


class DemocraticReviewForm(StepForm):
    eligible_voters = forms.IntegerField(label=_("应到人数"), min_value=0)
    attendees = forms.IntegerField(label=_("实到人数"), min_value=0)
    votes_for = forms.IntegerField(label=_("赞成票"), min_value=0)
    votes_against = forms.IntegerField(label=_("反对票"), min_value=0)
    opinion = forms.CharField(
        label=_("评议意见"), required=False, widget=forms.Textarea({"rows": 3}), max_length=4000
    )

    def step_args(self) -> dict[str, Any]:
        c = self.cleaned_data
        keys = ("eligible_voters", "attendees", "votes_for", "votes_against")
        data: dict[str, Any] = {k: c[k] for k in keys}
        data["opinion"] = c.get("opinion", "")
        return {"outcome": "", "data": data, "note": c.get("opinion", "")}


class DecisionForm(StepForm):
    """乡镇审核 and 审批确认: agree or refuse, with the opinion (required when refusing)."""

    outcome = forms.ChoiceField(
        label=_("审核意见"),
        choices=[("approve", _("同意")), ("refuse", _("不同意"))],
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("意见说明"), required=False, widget=forms.Textarea({"rows": 3}), max_length=4000
    )

    def step_args(self) -> dict[str, Any]:
        c = self.cleaned_data
        return {"outcome": c.get("outcome", ""), "data": {}, "note": c.get("note", "")}


class NoticeEndForm(StepForm):
    """结束公示: the period is over and every objection is resolved."""


class ObjectionForm(forms.Form):
    raised_by_name = forms.CharField(label=_("异议人"), required=False, max_length=50)
    raised_by_contact = forms.CharField(label=_("联系方式"), required=False, max_length=50)
    content = forms.CharField(
        label=_("异议内容"), required=False, widget=forms.Textarea({"rows": 3}), max_length=4000
    )


class ObjectionResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("处理结果"),
        choices=Objection.Outcome.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    investigation = forms.CharField(
        label=_("调查情况"), required=False, widget=forms.Textarea({"rows": 3}), max_length=4000
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), required=False, max_length=500)


class DocumentForm(forms.Form):
    """An upload to the case (申请材料): the service checks the kind, the type and the size, and
    its messages land under these fields."""

    kind = forms.ChoiceField(
        label=_("材料类型"), choices=[BLANK, *DocumentKind.choices], required=False
    )
    file = forms.FileField(label=_("文件"), required=False, allow_empty_file=True)
    step = forms.TypedChoiceField(
        label=_("所属办理环节"),
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": document_services.DOCUMENT_STEP_OTHER_CASE},
    )

    def __init__(self, *args: Any, steps: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [("", _("不属于具体环节")), *steps]  # type: ignore[attr-defined]
        limit = document_services.size_label(document_services.max_bytes())
        self.fields["file"].help_text = _(
            "PDF、JPG、PNG、Word(doc、docx)或Excel(xls、xlsx),不含宏,每个文件不超过%(limit)s"
        ) % {"limit": limit}
        self.fields["file"].widget.attrs["accept"] = ",".join(
            f".{ext}" for ext in (*document_services.FORMATS, *document_services.ALIASES)
        )


class NoticeDayForm(forms.Form):
    """公示名单: the day the list is for (today unless asked) and the phone to call."""

    day = forms.DateField(label=_("日期"), required=False, widget=DateInput)
    contact_phone = forms.CharField(
        label=_("监督电话"),
        required=False,
        max_length=30,
        help_text=_("印在公示名单上,供群众反映情况"),
    )

    def day_or_today(self) -> Any:
        day = self.cleaned_data.get("day") if self.is_valid() else None
        return day or timezone.localdate()


STEP_FORMS: dict[str, type[StepForm]] = {
    "authorization": AuthorizationForm,
    "survey": SurveyForm,
    "verification": VerificationForm,
    "democratic_review": DemocraticReviewForm,
    "township_review": DecisionForm,
    "county_approval": DecisionForm,
    "public_notice": NoticeEndForm,
}


# --- standards --------------------------------------------------------------------------------


def parameter_choices() -> list[tuple[str, Any]]:
    """Every program's parameters, grouped by program (the value is program:parameter)."""
    return [
        (
            policy.label,
            [
                (f"{code}:{name}", f"{spec.label}({spec.unit})" if spec.unit else spec.label)
                for name, spec in policy.parameters.items()
            ],
        )
        for code, policy in POLICIES.items()
    ]


def standard_region_choices(user: User) -> list[tuple[str, str]]:
    """The county of the user and its townships (a township may differ from its county)."""
    regions = registry_selectors.regions_in_scope(user=user, levels=(3, 4))
    return [BLANK, *((r.code, f"{r.name}({r.code})") for r in regions)]


class StandardForm(forms.Form):
    parameter = forms.ChoiceField(label=_("参数"))
    region_code = forms.ChoiceField(
        label=_("适用区划"), error_messages={"required": REGION_REQUIRED}
    )
    valid_from = forms.DateField(label=_("生效日期"), widget=DateInput)
    value = forms.DecimalField(label=_("数值"), max_digits=14, decimal_places=4)
    valid_to = forms.DateField(
        label=_("失效日期"),
        required=False,
        widget=DateInput,
        help_text=_("一般不填:下一次调整生效时自动失效"),
    )
    note = forms.CharField(
        label=_("文件依据"),
        required=False,
        max_length=200,
        help_text=_("例如“六政办〔2026〕12号”"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parameter"].choices = [BLANK, *parameter_choices()]  # type: ignore[attr-defined]
        self.fields["region_code"].choices = standard_region_choices(user)  # type: ignore[attr-defined]
        self.fields["valid_from"].initial = timezone.localdate().replace(day=1)

    def clean_parameter(self) -> tuple[str, str]:
        program, _sep, name = self.cleaned_data["parameter"].partition(":")
        if program not in POLICIES or name not in POLICIES[program].parameters:
            raise ValidationError(PARAMETER_NOT_OF_PROGRAM)
        return program, name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end <= start:
            self.add_error("valid_to", VALID_TO_BEFORE)
        return cleaned
