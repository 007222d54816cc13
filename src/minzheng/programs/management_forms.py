"""Forms of the dynamic-management pages (复核任务, 举报投诉, 近亲属备案). They read what the
clerk typed and find what it names within the user's scope (a household, a case, a person by
ID number); the services do the business checks and their CaseError lands under the field it
names (views.common.add_case_errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.core.idnumbers import IdNumberError, normalize_id_number
from minzheng.core.models import Role, User
from minzheng.core.regions import prefix_q
from minzheng.programs import selectors
from minzheng.programs.models import Case, RelativeFiling, Review, ReviewKind, ReviewOutcome, TipOff
from minzheng.programs.permissions import REVIEWERS
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.forms import DateInput, region_filter_choices
from minzheng.registry.models import Household, Person

HOUSEHOLD_NOT_FOUND = "在您的管辖范围内没有找到该家庭,请输入户主或成员的身份证号码、姓名"
HOUSEHOLD_AMBIGUOUS = "找到{n}户,请在下面选择其中一户"
HOUSEHOLD_CHOICE_INVALID = "请选择下面列出的家庭"
CASE_NOT_FOUND = "在您的管辖范围内没有案件编号为“{number}”的案件"
CASE_NUMBER_REQUIRED = "请填写案件编号"
TIPOFF_REGION_REQUIRED = "请选择涉及区划,或填写涉及的家庭、案件"
PERSON_ID_REQUIRED = "请填写近亲属的身份证号码"
PERSON_NOT_FOUND = "在您的管辖范围内没有找到该身份证号码的居民,请先在“居民查询”中登记"
DATE_REQUIRED = "请填写日期"
DATE_INVALID = "请按“年-月-日”填写日期,例如2026-03-01"
CHOICE_INVALID = "请从列表中选择"
RELATIVE_REGION_REQUIRED = "请选择备案区划(工作人员所在单位)"

ALL = ("", _("全部"))
BLANK = ("", "---------")
# How many households a search offers to choose from.
HOUSEHOLD_CHOICES = 10


def _date_field(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DateInput,
        error_messages={"required": DATE_REQUIRED, "invalid": DATE_INVALID},
        **kwargs,
    )


def _text(label: Any, rows: int = 3, max_length: int = 4000, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea({"rows": rows}),
        max_length=max_length,
        **kwargs,
    )


def _choice(label: Any, choices: Any, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=False,
        error_messages={"invalid_choice": CHOICE_INVALID},
        **kwargs,
    )


def region_choices(user: User) -> list[tuple[str, Any]]:
    """The user's region and every region beneath it down to the villages, each township
    followed by its villages (for the region a tip-off or a filing belongs to)."""
    regions = registry_selectors.regions_in_scope(user=user, levels=(3, 4, 5))
    choices: list[tuple[str, Any]] = [BLANK]
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for r in regions.select_related("parent"):
        if r.level == 3:
            choices.append((r.code, _("%(name)s(县级)") % {"name": r.name}))
        elif r.level == 4:
            groups.setdefault(r.code, (r.name, []))[1].insert(
                0, (r.code, _("%(name)s(镇级)") % {"name": r.name})
            )
        else:
            township = r.code[:9] + "000"
            parent = r.parent.name if r.parent else township
            groups.setdefault(township, (parent, []))[1].append((r.code, r.name))
    return [*choices, *groups.values()]


def staff_users(user: User, roles: set[Role] | None = None) -> list[User]:
    """Active accounts within the user's scope (with one of `roles` when given)."""
    users = User.objects.filter(prefix_q("region__code", user.scope_prefix), is_active=True)
    if roles is not None:
        users = users.filter(role__in=roles)
    return list(users.select_related("region").order_by("region_id", "role", "username"))


def user_label(u: User) -> str:
    name = u.full_name or u.username
    return f"{name}({Role(u.role).label},{u.region.name})"


def user_choices(users: list[User]) -> list[tuple[Any, str]]:
    return [BLANK, *((u.pk, user_label(u)) for u in users)]


