"""E-mails of the core app, one function each."""

from django.contrib.auth import get_user_model

from core.i18n import user_language
from core.mail import render_email, send_once


def send_test_email(*, to: str, requested_by: str, key: str):
    """The test e-mail, in the language of the admin who asked for it."""
    requester = get_user_model().objects.filter(username=requested_by).first()
    message = render_email(
        template="test_email", context={"requested_by": requested_by}, to=to, language=user_language(requester)
    )
    return send_once(key=key, kind="test_email", message=message)
