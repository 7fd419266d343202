"""What the API reads and writes. Request bodies are checked here (types, lengths, choices);
the product's rules are checked by the services the views call."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from followups.models import FollowUp, FollowUpEvent
from scoring.queries import valid_key
from surveys.addresses import normalise, validate_address
from surveys.models import Answer, Contact, Invitation, Response

MAX_ID = 2**63 - 1
MAX_ATTRIBUTES = 50
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def flat_errors(detail, prefix: str = "") -> list[str]:
    """DRF's nested error detail as "field: message" lines."""
    if isinstance(detail, dict):
        return [
            line
            for key, value in detail.items()
            for line in flat_errors(value, key if key != "non_field_errors" else prefix)
        ]
    if isinstance(detail, list):
        return [line for value in detail for line in flat_errors(value, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


# --- Contacts ----------------------------------------------------------------------------------
class ContactSerializer(serializers.ModelSerializer):
    account_owner = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the staff member who owns the account; null when nobody does.",
    )
    attributes = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Segment attributes (plan, region …)."
    )
    account = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the contact's account (/api/accounts/); null: none."
    )
    account_role = serializers.CharField(
        read_only=True, help_text="The contact's role in the account: decision_maker, user, champion or empty."
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "email",
            "name",
            "external_id",
            "company",
            "phone",
            "language",
            "attributes",
            "account_owner",
            "account",
            "account_role",
            "opted_out_at",
            "sms_opted_out_at",
            "undeliverable_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RowList(serializers.ListSerializer):
    """Checks each row on its own: a bad row is reported in the answer, the others are still stored.
    Validates to a list of (row, []) or (None, problems). Subclasses name what the rows are."""

    not_a_list = gettext_lazy("Send a list of contacts.")
    empty = gettext_lazy("Send at least one contact.")
    too_many = gettext_lazy("At most %(max)s contacts per call; this one has %(count)s. Split it into several calls.")

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError(str(self.not_a_list))
        if not data:
            raise serializers.ValidationError(str(self.empty))
        if len(data) > self.max_length:
            raise serializers.ValidationError(str(self.too_many) % {"max": self.max_length, "count": len(data)})
        rows = []
        for item in data:
            try:
                rows.append((self.child.run_validation(item), []))
            except serializers.ValidationError as error:
                rows.append((None, flat_errors(error.detail)))
        return rows


class ContactRowList(RowList):
    """The contacts of an upsert (RowList's own words)."""


def attributes_field(**kwargs) -> serializers.DictField:
    """Segment attributes in an upsert row (checked by check_attributes)."""
    return serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        help_text=f"Segment attributes, at most {MAX_ATTRIBUTES}; names of 1–80 printable characters. "
        "Merged into the stored ones.",
        **kwargs,
    )


def check_attributes(value: dict) -> dict:
    """At most MAX_ATTRIBUTES attributes, each named as imports name them (scoring.queries.valid_key)."""
    if len(value) > MAX_ATTRIBUTES:
        raise serializers.ValidationError(_("At most %(max)s attributes.") % {"max": MAX_ATTRIBUTES})
    bad = [key for key in value if not valid_key(key)]
    if bad:
        raise serializers.ValidationError(
            _("Invalid attribute name “%(name)s”: use 1–80 printable characters.") % {"name": bad[0][:80]}
        )
    return value


class AddressField(serializers.CharField):
    """An e-mail address by the contacts' one address rule (surveys.addresses): internationalised
    domains, and a UTF-8 local part when the e-mail provider can deliver it; a rejection says why."""

    def __init__(self, **kwargs):
        super().__init__(max_length=254, validators=[validate_address], **kwargs)

    def to_internal_value(self, data):
        return normalise(super().to_internal_value(data))


class ContactRowSerializer(serializers.Serializer):
    email = AddressField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Your system's id for the contact (unique).",
    )
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="For the callback (shown on the case as a number to call) and text-message surveys. Stored in "
        "E.164 form (+31612345678); a number without a country code is read as one of SMS_DEFAULT_REGION.",
    )
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_blank=True)
    account_owner = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="Username or e-mail address of an active staff user.",
    )
    opted_out = serializers.BooleanField(
        required=False, help_text="true opts the contact out; false never opts a contact back in."
    )
    account = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="The account's external id or name (it must exist: upsert accounts first).",
    )
    account_role = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="decision maker, user or champion."
    )
    attributes = attributes_field()

    class Meta:
        list_serializer_class = ContactRowList

    def validate_attributes(self, value):
        return check_attributes(value)


class ContactUpsertSerializer(serializers.Serializer):
    match_on = serializers.ChoiceField(
        choices=["email", "external_id"],
        default="email",
        help_text="Find existing contacts by e-mail address or by external id.",
    )
    contacts = ContactRowSerializer(many=True, max_length=1000, min_length=1)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Position in `contacts`, from 1.")
    errors = serializers.ListField(child=serializers.CharField())


class ContactUpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    errors = RowErrorSerializer(many=True, help_text="The rows that were not stored, and why.")


# --- Triggered surveys -------------------------------------------------------------------------
# The channels a triggered survey can go by (Campaign.Channel's sending ones).
TRIGGER_CHANNELS = [("email", "email"), ("sms", "sms")]


class TriggerSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="A transactional e-mail or text-message campaign that is sending or active.",
    )
    touchpoint = serializers.SlugField(
        max_length=80,
        required=False,
        help_text="Instead of `campaign`: the touchpoint's slug, whose one active "
        "transactional campaign of the `channel` is used.",
    )
    contact = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="Contact id.")
    email = AddressField(required=False, help_text="Instead of `contact`.")
    external_id = serializers.CharField(max_length=100, required=False, help_text="Instead of `contact`.")
    channel = serializers.ChoiceField(
        choices=TRIGGER_CHANNELS,
        required=False,
        help_text="How to send: `email` (the default with `touchpoint`) or `sms`, a text message to the "
        "contact's mobile number. With `campaign`, it must be the campaign's own channel.",
    )
    key = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Idempotency key (or the `Idempotency-Key` header): the same key returns the same invitation.",
    )
    served_by = serializers.CharField(
        max_length=254,
        required=False,
        help_text="Who served the customer (a staff member's username or e-mail): if they answer as a "
        "promoter and say something, that person gets the praise (kudos).",
    )

    def validate_key(self, value):
        if not value.isprintable():
            raise serializers.ValidationError(_("Use printable characters only."))
        return value

    def validate(self, attrs):
        if ("campaign" in attrs) == ("touchpoint" in attrs):
            raise serializers.ValidationError(_("Give either “campaign” or “touchpoint”."))
        if sum(name in attrs for name in ("contact", "email", "external_id")) != 1:
            raise serializers.ValidationError(_("Give one of “contact”, “email” or “external_id”."))
        return attrs


class InvitationSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="trigger_key", read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "campaign", "contact", "key", "status", "skip_reason", "created_at", "sent_at", "answered_at"]
        read_only_fields = fields


# --- Responses ---------------------------------------------------------------------------------
class AnswerSerializer(serializers.ModelSerializer):
    question_text = serializers.CharField(source="question.text", read_only=True)
    question_kind = serializers.CharField(source="question.kind", read_only=True)
    driver = serializers.CharField(source="question.driver", read_only=True)
    choices = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Answer
        fields = ["question", "question_text", "question_kind", "driver", "number", "text", "choices"]
        read_only_fields = fields


class ResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Response
        fields = [
            "id",
            "campaign",
            "contact",
            "invitation",
            "score",
            "category",
            "comment",
            "kind",
            "touchpoint",
            "team",
            "channel",
            "language",
            "submitted_at",
            "updated_at",
        ]
        read_only_fields = fields


class ResponseDetailSerializer(ResponseSerializer):
    answers = AnswerSerializer(many=True, read_only=True, help_text="Answers to the driver questions.")

    class Meta(ResponseSerializer.Meta):
        fields = [*ResponseSerializer.Meta.fields, "answers"]
        read_only_fields = fields


# --- Follow-ups --------------------------------------------------------------------------------
class FollowUpSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the owner; null while unassigned.",
    )
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True, help_text="Root-cause tags.")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "response",
            "contact",
            "category",
            "status",
            "owner",
            "team",
            "due_at",
            "overdue",
            "escalation_level",
            "at_risk",
            "first_contact_at",
            "closed_at",
            "closed_reason",
            "resolution_summary",
            "outcome",
            "tags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, case: FollowUp) -> bool:
        from django.utils import timezone

        return case.status in FollowUp.OPEN_STATUSES and case.due_at < timezone.now()


class FollowUpEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="The staff member; null for the system and the API.",
    )

    class Meta:
        model = FollowUpEvent
        fields = ["id", "kind", "text", "actor", "created_at"]
        read_only_fields = fields


class FollowUpDetailSerializer(FollowUpSerializer):
    events = FollowUpEventSerializer(many=True, read_only=True, help_text="The case history, oldest first.")

    class Meta(FollowUpSerializer.Meta):
        fields = [*FollowUpSerializer.Meta.fields, "events"]
        read_only_fields = fields


class FollowUpUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=FollowUp.Status.choices,
        required=False,
        help_text="new → in_progress → contacted → resolved, or closed from any "
        "open status; resolved and closed cases can be reopened "
        "(in_progress). `replied` is set by Kringloop when the customer's e-mail comes in; "
        "it cannot be chosen.",
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Needed to close a case without contact."
    )
    summary = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="Needed to resolve a case."
    )
    outcome = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs.get("status") and not attrs.get("outcome", "").strip():
            raise serializers.ValidationError(_("Give a “status” (or an “outcome”) to change."))
        return attrs


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


# --- NPS ---------------------------------------------------------------------------------------
class NpsResultSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Number of answers.")
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True, help_text="Exact NPS (−100 to 100); null without answers.")
    nps_rounded = serializers.IntegerField(
        source="nps_display", allow_null=True, help_text="As the dashboard shows it."
    )
    margin = serializers.FloatField(allow_null=True, help_text="95 % margin of error, in NPS points.")
    too_few = serializers.BooleanField(help_text="Fewer answers than the minimum for a meaningful NPS.")


class NpsSummarySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Inclusive.")
    kind = serializers.CharField()
    current = NpsResultSerializer()
    previous = NpsResultSerializer(help_text="The period of the same length just before.")
    delta = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField(help_text="The change is real at 95 % and both periods have enough answers.")
