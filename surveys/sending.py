"""Sending a campaign: waves, the audience, quiet-period skips, batches, reminders.

A wave is one sending of a campaign (the first, or a recurrence). Starting it writes one
Invitation per audience member in bulk: the queued ones, and the skipped ones with their reason
(opted out, undeliverable, erased, surveyed within the quiet period), so skips are counted.
Queued invitations are handed to `surveys.tasks.send_invitation_batch` in batches.

Exactly once: invitations are unique per (wave, contact), so starting a wave twice creates nothing
twice. A batch locks its rows with SELECT … FOR UPDATE SKIP LOCKED and only sends rows still
queued, so a batch that runs twice (or on two workers at once) sends nothing twice. Rows are
locked, sent and recorded a chunk at a time, so a lock is never held for a whole batch and a
worker killed mid-batch can repeat at most one chunk. Every error of one message is caught and
classified: temporary ones stop the batch for a retry with backoff, anything else marks that
invitation failed. No error may roll back a chunk whose messages went out.
"""

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Value
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit_log
from core.mail import message_id_of
from core.queue import enqueue_on_commit
from surveys.emails import InvitationRenderer
from surveys.lifecycle import campaign_transition
from surveys.models import Campaign, Contact, Invitation, SendWave

logger = logging.getLogger(__name__)

S = Campaign.Status
Status = Invitation.Status
START_TASK = "surveys.tasks.start_wave"
BATCH_TASK = "surveys.tasks.send_invitation_batch"
REMINDER_TASK = "surveys.tasks.send_reminder_batch"

# Invitations and reminders go out only while a campaign is sending or active (not when paused).
SENDS = (S.SENDING, S.ACTIVE)
# Rows locked, sent and recorded per transaction inside a batch.
CHUNK = 100
# A wave with due, queued invitations and no batch activity for this long is queued again.
# Longer than the longest retry backoff (surveys.tasks), so a batch waiting to retry is not doubled.
STALLED_AFTER = timedelta(minutes=15)

# Skip reasons are stored in English, as stable values, and translated where they are shown
# (surveys.templatetags.sending_tags.skip_reason_label).
OPTED_OUT, UNDELIVERABLE, ERASED = gettext_noop("opted out"), gettext_noop("undeliverable"), gettext_noop("erased")
CAMPAIGN_CLOSED = gettext_noop("campaign closed before it was sent")
QUIET_REASON = re.compile(r"^surveyed in the last (\d+) days$")


def quiet_reason(days: int) -> str:
    return f"surveyed in the last {days} days"


class TransientSendError(Exception):
    """The provider failed temporarily; the batch should be retried later."""


# --- The audience -------------------------------------------------------------------------------
def audience(campaign: Campaign):
    """The contacts a campaign is for: its list and/or its segment filter (all contacts if neither).

    Filter keys are attribute names taken literally (a key containing "__" is not a lookup).
    """
    contacts = Contact.objects.all()
    if campaign.audience_list_id:
        contacts = contacts.filter(lists=campaign.audience_list_id)
    for index, (key, value) in enumerate(sorted((campaign.audience_filter or {}).items())):
        alias = f"segment_{index}"
        contacts = contacts.alias(**{alias: KeyTransform(str(key), "attributes")}).filter(**{alias: value})
    return contacts


def skip_reason(contact: Contact) -> str:
    """Why this contact must not be e-mailed now ("" if they may be)."""
    if contact.erased_at:
        return ERASED
    if contact.opted_out_at:
        return OPTED_OUT
    if contact.undeliverable_at:
        return UNDELIVERABLE
    return ""


