"""Reminders: one to each invitation not answered after its campaign's `reminder_after_days`.

The beat (`surveys.tasks.send_due_reminders`, every 15 minutes) finds the invitations due one
and queues them in batches; a batch claims its rows before sending, so a reminder goes out at
most once.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.queue import enqueue_on_commit
from surveys.delivery import BatchResult, TransientSendError, describe_error, is_transient, open_connection
from surveys.emails import InvitationRenderer
from surveys.models import Campaign, Invitation
from surveys.sending import SENDS, skip_reason

Status = Invitation.Status
REMINDER_TASK = "surveys.tasks.send_reminder_batch"


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
            campaign__channel=Campaign.Channel.EMAIL,  # a text message is sent once, never reminded
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
    connection = open_connection(on_error=lambda: _release_reminders(rows))
    try:
        for index, invitation in enumerate(rows):
            renderer = renderers.setdefault(
                invitation.campaign_id, InvitationRenderer(invitation.campaign, reminder=True)
            )
            try:
                connection.send_messages([renderer.build(invitation)])
            except Exception as error:  # noqa: BLE001 - every error is classified
                if is_transient(error):
                    result.transient_error = describe_error(error)
                    _release_reminders(rows[index:])
                    break
                # The reminder was refused; the claim stays, so it is not tried again.
                result.failed += 1
                Invitation.objects.filter(pk=invitation.pk).update(
                    failure_reason=f"Reminder: {describe_error(error)}"[:1000]
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
