"""Forms of the registry pages. They read and check what a clerk typed, with Chinese messages
under each field; the services do the writing and the business checks. A service's
ValidationError lands under the field it names through `apply_service_errors`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model, model_to_dict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.core.idnumbers import IdNumberError, normalize_id_number
from minzheng.core.models import User
from minzheng.core.scope import FULL_ID_VIEWERS
from minzheng.registry import selectors
from minzheng.registry.models import (
    AssetKind,
    Household,
    IncomeKind,
    JoinReason,
    LeaveReason,
    Person,
    Relationship,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PERSON_NOT_FOUND = "在您的管辖范围内没有找到该身份证号码的居民,可选择“新登记居民”"
PHONE_INVALID = "联系电话只能包含数字、空格和“-”,长度7到20位"
BANK_ACCOUNT_INVALID = "银行账号只能由数字组成,长度8到32位"
REASON_REQUIRED = "请填写变更原因"
KEEP_CURRENT_HELP = "当前为 {masked},不修改请留空"

PHONE = re.compile(r"^[\d\- ]{7,20}$")
BANK_ACCOUNT = re.compile(r"^\d{8,32}$")

PERSON_FORM_FIELDS = [
    "name",
    "id_number",
    "ethnicity",
    "phone",
    "hukou_type",
    "region_code",
    "marital_status",
    "education",
    "labour_capacity",
    "disability_category",
    "disability_grade",
    "disability_certificate",
    "serious_illness",
    "death_date",
]
_PERSON_MODEL_FIELDS = [f for f in PERSON_FORM_FIELDS if f not in ("id_number", "region_code")]
HOUSEHOLD_FORM_FIELDS = ["address", "region_code", "bank_name", "bank_account_name"]
_HOUSEHOLD_INITIAL = [*HOUSEHOLD_FORM_FIELDS, "bank_account_number"]


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as ISO 8601."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def reason_field(*, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("变更原因"),
        max_length=500,
        required=required,
        error_messages={"required": REASON_REQUIRED},
        help_text=_("记入操作日志,例如“核对户口簿后更正”"),
    )


def village_choices(user: User) -> list[tuple[str, Any]]:
    """The villages and communities in the user's scope, grouped by township."""
    villages = selectors.regions_in_scope(user=user, levels=(5,)).select_related("parent")
    groups: dict[str, list[tuple[str, str]]] = {}
    for v in villages:
        groups.setdefault(v.parent.name if v.parent else "", []).append((v.code, v.name))
    if len(groups) == 1:
        villages_of_one_township = next(iter(groups.values()))
        if len(villages_of_one_township) == 1:  # a village assistant: nothing to choose
            return villages_of_one_township
        return [("", "---------"), *villages_of_one_township]
    return [("", "---------"), *groups.items()]


def region_filter_choices(user: User) -> list[tuple[str, Any]]:
    """For list filters: everything in scope, each township followed by its villages."""
    regions = selectors.regions_in_scope(user=user, levels=(4, 5)).select_related("parent")
    choices: list[tuple[str, Any]] = [("", _("全部"))]
    groups: dict[str, list[tuple[str, str]]] = {}
    for r in regions:
        if r.level == 4:
            groups.setdefault(r.name, []).insert(0, (r.code, f"{r.name}(全部)"))
        else:
            groups.setdefault(r.parent.name if r.parent else "", []).append((r.code, r.name))
    return [*choices, *groups.items()]


class HouseholdFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("区划"), required=False)
    q = forms.CharField(label=_("户主或成员"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_filter_choices(user)  # type: ignore[attr-defined]


def apply_service_errors(
    form: forms.BaseForm, error: ValidationError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's ValidationError under the form fields it names (the rest on top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        name = (aliases or {}).get(key, key)
        form.add_error(name if name in form.fields else None, errors)


def clean_id_number(raw: str) -> str:
    try:
        return normalize_id_number(raw)
    except IdNumberError as e:
        raise ValidationError(e.message) from None


class PersonForm(forms.Form):
    """A person's own data. For roles that see ID numbers masked, editing starts with an empty
    ID field: leaving it empty keeps the number (nobody reads it off the form)."""

    id_number = forms.CharField(label=_("身份证号码"), max_length=30)
    region_code = forms.ChoiceField(label=_("户籍所在地"))

    def __init__(self, *args: Any, user: User, person: Person | None = None, **kwargs: Any) -> None:
        self.user, self.person = user, person
        self.keeps_id_number = person is not None and user.role not in FULL_ID_VIEWERS
        if person is not None:
            initial = model_to_dict(person, fields=PERSON_FORM_FIELDS)
            if self.keeps_id_number:
                initial["id_number"] = ""
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields.update(
            fields_for_model(Person, fields=_PERSON_MODEL_FIELDS, widgets={"death_date": DateInput})
        )
        self.fields["region_code"].choices = village_choices(user)  # type: ignore[attr-defined]
        if self.keeps_id_number and person is not None:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = KEEP_CURRENT_HELP.format(
                masked=selectors.display_id_number(user, person.id_number)
            )
        self.order_fields(PERSON_FORM_FIELDS)

    def clean_id_number(self) -> str:
        raw = self.cleaned_data["id_number"].strip()
        if not raw and self.keeps_id_number:
            return ""
        return clean_id_number(raw)

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data.get("phone", "")).strip()
        if phone and not PHONE.match(phone):
            raise ValidationError(PHONE_INVALID)
        return phone

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as the person services take them."""
        data = {k: self.cleaned_data[k] for k in PERSON_FORM_FIELDS if k in self.cleaned_data}
        if not data.get("id_number"):
            data.pop("id_number", None)
        return data


class PersonEditForm(PersonForm):
    reason = reason_field()


class PersonPickMixin:
    """`mode` chooses between a registered person (found by ID number within scope) and a new
    person typed into a PersonForm next to this one."""

    user: User
    cleaned_data: dict[str, Any]

    def pick_person(self, field: str) -> Person | None:
        if self.cleaned_data.get("mode") != "existing":
            return None
        raw = str(self.cleaned_data.get(field) or "").strip()
        if not raw:
            raise ValidationError({field: _("请填写身份证号码")})
        try:
            number = clean_id_number(raw)
        except ValidationError as e:
            raise ValidationError({field: e.messages}) from None
        person = selectors.person_get_by_id_number(user=self.user, id_number=number)
        if person is None:
            raise ValidationError({field: PERSON_NOT_FOUND})
        return person


def mode_field(label: StrOrPromise) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=[("existing", _("已登记居民")), ("new", _("新登记居民"))],
        widget=forms.RadioSelect,
        initial="existing",
    )


class HouseholdForm(forms.Form):
    """A household's own data; creation adds the head, editing a reason."""

    bank_account_number = forms.CharField(label=_("银行账号"), max_length=32, required=False)

    def __init__(
        self, *args: Any, user: User, household: Household | None = None, **kwargs: Any
    ) -> None:
        self.user, self.household = user, household
        self.keeps_account = (
            household is not None
            and bool(household.bank_account_number)
            and user.role not in FULL_ID_VIEWERS
        )
        if household is not None:
            initial = model_to_dict(household, fields=_HOUSEHOLD_INITIAL)
            if self.keeps_account:
                initial["bank_account_number"] = ""
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Household, fields=HOUSEHOLD_FORM_FIELDS))
        self.fields["region_code"] = forms.ChoiceField(
            label=_("所在村(社区)"), choices=village_choices(user)
        )
        if self.keeps_account and household is not None:
            self.fields["bank_account_number"].help_text = KEEP_CURRENT_HELP.format(
                masked=selectors.display_bank_account(user, household.bank_account_number)
            )
        self.order_fields(_HOUSEHOLD_INITIAL)

    def clean_bank_account_number(self) -> str:
        number = str(self.cleaned_data.get("bank_account_number", "")).replace(" ", "")
        if number and not BANK_ACCOUNT.match(number):
            raise ValidationError(BANK_ACCOUNT_INVALID)
        return number

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in HOUSEHOLD_FORM_FIELDS}
        number = self.cleaned_data.get("bank_account_number", "")
        if number or not self.keeps_account:
            data["bank_account_number"] = number
        return data


