"""The answers' and invitations' part of `manage.py check_data` (core.consistency): each answer's
stored category follows from its score (the one rule, surveys.nps.category_for), an answer and its
invitation agree on campaign and customer, an invitation marked answered has its answer, and (with
the outbox) each invitation that went out was stored once."""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q

from core.consistency import Context, finding, register
from core.models import OutboxMessage, RetentionSettings
from surveys.models import Invitation, Response
from surveys.nps import SCORE_RANGES


def answers(context: Context) -> list:
    check = "answers"
    # The stored category of each score, from the one rule (surveys.nps.SCORE_RANGES).
    wrong = Q()
    for category, (low, high) in SCORE_RANGES.items():
        wrong |= Q(score__gte=low, score__lte=high) & ~Q(category=category)
    found = finding(
        check, "answers whose stored category does not follow from their score", Response.objects.filter(wrong)
    )
    with_invitation = Response.objects.filter(invitation__isnull=False)
    found += finding(
        check,
        "answers whose invitation belongs to another campaign",
        with_invitation.exclude(campaign_id=F("invitation__campaign_id")),
    )
    found += finding(
        check,
        "answers whose invitation went to another customer",
        with_invitation.filter(contact_id__isnull=False).exclude(contact_id=F("invitation__contact_id")),
    )
    return found


def invitations(context: Context) -> list:
    check = "invitations"
    found = finding(
        check,
        "invitations marked answered without an answer",
        Invitation.objects.filter(status=Invitation.Status.ANSWERED, response__isnull=True),
    )
    found += finding(
        check,
        "answered invitations still not marked answered",
        Invitation.objects.filter(response__submitted_at__lt=context.settled_before, answered_at__isnull=True),
    )
    found += finding(
        check,
        "invitations marked sent without a time",
        Invitation.objects.filter(status=Invitation.Status.SENT, sent_at__isnull=True),
    )
    if settings.EMAIL_BACKEND == "core.mail.OutboxBackend":
        # Each invitation that went out with a message id was stored in the outbox (in the same
        # transaction as its row: surveys.batches), unless retention has removed the copy since.
        went_out = Invitation.objects.filter(sent_at__lt=context.settled_before).exclude(provider_message_id="")
        kept = RetentionSettings.objects.filter(pk=1).values_list("outbox_days", flat=True).first()
        if kept:
            went_out = went_out.filter(sent_at__gte=context.now - timedelta(days=kept))
        found += finding(
            check,
            "invitations recorded as sent whose e-mail is not in the outbox",
            went_out.exclude(provider_message_id__in=OutboxMessage.objects.values("message_id")),
        )
    return found


def register_checks() -> None:
    register("answers", answers)
    register("invitations", invitations)
