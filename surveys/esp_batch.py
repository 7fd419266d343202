"""Invitations through the mail provider's batch API: one call for many recipients.

Mailgun (`recipient-variables`, up to 1,000 recipients a call) and SendGrid (one personalization per
recipient, up to 1,000 a call) merge each recipient's own values into one message on their side;
anymail sends such a message when it carries `merge_data` for several `to` addresses (its "batch
sending"), and each recipient sees only their own address. An invitation differs from the next only
in its links and the first name (surveys.emails.InvitationRenderer renders the rest once per
language), so the links, the name, the unsubscribe headers, the Reply-To and the invitation id
travel as each recipient's merge data, headers and metadata.

Other providers (Postmark without stored templates, SMTP, the console and test backends) keep one
call per message. ESP_BATCH says which (core.mail_batch.batch_style, which also batches the other
e-mails through Mailgun).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from core.mail_batch import FIELD as MAILGUN_FIELD
from core.mail_batch import MAX_RECIPIENTS
from surveys.emails import NAME, TOKEN, UNSUB, InvitationRenderer

# How each provider marks a merge field in the message body; the value is merged per recipient.
_FIELD = {
    "mailgun": MAILGUN_FIELD,
    "sendgrid": "-kl{}-",
}


@dataclass
class Group:
    """Invitations that one provider call sends: same rendered parts, distinct addresses."""

    message: EmailMultiAlternatives
    invitations: list


def build_groups(renderer: InvitationRenderer, invitations: list, style: str) -> list[Group]:
    """The batch messages for these invitations: one per rendered variant (language, greeting), split
    so that no address appears twice in one call and no call has more than MAX_RECIPIENTS."""
    field = _FIELD[style]
    groups: list[Group] = []
    open_groups: dict[tuple, Group] = {}
    for invitation in invitations:
        parts = renderer.parts_for(invitation)
        email = invitation.contact.email
        group = open_groups.get(parts.key)
        if group is None or email in group.message.merge_data or len(group.invitations) >= MAX_RECIPIENTS:
            group = open_groups[parts.key] = Group(_batch_message(parts, field, style), [])
            groups.append(group)
        _add_recipient(group, renderer, invitation, parts)
    return groups


def _merge(part: str, field: str, *, html: bool) -> str:
    name = "namehtml" if html else "name"
    return (
        part.replace(TOKEN, field.format("token"))
        .replace(UNSUB, field.format("unsub"))
        .replace(NAME, field.format(name))
    )


def _batch_message(parts, field: str, style: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=parts.subject, body=_merge(parts.text, field, html=False), from_email=settings.DEFAULT_FROM_EMAIL
    )
    message.attach_alternative(_merge(parts.html, field, html=True), "text/html")
    message.to = []
    message.merge_data, message.merge_headers, message.merge_metadata = {}, {}, {}
    message.tags = [parts.kind]
    if style == "sendgrid":
        message.esp_extra = {"merge_field_format": field}  # SendGrid substitutes each key as written
    return message


def _add_recipient(group: Group, renderer: InvitationRenderer, invitation, parts) -> None:
    values = renderer.recipient_values(invitation)
    email = invitation.contact.email
    message = group.message
    message.to.append(email)
    message.merge_data[email] = {
        "token": invitation.token,
        "unsub": values.unsubscribe_token,
        "name": values.first_name,
        "namehtml": values.first_name_html,
    }
    message.merge_headers[email] = values.headers
    message.merge_metadata[email] = {"invitation": str(invitation.pk)}
    group.invitations.append(invitation)


def recipient_outcome(message, email: str) -> tuple[bool, str]:
    """(accepted, the provider's message id for this recipient) after a batch call."""
    status = getattr(message, "anymail_status", None)
    recipient = status.recipients.get(email) if status is not None else None
    if recipient is None:
        return True, ""
    return recipient.status not in ("rejected", "invalid"), recipient.message_id or ""
