"""Surveys by text message: the message, when it may go out, and what the provider tells us back.

- `SmsRenderer` builds the short message: the company, the question in a few words, the personal
  link (the invitation's own token, the same phone-first form as the e-mail) and how to stop.
- `SmsGate` holds, never drops: outside the sending hours (SMS["HOURS"], 09:00–20:00, in the
  contact's time zone, surveys.phones.time_zone_of) a message waits for the next morning, and
  beyond the campaign's daily cap (Campaign.sms_daily_cap) for the next day. Held invitations
  stay queued with a later `send_after`; the beat (waves) or the sweep (triggered ones) queues
  them when that comes.
- `sms_status_apply` and `sms_inbound_apply` apply a provider's delivery report and a reply: a
  failed delivery marks the invitation bounced; STOP (or a Dutch stop word) opts the contact out of
  text messages only; e-mail has its own opt-out (Contact.opted_out_at).
"""

import re
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import sms as sms_core
from core.audit import audit_log
from surveys import wording
from surveys.emails import InvitationRenderer, survey_url
from surveys.models import Campaign, Contact, Invitation
from surveys.phones import PhoneError, normalise_phone, time_zone_of

Status = Invitation.Status

# Replies that opt out of text messages (the carriers' English words and the Dutch ones) and back in.
STOP_WORDS = {
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "STOPPEN",
    "AFMELDEN",
    "UITSCHRIJVEN",
    "OPZEGGEN",
}
START_WORDS = {"START", "UNSTOP", "AANMELDEN"}
_FIRST_WORD = re.compile(r"[^\W_]+")


class SmsRenderer:
    """The invitation as a text message, in the contact's language (the same interface as
    surveys.emails.InvitationRenderer)."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign

    def build(self, invitation: Invitation) -> sms_core.SmsMessage:
        language = wording.respondent_language(self.campaign, invitation.contact)
        with translation.override(language):
            body = _(
                "%(company)s: how likely are you to recommend us to a friend? Tell us in a minute: %(link)s "
                "Reply STOP to opt out."
            ) % {"company": settings.COMPANY_NAME, "link": survey_url(invitation)}
        return sms_core.SmsMessage(
            to=invitation.contact.phone,
            body=body,
            tags=["invitation"],
            metadata={"invitation": str(invitation.pk)} if invitation.pk else {},
        )


def renderer_for(campaign: Campaign):
    """What builds this campaign's invitations: a text message or an e-mail."""
    return SmsRenderer(campaign) if campaign.channel == Campaign.Channel.SMS else InvitationRenderer(campaign)


# --- When a text message may go out ------------------------------------------------------------
def sending_hours() -> tuple[time, time]:
    start, end = settings.SMS["HOURS"].split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def outside_hours(contact: Contact, now: datetime) -> datetime | None:
    """When the sending hours next begin for this contact, if `now` is outside them (else None)."""
    zone = time_zone_of(phone=contact.phone, time_zone=contact.time_zone)
    local = now.astimezone(zone)
    start, end = sending_hours()
    if start <= local.time() < end:
        return None
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone)


def next_day(now: datetime) -> datetime:
    """Midnight after `now` in the site's time zone: when a campaign's daily cap starts again."""
    local = timezone.localtime(now)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=local.tzinfo)


def sent_today(campaign: Campaign, now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return Invitation.objects.filter(campaign=campaign, sent_at__gte=midnight).count()


class SmsGate:
    """Decides, message by message, whether a text message goes now or waits (and until when).

    With a daily cap, create it inside the transaction that sends and records the messages: it locks
    the campaign's row, so two batches of one campaign count the day's messages in turn."""

    def __init__(self, campaign: Campaign, now: datetime):
        self.now = now
        self.left = None
        if campaign.sms_daily_cap is not None:
            Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
            self.left = max(0, campaign.sms_daily_cap - sent_today(campaign, now))

    def hold(self, contact: Contact) -> datetime | None:
        """None: send now (and count it against the cap); else the moment to try again."""
        later = outside_hours(contact, self.now)
        if later is not None:
            return later
        if self.left is not None:
            if self.left <= 0:
                return next_day(self.now)
            self.left -= 1
        return None


def gate_for(campaign: Campaign, now: datetime) -> SmsGate | None:
    return SmsGate(campaign, now) if campaign.channel == Campaign.Channel.SMS else None


# --- What the provider tells us back -------------------------------------------------------------
def sms_status_apply(*, message_id: str, status: str, description: str = "") -> str:
    """Apply one delivery report. Idempotent; returns what was done (for logs and tests)."""
    invitation = (
        Invitation.objects.filter(provider_message_id=message_id, campaign__channel=Campaign.Channel.SMS)
        .only("pk", "status")
        .first()
    )
    if not message_id or invitation is None:
        return "unknown"
    if status == sms_core.FAILED:
        changed = Invitation.objects.filter(pk=invitation.pk, status__in=[Status.SENT, Status.QUEUED]).update(
            status=Status.BOUNCED, failure_reason=(description or "failed")[:1000]
        )
        return "bounced" if changed else "unchanged"
    return status  # sent or delivered: the invitation is already sent


def reply_keyword(body: str) -> str:
    """The first word of a reply, upper case, without punctuation ("Stop." -> "STOP")."""
    match = _FIRST_WORD.search(body or "")
    return match.group(0).upper() if match else ""


def sms_inbound_apply(*, sender: str, body: str) -> str:
    """A text message from a contact: STOP (or STOPPEN, AFMELDEN …) opts every contact with that
    number out of text messages, START opts them back in; anything else is ignored."""
    try:
        phone = normalise_phone(sender)
    except PhoneError:
        return "unknown"
    word = reply_keyword(body)
    if not phone or word not in STOP_WORDS | START_WORDS:
        return "ignored"
    stopping = word in STOP_WORDS
    with transaction.atomic():
        contacts = Contact.objects.select_for_update().filter(
            phone=phone, erased_at__isnull=True, sms_opted_out_at__isnull=stopping
        )
        changed = list(contacts)
        for contact in changed:
            contact.sms_opted_out_at = timezone.now() if stopping else None
            contact.save(update_fields=["sms_opted_out_at", "updated_at"])
            audit_log(
                actor=None,
                action="contact.sms_opted_out" if stopping else "contact.sms_opted_in",
                target=contact,
                data={"via": f"reply {word}"},
            )
    if not changed:
        return "unchanged" if Contact.objects.filter(phone=phone, erased_at__isnull=True).exists() else "unknown"
    return "opted_out" if stopping else "opted_in"
