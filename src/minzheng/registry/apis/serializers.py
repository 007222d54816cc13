"""Serializers shared by several registry endpoints (registry/apis.py): how a person, a household,
a membership and a declaration read in the API. Identity numbers and bank accounts are shown as
the caller's role may see them (registry.selectors.display_*)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minzheng.core.idnumbers import IdNumberError, normalize_id_number
from minzheng.core.scope import in_scope
from minzheng.registry import selectors
from minzheng.registry.models import (
    ETHNIC_GROUPS,
    AssetKind,
    DisabilityCategory,
    Education,
    HukouType,
    IncomeKind,
    JoinReason,
    LabourCapacity,
    MaritalStatus,
    Person,
    Relationship,
    Sex,
)
from minzheng.registry.selectors import display_bank_account, display_id_number


class IdNumberField(serializers.CharField):
    """An identity number: validated on input (the same Chinese messages as the forms), masked
    on output for roles that may not see it in full."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("help_text", "18位居民身份证号码(15位旧号码自动升级);输出按角色脱敏")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        raw = super().to_internal_value(data)
        try:
            return normalize_id_number(raw)
        except IdNumberError as e:
            raise serializers.ValidationError(e.message) from None

    def to_representation(self, value: Any) -> str:
        return display_id_number(self.context["request"].user, str(value))


class BankAccountField(serializers.CharField):
    def to_representation(self, value: Any) -> str:
        return display_bank_account(self.context["request"].user, str(value))


def _choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices, **kwargs)


class PersonFieldsSerializer(serializers.Serializer[Any]):
    """A person's editable fields (sex and birth date follow from the ID number)."""

    id_number = IdNumberField()
    name = serializers.CharField(max_length=50, help_text="姓名")
    ethnicity = _choice([(e, e) for e in ETHNIC_GROUPS], required=False, help_text="民族")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    hukou_type = _choice(HukouType.choices, help_text="户籍性质: urban 城镇, rural 农村")
    region_code = serializers.CharField(max_length=12, help_text="户籍所在村(社区)区划代码")
    marital_status = _choice(MaritalStatus.choices, required=False, allow_blank=True)
    education = _choice(Education.choices, required=False, allow_blank=True)
    labour_capacity = _choice(LabourCapacity.choices, required=False)
    disability_category = _choice(DisabilityCategory.choices, required=False, allow_blank=True)
    disability_grade = serializers.IntegerField(
        min_value=1, max_value=4, required=False, allow_null=True, help_text="残疾等级1-4级"
    )
    disability_certificate = serializers.CharField(max_length=30, required=False, allow_blank=True)
    serious_illness = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="重大疾病名称,无则留空"
    )
    death_date = serializers.DateField(required=False, allow_null=True)


class NewPersonSerializer(PersonFieldsSerializer):
    """A person registered together with a household or a membership; the region defaults to
    the household's."""

    region_code = serializers.CharField(
        max_length=12, required=False, help_text="户籍所在村(社区)区划代码,默认与家庭相同"
    )


class PersonBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = IdNumberField()
    sex = _choice(Sex.choices)
    birth_date = serializers.DateField()
    death_date = serializers.DateField(allow_null=True)


class PersonSerializer(PersonBriefSerializer):
    ethnicity = serializers.CharField()
    phone = serializers.CharField()
    hukou_type = _choice(HukouType.choices)
    region_code = serializers.CharField()
    marital_status = serializers.CharField(help_text="婚姻状况代码,空为未填")
    education = serializers.CharField(help_text="文化程度代码,空为未填")
    labour_capacity = _choice(LabourCapacity.choices)
    disability_category = serializers.CharField(help_text="残疾类别代码,空为无残疾")
    disability_grade = serializers.IntegerField(allow_null=True)
    disability_certificate = serializers.CharField()
    serious_illness = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MembershipSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="成员关系编号(membership_id)")
    person = PersonBriefSerializer()
    relationship = _choice(Relationship.choices, help_text="与户主关系")
    valid_from = serializers.DateField(help_text="加入日期")
    join_reason = _choice(JoinReason.choices)
    valid_to = serializers.DateField(allow_null=True, help_text="离开日期(不含),空为仍在户")
    leave_reason = serializers.CharField(help_text="离开原因代码,空为仍在户")


class HouseholdSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    head = PersonBriefSerializer(allow_null=True)
    address = serializers.CharField()
    region_code = serializers.CharField()
    bank_name = serializers.CharField()
    bank_account_name = serializers.CharField()
    bank_account_number = BankAccountField(help_text="银行账号,按角色脱敏")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class IncomeItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person = PersonBriefSerializer()
    kind = _choice(IncomeKind.choices)
    monthly_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="月均金额(元)"
    )
    note = serializers.CharField()


class AssetItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person = PersonBriefSerializer(allow_null=True)
    kind = _choice(AssetKind.choices)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="价值(元)")
    area = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, help_text="面积(平方米)"
    )
    registration_number = serializers.CharField()
    description = serializers.CharField()


class DeclarationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    household_id = serializers.IntegerField()
    declared_on = serializers.DateField()
    reference_months = serializers.IntegerField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    incomes = IncomeItemSerializer(many=True)
    assets = AssetItemSerializer(many=True)


class PersonDetailSerializer(PersonSerializer):
    household_id = serializers.SerializerMethodField(help_text="当前所在家庭编号(管辖范围内)")

    def get_household_id(self, person: Person) -> int | None:
        household = selectors.household_of(person)
        user = self.context["request"].user
        return household.pk if household and in_scope(user, household.region_code) else None


class HouseholdDetailSerializer(HouseholdSerializer):
    as_of = serializers.SerializerMethodField(help_text="成员名单对应的日期")
    members = serializers.SerializerMethodField(help_text="该日期的家庭成员")

    def _day(self) -> datetime.date:
        day: datetime.date | None = self.context.get("as_of")
        return day or timezone.localdate()

    def get_as_of(self, household: Any) -> datetime.date:
        return self._day()

    @extend_schema_field(MembershipSerializer(many=True))
    def get_members(self, household: Any) -> Any:
        members = selectors.household_members_on(household, self._day())
        return MembershipSerializer(members, many=True, context=self.context).data


class HouseholdFieldsSerializer(serializers.Serializer[Any]):
    address = serializers.CharField(max_length=200, help_text="家庭住址")
    region_code = serializers.CharField(max_length=12, help_text="所在村(社区)区划代码")
    bank_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    bank_account_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    bank_account_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