def assignee_candidates(user: User) -> list[User]:
    """Who may be given a tip-off: the township and county staff of the user's scope, and the
    county staff above a township user (a township may hand a tip-off up)."""
    county = User.objects.filter(
        region_id=user.region_id[:6] + "000000",
        role__in=REVIEWERS,
        is_active=True,
    ).select_related("region")
    own = staff_users(user, REVIEWERS)
    seen = {u.pk for u in own}
    return own + [u for u in county.order_by("role", "username") if u.pk not in seen]


# --- 复核任务 -----------------------------------------------------------------------------------


class ReviewFilterForm(forms.Form):
    status = _choice(_("状态"), [ALL, *Review.Status.choices])
    kind = _choice(_("复核类型"), [ALL, *ReviewKind.choices])
    region = _choice(_("区划"), [])
    overdue = forms.BooleanField(label=_("只看已超期"), required=False)
    q = forms.CharField(label=_("案件编号或保障对象姓名"), required=False, max_length=50)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_filter_choices(user)  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})


class ReviewCompleteForm(forms.Form):
    outcome = _choice(_("复核结论"), ReviewOutcome.choices, widget=forms.RadioSelect)
    outcome_reason = _text(
        _("结论理由"),
        max_length=2000,
        help_text=_("调整金额、暂停发放或终止保障必须写明理由;记入操作日志"),
    )
    findings = _text(_("复核情况"), rows=4, help_text=_("入户核查、信息比对等情况"))
    income_from_work = forms.TypedChoiceField(
        label=_("收入增加是否来自务工"),
        choices=[
            ("", _("按最近两次申报判断")),
            ("1", _("是(可进入渐退期)")),
            ("0", _("否")),
        ],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
        help_text=_("仅“调整金额”时使用:月人均收入因务工超过标准的,进入渐退期"),
    )


