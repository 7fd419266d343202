"""Query parameters of the lists and the NPS summary, checked strictly: an unknown parameter or a
bad value is a 400 naming it (the dashboard ignores bad values; an integration should hear of them)."""

from datetime import date, timedelta

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.serializers import LANGUAGES, MAX_ID
from followups.models import FollowUp
from scoring.queries import KINDS, PERIODS, valid_key
from surveys.models import CUSTOMER_KIND_CHOICES, Campaign, Category

PAGINATION = {"cursor", "page_size"}
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)  # room for the period before, in any time zone


def _id(help_text: str):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text=help_text)


def _flag(help_text: str):
    # default=None: a query string counts as form data, where a missing boolean would read as false.
    return serializers.BooleanField(required=False, allow_null=True, default=None, help_text=help_text)


class StrictQuery(serializers.Serializer):
    """Refuses parameters it does not know (a typo must not silently widen a list)."""

    extra = PAGINATION

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields) - self.extra)
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown parameter.")] for name in unknown})
        return attrs


class ContactQuery(StrictQuery):
    email = serializers.CharField(max_length=254, required=False, help_text="Exact address (any case).")
    external_id = serializers.CharField(max_length=100, required=False)
    updated_since = serializers.DateTimeField(required=False, help_text="Changed at or after (ISO 8601).")
    opted_out = _flag("true: only opted-out contacts; false: only the others.")


class ResponseQuery(StrictQuery):
    submitted_from = serializers.DateTimeField(required=False, help_text="Submitted at or after (ISO 8601).")
    submitted_to = serializers.DateTimeField(required=False, help_text="Submitted before (ISO 8601).")
    campaign = _id("Campaign id.")
    touchpoint = _id("Touchpoint id.")
    team = _id("Team id.")
    contact = _id("Contact id.")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    kind = serializers.ChoiceField(choices=CUSTOMER_KIND_CHOICES, required=False)  # never the employees' eNPS
    channel = serializers.ChoiceField(choices=Campaign.Channel.choices, required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start, end = attrs.get("submitted_from"), attrs.get("submitted_to")
        if start and end and start >= end:
            raise serializers.ValidationError({"submitted_to": [_("Must be later than submitted_from.")]})
        return attrs


class FollowUpQuery(StrictQuery):
    status = serializers.ChoiceField(choices=FollowUp.Status.choices, required=False)
    owner = serializers.CharField(max_length=150, required=False, help_text="Username of the case owner.")
    team = _id("Team id.")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    response = _id("Response id.")
    contact = _id("Contact id.")
    overdue = _flag("true: open cases past their due time; false: all others.")


class NpsQuery(StrictQuery):
    """The dashboard's filters, with the same names and meaning (scoring.queries.parse_filters)."""

    extra = set()
    period = serializers.ChoiceField(
        choices=[*PERIODS, "custom"],
        default="90d",
        help_text="The last 30, 90 or 365 days up to today, or custom (start, end).",
    )
    start = serializers.DateField(required=False, help_text="With period=custom: the first day.")
    end = serializers.DateField(required=False, help_text="With period=custom: the last day (inclusive).")
    kind = serializers.ChoiceField(
        choices=KINDS,
        default=Campaign.Kind.RELATIONAL,
        help_text="Relational and transactional NPS are reported apart; all mixes them.",
    )
    campaign = _id("Campaign id.")
    touchpoint = _id("Touchpoint id.")
    team = _id("Team id.")
    channel = serializers.ChoiceField(choices=Campaign.Channel.choices, required=False)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    segment = serializers.CharField(
        max_length=300,
        required=False,
        trim_whitespace=False,
        help_text="A segment attribute and its value: attribute=value (plan=pro).",
    )

    def validate_segment(self, value):
        key, _sep, text = value.partition("=")
        if not (valid_key(key.strip()) and text.strip()):
            raise serializers.ValidationError(_("Use attribute=value, for example plan=pro."))
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        custom = attrs.get("period") == "custom"
        start, end = attrs.get("start"), attrs.get("end")
        if custom and not (start and end):
            raise serializers.ValidationError({"start": [_("period=custom needs start and end.")]})
        if not custom and (start or end):
            raise serializers.ValidationError({"period": [_("start and end need period=custom.")]})
        if custom and not (EARLIEST <= start <= LATEST and EARLIEST <= end <= LATEST):
            raise serializers.ValidationError({"start": [_("Give dates from 1970 to 2999.")]})
        if custom and (start > end or end - start > timedelta(days=3660)):
            raise serializers.ValidationError({"end": [_("Give an end on or after start, at most 10 years later.")]})
        return attrs
