"""Sending a campaign: waves, the audience, quiet-period skips, batches, reminders.

Idempotency: invitations are unique per (wave, contact), so starting a wave twice creates nothing
twice; a batch claims its queued rows with SELECT … FOR UPDATE SKIP LOCKED and only ever sends
rows still queued, so a batch task that runs twice (or on two workers) sends nothing twice.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from core.audit import audit_log
from core.mail import message_id_of
from core.queue import send_task_now
from surveys.emails import InvitationRenderer, send_reminder
from surveys.lifecycle import ACCEPTS_ANSWERS, campaign_transition
from surveys.models import Campaign, Contact, Invitation, SendWave

logger = logging.getLogger(__name__)
S = Campaign.Status
BATCH_TASK = "surveys.tasks.send_invitation_batch"


class TransientSendError(Exception):
    """The provider failed temporarily; the batch should be retried later."""


def audience(campaign: Campaign):
    """The contacts a campaign is for: its list, or its segment filter (all contacts if neither)."""
    contacts = Contact.objects.all()
    if campaign.audience_list_id:
        contacts = contacts.filter(lists=campaign.audience_list_id)
    for key, value in (campaign.audience_filter or {}).items():
        contacts = contacts.filter(**{f"attributes__{key}": value})
    return contacts


def campaign_send(*, campaign: Campaign, actor, when=None) -> SendWave:
    """Schedule a new wave now or at `when`. Beat (every minute) or this call starts it."""
    now = timezone.now()
    when = when or now
    if campaign.status in (S.CLOSED,):
        raise ValidationError("A closed campaign cannot be sent.")
    if campaign.channel != Campaign.Channel.EMAIL:
        raise ValidationError("Only e-mail campaigns send invitations; share the anonymous link for other channels.")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.waves.filter(started_at__isnull=True).exists():
            raise ValidationError("This campaign already has a wave waiting to be sent.")
        number = (locked.waves.aggregate(n=Max("number"))["n"] or 0) + 1
        wave = SendWave.objects.create(campaign=locked, number=number, scheduled_for=when)
        campaign_transition(campaign=locked, to=S.SCHEDULED if when > now else S.SENDING, actor=actor)
        audit_log(actor=actor, action="campaign.send", target=locked, data={"wave": number, "at": when.isoformat()})
    campaign.status = locked.status
    if when <= now:
        transaction.on_commit(lambda: send_task_now("surveys.tasks.start_wave", wave.pk))
    return wave


def wave_start(*, wave_id: int) -> int:
    """Create the wave's invitations (skips counted with their reason) and queue the batches."""
    now = timezone.now()
    with transaction.atomic():
        wave = SendWave.objects.select_for_update().select_related("campaign").filter(pk=wave_id).first()
        if wave is None or wave.started_at is not None:
            return 0
        campaign = wave.campaign
        if campaign.status in (S.CLOSED, S.PAUSED):
            return 0
        if campaign.status == S.SCHEDULED:
            campaign_transition(campaign=campaign, to=S.SENDING)
        quiet_since = now - timedelta(days=campaign.quiet_period_days)
        contacts = audience(campaign).annotate(
            recent=Count("invitations", filter=Q(invitations__sent_at__gte=quiet_since)))
        rows, spread = [], timedelta(days=campaign.spread_days or 0)
        members = list(contacts.values("pk", "opted_out_at", "undeliverable_at", "erased_at", "recent"))
        for index, c in enumerate(members):
            reason = ("erased" if c["erased_at"] else "opted out" if c["opted_out_at"]
                      else "undeliverable" if c["undeliverable_at"]
                      else f"surveyed in the last {campaign.quiet_period_days} days" if c["recent"] else "")
            send_after = now + spread * (index / max(len(members), 1)) if spread else None
            rows.append(Invitation(campaign=campaign, wave=wave, contact_id=c["pk"], send_after=send_after,
                                   status=Invitation.Status.SKIPPED if reason else Invitation.Status.QUEUED,
                                   skip_reason=reason))
        Invitation.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        wave.started_at = now
        wave.total = len(rows)
        wave.save(update_fields=["started_at", "total"])
    enqueue_due_batches(wave_id=wave.pk)
    return len(rows)


def enqueue_due_batches(*, wave_id: int) -> int:
    """Queue batch tasks for the wave's invitations that are due. Re-queuing is harmless."""
    size = settings.KRINGLOOP["INVITE_BATCH_SIZE"]
    ids = list(Invitation.objects.filter(wave_id=wave_id, status=Invitation.Status.QUEUED)
               .filter(Q(send_after__isnull=True) | Q(send_after__lte=timezone.now()))
               .order_by("pk").values_list("pk", flat=True))
    batches = [ids[i:i + size] for i in range(0, len(ids), size)]
    for batch in batches:
        send_task_now(BATCH_TASK, wave_id, batch)
    _finish_if_done(wave_id)
    return len(batches)


def _transient(error: AnymailAPIError) -> bool:
    status = getattr(error, "status_code", None)
    return status is None or status == 429 or status >= 500


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    transient: int = 0


