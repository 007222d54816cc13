"""Income and asset declarations of a household."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import (
    Pagination,
    paginated_response,
    request_user,
)
from minzheng.core.scope import OUT_OF_SCOPE
from minzheng.registry import selectors, services
from minzheng.registry.apis.base import (
    PERSON_NOT_MEMBER,
    RegistryEditors,
    RegistryReaders,
    context_for,
)
from minzheng.registry.apis.serializers import (
    DeclarationSerializer,
)
from minzheng.registry.models import (
    AssetKind,
    IncomeKind,
)


class DeclarationListApi(APIView):
    permission_classes = [RegistryReaders]
    pagination_class = Pagination

    @extend_schema(
        summary="家庭经济状况申报列表",
        description="最新的在前;金额为元,字符串形式的小数。",
        responses={200: DeclarationSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        household = selectors.household_get(user=request_user(request), pk=pk)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.household_declarations(household=household),
            serializer_class=DeclarationSerializer,
        )


class DeclarationIncomeSerializer(serializers.Serializer[Any]):
    person = serializers.IntegerField(help_text="取得收入的家庭成员(居民编号)")
    kind = serializers.ChoiceField(choices=IncomeKind.choices)
    monthly_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), help_text="月均金额(元)"
    )
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class DeclarationAssetSerializer(serializers.Serializer[Any]):
    person = serializers.IntegerField(required=False, allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )
    area = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    registration_number = serializers.CharField(
        max_length=50, required=False, default="", allow_blank=True
    )
    description = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )


class DeclarationCreateApi(APIView):
    permission_classes = [RegistryEditors]

    class InputSerializer(serializers.Serializer[Any]):
        declared_on = serializers.DateField(help_text="申报日期")
        reference_months = serializers.IntegerField(min_value=1, max_value=36, default=12)
        note = serializers.CharField(required=False, default="", allow_blank=True)
        incomes = DeclarationIncomeSerializer(many=True, required=False, default=list)
        assets = DeclarationAssetSerializer(many=True, required=False, default=list)

    @extend_schema(
        summary="新建经济状况申报",
        description="收入按成员、类别填月均金额;财产填价值,房产可填面积。成员须在申报日期时属于本户。",
        request=InputSerializer,
        responses={201: DeclarationSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        household = selectors.household_get(user=actor, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        incomes, assets = f.get("incomes", []), f.get("assets", [])
        members = {m.person_id: m.person for m in household.memberships.all()}
        errors: dict[str, list[str]] = {}
        for name, items in (("incomes", incomes), ("assets", assets)):
            for i, item in enumerate(items):
                pk_ = item.get("person")
                if pk_ is None:
                    continue
                if pk_ not in members:
                    errors[f"{name}[{i}].person"] = [PERSON_NOT_MEMBER.format(pk=pk_)]
                else:
                    item["person"] = members[pk_]
        if errors:
            raise ValidationError(errors)
        declaration = services.declaration_create(
            actor=actor,
            household=household,
            declared_on=f["declared_on"],
            reference_months=f["reference_months"],
            incomes=incomes,
            assets=assets,
            note=f["note"],
        )
        declaration = selectors.household_declarations(household=household).get(pk=declaration.pk)
        out = DeclarationSerializer(declaration, context=context_for(request))
        return Response(out.data, status=status.HTTP_201_CREATED)


class DeclarationDetailApi(APIView):
    permission_classes = [RegistryReaders]

    @extend_schema(summary="经济状况申报详情", responses={200: DeclarationSerializer})
    def get(self, request: Request, pk: int, declaration_id: int) -> Response:
        household = selectors.household_get(user=request_user(request), pk=pk)
        declaration = (
            selectors.household_declarations(household=household).filter(pk=declaration_id).first()
        )
        if declaration is None:
            raise Http404(OUT_OF_SCOPE)
        return Response(DeclarationSerializer(declaration, context=context_for(request)).data)
