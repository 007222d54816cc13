"""A person's and a household's payment history (the village assistant answers residents from
it): every payment line in the caller's scope, newest month first."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minzheng.core.api import Pagination, paginated_response, request_user
from minzheng.payments import selectors
from minzheng.payments.apis.base import PaymentHistoryReaders
from minzheng.payments.apis.serializers import PaymentHistorySerializer
from minzheng.registry import selectors as registry_selectors


class PersonPaymentsApi(APIView):
    permission_classes = [PaymentHistoryReaders]
    pagination_class = Pagination

    OutputSerializer = PaymentHistorySerializer

    @extend_schema(
        summary="个人发放记录",
        description="该居民作为救助对象的全部发放明细(含补发、差额调整和一次性救助),最新的在前。",
        responses={200: PaymentHistorySerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        person = registry_selectors.person_get(user=user, pk=pk)
        lines = selectors.person_payments(user, person).select_related("person")
        return paginated_response(
            request=request, view=self, queryset=lines, serializer_class=self.OutputSerializer
        )


class HouseholdPaymentsApi(APIView):
    permission_classes = [PaymentHistoryReaders]
    pagination_class = Pagination

    OutputSerializer = PaymentHistorySerializer

    @extend_schema(
        summary="家庭发放记录",
        description="该家庭全部案件的发放明细,最新的在前。",
        responses={200: PaymentHistorySerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        household = registry_selectors.household_get(user=user, pk=pk)
        lines = selectors.household_payments(user, household)
        return paginated_response(
            request=request, view=self, queryset=lines, serializer_class=self.OutputSerializer
        )
