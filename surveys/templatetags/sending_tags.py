"""Template filters of the sending pages. They only format: what the send panel shows, and
whether Send is offered, comes from surveys.sending_queries.send_panel, passed in by the view."""

from django import template
from django.utils.translation import gettext, ngettext

from surveys.sending import QUIET_REASON

register = template.Library()


@register.filter
def skip_reason_label(reason: str) -> str:
    """A stored skip reason (English, see surveys.sending) in the reader's language."""
    quiet = QUIET_REASON.match(reason or "")
    if quiet:
        days = int(quiet.group(1))
        return ngettext("surveyed in the last %(days)s day", "surveyed in the last %(days)s days", days) % {
            "days": days
        }
    return gettext(reason) if reason else ""
