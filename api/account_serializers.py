"""What the API reads and writes about accounts (#24)."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.serializers import MAX_ATTRIBUTES, ContactRowList, flat_errors
from scoring.queries import valid_key
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


class AccountRowList(ContactRowList):
    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError(_("Send a list of at least one account."))
        if len(data) > self.max_length:
            raise serializers.ValidationError(
                _("At most %(max)s accounts per call; this one has %(count)s. Split it into several calls.")
                % {"max": self.max_length, "count": len(data)}
            )
        rows = []
        for item in data:
            try:
                rows.append((self.child.run_validation(item), []))
            except serializers.ValidationError as error:
                rows.append((None, flat_errors(error.detail)))
        return rows


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
    attributes = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        help_text=f"Segment attributes, at most {MAX_ATTRIBUTES}; merged into the stored ones.",
    )

    class Meta:
        list_serializer_class = AccountRowList

    def validate_attributes(self, value):
        if len(value) > MAX_ATTRIBUTES or any(not valid_key(key) for key in value):
            raise serializers.ValidationError(
                _("At most %(max)s attributes, named with 1–80 printable characters.") % {"max": MAX_ATTRIBUTES}
            )
        return value


class AccountUpsertSerializer(serializers.Serializer):
    accounts = AccountRowSerializer(many=True, max_length=1000, min_length=1)


class AccountRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Position in `accounts`, from 1.")
    errors = serializers.ListField(child=serializers.CharField())


class AccountUpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    churned = serializers.IntegerField(help_text="Churns recorded by this call.")
    errors = AccountRowErrorSerializer(many=True, help_text="The rows that were not stored, and why.")


class RevenueSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The team or segment (empty for the total; the date in the trend).")
    accounts = serializers.IntegerField()
    arr_total = serializers.IntegerField(help_text="ARR of the active accounts in the reporting currency.")
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
    other_currency = serializers.IntegerField(help_text="Active accounts in another currency, left out of the sums.")
