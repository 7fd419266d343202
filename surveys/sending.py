"""Sending a campaign: the audience, quiet-period skips, waves and the beat that drives them.

A wave is one sending of a campaign (the first, or a recurrence). Starting it writes one
Invitation per audience member in bulk: the queued ones, and the skipped ones with their reason
(opted out, undeliverable, erased, surveyed within the quiet period), so skips are counted.
Queued invitations are handed to `surveys.tasks.send_invitation_batch` in batches
(surveys.batches sends them); reminders are in surveys.reminders.

Exactly once: invitations are unique per (wave, contact), so starting a wave twice creates nothing
twice.
"""

import logging
from collections.abc import Iterator
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit_log
from core.bulk import insert_rows
from core.queue import enqueue_on_commit
from surveys.lifecycle import campaign_transition, can_transition
from surveys.models import Campaign, Contact, Invitation, SendWave, new_token
from surveys.sending_queries import (  # noqa: F401 (the skip reasons are used through this module too)
    ERASED,
    NO_MOBILE,
    OPTED_OUT,
    QUIET_REASON,
    SENDING_CHANNELS,
    SMS_OPTED_OUT,
    UNDELIVERABLE,
    audience_decisions,
    channel_skip_reason,
    current_wave,
    quiet_reason,
    send_refusal,
    status_buttons,
)

logger = logging.getLogger(__name__)

S = Campaign.Status
Status = Invitation.Status
START_TASK = "surveys.tasks.start_wave"
BATCH_TASK = "surveys.tasks.send_invitation_batch"

# Invitations and reminders go out only while a campaign is sending or active (not when paused).
SENDS = (S.SENDING, S.ACTIVE)
# A wave with due, queued invitations and no batch activity for this long is queued again: its batch
# tasks were lost (a broker restart, a killed worker). A batch waiting to retry marks the wave active
# until its retry is due (surveys.batches.batch_retry_at), so it is not doubled; a doubled batch would
# send nothing twice anyway (surveys.batches), it only costs work.
STALLED_AFTER = timedelta(minutes=2)

CAMPAIGN_CLOSED = gettext_noop("campaign closed before it was sent")


# --- Who may be invited --------------------------------------------------------------------------
def skip_reason(contact: Contact, channel: str = Campaign.Channel.EMAIL) -> str:
    """Why this contact must not be invited by `channel` now ("" if they may be)."""
    return channel_skip_reason(
        channel,
        erased=contact.erased_at,
        opted_out=contact.opted_out_at,
        undeliverable=contact.undeliverable_at,
        sms_opted_out=contact.sms_opted_out_at,
        phone=contact.phone,
    )


# --- Waves --------------------------------------------------------------------------------------
def campaign_send(*, campaign: Campaign, actor, when=None) -> SendWave:
    """Create the next wave, to start now or at `when`; the campaign becomes sending or scheduled.
    Refused (ValidationError with the reason) when `send_refusal` says the campaign cannot be sent.

    A wave due now is started by a task right after commit; a later one by the beat
    (`surveys.tasks.send_due_campaigns`, every minute).
    """
    now = timezone.now()
    when = when or now
    with transaction.atomic():
        # The rule is checked on the locked row, so two clicks (or a click and the beat) cannot
        # both start a wave.
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        refusal = send_refusal(locked)
        if refusal:
            raise ValidationError(refusal)
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
        rows, written = _invitation_rows(campaign, wave, now=now), 0
        while chunk := list(islice(rows, WRITE_CHUNK)):  # a chunk at a time: the worker's memory stays flat
            insert_rows(Invitation, INVITATION_COLUMNS, chunk)
            written += len(chunk)
        wave.started_at = now
        wave.total = Invitation.objects.filter(wave=wave).count()
        wave.save(update_fields=["started_at", "total"])
        _queue_due(wave, now=now, everything_due=True)
    return written


# What wave_start writes of each invitation (core.bulk.insert_rows), WRITE_CHUNK rows a statement;
# the other columns start empty.
WRITE_CHUNK = 10_000
INVITATION_COLUMNS = (
    "campaign_id",
    "wave_id",
    "contact_id",
    "token",
    "status",
    "skip_reason",
    "send_after",
    "failure_reason",
    "provider_message_id",
    "served_by",
    "created_at",
)


def _invitation_rows(campaign: Campaign, wave: SendWave, *, now) -> Iterator[tuple]:
    """The wave's invitations as plain rows (INVITATION_COLUMNS). Built as model instances for
    bulk_create, a wave of 100,000 cost the worker 10 s of CPU before its first batch could be
    queued (they are queued when every row is written) and 90 MB of memory."""
    decided = audience_decisions(campaign, now=now)
    # Relational waves may be spread over days: each queued invitation gets its moment.
    spread = timedelta(days=campaign.spread_days or 0)
    to_send = sum(1 for _pk, reason in decided if not reason)
    position = 0
    for pk, reason in decided:
        send_after = None
        if not reason and spread:
            send_after = now + spread * (position / to_send)
            position += 1
        status = Status.SKIPPED if reason else Status.QUEUED
        yield (campaign.pk, wave.pk, pk, new_token(), status, reason, send_after, "", "", "", now)


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


def campaign_status_set(*, campaign: Campaign, to: str, actor) -> Campaign:
    """A status change made with one of the campaign page's plain buttons (status_buttons). Changes
    that need the sending machinery are refused here and made with the send panel, so a wave is
    never left half-sent; the rest is up to the status machine (surveys.lifecycle)."""
    if to not in S.values:
        raise ValidationError(_("Unknown status."))
    if can_transition(campaign.status, to) and to not in status_buttons(campaign):
        raise ValidationError(_("Sending, scheduling and resuming are done with the buttons of the Send panel."))
    return campaign_transition(campaign=campaign, to=to, actor=actor)


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
