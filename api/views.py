"""The REST API: thin views over api.services / api.queries and the other apps' services.

Each view declares the scope each method needs (`required_scopes`, checked by api.permissions);
query parameters are checked by the serializers of api.filters, bodies by api.serializers.
"""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api import queries, services
from api.errors import Conflict
from api.filters import ContactQuery, FollowUpQuery, NpsQuery, ResponseQuery
from api.pagination import Cursor
from api.schema import ErrorSerializer
from api.scopes import (
    CONTACTS_READ,
    CONTACTS_WRITE,
    FOLLOWUPS_READ,
    FOLLOWUPS_WRITE,
    NPS_READ,
    RESPONSES_READ,
    SURVEYS_TRIGGER,
)
from api.serializers import (
    ContactSerializer,
    ContactUpsertResultSerializer,
    ContactUpsertSerializer,
    FollowUpDetailSerializer,
    FollowUpEventSerializer,
    FollowUpSerializer,
    FollowUpUpdateSerializer,
    InvitationSerializer,
    NoteSerializer,
    NpsSummarySerializer,
    ResponseDetailSerializer,
    ResponseSerializer,
    TriggerSerializer,
)
from core.replica import ReplicaReadsMixin
from followups.services import followup_add_note
from scoring.queries import nps_summary, parse_filters
from surveys.unsubscribe import contact_opt_out

CONFLICT = OpenApiResponse(ErrorSerializer, description="The request clashes with the current state (see `detail`).")


def _refused(refusal: services.Refused):
    if refusal.conflict:
        return Conflict(refusal.message)
    return ValidationError({refusal.field: [refusal.message]})


class FilteredList(ReplicaReadsMixin, generics.ListAPIView):
    """A list whose query parameters are checked by `query_serializer` first."""

    query_serializer = None

    def query(self) -> dict:
        query = self.query_serializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


class NewestAnswersFirst(Cursor):
    ordering = ("-submitted_at", "-id")


