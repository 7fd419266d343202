"""The API's own rules: tokens, bulk contact upserts, triggered surveys, case updates.

Everything else the API does calls the services and queries of the other apps, so a change made
through the API follows the same rules (and leaves the same events and audit entries) as one made
in the product's pages.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api import tokens
from api.models import ApiToken
from api.scopes import SCOPES
from core.audit import audit_log
from core.mail import message_id_of
from core.queue import enqueue_on_commit
from followups.models import FollowUp
from followups.services import ALLOWED, followup_transition
from surveys import delivery, imports, sending
from surveys.models import Campaign, Contact, Invitation, Touchpoint
from surveys.sms import gate_for, renderer_for

logger = logging.getLogger(__name__)

SEND_TASK = "api.tasks.send_triggered_invitation"
UPSERT_MAX = 1000
Status = Invitation.Status


class Refused(Exception):
    """The request is well-formed but cannot be done now; `conflict` says it clashes with the
    current state (409) rather than being wrong in itself (400)."""

    def __init__(self, message: str, *, field: str = "non_field_errors", conflict: bool = False):
        super().__init__(message)
        self.message, self.field, self.conflict = message, field, conflict


# --- Tokens ------------------------------------------------------------------------------------
def token_create(*, name: str, scopes: list[str], actor) -> tuple[ApiToken, str]:
    """Create a token; returns it with its whole secret, which is never stored and never shown again."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValidationError(_("Choose at least one of the listed scopes."))
    for _attempt in range(5):  # the 32-bit prefix is unique; a clash is rare, so just draw again
        prefix, raw = tokens.new_token()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    name=name.strip()[:100],
                    prefix=prefix,
                    secret_hash=tokens.secret_hash(raw),
                    scopes=sorted(set(scopes)),
                    created_by=actor,
                )
                audit_log(actor=actor, action="api_token.created", target=token, data={"scopes": token.scopes})
            return token, raw
        except IntegrityError:
            continue
    raise RuntimeError("Could not draw a unique token prefix.")