def send_batch(*, wave_id: int, invitation_ids: list[int]) -> BatchResult:
    """Send the still-queued invitations among `invitation_ids`. Raises TransientSendError (after
    committing what did go out) when the provider failed temporarily, so the task retries."""
    result = BatchResult()
    with transaction.atomic():
        batch = list(Invitation.objects.select_for_update(skip_locked=True, of=("self",))
                     .filter(pk__in=invitation_ids, wave_id=wave_id, status=Invitation.Status.QUEUED)
                     .select_related("contact", "campaign"))
        if not batch:
            return result
        campaign = batch[0].campaign
        if campaign.status not in (S.SENDING, S.ACTIVE):
            return result  # paused or closed: leave them queued
        renderer = InvitationRenderer(campaign)
        now = timezone.now()
        sent, failed = [], []
        connection = get_connection()
        connection.open()
        try:
            for invitation in batch:
                contact = invitation.contact
                if not contact.can_be_emailed:
                    invitation.status, invitation.skip_reason = Invitation.Status.SKIPPED, "opted out"
                    failed.append(invitation)
                    continue
                message = renderer.build(invitation)
                message.connection = connection
                try:
                    message.send()
                except AnymailRecipientsRefused as error:
                    invitation.status, invitation.failure_reason = Invitation.Status.FAILED, str(error)[:1000]
                    failed.append(invitation)
                    continue
                except AnymailAPIError as error:
                    if _transient(error):
                        result.transient += 1
                        continue
                    invitation.status, invitation.failure_reason = Invitation.Status.FAILED, str(error)[:1000]
                    failed.append(invitation)
                    continue
                except (ConnectionError, TimeoutError):
                    result.transient += 1
                    continue
                invitation.status, invitation.sent_at = Invitation.Status.SENT, now
                invitation.provider_message_id = message_id_of(message)[:200]
                sent.append(invitation)
        finally:
            connection.close()
        Invitation.objects.bulk_update(sent, ["status", "sent_at", "provider_message_id"], batch_size=1000)
        Invitation.objects.bulk_update(failed, ["status", "failure_reason", "skip_reason"], batch_size=1000)
        result.sent, result.failed = len(sent), len(failed)
    if result.transient:
        raise TransientSendError(f"{result.transient} invitations hit a temporary provider error")
    _finish_if_done(wave_id)
    return result


def _finish_if_done(wave_id: int) -> None:
    wave = SendWave.objects.select_related("campaign").get(pk=wave_id)
    if wave.finished_at or wave.started_at is None:
        return
    if Invitation.objects.filter(wave_id=wave_id, status=Invitation.Status.QUEUED).exists():
        return
    if SendWave.objects.filter(pk=wave_id, finished_at__isnull=True).update(finished_at=timezone.now()):
        if wave.campaign.status == S.SENDING:
            campaign_transition(campaign=wave.campaign, to=S.ACTIVE)


def wave_progress(wave: SendWave) -> dict:
    counts = Invitation.objects.filter(wave=wave).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status__in=[Invitation.Status.SENT, Invitation.Status.ANSWERED,
                                              Invitation.Status.BOUNCED])),
        skipped=Count("pk", filter=Q(status=Invitation.Status.SKIPPED)),
        failed=Count("pk", filter=Q(status=Invitation.Status.FAILED)),
        queued=Count("pk", filter=Q(status=Invitation.Status.QUEUED)),
        answered=Count("pk", filter=Q(status=Invitation.Status.ANSWERED)),
    )
    total = counts["total"] or 0
    done = total - counts["queued"]
    counts["percent"] = round(100 * done / total) if total else (100 if wave.started_at else 0)
    counts["done"] = wave.started_at is not None and counts["queued"] == 0
    counts["skip_reasons"] = list(Invitation.objects.filter(wave=wave, status=Invitation.Status.SKIPPED)
                                  .values("skip_reason").annotate(n=Count("pk")).order_by("-n"))
    return counts


def send_due_waves() -> int:
    """Beat: start scheduled waves whose time has come, queue spread-out invitations now due, and
    create the next wave of recurring campaigns."""
    now = timezone.now()
    started = 0
    for wave_id in SendWave.objects.filter(started_at__isnull=True, scheduled_for__lte=now,
                                           campaign__status__in=[S.SCHEDULED, S.SENDING, S.ACTIVE]
                                           ).values_list("pk", flat=True):
        wave_start(wave_id=wave_id)
        started += 1
    for wave_id in SendWave.objects.filter(started_at__isnull=False, finished_at__isnull=True).values_list("pk",
                                                                                                           flat=True):
        enqueue_due_batches(wave_id=wave_id)
    for campaign in Campaign.objects.filter(status=S.ACTIVE, recurrence_days__isnull=False,
                                            kind=Campaign.Kind.RELATIONAL):
        last = campaign.waves.order_by("-number").first()
        if last and last.finished_at and last.scheduled_for + timedelta(days=campaign.recurrence_days) <= now:
            try:
                campaign_send(campaign=campaign, actor=None, when=now)
            except ValidationError:
                pass
    return started


def send_due_reminders(*, limit: int = 2000) -> int:
    """One reminder per invitation, after the campaign's delay, to those who have not answered."""
    now = timezone.now()
    count = 0
    candidates = (Invitation.objects.filter(status=Invitation.Status.SENT, reminded_at__isnull=True,
                                            campaign__reminder_after_days__isnull=False,
                                            campaign__status__in=ACCEPTS_ANSWERS,
                                            contact__opted_out_at__isnull=True,
                                            contact__undeliverable_at__isnull=True, contact__erased_at__isnull=True)
                  .select_related("campaign", "contact").order_by("sent_at")[:limit])
    renderers = {}
    for invitation in candidates:
        if invitation.sent_at > now - timedelta(days=invitation.campaign.reminder_after_days):
            continue
        renderer = renderers.setdefault(invitation.campaign_id, InvitationRenderer(invitation.campaign, reminder=True))
        # Claim first (conditional update), so two beat runs never both remind.
        if not Invitation.objects.filter(pk=invitation.pk, reminded_at__isnull=True,
                                         status=Invitation.Status.SENT).update(reminded_at=now):
            continue
        try:
            send_reminder(invitation=invitation, renderer=renderer)
            count += 1
        except Exception:
            Invitation.objects.filter(pk=invitation.pk).update(reminded_at=None)
            logger.warning("Reminder for invitation %s failed; it will be retried", invitation.pk, exc_info=True)
    return count