@csrf_exempt  # the API's views are (DRF's APIView); a POST to an unknown address is a 404 too, not a CSRF page
def not_found(request, *args, **kwargs):
    """An /api/ address no operation answers: the documented 404 body, as JSON."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)


# --- Contacts ----------------------------------------------------------------------------------
@extend_schema_view(get=extend_schema(parameters=[ContactQuery], tags=["contacts"]))
class ContactList(FilteredList):
    """Contacts, newest first (erased contacts are left out)."""

    required_scopes = {"GET": CONTACTS_READ}
    serializer_class = ContactSerializer
    query_serializer = ContactQuery

    def get_queryset(self):
        return queries.contacts(self.query())


@extend_schema_view(get=extend_schema(tags=["contacts"]))
class ContactDetail(generics.RetrieveAPIView):
    """One contact."""

    required_scopes = {"GET": CONTACTS_READ}
    serializer_class = ContactSerializer

    def get_queryset(self):
        return queries.contacts({})


class ContactUpsert(APIView):
    required_scopes = {"POST": CONTACTS_WRITE}

    @extend_schema(request=ContactUpsertSerializer, responses={200: ContactUpsertResultSerializer}, tags=["contacts"])
    def post(self, request):
        """Create or update up to 1,000 contacts, found by e-mail address (or external id).

        Rows are checked as in the CSV import; a bad row is reported in `errors` (by its position)
        and the others are stored. A field left out keeps its stored value; attributes are merged.
        More than 1,000 rows, or no list at all, is a 400 and stores nothing."""
        upsert = ContactUpsertSerializer(data=request.data)
        upsert.is_valid(raise_exception=True)
        result = services.contacts_upsert(
            rows=upsert.validated_data["contacts"], match_on=upsert.validated_data["match_on"], token=request.auth
        )
        return Response(ContactUpsertResultSerializer(result).data)


class ContactOptOut(APIView):
    required_scopes = {"POST": CONTACTS_WRITE}

    @extend_schema(request=None, responses={200: ContactSerializer}, tags=["contacts"])
    def post(self, request, pk: int):
        """Opt the contact out of every future e-mail (as their unsubscribe link does). Idempotent."""
        contact = get_object_or_404(queries.contacts({}), pk=pk)
        contact_opt_out(contact=contact, via=f"api ({request.auth.name})")
        contact.refresh_from_db()
        return Response(ContactSerializer(contact).data)


# --- Triggered surveys -------------------------------------------------------------------------
def _idempotency_key(request, body: dict) -> str:
    header = request.headers.get("Idempotency-Key", "").strip()
    key = body.get("key", "").strip()
    if header and key and header != key:
        raise ValidationError({"key": [_("The Idempotency-Key header and “key” differ; send one of them.")]})
    key = key or header
    if not key:
        raise ValidationError({"key": [_("Send an idempotency key: the Idempotency-Key header or “key”.")]})
    if len(key) > 200 or not key.isprintable():
        raise ValidationError({"key": [_("The idempotency key must be 1–200 printable characters.")]})
    return key


class SurveyTrigger(APIView):
    required_scopes = {"POST": SURVEYS_TRIGGER}

    @extend_schema(
        request=TriggerSerializer,
        tags=["surveys"],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Instead of `key` in the body.",
            )
        ],
        responses={
            201: OpenApiResponse(
                InvitationSerializer, description="A new invitation: queued, or skipped with its reason."
            ),
            200: OpenApiResponse(InvitationSerializer, description="This key was used before: the invitation it made."),
            409: CONFLICT,
        },
    )
    def post(self, request):
        """Survey one contact with a transactional campaign, after an event ("support ticket closed").

        Idempotent by key: calling again with the same key returns the same invitation (200) and
        sends nothing more. A contact who opted out, is undeliverable or erased, or was surveyed
        within the campaign's quiet period gets a `skipped` invitation with its `skip_reason`;
        otherwise the invitation is `queued` and e-mailed by a worker moments later."""
        trigger = TriggerSerializer(data=request.data)
        trigger.is_valid(raise_exception=True)
        data = trigger.validated_data
        key = _idempotency_key(request, data)
        try:
            replay = services.trigger_replay(
                key=key, **{name: value for name, value in data.items() if name not in ("key", "served_by")}
            )
            if replay is not None:
                return Response(InvitationSerializer(replay.invitation).data, status=status.HTTP_200_OK)
            campaign = services.campaign_for_trigger(
                pk=data.get("campaign"), touchpoint=data.get("touchpoint", ""), channel=data.get("channel", "")
            )
            contact = services.contact_lookup(
                pk=data.get("contact"), email=data.get("email", ""), external_id=data.get("external_id", "")
            )
            result = services.survey_trigger(
                campaign=campaign, contact=contact, key=key, served_by=data.get("served_by", "").strip()
            )
        except services.Refused as refusal:
            raise _refused(refusal) from None
        return Response(
            InvitationSerializer(result.invitation).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


@extend_schema_view(get=extend_schema(tags=["surveys"]))
class InvitationDetail(generics.RetrieveAPIView):
    """A triggered invitation: queued, sent, skipped (with the reason), failed, bounced or answered."""

    required_scopes = {"GET": SURVEYS_TRIGGER}
    serializer_class = InvitationSerializer

    def get_queryset(self):
        return queries.invitations()


# --- Responses ---------------------------------------------------------------------------------
@extend_schema_view(get=extend_schema(parameters=[ResponseQuery], tags=["responses"]))
class ResponseList(FilteredList):
    """Responses, newest first, with their comment."""

    required_scopes = {"GET": RESPONSES_READ}
    serializer_class = ResponseSerializer
    query_serializer = ResponseQuery
    pagination_class = NewestAnswersFirst

    def get_queryset(self):
        return queries.responses(self.query())


@extend_schema_view(get=extend_schema(tags=["responses"]))
class ResponseDetail(generics.RetrieveAPIView):
    """One response with its comment and the answers to the driver questions."""

    required_scopes = {"GET": RESPONSES_READ}
    serializer_class = ResponseDetailSerializer

    def get_queryset(self):
        return queries.response_detail()


# --- Follow-ups --------------------------------------------------------------------------------
@extend_schema_view(get=extend_schema(parameters=[FollowUpQuery], tags=["followups"]))
class FollowUpList(FilteredList):
    """Follow-up cases, newest first."""

    required_scopes = {"GET": FOLLOWUPS_READ}
    serializer_class = FollowUpSerializer
    query_serializer = FollowUpQuery

    def get_queryset(self):
        return queries.followups(self.query())


@extend_schema_view(get=extend_schema(tags=["followups"]))
class FollowUpDetail(generics.RetrieveAPIView):
    """One case with its history."""

    required_scopes = {"GET": FOLLOWUPS_READ, "PATCH": FOLLOWUPS_WRITE}
    serializer_class = FollowUpDetailSerializer

    def get_queryset(self):
        return queries.followup_detail()

    @extend_schema(
        request=FollowUpUpdateSerializer, responses={200: FollowUpDetailSerializer, 409: CONFLICT}, tags=["followups"]
    )
    def patch(self, request, pk: int):
        """Change the status of a case, by the same rules as in the product: closing needs a
        `reason`, resolving a `summary`; a transition the status does not allow is a 409."""
        case = self.get_object()
        update = FollowUpUpdateSerializer(data=request.data)
        update.is_valid(raise_exception=True)
        try:
            services.followup_update(followup=case, **update.validated_data)
        except services.Refused as refusal:
            raise _refused(refusal) from None
        return Response(self.get_serializer(self.get_object()).data)


class FollowUpNotes(APIView):
    required_scopes = {"POST": FOLLOWUPS_WRITE}

    @extend_schema(request=NoteSerializer, responses={201: FollowUpEventSerializer}, tags=["followups"])
    def post(self, request, pk: int):
        """Add a note to a case's history."""
        case = get_object_or_404(queries.followups({}), pk=pk)
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        event = followup_add_note(followup=case, actor=None, text=note.validated_data["text"])
        return Response(FollowUpEventSerializer(event).data, status=status.HTTP_201_CREATED)


# --- NPS ---------------------------------------------------------------------------------------
class NpsSummary(ReplicaReadsMixin, APIView):
    required_scopes = {"GET": NPS_READ}

    @extend_schema(parameters=[NpsQuery], responses={200: NpsSummarySerializer}, tags=["nps"])
    def get(self, request):
        """The NPS for a filter set and for the period just before it: the dashboard's numbers
        (its filters, its queries), with n and the 95 % margin of error."""
        NpsQuery(data=request.query_params).is_valid(raise_exception=True)
        filters = parse_filters(request.query_params)
        if filters.errors:  # cannot happen after NpsQuery; a safety net, never a silent default
            raise ValidationError({"non_field_errors": [str(error) for error in filters.errors]})
        summary = nps_summary(filters)
        return Response(
            NpsSummarySerializer(
                {
                    "start": filters.start,
                    "end": filters.end,
                    "kind": filters.kind,
                    "current": summary.current,
                    "previous": summary.previous,
                    "delta": summary.delta,
                    "significant": summary.significant,
                }
            ).data
        )
