"""E-mails of the scoring app, one function each."""

from core.mail import render_email, send_once
from core.models import UserProfile


def send_weekly_digest(*, user, week_start, context: dict):
    """Last week's digest to one staff member, at most once per week (the ledger key)."""
    profile = UserProfile.objects.filter(user=user).only("language").first()
    message = render_email(template="digest", context=context, to=user.email,
                           language=profile.language if profile else None)
    return send_once(key=f"digest:{user.pk}:{week_start.isoformat()}", kind="digest", message=message)
