"""Sending a wave's invitations in batches, exactly once.

A batch (`surveys.tasks.send_invitation_batch`, queued by surveys.sending) locks its rows with
SELECT … FOR UPDATE SKIP LOCKED and only sends rows still queued, so a batch that runs twice (or
on two workers at once) sends nothing twice. Rows are locked, sent and recorded a chunk at a
time, so a lock is never held for a whole batch and a worker killed mid-batch can repeat at most
one chunk. Every error of one message is caught and classified (surveys.delivery): temporary ones
stop the batch for a retry with backoff, anything else marks that invitation failed. No error
may roll back a chunk whose messages went out.
"""

import logging

from django.db import transaction
from django.utils import timezone

from core.bulk import update_rows
from core.mail import message_id_of
from core.mail_batch import batch_style
from surveys.delivery import BatchResult, TransientSendError, describe_error, is_transient, open_connection
from surveys.esp_batch import build_groups, recipient_outcome
from surveys.models import Campaign, Invitation, SendWave
from surveys.sending import SENDS, skip_reason, wave_cancel, wave_finish_if_done
from surveys.sms import gate_for, renderer_for

logger = logging.getLogger(__name__)

S = Campaign.Status
Status = Invitation.Status
# Rows locked, sent and recorded per transaction inside a batch: one provider call each (or a few, one
# per language and greeting) through a batch API (surveys.esp_batch), else one call per message.
CHUNK = 100
BATCH_API_CHUNK = 1000


def send_batch(*, wave_id: int, invitation_ids: list[int]) -> BatchResult:
    """Send the still-queued invitations among `invitation_ids`, a chunk per transaction.

    Raises TransientSendError (after recording what did go out) when the provider failed
    temporarily, so the task retries; the rows not yet sent stay queued for that retry.
    """
    result = BatchResult()
    wave = SendWave.objects.select_related("campaign").filter(pk=wave_id).first()
    if wave is None:
        return result
    renderer = renderer_for(wave.campaign)
    connection = open_connection(channel=wave.campaign.channel)
    try:
        chunk = BATCH_API_CHUNK if _email_batch_style(wave.campaign) else CHUNK
        for start in range(0, len(invitation_ids), chunk):
            # Checked per chunk, so pausing a campaign stops a large wave within a chunk.
            status = Campaign.objects.filter(pk=wave.campaign_id).values_list("status", flat=True).first()
            if status not in SENDS:
                result.paused = True  # the rows stay queued; resuming queues them again
                if status == S.CLOSED:
                    wave_cancel(wave_id=wave_id)
                break
            _send_chunk(wave, invitation_ids[start : start + chunk], renderer, connection, result)
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


def _email_batch_style(campaign: Campaign) -> str | None:
    """The provider batch API this wave's invitations go through (surveys.esp_batch), or None."""
    return batch_style() if campaign.channel != Campaign.Channel.SMS else None


def _send_chunk(wave: SendWave, ids: list[int], renderer, connection, result: BatchResult):
    with transaction.atomic():
        # Found by primary key alone, the rest checked here: with the wave or the queued status in the
        # statement, PostgreSQL (statistics older than the wave) walked every queued row's or the whole
        # wave's index entries for each chunk, 0.1-0.6 s a chunk of 1,000 against 3 ms.
        rows = [
            invitation
            for invitation in Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__any=ids)
            .select_related("contact")
            .order_by("pk")
            if invitation.wave_id == wave.pk and invitation.status == Status.QUEUED
        ]
        now = timezone.now()
        gate = gate_for(wave.campaign, now) if rows else None  # text messages: hours and daily cap
        sendable, skipped, held = [], [], []
        for invitation in rows:
            invitation.campaign = wave.campaign
            # Checked again at send time: an opt-out or bounce since the wave started wins.
            reason = skip_reason(invitation.contact, wave.campaign.channel)
            if reason:
                invitation.status, invitation.skip_reason = Status.SKIPPED, reason
                skipped.append(invitation)
                continue
            later = gate.hold(invitation.contact) if gate else None
            if later is not None:  # stays queued; the beat queues it again when `later` comes
                invitation.send_after = later
                held.append(invitation)
                continue
            sendable.append(invitation)
        style = _email_batch_style(wave.campaign)
        if style:  # one provider call for many recipients
            groups = [(g.message, g.invitations) for g in build_groups(renderer, sendable, style)]
        else:
            groups = [(renderer.build(invitation), [invitation]) for invitation in sendable]
        sent, failed = [], []
        for message, invitations in groups:
            try:
                connection.send_messages([message])
            except Exception as error:  # noqa: BLE001 - every error is classified; none may undo this chunk
                if is_transient(error):
                    result.transient_error = describe_error(error)
                    logger.warning(
                        "Invitations %s: temporary error, retrying later (%s)",
                        [i.pk for i in invitations],
                        result.transient_error,
                    )
                    break  # the rest of the batch waits for the retry
                for invitation in invitations:
                    invitation.status, invitation.failure_reason = Status.FAILED, describe_error(error)
                    logger.warning("Invitation %s failed: %s", invitation.pk, invitation.failure_reason)
                failed += invitations
                continue
            for invitation in invitations:
                if style:
                    accepted, message_id = recipient_outcome(message, invitation.contact.email)
                else:
                    accepted, message_id = True, message_id_of(message)
                if not accepted:
                    invitation.status, invitation.failure_reason = Status.FAILED, "Refused by the mail provider"
                    failed.append(invitation)
                    continue
                invitation.status, invitation.sent_at = Status.SENT, now
                invitation.provider_message_id = message_id[:200]
                sent.append(invitation)
        if sent:
            # One UPDATE … FROM unnest() on PostgreSQL: bulk_update's CASE per row cost more than the sending.
            update_rows(
                Invitation,
                "provider_message_id",
                {row.pk: row.provider_message_id for row in sent},
                status=Status.SENT,
                sent_at=now,
            )
        if failed:
            Invitation.objects.bulk_update(failed, ["status", "failure_reason"])
        if skipped:
            Invitation.objects.bulk_update(skipped, ["status", "skip_reason"])
        if held:
            Invitation.objects.bulk_update(held, ["send_after"])
    result.held += len(held)
    result.sent += len(sent)
    result.failed += len(failed)
    result.skipped += len(skipped)


def batch_retry_at(*, wave_id: int, when) -> None:
    """A batch of the wave will run again at `when` (a retry after a temporary error): the wave counts
    as active until then, so the beat does not take it for stalled (surveys.sending.STALLED_AFTER)."""
    SendWave.objects.filter(pk=wave_id).update(active_at=when)


def batch_give_up(*, wave_id: int, invitation_ids: list[int], reason: str) -> int:
    """After the last retry: mark the batch's still-queued invitations failed, so the wave ends."""
    failed = Invitation.objects.filter(pk__in=invitation_ids, wave_id=wave_id, status=Status.QUEUED).update(
        status=Status.FAILED, failure_reason=f"Gave up after repeated temporary errors: {reason}"[:1000]
    )
    logger.error("Wave %s: %s invitations failed after repeated temporary errors (%s)", wave_id, failed, reason)
    wave_finish_if_done(wave_id)
    return failed
