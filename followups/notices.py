"""Telling the customers who asked that an improvement shipped ("you said, we did"): the e-mail,
sending each notice exactly once (the send-once ledger and the notice's status guard it; the sweep
sends what a lost task left queued), and what the ship page shows of it. followups.improvements
ships the improvement and queues the notices."""

import logging

from anymail.exceptions import AnymailAPIError
from django.db import OperationalError, transaction
from django.db.models import CharField, Count, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from core.mail import absolute_url, render_email, send_once
from core.models import EmailDelivery
from followups import emails
from followups.improvement_texts import customer_texts
from followups.models import FollowUp, Improvement, ImprovementNotice
from surveys.models import Contact, Invitation, Response
from surveys.unsubscribe import unsubscribe_headers, unsubscribe_url

logger = logging.getLogger(__name__)

SEND_TASK = "followups.tasks.send_improvement_notices"  # a batch of notice ids
SEND_BATCH = 100  # notices per task: a task each cost more than the e-mail


def _quote(improvement, contact) -> str:
    linked = (
        Response.objects.filter(contact=contact, improvement_links__improvement=improvement)
        .exclude(comment="")
        .order_by("-submitted_at")
        .values_list("comment", flat=True)
        .first()
    )
    if not linked:
        return ""
    return linked if len(linked) <= 160 else linked[:157].rsplit(" ", 1)[0] + "…"


def notice_case(improvement: Improvement, contact: Contact) -> FollowUp | None:
    """The case a customer's answer to the "you said, we did" e-mail belongs on: the case of their
    newest answer linked to the improvement (None when none of those answers has a case)."""
    return (
        FollowUp.objects.filter(response__contact=contact, response__improvement_links__improvement=improvement)
        .order_by("-response__submitted_at", "-pk")
        .first()
    )


def notice_message(*, improvement: Improvement, contact: Contact, survey_url: str = ""):
    """The "you said, we did" e-mail to `contact`: in their language, with the title and the text
    of what changed as they read them (followups.improvement_texts), quoting what they said. When
    what they said has a case, the e-mail is on that case's conversation (its Reply-To and thread
    headers), so their answer lands in the case. The ship page previews exactly this message."""
    language = contact.language if contact.language in ("en", "nl") else "en"
    texts = customer_texts(improvement, language)
    unsubscribe = unsubscribe_url(contact)
    headers = unsubscribe_headers(contact, url=unsubscribe)
    case = notice_case(improvement, contact)
    if case is not None:
        message_id = emails.notice_message_id(improvement.pk, contact.pk)
        headers.update(emails.case_thread_headers(case, message_id=message_id))
    return render_email(
        template="improvement_notice",
        to=contact.email,
        language=language,
        headers=headers,
        context={
            "unsubscribe_url": unsubscribe,
            "contact": contact,
            "improvement": improvement,
            "title": texts["title"],
            "description": texts["description"],
            "quote": _quote(improvement, contact),
            "survey_url": survey_url,
            # The public "you said, we did" page, when this improvement is on it (followups.public_page).
            "public_url": absolute_url(f"{reverse('followups:public_improvements')}?lang={language}")
            if improvement.public
            else "",
        },
    )