# --- Waves --------------------------------------------------------------------------------------
def campaign_send(*, campaign: Campaign, actor, when=None) -> SendWave:
    """Create the next wave, to start now or at `when`; the campaign becomes sending or scheduled.

    A wave due now is started by a task right after commit; a later one by the beat
    (`surveys.tasks.send_due_campaigns`, every minute).
    """
    now = timezone.now()
    when = when or now
    if campaign.channel != Campaign.Channel.EMAIL:
        raise ValidationError(_("Only e-mail campaigns send invitations; share the public link for other channels."))
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == S.CLOSED:
            raise ValidationError(_("A closed campaign cannot be sent."))
        if locked.waves.filter(started_at__isnull=False, finished_at__isnull=True).exists():
            raise ValidationError(_("This campaign is still sending; wait for it to finish, or pause it."))
        wave = locked.waves.filter(started_at__isnull=True, finished_at__isnull=True).first()
        if wave is not None:  # a wave not started yet (e.g. scheduled, then back to draft): move it
            wave.scheduled_for = when
            wave.save(update_fields=["scheduled_for"])
            number = wave.number
        else:
            number = (locked.waves.aggregate(n=Max("number"))["n"] or 0) + 1
            wave = SendWave.objects.create(campaign=locked, number=number, scheduled_for=when)
        campaign_transition(campaign=locked, to=S.SCHEDULED if when > now else S.SENDING, actor=actor)
        audit_log(actor=actor, action="campaign.send", target=locked, data={"wave": number, "at": when.isoformat()})
        if when <= now:
            enqueue_on_commit(START_TASK, wave.pk)
    campaign.status = locked.status
    return wave


def wave_start(*, wave_id: int) -> int:
    """Write the wave's invitations (skips counted with their reason) and queue the due batches.

    Returns the number of invitations written; 0 if the wave was already started or cannot start
    yet (its campaign is paused, closed or back in draft).
    """
    now = timezone.now()
    with transaction.atomic():
        wave = SendWave.objects.select_for_update().select_related("campaign").filter(pk=wave_id).first()
        if wave is None or wave.started_at is not None:
            return 0
        campaign = wave.campaign
        if campaign.status not in (S.SCHEDULED, *SENDS):
            return 0
        if campaign.status != S.SENDING:
            campaign_transition(campaign=campaign, to=S.SENDING)
        rows = _invitation_rows(campaign, wave, now=now)
        Invitation.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        wave.started_at = now
        wave.total = Invitation.objects.filter(wave=wave).count()
        wave.save(update_fields=["started_at", "total"])
        _queue_due(wave, now=now, everything_due=True)
    return len(rows)


def _invitation_rows(campaign: Campaign, wave: SendWave, *, now) -> list[Invitation]:
    if campaign.quiet_period_days:
        recent = Exists(
            Invitation.objects.filter(
                contact=OuterRef("pk"), sent_at__gte=now - timedelta(days=campaign.quiet_period_days)
            )
        )
    else:
        recent = Value(False)
    members = (
        audience(campaign)
        .annotate(recent=recent)
        .order_by("pk")
        .values_list("pk", "erased_at", "opted_out_at", "undeliverable_at", "recent")
    )
    quiet = quiet_reason(campaign.quiet_period_days)
    decided = [
        (
            pk,
            ERASED
            if erased
            else OPTED_OUT
            if opted_out
            else UNDELIVERABLE
            if undeliverable
            else quiet
            if recent
            else "",
        )
        for pk, erased, opted_out, undeliverable, recent in members
    ]
    # Relational waves may be spread over days: each queued invitation gets its moment.
    spread = timedelta(days=campaign.spread_days or 0)
    to_send = sum(1 for _pk, reason in decided if not reason)
    rows, position = [], 0
    for pk, reason in decided:
        send_after = None
        if not reason and spread:
            send_after = now + spread * (position / to_send)
            position += 1
        rows.append(
            Invitation(
                campaign=campaign,
                wave=wave,
                contact_id=pk,
                send_after=send_after,
                status=Status.SKIPPED if reason else Status.QUEUED,
                skip_reason=reason,
            )
        )
    return rows


