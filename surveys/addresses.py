"""The one rule for a contact's e-mail address: the staff form, the CSV import, the API's upsert and
the demo data all ask `address_problem`.

Accepted is what the configured e-mail provider can deliver:
- an internationalised domain name (`jansen@bloemenwinkel.nl`, `info@münchen.de`): it is
  checked in its IDNA (punycode) form, and every provider sends to it;
- a UTF-8 local part (`zoë.jansen@…`) only when the provider supports SMTPUTF8 (RFC 6531), which
  the setting EMAIL_SMTPUTF8 says (on by default for the outbox and the test backends, which
  deliver nothing; off for an ESP or SMTP unless set, since Django's SMTP backend cannot send it).
A rejection says why, in the reader's language.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

MAX_LENGTH = 254  # RFC 5321's limit on a forward path


def normalise(value: str) -> str:
    """The stored form of an address: trimmed and lower-cased (contacts are matched case-blind)."""
    return (value or "").strip().lower()


def smtputf8() -> bool:
    """Can the configured e-mail provider deliver to a UTF-8 local part?"""
    return bool(getattr(settings, "EMAIL_SMTPUTF8", False))


def address_problem(value: str) -> str:
    """Why `value` cannot be a contact's address ("" when it can). Pass it through `normalise` first."""
    shown = value[:80] or _("(empty)")
    if len(value) > MAX_LENGTH:
        return _("“%(email)s…” is longer than %(max)s characters") % {"email": shown, "max": MAX_LENGTH}
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return _("“%(email)s” is not a valid e-mail address") % {"email": shown}
    try:
        ascii_domain = domain.encode("idna").decode("ascii")  # the standard library's IDNA codec
    except UnicodeError:
        return _("“%(domain)s” in “%(email)s” is not a valid domain name") % {"domain": domain[:80], "email": shown}
    if not local.isascii():
        if not smtputf8():
            return _(
                "“%(email)s” has letters outside ASCII before the @; the e-mail provider in use cannot deliver "
                "to such an address (it has no SMTPUTF8)"
            ) % {"email": shown}
        # RFC 6531: a UTF-8 local part follows the ASCII rules, with any non-ASCII character allowed.
        local = "".join(ch if ch.isascii() else "a" for ch in local)
    try:
        validate_email(f"{local}@{ascii_domain}")
    except ValidationError:
        return _("“%(email)s” is not a valid e-mail address") % {"email": shown}
    return ""


def validate_address(value: str) -> None:
    """address_problem as a Django validator (model and form fields, the API's serializer)."""
    problem = address_problem(normalise(value))
    if problem:
        raise ValidationError(problem, code="invalid")
