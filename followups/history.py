"""Case-history lines in the reader's language.

Lines Kringloop writes itself ("Routed to …", "Status: New → Contacted.") are stored twice: as
English `text` (the record that exports, the API and webhooks read) and, in `data["i18n"]`, as
the untranslated messages with their values, so each staff member reads the line in their own
language. Status and category values are stored as codes and named when read. Events written
before this existed, and what people typed (notes, replies), show their `text` as it is.

    FollowUpEvent.objects.create(..., **said(gettext_noop("Claimed by %(who)s."), who="arthur"))
"""

from django.utils import translation
from django.utils.translation import gettext, pgettext

from surveys.models import Category

KEY = "i18n"


def _named(key: str, value):
    """A stored value as the reader sees it: codes named in their language, None as "nobody"."""
    from followups.models import FollowUp

    if value is None:
        return gettext("nobody")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or pgettext("no root causes", "none")
    if key.startswith("status") and value in FollowUp.Status.values:
        return FollowUp.Status(value).label
    if key.startswith("category") and value in Category.values:
        return str(Category(value).label).lower()
    if key == "reason":  # a reason Kringloop gave itself (processing.CLOSED_AS_PROMOTER) is a message
        return gettext(value) if value else value
    return value


def _render(parts) -> str:
    return " ".join(gettext(msgid) % {k: _named(k, v) for k, v in args.items()} for msgid, args in parts)


def said(*parts, **args) -> dict:
    """The event fields for a line made of one message (`said(msgid, **args)`) or several
    (`said((msgid, args), (msgid, args))`): {"text": English text, "i18n": the messages}."""
    if args or (len(parts) == 1 and isinstance(parts[0], str)):
        parts = ((parts[0], args),)
    parts = [[msgid, dict(values)] for msgid, values in parts]
    with translation.override("en"):
        text = _render(parts)
    return {"text": text, KEY: parts}


def event_line(event) -> str:
    """What the case history shows for `event`, in the active language."""
    parts = (event.data or {}).get(KEY)
    if not parts:
        return event.text
    try:
        return _render(parts)
    except (KeyError, TypeError, ValueError):  # a message changed since: the stored English stands
        return event.text