def _queue_due(wave: SendWave, *, now, everything_due: bool) -> int:
    """Queue batch tasks (after commit) for the wave's queued invitations that are due.

    Normally only those that became due since the last call (send_after after enqueued_until);
    with everything_due, all due ones (a new wave, or one that stalled). Call inside a transaction
    holding the wave's row lock. Queuing an invitation twice is harmless, only wasteful.
    """
    due = Invitation.objects.filter(wave_id=wave.pk, status=Status.QUEUED).filter(
        Q(send_after__isnull=True) | Q(send_after__lte=now)
    )
    if not everything_due and wave.enqueued_until is not None:
        due = due.filter(send_after__gt=wave.enqueued_until)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    changes = {"enqueued_until": now}
    if ids:
        changes["active_at"] = now
        size = settings.KRINGLOOP["INVITE_BATCH_SIZE"]
        for start in range(0, len(ids), size):
            enqueue_on_commit(BATCH_TASK, wave.pk, ids[start : start + size])
    SendWave.objects.filter(pk=wave.pk).update(**changes)
    return len(ids)


def wave_requeue(*, wave_id: int) -> int:
    """Queue every due, still-queued invitation of a wave again (after a pause or a lost task)."""
    with transaction.atomic():
        wave = (
            SendWave.objects.select_for_update()
            .filter(pk=wave_id, started_at__isnull=False, finished_at__isnull=True)
            .first()
        )
        if wave is None:
            return 0
        return _queue_due(wave, now=timezone.now(), everything_due=True)


def wave_finish_if_done(wave_id: int) -> bool:
    """Close a started wave that has nothing queued left; its sending campaign becomes active."""
    if Invitation.objects.filter(wave_id=wave_id, status=Status.QUEUED).exists():
        return False
    with transaction.atomic():
        if not SendWave.objects.filter(pk=wave_id, started_at__isnull=False, finished_at__isnull=True).update(
            finished_at=timezone.now()
        ):
            return False
        campaign = Campaign.objects.get(waves=wave_id)
        if campaign.status == S.SENDING:
            campaign_transition(campaign=campaign, to=S.ACTIVE)
    return True


def campaign_pause(*, campaign: Campaign, actor) -> Campaign:
    """Stop sending: batches leave their invitations queued (checked per chunk), no reminders."""
    return campaign_transition(campaign=campaign, to=S.PAUSED, actor=actor)


def campaign_resume(*, campaign: Campaign, actor) -> Campaign:
    """Continue a paused campaign where it stopped: a wave still sending goes on at once, a
    scheduled one waits for its time, otherwise the campaign is active (answers and reminders)."""
    wave = current_wave(campaign)
    now = timezone.now()
    if wave is None or wave.finished_at is not None:
        target = S.ACTIVE
    elif wave.started_at is None and wave.scheduled_for > now:
        target = S.SCHEDULED
    else:
        target = S.SENDING
    with transaction.atomic():
        if campaign.status != S.PAUSED:
            raise ValidationError(_("Only a paused campaign can be resumed."))
        locked = campaign_transition(campaign=campaign, to=target, actor=actor)
        if target == S.SENDING and wave.started_at is None:
            enqueue_on_commit(START_TASK, wave.pk)
        elif target == S.SENDING:
            wave_requeue(wave_id=wave.pk)
    return locked


def wave_cancel(*, wave_id: int) -> int:
    """The campaign was closed: what is still queued is skipped ("campaign closed") and the wave ends."""
    with transaction.atomic():
        skipped = Invitation.objects.filter(wave_id=wave_id, status=Status.QUEUED).update(
            status=Status.SKIPPED, skip_reason=CAMPAIGN_CLOSED
        )
        SendWave.objects.filter(pk=wave_id, finished_at__isnull=True).update(finished_at=timezone.now())
    return skipped


def current_wave(campaign: Campaign) -> SendWave | None:
    return campaign.waves.order_by("-number").first()


