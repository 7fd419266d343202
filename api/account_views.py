"""The REST API's accounts (#24): list and read them, bulk upsert on external id (a churn recorded
on the way), and the revenue figures. Thin views over surveys.account_import and scoring.revenue."""

from django.db.models import Count
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.account_serializers import (
    AccountSerializer,
    AccountUpsertResultSerializer,
    AccountUpsertSerializer,
    RevenueSummarySerializer,
)
from api.filters import StrictQuery
from api.scopes import ACCOUNTS_READ, ACCOUNTS_WRITE
from api.views import FilteredList
from scoring.revenue import revenue_summary
from surveys.account_import import accounts_upsert
from surveys.account_rules import HEALTHS
from surveys.models import Account


class AccountQuery(StrictQuery):
    external_id = serializers.CharField(max_length=100, required=False)
    status = serializers.ChoiceField(choices=Account.Status.choices, required=False)
    health = serializers.ChoiceField(choices=HEALTHS, required=False)
    updated_since = serializers.DateTimeField(required=False, help_text="Changed at or after (ISO 8601).")


def accounts(params: dict):
    qs = Account.objects.select_related("owner", "team").annotate(contact_count=Count("contacts"))
    for name in ("external_id", "status", "health"):
        if params.get(name):
            qs = qs.filter(**{name: params[name]})
    if params.get("updated_since"):
        qs = qs.filter(updated_at__gte=params["updated_since"])
    return qs


@extend_schema_view(get=extend_schema(parameters=[AccountQuery], tags=["accounts"]))
class AccountList(FilteredList):
    """Accounts, newest first, with their health (README, Accounts and revenue)."""

    required_scopes = {"GET": ACCOUNTS_READ}
    serializer_class = AccountSerializer
    query_serializer = AccountQuery

    def get_queryset(self):
        return accounts(self.query())


@extend_schema_view(get=extend_schema(tags=["accounts"]))
class AccountDetail(generics.RetrieveAPIView):
    """One account."""

    required_scopes = {"GET": ACCOUNTS_READ}
    serializer_class = AccountSerializer

    def get_queryset(self):
        return accounts({})


class AccountUpsert(APIView):
    required_scopes = {"POST": ACCOUNTS_WRITE}

    @extend_schema(request=AccountUpsertSerializer, responses={200: AccountUpsertResultSerializer}, tags=["accounts"])
    def post(self, request):
        """Create or update up to 1,000 accounts, found by external id, as the accounts CSV does.

        A bad row is reported in `errors` (by its position) and the others are stored; a field left
        out keeps its stored value; attributes are merged. `status: churned` records the churn once
        (with `churned_at`, default today, and `churn_reason`) and sends `account.churned`."""
        upsert = AccountUpsertSerializer(data=request.data)
        upsert.is_valid(raise_exception=True)
        rows, errors = [], []
        for position, (row, problems) in enumerate(upsert.validated_data["accounts"], start=1):
            if row is None:
                errors.append({"row": position, "errors": problems})
            else:
                rows.append((position, row))
        result = accounts_upsert(rows=rows, actor=None, via=f"api ({request.auth.name})")
        result.errors = sorted(errors + result.errors, key=lambda entry: entry["row"])
        return Response(AccountUpsertResultSerializer(result).data)


class RevenueSummary(APIView):
    required_scopes = {"GET": ACCOUNTS_READ}

    @extend_schema(responses={200: RevenueSummarySerializer}, tags=["accounts"])
    def get(self, request):
        """The revenue-weighted NPS and revenue at risk (README, Accounts and revenue): in total, by
        account team and by segment, and by month, as on the accounts page."""
        return Response(RevenueSummarySerializer(revenue_summary()).data)