def notices_lost(*, shipped_before, limit: int) -> list[int]:
    """Ids of notices still queued for improvements shipped before `shipped_before`: their task was
    lost (a broker restart, a killed worker) or is still failing. The sweep queues them again."""
    return list(
        ImprovementNotice.objects.filter(
            status=ImprovementNotice.Status.QUEUED, improvement__shipped_at__lt=shipped_before
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def notices_send(*, notice_ids: list[int]) -> int:
    """notice_send for a batch; returns how many were sent now. A notice that cannot be sent (bad
    data) does not hold up the others: it stays queued for the sweep. A database or provider outage
    is raised, so the task retries the batch (what was sent is not sent again)."""
    sent = 0
    for notice_id in notice_ids:
        try:
            sent += notice_send(notice_id=notice_id)
        except (OperationalError, OSError, AnymailAPIError):
            raise
        except Exception:
            logger.exception("Could not send improvement notice %s; the sweep will retry it.", notice_id)
    return sent


def notice_send(*, notice_id: int) -> bool:
    """Send one notice, exactly once: the ledger key and the notice status both guard it.
    Safe to run any number of times, on any number of workers at once (the sweep resends the ones
    whose task was lost: notices_lost)."""
    notice = (
        ImprovementNotice.objects.select_related("improvement__resurvey_campaign", "contact")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None or notice.status != ImprovementNotice.Status.QUEUED:
        return False
    contact, improvement = notice.contact, notice.improvement
    if not contact.can_be_emailed:
        ImprovementNotice.objects.filter(pk=notice.pk).update(
            status=ImprovementNotice.Status.EXCLUDED, error="opted out before sending"
        )
        return False
    survey_url = ""
    campaign = improvement.resurvey_campaign
    if campaign is not None:
        invitation = notice.resurvey_invitation
        if invitation is None:
            with transaction.atomic():  # one re-survey invitation per notice, even if killed right here
                locked = ImprovementNotice.objects.select_for_update().get(pk=notice.pk)
                invitation = locked.resurvey_invitation
                if invitation is None:
                    invitation = Invitation.objects.create(
                        campaign=campaign, contact=contact, status=Invitation.Status.SENT, sent_at=timezone.now()
                    )
                    ImprovementNotice.objects.filter(pk=notice.pk).update(resurvey_invitation=invitation)
        from surveys.emails import survey_url as url_for

        survey_url = url_for(invitation)
    message = notice_message(improvement=improvement, contact=contact, survey_url=survey_url)
    send_once(key=ledger_key(improvement.pk, contact.pk), kind="improvement_notice", message=message)
    ImprovementNotice.objects.filter(pk=notice.pk, status=ImprovementNotice.Status.QUEUED).update(
        status=ImprovementNotice.Status.SENT, sent_at=timezone.now()
    )
    return True


def ledger_key(improvement_id, contact_id) -> str:
    return f"improvement:{improvement_id}:{contact_id}"


def notice_ledger_key():
    """_ledger_key of each ImprovementNotice row, in SQL (for annotating a queryset of notices)."""
    return Concat(
        Value("improvement:"),
        Cast("improvement_id", CharField()),
        Value(":"),
        Cast("contact_id", CharField()),
        output_field=CharField(),
    )


def notice_rows(improvement: Improvement, *, limit: int = 500):
    """The improvement's notices, each with `delivery`: its status in the send-once ledger
    (core.models.EmailDelivery: "sent" only once the e-mail really went out), or None before a
    worker has picked it up."""
    delivery = EmailDelivery.objects.filter(
        key=Concat(Value(f"improvement:{improvement.pk}:"), Cast(OuterRef("contact_id"), CharField()))
    ).values("status")[:1]
    return (
        improvement.notices.select_related("contact")
        .annotate(delivery=Subquery(delivery))
        .order_by("contact__name", "contact__email")[:limit]
    )


def notice_progress(improvement: Improvement) -> dict:
    """How far telling the customers got, counted from what was really sent: an e-mail counts as
    sent when its row in the send-once ledger says so, not when its notice was queued or marked.

    `to_tell` leaves out the customers an admin excluded (or who opted out before sending);
    `percent` is the share of those whose e-mail went out or failed for good."""
    counts = dict(improvement.notices.values_list("status").annotate(n=Count("id")))
    excluded = counts.get(ImprovementNotice.Status.EXCLUDED, 0)
    to_tell = sum(counts.values()) - excluded
    ledger = dict(
        EmailDelivery.objects.filter(key__startswith=ledger_key(improvement.pk, ""), kind="improvement_notice")
        .values_list("status")
        .annotate(n=Count("id"))
    )
    sent = ledger.get(EmailDelivery.Status.SENT, 0)
    failed = min(
        to_tell - sent,
        max(counts.get(ImprovementNotice.Status.FAILED, 0), ledger.get(EmailDelivery.Status.FAILED, 0)),
    )
    queued = max(to_tell - sent - failed, 0)
    return {
        "to_tell": to_tell,
        "sent": sent,
        "failed": failed,
        "queued": queued,
        "excluded": excluded,
        "total": to_tell + excluded,
        "percent": round(100 * (sent + failed) / to_tell) if to_tell else 100,
        "done": queued == 0,
    }


def notice_previews(improvement: Improvement, recipients) -> list[dict]:
    """The "you said, we did" e-mail as each language's customers will get it: one preview per
    language among `recipients` (in the order they come), built by notice_message for the first
    recipient of that language ("#" stands in for their personal survey link)."""
    previews, seen = [], set()
    for contact in recipients:
        language = contact.language if contact.language in ("en", "nl") else "en"
        if language in seen:
            continue
        seen.add(language)
        message = notice_message(
            improvement=improvement, contact=contact, survey_url="#" if improvement.resurvey_campaign_id else ""
        )
        previews.append(
            {
                "language": language,
                "contact": contact,
                "count": sum(1 for c in recipients if (c.language if c.language in ("en", "nl") else "en") == language),
                "subject": message.subject,
                "html": message.alternatives[0][0],
                "text": message.body,
            }
        )
    return previews