def wave_progress(wave: SendWave) -> dict:
    """Sent / skipped / failed / queued of the wave's total, counted in one SQL query, plus the
    skips broken down by reason."""
    counts = Invitation.objects.filter(wave=wave).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status__in=[Status.SENT, Status.ANSWERED, Status.BOUNCED])),
        skipped=Count("pk", filter=Q(status=Status.SKIPPED)),
        failed=Count("pk", filter=Q(status__in=[Status.FAILED, Status.BOUNCED])),
        bounced=Count("pk", filter=Q(status=Status.BOUNCED)),
        queued=Count("pk", filter=Q(status=Status.QUEUED)),
        answered=Count("pk", filter=Q(status=Status.ANSWERED)),
        waiting=Count("pk", filter=Q(status=Status.QUEUED, send_after__gt=timezone.now())),
    )
    # A bounce was sent, then failed: count it once, as failed.
    counts["sent"] -= counts["bounced"]
    total = counts["total"]
    counts["percent"] = round(100 * (total - counts["queued"]) / total) if total else (100 if wave.started_at else 0)
    counts["done"] = wave.finished_at is not None or (wave.started_at is not None and counts["queued"] == 0)
    counts["skip_reasons"] = list(
        Invitation.objects.filter(wave=wave, status=Status.SKIPPED)
        .order_by()
        .values("skip_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "skip_reason")
    )
    return counts


# --- Batches ------------------------------------------------------------------------------------
@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    paused: bool = False
    transient_error: str = ""


def is_transient(error: Exception) -> bool:
    """Will trying again later help? Provider outages, rate limits and network errors: yes.
    Refused recipients, invalid addresses and other 4xx answers: no."""
    if isinstance(error, AnymailRecipientsRefused):
        return False
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is None or status == 429 or status >= 500  # no status: a timeout or no connection
    if isinstance(error, AnymailError):
        return False  # invalid address, unsupported feature, unserialisable payload
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError))


def _describe(error: Exception) -> str:
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - anymail's __str__ needs a response object that may be missing
        text = " ".join(str(arg) for arg in error.args)
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__}{f' ({status})' if status else ''}: {text}"[:1000]


def send_batch(*, wave_id: int, invitation_ids: list[int]) -> BatchResult:
    """Send the still-queued invitations among `invitation_ids`, a chunk per transaction.

    Raises TransientSendError (after recording what did go out) when the provider failed
    temporarily, so the task retries; the rows not yet sent stay queued for that retry.
    """
    result = BatchResult()
    wave = SendWave.objects.select_related("campaign").filter(pk=wave_id).first()
    if wave is None:
        return result
    renderer = InvitationRenderer(wave.campaign)
    connection = _open_connection()
    try:
        for start in range(0, len(invitation_ids), CHUNK):
            # Checked per chunk, so pausing a campaign stops a large wave within a chunk.
            status = Campaign.objects.filter(pk=wave.campaign_id).values_list("status", flat=True).first()
            if status not in SENDS:
                result.paused = True  # the rows stay queued; resuming queues them again
                if status == S.CLOSED:
                    wave_cancel(wave_id=wave_id)
                break
            _send_chunk(wave, invitation_ids[start : start + CHUNK], renderer, connection, result)
            if result.transient_error:
                break
    finally:
        connection.close()
    if result.sent or result.failed or result.skipped or result.transient_error:
        # Alive (a retry is on its way too), so the beat does not queue these rows again.
        SendWave.objects.filter(pk=wave_id).update(active_at=timezone.now())
    if result.transient_error:
        raise TransientSendError(result.transient_error)
    if not result.paused:
        wave_finish_if_done(wave_id)
    return result


def _send_chunk(wave: SendWave, ids: list[int], renderer: InvitationRenderer, connection, result: BatchResult):
    with transaction.atomic():
        rows = list(
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, wave_id=wave.pk, status=Status.QUEUED)
            .select_related("contact")
            .order_by("pk")
        )
        now = timezone.now()
        sent, failed, skipped = [], [], []
        for invitation in rows:
            invitation.campaign = wave.campaign
            # Checked again at send time: an opt-out or bounce since the wave started wins.
            reason = skip_reason(invitation.contact)
            if reason:
                invitation.status, invitation.skip_reason = Status.SKIPPED, reason
                skipped.append(invitation)
                continue
            message = renderer.build(invitation)
            try:
                connection.send_messages([message])
            except Exception as error:  # noqa: BLE001 - every error is classified; none may undo this chunk
                if is_transient(error):
                    result.transient_error = _describe(error)
                    logger.warning(
                        "Invitation %s: temporary error, retrying later (%s)", invitation.pk, result.transient_error
                    )
                    break  # the rest of the batch waits for the retry
                invitation.status, invitation.failure_reason = Status.FAILED, _describe(error)
                logger.warning("Invitation %s failed: %s", invitation.pk, invitation.failure_reason)
                failed.append(invitation)
                continue
            invitation.status, invitation.sent_at = Status.SENT, now
            invitation.provider_message_id = message_id_of(message)[:200]
            sent.append(invitation)
        if sent:
            _record_sent(sent, now)
        if failed:
            Invitation.objects.bulk_update(failed, ["status", "failure_reason"])
        if skipped:
            Invitation.objects.bulk_update(skipped, ["status", "skip_reason"])
    result.sent += len(sent)
    result.failed += len(failed)
    result.skipped += len(skipped)


