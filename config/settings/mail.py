"""E-mail: the backend (the in-app outbox or an ESP through anymail), the ESP's webhooks, inbound
replies, kudos."""

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.base import DEVELOPMENT, PRODUCTION, SECRET_KEY, TESTING

# `core.mail.OutboxBackend` stores every message in the database; admins read it at /outbox/.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "core.mail.OutboxBackend" if not PRODUCTION else "")
if PRODUCTION and not EMAIL_BACKEND:
    raise ImproperlyConfigured("EMAIL_BACKEND is required in production, e.g. anymail.backends.postmark.EmailBackend.")
# Can the e-mail provider deliver to an address with a UTF-8 local part (SMTPUTF8, RFC 6531)? The
# contacts' address rule (surveys.addresses) accepts such addresses only then. The outbox and the
# test backends deliver nothing, so they can; Django's SMTP backend cannot; for an ESP that can, set it.
_DELIVERS_NOTHING = {
    "core.mail.OutboxBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "anymail.backends.test.EmailBackend",
}
# E-mails through the provider's batch API (core/mail_batch.py): "auto" for anymail's Mailgun and
# SendGrid backends (invitations: one call per up to 1,000 recipients; with Mailgun the other e-mails of
# a batch too), "off" for one call per message. INVITE_ESP_BATCH is its name before 2026-12-06.
ESP_BATCH = env_str("ESP_BATCH", env_str("INVITE_ESP_BATCH", "auto"))
EMAIL_SMTPUTF8 = env_bool("EMAIL_SMTPUTF8", EMAIL_BACKEND in _DELIVERS_NOTHING)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kringloop <nps@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The ESP's tracking webhook is protected by HTTP basic auth with this "user:password".
ANYMAIL = {
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET")
    if PRODUCTION
    else env_str("ANYMAIL_WEBHOOK_SECRET", f"kringloop:{SECRET_KEY[:24]}"),
}
# ESP credentials (e.g. POSTMARK_SERVER_TOKEN) are read by anymail from ANYMAIL_<ESP>_* variables.
for _key, _value in os.environ.items():
    if _key.startswith("ANYMAIL_") and _key != "ANYMAIL_WEBHOOK_SECRET":
        ANYMAIL[_key.removeprefix("ANYMAIL_")] = _value
# Customers' replies come back into the case (followups.inbound): e-mails to customers carry
# Reply-To: reply+<signed token>@INBOUND_DOMAIN, and the ESP posts what arrives there to
# /anymail/<esp>/inbound/ (the same basic auth as the tracking webhook). Empty: off.
INBOUND_DOMAIN = env_str("INBOUND_DOMAIN", "replies.localhost" if DEVELOPMENT else "").strip().lower()
INBOUND_KEEP_ATTACHMENTS = env_bool("INBOUND_KEEP_ATTACHMENTS", False)
INBOUND_ATTACHMENT_MAX_BYTES = env_int("INBOUND_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=0)
# Kudos (followups.kudos): the hour (TIME_ZONE) from which the day's batched praise goes out, and
# the contact attribute that names the staff member who served the customer.
KUDOS_HOUR = env_int("KUDOS_HOUR", 16, minimum=0)
KUDOS_SERVED_BY_ATTRIBUTE = env_str("KUDOS_SERVED_BY_ATTRIBUTE", "served_by")
# The demo's "Reply as the customer" button on the outbox (demo/): never in production.
DEMO_TOOLS = DEVELOPMENT or TESTING
