"""What the API reads and writes about accounts (#24)."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from api.serializers import (
    ContactUpsertResultSerializer,
    RowErrorSerializer,
    RowList,
    attributes_field,
    check_attributes,
)
from surveys.models import Account


class AccountSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username of the account manager."
    )
    team = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    attributes = serializers.DictField(child=serializers.CharField(), read_only=True)
    health = serializers.CharField(
        read_only=True,
        help_text="promoter, passive, detractor, at_risk or silent (README, Accounts and revenue); "
        "empty until the worker first counted it.",
    )
    health_nps = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Account NPS over each contact's latest relational answer."
    )
    contacts = serializers.IntegerField(source="contact_count", read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "external_id",
            "segment",
            "attributes",
            "arr",
            "currency",
            "owner",
            "team",
            "renewal_date",
            "status",
            "churned_at",
            "churn_reason",
            "health",
            "health_nps",
            "health_n",
            "contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AccountRowList(RowList):
    not_a_list = empty = gettext_lazy("Send a list of at least one account.")
    too_many = gettext_lazy("At most %(max)s accounts per call; this one has %(count)s. Split it into several calls.")


class AccountRowSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, help_text="Your CRM's id for the account (the key).")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Needed for a new one.")
    segment = serializers.CharField(max_length=80, required=False, allow_blank=True)
    arr = serializers.IntegerField(
        min_value=0, max_value=2**62 - 1, required=False, allow_null=True, help_text="In whole units of `currency`."
    )
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, allow_blank=True)
    owner = serializers.CharField(
        max_length=254, required=False, allow_blank=True, help_text="Account manager: username or e-mail."
    )
    team = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="A team's name.")
    renewal_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=Account.Status.choices,
        required=False,
        help_text="churned records the churn (once; account.churned webhook); active undoes one.",
    )
    churned_at = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")
    churn_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    attributes = attributes_field()

    class Meta:
        list_serializer_class = AccountRowList

    def validate_attributes(self, value):
        return check_attributes(value)


class AccountUpsertSerializer(serializers.Serializer):
    accounts = AccountRowSerializer(many=True, max_length=1000, min_length=1)


class AccountRowErrorSerializer(RowErrorSerializer):
    row = serializers.IntegerField(help_text="Position in `accounts`, from 1.")


class AccountUpsertResultSerializer(ContactUpsertResultSerializer):
    churned = serializers.IntegerField(help_text="Churns recorded by this call.")
    errors = AccountRowErrorSerializer(many=True, help_text="The rows that were not stored, and why.")


class RevenueSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The team or segment (empty for the total; the date in the trend).")
    accounts = serializers.IntegerField()
    arr_total = serializers.IntegerField(
        help_text="ARR of the active accounts, in the reporting currency (others converted at the fixed rates)."
    )
    weighted_nps = serializers.FloatField(
        allow_null=True, help_text="Σ(ARR × account NPS) ÷ Σ ARR over the accounts with an account NPS."
    )
    arr_at_risk = serializers.IntegerField(help_text="ARR of the accounts whose health is detractor or at risk.")
    arr_silent = serializers.IntegerField(help_text="ARR of the accounts that have not answered in 12 months.")


class RevenuePointSerializer(serializers.Serializer):
    day = serializers.DateField()
    revenue = RevenueSerializer()


class RevenueSummarySerializer(serializers.Serializer):
    currency = serializers.CharField()
    total = RevenueSerializer()
    by_team = RevenueSerializer(many=True)
    by_segment = RevenueSerializer(many=True)
    trend = RevenuePointSerializer(many=True, help_text="The last day stored of each month.")
    rates = serializers.DictField(
        child=serializers.FloatField(),
        help_text="The fixed exchange rates (EXCHANGE_RATES): units of `currency` one unit of each other currency "
        "counts as. ARR in those currencies is converted; in any other currency it is left out.",
    )
    other_currency = serializers.IntegerField(
        help_text="Active accounts in a currency without a rate, left out of the sums."
    )
    left_out = serializers.DictField(
        child=serializers.IntegerField(), help_text="Those accounts by currency: currency code → accounts."
    )