def _record_sent(rows: list[Invitation], now) -> None:
    """Mark rows sent with their provider message ids. On PostgreSQL one UPDATE … FROM unnest():
    Django's bulk_update builds a CASE per row, which cost more than the sending itself."""
    if connection.vendor != "postgresql":
        Invitation.objects.bulk_update(rows, ["status", "sent_at", "provider_message_id"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Invitation._meta.db_table} AS i SET status = %s, sent_at = %s, provider_message_id = v.mid "
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, mid) WHERE i.id = v.id",
            [Status.SENT, now, [row.pk for row in rows], [row.provider_message_id for row in rows]],
        )


def batch_give_up(*, wave_id: int, invitation_ids: list[int], reason: str) -> int:
    """After the last retry: mark the batch's still-queued invitations failed, so the wave ends."""
    failed = Invitation.objects.filter(pk__in=invitation_ids, wave_id=wave_id, status=Status.QUEUED).update(
        status=Status.FAILED, failure_reason=f"Gave up after repeated temporary errors: {reason}"[:1000]
    )
    logger.error("Wave %s: %s invitations failed after repeated temporary errors (%s)", wave_id, failed, reason)
    wave_finish_if_done(wave_id)
    return failed


# --- The beat -----------------------------------------------------------------------------------
def send_due_waves() -> int:
    """Every minute: create the next wave of recurring relational campaigns, start the waves whose
    time has come, queue spread-out invitations that became due, queue again the waves that
    stalled, end finished ones and those of closed campaigns. Returns the number of waves started."""
    now = timezone.now()
    for campaign in Campaign.objects.filter(
        status=S.ACTIVE, kind=Campaign.Kind.RELATIONAL, recurrence_days__isnull=False, recurrence_days__gt=0
    ):
        last = current_wave(campaign)
        if last and last.finished_at and last.scheduled_for + timedelta(days=campaign.recurrence_days) <= now:
            _safely(campaign_send, campaign=campaign, actor=None, when=now)  # started just below
    started = 0
    due_waves = SendWave.objects.filter(
        started_at__isnull=True, scheduled_for__lte=now, campaign__status__in=[S.SCHEDULED, *SENDS]
    )
    for wave_id in due_waves.values_list("pk", flat=True):
        started += bool(_safely(wave_start, wave_id=wave_id))
    running = SendWave.objects.filter(started_at__isnull=False, finished_at__isnull=True, campaign__status__in=SENDS)
    for wave_id in running.values_list("pk", flat=True):
        _safely(_wave_tick, wave_id=wave_id, now=now)
    for wave_id in SendWave.objects.filter(finished_at__isnull=True, campaign__status=S.CLOSED).values_list(
        "pk", flat=True
    ):
        _safely(wave_cancel, wave_id=wave_id)
    return started


def _wave_tick(*, wave_id: int, now) -> None:
    with transaction.atomic():
        wave = SendWave.objects.select_for_update(skip_locked=True).filter(pk=wave_id, finished_at__isnull=True).first()
        if wave is None:
            return  # another beat has it
        stalled = wave.active_at is None or wave.active_at < now - STALLED_AFTER
        _queue_due(wave, now=now, everything_due=stalled)
    wave_finish_if_done(wave_id)


