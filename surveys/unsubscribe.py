"""Unsubscribe links: a signed contact id, so the link needs no database lookup to be checked."""

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_log
from core.mail import absolute_url
from surveys.models import Contact

SALT = "kringloop.unsubscribe"


def unsubscribe_token(contact: Contact) -> str:
    return signing.dumps(contact.pk, salt=SALT, compress=True)


def contact_for_token(token: str) -> Contact | None:
    try:
        pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return Contact.objects.filter(pk=pk).first()


def unsubscribe_url(contact: Contact, *, token: str | None = None) -> str:
    return absolute_url(reverse("surveys:unsubscribe", args=[token or unsubscribe_token(contact)]))


def unsubscribe_headers(contact: Contact, *, url: str | None = None) -> dict[str, str]:
    """RFC 2369 + RFC 8058 headers for every e-mail to a contact: mail providers show an
    "unsubscribe" button and POST `List-Unsubscribe=One-Click` to the link (no CSRF token).
    `url`: the contact's unsubscribe URL when the caller already has it."""
    return {
        "List-Unsubscribe": f"<{url or unsubscribe_url(contact)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def contact_opt_out(*, contact: Contact, via: str) -> bool:
    """Opt the contact out of every future e-mail. Returns False if they already were."""
    with transaction.atomic():
        changed = Contact.objects.filter(pk=contact.pk, opted_out_at__isnull=True).update(opted_out_at=timezone.now())
        if changed:
            audit_log(actor=None, action="contact.opted_out", target=contact, data={"via": via})
    return bool(changed)
