"""Reads for the admin pages: campaign counts, contact search, a contact's timeline, contact lists.

Counting happens in SQL. Each count is its own subquery: joining invitations and responses in one
GROUP BY would multiply the rows and inflate both counts.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Round

from core.compiled import CompiledQuery, field_paths, instances_from_row
from surveys.models import Campaign, Contact, ContactList, Invitation, Response


def _count_per_campaign(queryset) -> Subquery:
    return Subquery(
        queryset.filter(campaign=OuterRef("pk")).order_by().values("campaign").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def campaigns_with_counts() -> QuerySet[Campaign]:
    """Every campaign with `invited` (invitations sent), `answered` (responses, anonymous ones too)
    and `response_rate` (a whole percentage of the invited who answered; None before any sending)."""
    invited = Coalesce(_count_per_campaign(Invitation.objects.filter(sent_at__isnull=False)), 0)
    answered_by_invitees = Coalesce(_count_per_campaign(Response.objects.filter(invitation__isnull=False)), 0)
    return (
        Campaign.objects.select_related("touchpoint", "team")
        .annotate(
            invited=invited,
            answered=Coalesce(_count_per_campaign(Response.objects.all()), 0),
            answered_by_invitees=answered_by_invitees,
        )
        .annotate(
            response_rate=Case(
                When(invited=0, then=Value(None)),
                default=Cast(
                    Round(Cast(F("answered_by_invitees"), FloatField()) * 100.0 / Cast(F("invited"), FloatField())),
                    IntegerField(),
                ),
                output_field=IntegerField(),
            )
        )
    )


def contacts_search(
    *, q: str = "", segment: tuple[str, str] | None = None, state: str = "", list_id: int | None = None
) -> QuerySet[Contact]:
    """Contacts matching a free-text search (name, e-mail, company, external id), a segment
    attribute (key, value), a state (opted_out, undeliverable, emailable) and a list."""
    contacts = Contact.objects.select_related("account_owner")
    if q:
        contacts = contacts.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(company__icontains=q) | Q(external_id__iexact=q)
        )
    if segment:
        key, value = segment
        contacts = contacts.filter(**{f"attributes__{key}": value})
    if state == "opted_out":
        contacts = contacts.filter(opted_out_at__isnull=False)
    elif state == "undeliverable":
        contacts = contacts.filter(undeliverable_at__isnull=False)
    elif state == "emailable":
        contacts = contacts.filter(opted_out_at__isnull=True, undeliverable_at__isnull=True, erased_at__isnull=True)
    if list_id:
        contacts = contacts.filter(lists=list_id)
    return contacts.order_by("name", "email", "pk")


def contact_lists_with_counts() -> QuerySet[ContactList]:
    return ContactList.objects.annotate(
        n=Count("contacts"), opted_out=Count("contacts", filter=Q(contacts__opted_out_at__isnull=False))
    )


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # invitation | skipped | failed | response | followup (an app's source adds its own kind)
    obj: object


# What the apps above surveys add to a contact's timeline (followups: its cases). Each app adds its
# source from its AppConfig.ready(): a function contact -> TimelineItems, one query.
_timeline_sources: list[Callable[[Contact], Iterable[TimelineItem]]] = []


def add_timeline_source(source: Callable[[Contact], Iterable[TimelineItem]]) -> None:
    if source not in _timeline_sources:
        _timeline_sources.append(source)


def contact_timeline(*, contact: Contact) -> list[TimelineItem]:
    """Everything that happened with this contact, newest first: invitations (sent, skipped or
    failed), responses, and what the other apps add (follow-up cases). One query per kind, however
    long the history."""
    items = []
    invitations = Invitation.objects.filter(contact=contact).select_related("campaign")
    for invitation in invitations:
        if invitation.sent_at:
            items.append(TimelineItem(invitation.sent_at, "invitation", invitation))
        elif invitation.status == Invitation.Status.SKIPPED:
            items.append(TimelineItem(invitation.created_at, "skipped", invitation))
        elif invitation.status in (Invitation.Status.FAILED, Invitation.Status.BOUNCED):
            items.append(TimelineItem(invitation.created_at, "failed", invitation))
    # An employee's answer (eNPS) is anonymous: no one's timeline shows it (unless they asked to be contacted).
    answers = Response.objects.filter(contact=contact).exclude(kind=Campaign.Kind.EMPLOYEE, may_contact=False)
    for response in answers.select_related("campaign", "touchpoint"):
        items.append(TimelineItem(response.submitted_at, "response", response))
    for source in _timeline_sources:
        items.extend(source(contact))
    # Newest first; at the same instant what an answer led to (a case) is shown above the answer.
    order = {"response": 1, "invitation": 2, "failed": 2, "skipped": 2}
    items.sort(key=lambda item: (item.at, -order.get(item.kind, 0)), reverse=True)
    return items


# --- The respondent's link ---------------------------------------------------------------------
_BY_TOKEN = CompiledQuery(
    lambda token: Invitation.objects.filter(token=token).values_list(
        *field_paths(Invitation),
        *field_paths(Campaign, "campaign__"),
        *field_paths(Contact, "contact__"),
        *field_paths(Response, "response__"),
    )
)


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation with its campaign, contact and response (None when unanswered) loaded, as
    select_related would, in one query whose SQL is compiled once: every answer POST starts here."""
    row = _BY_TOKEN.first(token)
    if row is None:
        return None
    invitation, invitation.campaign, invitation.contact, response = instances_from_row(
        row, Invitation, Campaign, Contact, Response
    )
    if response is None:
        invitation._state.fields_cache["response"] = None
    else:
        response._state.fields_cache["invitation"] = invitation
        invitation.response = response
    return invitation
