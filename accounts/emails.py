"""E-mails of the sign-in app, one function each."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.i18n import user_language
from core.mail import absolute_url, render_email, send_once


def send_password_reset(*, user_id: int, key: str):
    """The password-reset link, in the user's language. The token is made here, in the worker,
    so it is never stored; `key` makes a retried task send nothing twice."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return None
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    message = render_email(
        template="password_reset",
        context={"user": user, "url": absolute_url(path), "minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
        to=user.email,
        language=user_language(user),
    )
    return send_once(key=key, kind="password_reset", message=message)