def token_revoke(*, token: ApiToken, actor) -> bool:
    """Revoke a token for good (it answers 401 from now on). False if it already was."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if changed:
            audit_log(actor=actor, action="api_token.revoked", target=token)
    return bool(changed)


# --- Contacts ----------------------------------------------------------------------------------
FIELDS = (
    "email",
    "name",
    "external_id",
    "company",
    "phone",
    "language",
    "account_owner",
    "opted_out",
    "account",
    "account_role",
)
# Column names for the contact fields that no attribute name can take (attribute names are printable).
FIELD_COLUMNS = {name: f"\x00{name}" for name in FIELDS}


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row": position (1-based), "errors": [...]}


def _cells(row: dict) -> tuple[list[str], dict[str, str], list[str]]:
    """A JSON row as the CSV import sees one: headers, mapping and cells. Absent fields are empty
    cells, which the import treats as "leave as it is" (and "opted out: no" never opts back in)."""
    attributes = row.get("attributes") or {}
    values = {name: row.get(name) for name in FIELDS}
    values["opted_out"] = "yes" if values["opted_out"] is True else ""
    headers = [FIELD_COLUMNS[name] for name in FIELDS] + list(attributes)
    mapping = {FIELD_COLUMNS[name]: name for name in FIELDS} | dict.fromkeys(attributes, "attribute")
    cells = [str(values[name] or "") for name in FIELDS] + [str(value) for value in attributes.values()]
    return headers, mapping, cells


def contacts_upsert(*, rows: list[tuple[dict | None, list[str]]], match_on: str, token: ApiToken) -> UpsertResult:
    """Create or update contacts keyed by e-mail or external id, with the CSV import's row checks and
    upsert (surveys.imports), so both paths store the same things the same way.

    `rows`: per position, the row's fields after type checks, or None with the problems found.
    Valid rows are written in one transaction; a row that collides with a change made meanwhile is
    reported and skipped, not the whole call.
    """
    if len(rows) > UPSERT_MAX:
        raise ValidationError(_("At most %(max)s contacts per call.") % {"max": UPSERT_MAX})
    report, cells = imports.RowReport(), []
    for line, (row, problems) in enumerate(rows, start=1):
        if row is None:
            report.add_error(line, problems)
        else:
            cells.append((line, *_cells(row)))
    created, updated = imports.upsert_rows(cells, match_on=match_on, report=report)
    audit_log(
        actor=None,
        action="contacts.upserted",
        target=token,
        data={"created": created, "updated": updated, "errors": report.error_count, "match_on": match_on},
    )
    return UpsertResult(created=created, updated=updated, errors=report.errors)


def contact_lookup(*, pk: int | None = None, email: str = "", external_id: str = "") -> Contact:
    """The (not erased) contact with this id, e-mail address or external id."""
    contacts = Contact.objects.filter(erased_at__isnull=True)
    if pk is not None:
        contact, name = contacts.filter(pk=pk).first(), "contact"
    elif email:
        contact, name = contacts.filter(email__iexact=email.strip()).first(), "email"
    else:
        contact, name = contacts.filter(external_id=external_id).first(), "external_id"
    if contact is None:
        raise Refused(_("No contact matches; create it first with the contacts upsert."), field=name)
    return contact


# --- Triggered (transactional) surveys ----------------------------------------------------------
def campaign_for_trigger(*, pk: int | None = None, touchpoint: str = "", channel: str = "") -> Campaign:
    """The campaign to survey with: by id, or the one active transactional campaign of a touchpoint
    that sends by `channel` (e-mail unless "sms" is asked for)."""
    if pk is not None:
        campaign = Campaign.objects.filter(pk=pk).first()
        if campaign is None:
            raise Refused(_("No campaign with this id."), field="campaign")
        if channel and campaign.channel != channel:
            raise Refused(
                _("This campaign sends by %(channel)s.") % {"channel": campaign.get_channel_display().lower()},
                field="channel",
            )
        return campaign
    if not Touchpoint.objects.filter(slug=touchpoint).exists():
        raise Refused(_("No touchpoint with this slug."), field="touchpoint")
    channel = channel or Campaign.Channel.EMAIL
    found = list(
        Campaign.objects.filter(
            touchpoint__slug=touchpoint,
            kind=Campaign.Kind.TRANSACTIONAL,
            channel=channel,
            status__in=sending.SENDS,
        )[:2]
    )
    if not found:
        raise Refused(
            _("This touchpoint has no active transactional text-message campaign.")
            if channel == Campaign.Channel.SMS
            else _("This touchpoint has no active transactional e-mail campaign."),
            field="touchpoint",
            conflict=True,
        )
    if len(found) > 1:
        raise Refused(
            _("This touchpoint has several active transactional campaigns; name one with “campaign”."),
            field="touchpoint",
            conflict=True,
        )
    return found[0]


@dataclass
class Triggered:
    invitation: Invitation
    created: bool


def _recently_surveyed(contact_id: int, days: int, *, now, pending: bool, exclude: int | None = None) -> bool:
    """Sent an invitation within `days` (or, with `pending`, has a triggered one still waiting to go)."""
    since = now - timedelta(days=days)
    recent = Q(sent_at__gte=since)
    if pending:
        recent |= Q(status=Status.QUEUED, wave__isnull=True, created_at__gte=since)
    return Invitation.objects.filter(recent, contact_id=contact_id).exclude(pk=exclude).exists()


def _same_request(invitation: Invitation, campaign: Campaign, contact: Contact) -> Triggered:
    if invitation.campaign_id != campaign.pk or invitation.contact_id != contact.pk:
        raise Refused(
            _("This idempotency key was already used for another campaign or contact."), field="key", conflict=True
        )
    return Triggered(invitation=invitation, created=False)


def trigger_replay(
    *,
    key: str,
    campaign: int | None = None,
    touchpoint: str = "",
    contact: int | None = None,
    email: str = "",
    external_id: str = "",
    channel: str = "",
) -> Triggered | None:
    """The invitation an earlier call with this key made (None if none did), answered as it is
    whatever changed since (the campaign paused, a second campaign on the touchpoint). The same key
    for another campaign or contact is a conflict."""
    invitation = Invitation.objects.select_related("campaign__touchpoint", "contact").filter(trigger_key=key).first()
    if invitation is None:
        return None
    made = invitation.campaign
    same_campaign = (
        made.pk == campaign
        if campaign is not None
        else (made.touchpoint is not None and made.touchpoint.slug == touchpoint)
    )
    who = invitation.contact
    same_contact = (
        who.pk == contact
        if contact is not None
        else (who.email.lower() == email.strip().lower() if email else who.external_id == external_id)
    )
    if channel and made.channel != channel:
        same_campaign = False
    if not (same_campaign and same_contact):
        raise Refused(
            _("This idempotency key was already used for another campaign or contact."), field="key", conflict=True
        )
    return Triggered(invitation=invitation, created=False)


def survey_trigger(*, campaign: Campaign, contact: Contact, key: str, served_by: str = "") -> Triggered:
    """Invite `contact` to the transactional `campaign` once per `key`, after the quiet period.

    Idempotent: the same key returns the invitation it made (the unique trigger_key settles a race
    of two calls). The invitation is written queued, or skipped with the reason (opted out,
    undeliverable, erased, surveyed within the quiet period); a queued one is sent by a task
    after commit, which checks the contact again.
    """
    existing = Invitation.objects.filter(trigger_key=key).first()
    if existing is not None:
        return _same_request(existing, campaign, contact)
    if campaign.kind != Campaign.Kind.TRANSACTIONAL:
        raise Refused(_("Only transactional campaigns can be triggered; this one is relational."), field="campaign")
    if campaign.channel not in sending.SENDING_CHANNELS:
        raise Refused(_("Only e-mail and text-message campaigns send invitations."), field="campaign")
    if campaign.status not in sending.SENDS:
        raise Refused(
            _("The campaign is %(status)s; activate it before triggering surveys.")
            % {"status": campaign.get_status_display().lower()},
            field="campaign",
            conflict=True,
        )
    with transaction.atomic():
        # One trigger at a time per contact, so two calls with different keys cannot both pass
        # the quiet-period check.
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        existing = Invitation.objects.filter(trigger_key=key).first()
        if existing is not None:
            return _same_request(existing, campaign, contact)
        now = timezone.now()
        reason = sending.skip_reason(contact, campaign.channel)
        if (
            not reason
            and campaign.quiet_period_days
            and _recently_surveyed(contact.pk, campaign.quiet_period_days, now=now, pending=True)
        ):
            reason = sending.quiet_reason(campaign.quiet_period_days)
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    campaign=campaign,
                    contact=contact,
                    trigger_key=key,
                    served_by=served_by[:254],
                    status=Status.SKIPPED if reason else Status.QUEUED,
                    skip_reason=reason,
                )
        except IntegrityError:
            # The same key for another contact, committed since our check: that call won.
            existing = Invitation.objects.filter(trigger_key=key).first()
            if existing is None:
                raise
            return _same_request(existing, campaign, contact)
        if not reason:
            enqueue_on_commit(SEND_TASK, invitation.pk)
    return Triggered(invitation=invitation, created=True)


def trigger_send(*, invitation_id: int) -> str:
    """Send one triggered invitation if it is still queued; returns its status afterwards ("" if
    another worker holds it). Raises delivery.TransientSendError for the task to retry.

    The row stays locked while the message goes out, so a duplicate task waits, then finds it sent.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("campaign", "contact")
            .filter(pk=invitation_id, wave__isnull=True)
            .first()
        )
        if invitation is None:
            return ""
        if invitation.status != Status.QUEUED:
            return invitation.status
        campaign = invitation.campaign
        if campaign.status == Campaign.Status.CLOSED:
            return _skip(invitation, sending.CAMPAIGN_CLOSED)
        if campaign.status not in sending.SENDS:
            return invitation.status  # paused: stays queued; the sweep sends it once the campaign resumes
        now = timezone.now()
        # Checked again at send time: an opt-out, bounce or other survey since the trigger wins.
        reason = sending.skip_reason(invitation.contact, campaign.channel)
        if (
            not reason
            and campaign.quiet_period_days
            and _recently_surveyed(
                invitation.contact_id, campaign.quiet_period_days, now=now, pending=False, exclude=invitation.pk
            )
        ):
            reason = sending.quiet_reason(campaign.quiet_period_days)
        if reason:
            return _skip(invitation, reason)
        gate = gate_for(campaign, now)  # a text message waits for the sending hours and the daily cap
        later = gate.hold(invitation.contact) if gate else None
        if later is not None:
            Invitation.objects.filter(pk=invitation.pk).update(send_after=later)
            return invitation.status  # queued: the sweep sends it once `later` has come
        message = renderer_for(campaign).build(invitation)
        connection = delivery.open_connection(channel=campaign.channel)
        try:
            connection.send_messages([message])
        except Exception as error:  # noqa: BLE001 - every error is classified, as in surveys.batches
            if delivery.is_transient(error):
                raise delivery.TransientSendError(delivery.describe_error(error)) from error
            Invitation.objects.filter(pk=invitation.pk).update(
                status=Status.FAILED, failure_reason=delivery.describe_error(error)
            )
            logger.warning("Triggered invitation %s failed: %s", invitation.pk, delivery.describe_error(error))
            return Status.FAILED
        finally:
            connection.close()
        Invitation.objects.filter(pk=invitation.pk).update(
            status=Status.SENT, sent_at=now, provider_message_id=message_id_of(message)[:200]
        )
    return Status.SENT


