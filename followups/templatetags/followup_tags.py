"""Template filters of the follow-up pages: stored codes and lines named in the reader's language."""

from django import template
from django.utils.timesince import timesince
from django.utils.translation import gettext

from followups import history
from followups.forms import ATTEMPT_CHANNELS, ATTEMPT_RESULTS
from followups.models import ImprovementNotice

register = template.Library()


@register.filter
def event_line(event) -> str:
    """A case-history line in the active language (see followups.history)."""
    return history.event_line(event)


@register.filter
def attempt_channel(code) -> str:
    return str(dict(ATTEMPT_CHANNELS).get(code, code))


@register.filter
def attempt_result(code) -> str:
    return str(dict(ATTEMPT_RESULTS).get(code, code))


@register.filter
def notice_status(code) -> str:
    return str(ImprovementNotice.Status(code).label) if code in ImprovementNotice.Status.values else code


@register.filter
def reason_text(reason) -> str:
    """A closing reason: one Kringloop gave itself is a message, shown translated; people's own as typed."""
    return gettext(reason) if reason else reason


@register.filter
def late_by(due, now=None) -> str:
    """How late a deadline is, in its largest unit only ("1 week"): short enough for a table cell in
    any language (naturaltime's "1 week, 5 days ago" crowded the queue in Dutch)."""
    return timesince(due, now, depth=1)