class HouseholdCreateForm(PersonPickMixin, HouseholdForm):
    mode = mode_field(_("户主为"))
    head_id_number = forms.CharField(label=_("户主身份证号码"), max_length=30, required=False)
    valid_from = forms.DateField(label=_("建档日期"), widget=DateInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["valid_from"].initial = timezone.localdate()
        self.order_fields(["mode", "head_id_number", *HOUSEHOLD_FORM_FIELDS])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["head"] = self.pick_person("head_id_number")
        return cleaned


class HouseholdEditForm(HouseholdForm):
    reason = reason_field()


class MemberAddForm(PersonPickMixin, forms.Form):
    mode = mode_field(_("新成员为"))
    id_number = forms.CharField(label=_("成员身份证号码"), max_length=30, required=False)
    relationship = forms.ChoiceField(
        label=_("与户主关系"),
        choices=[("", "---------")]
        + [c for c in Relationship.choices if c[0] != Relationship.HEAD],
    )
    valid_from = forms.DateField(label=_("加入日期"), widget=DateInput)
    join_reason = forms.ChoiceField(label=_("加入原因"), choices=JoinReason.choices)
    reason = reason_field(required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].initial = timezone.localdate()
        self.fields["join_reason"].initial = JoinReason.BIRTH
        self.fields["reason"].help_text = _("可不填,例如“新生儿落户”")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["person"] = self.pick_person("id_number")
        return cleaned


class MemberRemoveForm(forms.Form):
    valid_to = forms.DateField(label=_("离开日期"), widget=DateInput)
    leave_reason = forms.ChoiceField(
        label=_("离开原因"), choices=[("", "---------"), *LeaveReason.choices]
    )
    reason = reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_to"].initial = timezone.localdate()
        self.fields["valid_to"].help_text = _("死亡的填写死亡日期;成员在这一天不再属于本户")


class HeadChangeForm(forms.Form):
    new_head = forms.TypedChoiceField(label=_("新户主"), coerce=int)
    reason = reason_field()

    def __init__(self, *args: Any, members: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {p.pk: p for p in members}
        self.fields["new_head"].choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *((p.pk, p.name) for p in members),
        ]

    def clean_new_head(self) -> Person:
        return self.members[self.cleaned_data["new_head"]]


class DeclarationForm(forms.Form):
    declared_on = forms.DateField(label=_("申报日期"), widget=DateInput)
    reference_months = forms.IntegerField(
        label=_("收入计算期(月)"), min_value=1, max_value=36, initial=12
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["declared_on"].initial = timezone.localdate()


def _member_choices(members: list[Person]) -> list[tuple[Any, str]]:
    return [("", "---------"), *((p.pk, p.name) for p in members)]


class _ItemForm(forms.Form):
    """One row of a declaration: a member (chosen among the household's) and a kind."""

    person = forms.TypedChoiceField(label=_("成员"), coerce=int)

    def __init__(self, *args: Any, members: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {p.pk: p for p in members}
        self.fields["person"].choices = _member_choices(members)  # type: ignore[attr-defined]
        for f in self.fields.values():  # the row's inputs sit in a table under column heads
            f.widget.attrs["aria-label"] = f.label

    def clean_person(self) -> Person | None:
        pk = self.cleaned_data.get("person")
        return self.members.get(pk) if pk not in (None, "") else None


class IncomeItemForm(_ItemForm):
    kind = forms.ChoiceField(label=_("收入类别"), choices=[("", "---------"), *IncomeKind.choices])
    monthly_amount = forms.DecimalField(
        label=_("月均金额(元)"), min_value=0, max_digits=12, decimal_places=2
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class AssetItemForm(_ItemForm):
    kind = forms.ChoiceField(label=_("财产类别"), choices=[("", "---------"), *AssetKind.choices])
    value = forms.DecimalField(label=_("价值(元)"), min_value=0, max_digits=14, decimal_places=2)
    area = forms.DecimalField(
        label=_("面积(平方米)"), min_value=0, max_digits=10, decimal_places=2, required=False
    )
    registration_number = forms.CharField(label=_("登记号"), max_length=50, required=False)
    description = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].required = False
        self.fields["person"].label = _("所有人")
        self.fields["person"].widget.attrs["aria-label"] = _("所有人")


IncomeFormSet = forms.formset_factory(IncomeItemForm, extra=3)
AssetFormSet = forms.formset_factory(AssetItemForm, extra=2)