def _safely(function, **kwargs):
    """One broken wave or campaign must not stop the beat for the others."""
    try:
        return function(**kwargs)
    except ValidationError as error:
        logger.info("%s(%s) skipped: %s", function.__name__, kwargs, error.messages[0])
    except Exception:
        logger.exception("%s(%s) failed; the next beat tries again", function.__name__, kwargs)
    return None


# --- Reminders ----------------------------------------------------------------------------------
def reminders_due(*, now=None, limit: int = 50_000) -> list[int]:
    """Invitations sent at least `reminder_after_days` ago, not answered, failed or bounced, never
    reminded, to contacts who may still be e-mailed, of campaigns that are sending or active."""
    now = now or timezone.now()
    delays = set(
        Campaign.objects.filter(status__in=SENDS, reminder_after_days__gte=1).values_list(
            "reminder_after_days", flat=True
        )
    )
    if not delays:
        return []
    old_enough = Q()
    for days in delays:
        old_enough |= Q(campaign__reminder_after_days=days, sent_at__lte=now - timedelta(days=days))
    return list(
        Invitation.objects.filter(
            old_enough,
            status=Status.SENT,
            reminded_at__isnull=True,
            response__isnull=True,
            campaign__status__in=SENDS,
            contact__opted_out_at__isnull=True,
            contact__undeliverable_at__isnull=True,
            contact__erased_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def send_due_reminders() -> int:
    """Every 15 minutes: queue reminder batches for the invitations due one. Returns how many."""
    ids = reminders_due()
    size = settings.KRINGLOOP["INVITE_BATCH_SIZE"]
    with transaction.atomic():
        for start in range(0, len(ids), size):
            enqueue_on_commit(REMINDER_TASK, ids[start : start + size])
    return len(ids)


def send_reminder_batch(*, invitation_ids: list[int]) -> BatchResult:
    """Send one reminder to each invitation among `invitation_ids` that still needs it.

    The claim (reminded_at set by a conditional update) commits before anything is sent, so a
    reminder goes out at most once even if this runs twice. A temporary provider error gives the
    unsent claims back and raises TransientSendError, so the task retries them.
    """
    result = BatchResult()
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                pk__in=invitation_ids,
                status=Status.SENT,
                reminded_at__isnull=True,
                campaign__status__in=SENDS,
                campaign__reminder_after_days__gte=1,
            )
            .select_related("contact", "campaign")
            .order_by("pk")
        )
        rows = [row for row in rows if not skip_reason(row.contact)]
        Invitation.objects.filter(pk__in=[row.pk for row in rows]).update(reminded_at=now)
    renderers: dict[int, InvitationRenderer] = {}
    connection = _open_connection(on_error=lambda: _release_reminders(rows))
    try:
        for index, invitation in enumerate(rows):
            renderer = renderers.setdefault(
                invitation.campaign_id, InvitationRenderer(invitation.campaign, reminder=True)
            )
            try:
                connection.send_messages([renderer.build(invitation)])
            except Exception as error:  # noqa: BLE001 - every error is classified
                if is_transient(error):
                    result.transient_error = _describe(error)
                    _release_reminders(rows[index:])
                    break
                # The reminder was refused; the claim stays, so it is not tried again.
                result.failed += 1
                Invitation.objects.filter(pk=invitation.pk).update(
                    failure_reason=f"Reminder: {_describe(error)}"[:1000]
                )
                continue
            result.sent += 1
    finally:
        connection.close()
    if result.transient_error:
        raise TransientSendError(result.transient_error)
    return result


def _release_reminders(rows: list[Invitation]) -> None:
    Invitation.objects.filter(pk__in=[row.pk for row in rows]).update(reminded_at=None)


def _open_connection(*, on_error=None):
    """The mail connection for a batch. Failing to open it sends nothing: a temporary failure
    becomes TransientSendError (the task retries), any other propagates."""
    connection = get_connection()
    try:
        connection.open()
    except Exception as error:
        if on_error is not None:
            on_error()
        if is_transient(error):
            raise TransientSendError(_describe(error)) from error
        raise
    return connection