class ReviewCreateForm(forms.Form):
    """发起复核 of an enrolled case found by its number (举报、信息比对、收入变化 ...)."""

    case_number = forms.CharField(
        label=_("案件编号"), max_length=32, error_messages={"required": CASE_NUMBER_REQUIRED}
    )
    kind = _choice(
        _("复核类型"),
        [BLANK, *((k, v) for k, v in ReviewKind.choices if k != ReviewKind.PERIODIC)],
    )
    reason = _text(_("复核原因"), rows=2, max_length=2000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_case_number(self) -> Case:
        number = self.cleaned_data["case_number"].strip().upper()
        case = selectors.case_list(user=self.user).filter(number=number).first()
        if case is None:
            raise ValidationError(CASE_NOT_FOUND.format(number=number))
        return case


# --- 举报投诉 -----------------------------------------------------------------------------------


class TipOffFilterForm(forms.Form):
    status = _choice(_("状态"), [ALL, *TipOff.Status.choices])
    region = _choice(_("区划"), [])
    overdue = forms.BooleanField(label=_("只看已超期"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_filter_choices(user)  # type: ignore[attr-defined]


def household_label(user: User, h: Household, names: dict[str, str]) -> str:
    """The household as a choice: the head (whose ID number tells namesakes apart), the
    village and the address."""
    head = str(_("%(name)s户") % {"name": h.head.name}) if h.head else "—"
    if h.head:
        head += f"({registry_selectors.display_id_number(user, h.head.id_number)})"
    parts = [head, names.get(h.region_code, h.region_code)]
    if h.address:
        parts.append(h.address)
    return " · ".join(parts)


class TipOffForm(forms.Form):
    """登记举报投诉. The household is found by the text in `household_q` (a member's ID number
    or name): one match is taken, several are offered as `household` to choose from."""

    source = _choice(_("来源"), [BLANK, *TipOff.Source.choices])
    reporter_name = forms.CharField(
        label=_("举报人"), required=False, max_length=50, help_text=_("可匿名;举报人信息保密")
    )
    reporter_contact = forms.CharField(label=_("联系方式"), required=False, max_length=50)
    content = _text(_("举报内容"), rows=4)
    household_q = forms.CharField(
        label=_("涉及家庭"),
        required=False,
        max_length=50,
        help_text=_("户主或成员的身份证号码、姓名或拼音首字母"),
    )
    household = forms.TypedChoiceField(
        label=_("选择家庭"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": HOUSEHOLD_CHOICE_INVALID},
    )
    case_number = forms.CharField(
        label=_("涉及案件编号"),
        required=False,
        max_length=32,
        help_text=_("举报涉及在保对象的,填写案件编号"),
    )
    region_code = _choice(_("涉及区划"), [], help_text=_("不选时按所涉家庭或案件的所在村(社区)"))
    assignee = forms.TypedChoiceField(
        label=_("承办人"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": CHOICE_INVALID},
    )

    def __init__(self, *args: Any, user: User, search_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if search_url:  # typing lists the households found (htmx), to choose from
            self.fields["household_q"].widget.attrs.update(
                {
                    "hx-get": search_url,
                    "hx-target": "#households",
                    "hx-swap": "outerHTML",
                    "hx-trigger": "input changed delay:400ms, search",
                    "hx-params": "household_q",
                    "autocomplete": "off",
                }
            )
        self.fields["region_code"].choices = region_choices(user)  # type: ignore[attr-defined]
        self.candidates = {u.pk: u for u in assignee_candidates(user)}
        self.fields["assignee"].choices = user_choices(  # type: ignore[attr-defined]
            list(self.candidates.values())
        )
        source = self.data if self.is_bound else self.initial
        self.households = self._search(source.get("household_q", ""))
        names = registry_selectors.region_names(h.region_code for h in self.households)
        self.fields["household"].choices = [  # type: ignore[attr-defined]
            (h.pk, household_label(user, h, names)) for h in self.households
        ]

    def _search(self, q: str) -> list[Household]:
        q = str(q).strip()
        if not q:
            return []
        found = registry_selectors.household_filter(user=self.user, q=q)
        return list(found[:HOUSEHOLD_CHOICES])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["household"] = self._clean_household(cleaned)
        cleaned["case"] = self._clean_case(cleaned)
        cleaned["assignee"] = self.candidates.get(cleaned.get("assignee") or 0)
        if not cleaned.get("region_code"):
            linked = cleaned["case"] or cleaned["household"]
            if linked is not None:
                cleaned["region_code"] = linked.region_code
            elif "region_code" not in self.errors:
                self.add_error("region_code", TIPOFF_REGION_REQUIRED)
        return cleaned

    def _clean_household(self, cleaned: dict[str, Any]) -> Household | None:
        by_pk = {h.pk: h for h in self.households}
        chosen = cleaned.get("household")
        if chosen is not None:
            return by_pk.get(chosen)
        if not str(cleaned.get("household_q", "")).strip():
            return None
        if len(self.households) == 1:
            return self.households[0]
        if not self.households:
            self.add_error("household_q", HOUSEHOLD_NOT_FOUND)
        else:
            self.add_error("household", HOUSEHOLD_AMBIGUOUS.format(n=len(self.households)))
        return None

    def _clean_case(self, cleaned: dict[str, Any]) -> Case | None:
        number = str(cleaned.get("case_number", "")).strip().upper()
        if not number:
            return None
        case = selectors.case_list(user=self.user).filter(number=number).first()
        if case is None:
            self.add_error("case_number", CASE_NOT_FOUND.format(number=number))
        return case

    def service_kwargs(self) -> dict[str, Any]:
        c = self.cleaned_data
        return {
            "source": c.get("source", ""),
            "content": c.get("content", ""),
            "region_code": c["region_code"],
            "reporter_name": c.get("reporter_name", ""),
            "reporter_contact": c.get("reporter_contact", ""),
            "household": c["household"],
            "case": c["case"],
            "assignee": c["assignee"],
        }


class TipOffCloseForm(forms.Form):
    investigation = _text(_("核查情况"), rows=4)
    outcome = _choice(_("核查结论"), TipOff.Outcome.choices, widget=forms.RadioSelect)
    open_review = forms.BooleanField(label=_("转入复核:为所涉在保案件生成复核任务"), required=False)


class TipOffAssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("承办人"),
        coerce=int,
        error_messages={"required": CHOICE_INVALID, "invalid_choice": CHOICE_INVALID},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {u.pk: u for u in assignee_candidates(user)}
        self.fields["assignee"].choices = user_choices(  # type: ignore[attr-defined]
            list(self.candidates.values())
        )

    def clean_assignee(self) -> User:
        return self.candidates[self.cleaned_data["assignee"]]


# --- 近亲属备案 ---------------------------------------------------------------------------------


class RelativeFilterForm(forms.Form):
    q = forms.CharField(label=_("近亲属姓名、身份证号码或工作人员姓名"), required=False)
    valid = _choice(
        _("状态"), [ALL, ("current", _("有效")), ("revoked", _("已撤销"))], initial="current"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})


class RelativeFilingForm(forms.Form):
    id_number = forms.CharField(
        label=_("近亲属身份证号码"),
        max_length=18,
        error_messages={"required": PERSON_ID_REQUIRED},
    )
    relation = _choice(_("亲属关系"), [BLANK, *RelativeFiling.Relation.choices])
    staff_name = forms.CharField(
        label=_("工作人员姓名"),
        required=False,
        max_length=50,
        help_text=_("选择了工作人员账号时可不填"),
    )
    staff_user = forms.TypedChoiceField(
        label=_("工作人员账号"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": CHOICE_INVALID},
        help_text=_("有系统账号的应选择,审批时据此回避"),
    )
    staff_kind = _choice(_("人员类别"), [BLANK, *RelativeFiling.StaffKind.choices])
    staff_position = forms.CharField(label=_("职务"), required=False, max_length=50)
    region_code = _choice(_("备案区划"), [], help_text=_("工作人员所在单位"))
    valid_from = _date_field(_("备案日期"))
    note = forms.CharField(label=_("备注"), required=False, max_length=200)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region_code"].choices = region_choices(user)  # type: ignore[attr-defined]
        self.staff = {u.pk: u for u in staff_users(user)}
        self.fields["staff_user"].choices = user_choices(  # type: ignore[attr-defined]
            list(self.staff.values())
        )
        self.fields["valid_from"].initial = timezone.localdate()

    def clean_id_number(self) -> Person:
        raw = self.cleaned_data["id_number"].strip()
        try:
            number = normalize_id_number(raw)
        except IdNumberError as e:
            raise ValidationError(e.message) from None
        person = registry_selectors.person_get_by_id_number(user=self.user, id_number=number)
        if person is None:
            raise ValidationError(PERSON_NOT_FOUND)
        return person

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        staff_user = self.staff.get(cleaned.get("staff_user") or 0)
        cleaned["staff_user"] = staff_user
        if staff_user is not None and not str(cleaned.get("staff_name", "")).strip():
            cleaned["staff_name"] = staff_user.full_name or staff_user.username
        if not cleaned.get("region_code") and staff_user is not None:
            cleaned["region_code"] = staff_user.region_id  # the worker's unit, within the scope
        if not cleaned.get("region_code") and "region_code" not in self.errors:
            self.add_error("region_code", RELATIVE_REGION_REQUIRED)
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        c = self.cleaned_data
        return {
            "person": c["id_number"],
            "staff_name": c.get("staff_name", ""),
            "staff_user": c["staff_user"],
            "staff_kind": c.get("staff_kind", ""),
            "staff_position": c.get("staff_position", ""),
            "relation": c.get("relation", ""),
            "region_code": c.get("region_code", ""),
            "valid_from": c["valid_from"],
            "note": c.get("note", ""),
        }


class RelativeRevokeForm(forms.Form):
    valid_to = _date_field(_("撤销日期"))
    reason = forms.CharField(
        label=_("撤销原因"),
        required=False,
        max_length=500,
        help_text=_("例如“工作人员已调离”“婚姻关系已解除”"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_to"].initial = timezone.localdate()
