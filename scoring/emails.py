"""E-mails of the scoring app, one function each."""

from core.i18n import user_language
from core.mail import render_email, send_once


def send_weekly_digest(*, user, week_start, context: dict):
    """Last week's digest to one staff member, in their language, at most once per week (the ledger key)."""
    message = render_email(template="digest", context=context, to=user.email, language=user_language(user))
    return send_once(key=f"digest:{user.pk}:{week_start.isoformat()}", kind="digest", message=message)
