"""Reads about the customers' e-mails: how the next e-mail on a case threads, the unmatched list."""

from followups.inbound_text import message_ids
from followups.models import FollowUp, InboundMessage


def reply_thread(case: FollowUp) -> dict:
    """In-Reply-To and References for the next e-mail on the case: it answers the customer's last
    e-mail, so their mail program shows one conversation. Empty before they ever wrote."""
    last = (
        InboundMessage.objects.filter(
            followup=case, status=InboundMessage.Status.MATCHED, kind=InboundMessage.Kind.REPLY
        )
        .exclude(message_id="")
        .order_by("-received_at", "-pk")
        .first()
    )
    if last is None:
        return {}
    chain = [*message_ids(last.references), last.message_id]
    return {"in_reply_to": last.message_id, "references": " ".join(dict.fromkeys(chain))[-2000:]}


def unmatched_messages(*, show: str = "open"):
    """The admins' list: e-mails no case took, newest first ("open", or "dismissed" and "all")."""
    messages = InboundMessage.objects.exclude(status=InboundMessage.Status.MATCHED, handled_by__isnull=True)
    if show == "open":
        messages = messages.filter(status=InboundMessage.Status.UNMATCHED)
    elif show == "dismissed":
        messages = messages.filter(status=InboundMessage.Status.DISMISSED)
    return messages.select_related("handled_by", "followup")


def unmatched_count() -> int:
    return InboundMessage.objects.filter(status=InboundMessage.Status.UNMATCHED).count()
