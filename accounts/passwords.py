"""Password reset by e-mail.

- The link carries Django's password-reset token: it works once (it is tied to the password hash
  and last sign-in) and expires after PASSWORD_RESET_TIMEOUT seconds.
- No enumeration: the page answers the same for any address, and the e-mail is made and sent by
  the worker, so the answer takes as long whether or not an account exists.
- Rate-limited per client address (the view) and per e-mail address (here, silently: the answer
  stays the same); every request and every completed reset is in the audit log.
- With SSO_ONLY only the break-glass admin can reset a password.
"""

import hashlib
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import throttle
from accounts.login import password_login_allowed
from accounts.tasks import send_password_reset_email
from core import ratelimit
from core.audit import audit_log

PER_ADDRESS = 3  # e-mails per e-mail address per hour
PER_CLIENT = 5  # requests per client address per 15 minutes (the view)


def users_for_email(email: str):
    User = get_user_model()
    users = User.objects.filter(email__iexact=email.strip(), is_active=True)
    return [user for user in users if user.has_usable_password() and password_login_allowed(user.get_username())]


def password_reset_request(*, email: str, ip: str) -> int:
    """Queue a reset e-mail to each active account with this address; the number queued (never shown
    to the requester)."""
    email = email.strip()[:254]
    digest = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    if not ratelimit.allow("password-reset-address", digest, limit=PER_ADDRESS, window=3600):
        audit_log(actor=None, action="password.reset_limited", data={"email": email, "ip": ip})
        return 0
    users = users_for_email(email)
    for user in users:
        key = f"password-reset:{user.pk}:{uuid.uuid4().hex}"
        transaction.on_commit(lambda user_id=user.pk, key=key: send_password_reset_email.delay(user_id, key))
        audit_log(actor=None, action="password.reset_requested", target=user, data={"ip": ip})
    if not users:
        audit_log(actor=None, action="password.reset_requested", data={"email": email, "ip": ip, "account": False})
    return len(users)


def password_reset_done(*, user, ip: str) -> None:
    """After a new password was set through a reset link."""
    throttle.clear(user.get_username(), ip)
    audit_log(actor=None, action="password.reset_completed", target=user, data={"ip": ip})