def _skip(invitation: Invitation, reason: str) -> str:
    Invitation.objects.filter(pk=invitation.pk).update(status=Status.SKIPPED, skip_reason=reason)
    return Status.SKIPPED


def trigger_give_up(*, invitation_id: int, reason: str) -> None:
    """After the last retry: the invitation failed (it is not tried again)."""
    Invitation.objects.filter(pk=invitation_id, wave__isnull=True, status=Status.QUEUED).update(
        status=Status.FAILED, failure_reason=f"Gave up after repeated temporary errors: {reason}"[:1000]
    )


SWEEP_AFTER = timedelta(minutes=15)  # longer than a send task's early retries take


def trigger_sweep(*, now=None, limit: int = 500) -> int:
    """Queue again triggered invitations still waiting after a while: their task was lost (the broker
    was down at commit), their campaign was paused and is sending again, or a text message held for
    the sending hours or the daily cap (send_after) is due now. Sending twice is
    harmless (trigger_send sends only a queued row, under its lock)."""
    now = now or timezone.now()
    ids = list(
        Invitation.objects.filter(
            wave__isnull=True,
            trigger_key__isnull=False,
            status=Status.QUEUED,
            created_at__lt=now - SWEEP_AFTER,
            campaign__status__in=sending.SENDS,
        )
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    with transaction.atomic():
        for pk in ids:
            enqueue_on_commit(SEND_TASK, pk)
    return len(ids)


# --- Follow-ups --------------------------------------------------------------------------------
def followup_update(
    *, followup: FollowUp, status: str = "", reason: str = "", summary: str = "", outcome: str = ""
) -> FollowUp:
    """Change a case's status (and outcome) through followups.services, as staff do in the product.
    A transition the case's status does not allow is a conflict; a missing reason or summary is not."""
    to = status or followup.status
    if to != followup.status and to not in ALLOWED.get(followup.status, set()):
        raise Refused(
            _("A %(current)s case cannot become %(to)s.")
            % {"current": followup.get_status_display().lower(), "to": FollowUp.Status(to).label.lower()},
            field="status",
            conflict=True,
        )
    return followup_transition(followup=followup, to=to, actor=None, reason=reason, summary=summary, outcome=outcome)
