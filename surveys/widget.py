"""The website and in-app widget (#22.1): who may answer, when it asks, and its answers, which go
through the same pipeline as the e-mail link (surveys.responses, then the follow-up step).

- **Identified users.** The company's back end signs the user id with the campaign's widget secret
  (HMAC-SHA256, hex). A valid signature ties the answer to the contact with that external id (one
  is created, with the given e-mail address, when none has it and the address is free). The e-mail
  address is not signed, so it never picks an existing contact by itself. A missing or wrong
  signature answers anonymously only where the campaign allows anonymous answers, never as that contact.
- **When to ask** (`ask_refusal`): the client checks the page, the event and its own visitor's
  state; the server checks what it knows of an identified contact: days since the widget first saw
  them, the sample (a stable draw per contact), the quiet period shared with e-mail (any invitation
  by any channel, the widget's own included), and the dismissal snooze.
- Showing the widget to an identified contact writes an Invitation (sent now, channel widget), so
  the e-mail quiet period, the funnel and the personal-token answer path all see it; their answer
  is that invitation's response.
"""

import hashlib
import hmac
from datetime import timedelta
from fnmatch import fnmatchcase

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from surveys import wording
from surveys.lifecycle import ACCEPTS_ANSWERS
from surveys.models import Campaign, Contact, Invitation, Response, WidgetSettings, WidgetSighting
from surveys.nps import category_for
from surveys.responses import (
    clean_score,
    response_submit,
    response_submit_anonymous,
    response_submit_first,
    response_update_details,
)

KEY_SALT = "kringloop.widget-response"
Status = Invitation.Status
# Reasons the widget does not ask (returned to the script, for its console and the tests).
NOT_ACTIVE, SIGNATURE, QUIET, SNOOZED, TOO_SOON, SAMPLE = (
    "not-active",
    "signature",
    "quiet-period",
    "dismissed",
    "too-soon",
    "not-sampled",
)


class WidgetRefused(Exception):
    """The request cannot be answered: the message says why (safe to show the company's developer)."""


def widget_by_key(key: str) -> WidgetSettings | None:
    if not key or len(key) > 40:
        return None
    return WidgetSettings.objects.select_related("campaign").filter(public_key=key).first()


def origin_allowed(widget: WidgetSettings, origin: str) -> bool:
    return bool(origin) and origin.rstrip("/").lower() in {o.rstrip("/").lower() for o in widget.origins or []}


def signature_for(secret: str, user_id: str) -> str:
    """What the company's back end sends as `signature`: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()


def signature_valid(widget: WidgetSettings, user_id: str, signature: str) -> bool:
    return bool(user_id) and hmac.compare_digest(signature_for(widget.secret, user_id), str(signature or ""))


def identified_contact(widget: WidgetSettings, user: dict | None, *, language: str = "") -> tuple[Contact | None, str]:
    """(the contact, "") for a validly signed user; (None, SIGNATURE) for a wrong or missing
    signature; (None, "") when no user was given."""
    if not user or not user.get("id"):
        return None, ""
    user_id = str(user["id"])[:100]
    if not signature_valid(widget, user_id, user.get("signature", "")):
        return None, SIGNATURE
    contact = Contact.objects.filter(external_id=user_id, erased_at__isnull=True).first()
    if contact is not None:
        return contact, ""
    email = str(user.get("email") or "").strip().lower()[:254]
    if not email or Contact.objects.filter(email__iexact=email, erased_at__isnull=True).exists():
        return None, SIGNATURE  # cannot be tied to a contact safely
    try:
        with transaction.atomic():
            language = wording.spoken(user.get("language")) or wording.spoken(language) or widget.campaign.language
            return Contact.objects.create(external_id=user_id, email=email, name="", language=language), ""
    except IntegrityError:  # created meanwhile by a simultaneous call
        return Contact.objects.filter(external_id=user_id).first(), ""


def _sampled(widget: WidgetSettings, contact: Contact) -> bool:
    draw = int(hashlib.sha256(f"{widget.public_key}:{contact.pk}".encode()).hexdigest()[:8], 16) % 100
    return draw < widget.sample_percent


def ask_refusal(widget: WidgetSettings, contact: Contact | None, *, now) -> str:
    """Why the widget must not ask now ("" when it may)."""
    campaign = widget.campaign
    if campaign.channel != Campaign.Channel.WIDGET or campaign.status not in ACCEPTS_ANSWERS:
        return NOT_ACTIVE
    if contact is None:
        return "" if widget.anonymous else SIGNATURE
    sighting, _created = WidgetSighting.objects.get_or_create(
        campaign=campaign, contact=contact, defaults={"first_seen_at": now}
    )
    if sighting.dismissed_at and sighting.dismissed_at > now - timedelta(days=widget.snooze_days):
        return SNOOZED
    if sighting.first_seen_at > now - timedelta(days=widget.after_days):
        return TOO_SOON
    if not _sampled(widget, contact):
        return SAMPLE
    if _open_invitation(campaign, contact, now) is None and campaign.quiet_period_days:
        since = now - timedelta(days=campaign.quiet_period_days)
        if Invitation.objects.filter(contact=contact, sent_at__gte=since).exists():
            return QUIET
    return ""


def _open_invitation(campaign: Campaign, contact: Contact, now) -> Invitation | None:
    """The widget's unanswered invitation of the last day (the page was reloaded): asked again, not twice."""
    return (
        Invitation.objects.filter(
            campaign=campaign, contact=contact, status=Status.SENT, sent_at__gte=now - timedelta(days=1)
        )
        .filter(Q(response__isnull=True))
        .order_by("-sent_at")
        .first()
    )


def widget_ask(widget: WidgetSettings, contact: Contact | None, *, now=None) -> Invitation | None:
    """The invitation an identified contact answers with (written now, or the open one); None for
    an anonymous visitor."""
    if contact is None:
        return None
    now = now or timezone.now()
    existing = _open_invitation(widget.campaign, contact, now)
    if existing is not None:
        return existing
    return Invitation.objects.create(campaign=widget.campaign, contact=contact, status=Status.SENT, sent_at=now)


def texts(widget: WidgetSettings, language: str) -> dict:
    """Everything the widget shows, in `language`."""
    campaign = widget.campaign
    with translation.override(language):
        low, high = wording.scale_ends(campaign)
        questions = []
        for question in campaign.questions.all():
            q_low, q_high = wording.question_scale_ends(question)
            questions.append(
                {
                    "id": question.pk,
                    "kind": question.kind,
                    "text": wording.translated(question, "text"),
                    "choices": list(zip(question.choices or [], wording.translated(question, "choices") or [])),
                    "required": question.required,
                    "low": q_low,
                    "high": q_high,
                }
            )
        return {
            "language": language,
            "question": wording.nps_question(campaign),
            "low": low,
            "high": high,
            "why": {c: wording.why_question(campaign, c) for c in ("promoter", "passive", "detractor")},
            "questions": questions,
            "thanks": {c: wording.thanks_text(campaign, c) for c in ("promoter", "passive", "detractor")},
            "labels": {
                "send": _("Send"),
                "close": _("Close"),
                "later": _("Not now"),
                "title": _("Your opinion"),
                "thanks": _("Thank you!"),
                "score": _("%(score)s out of 10"),
                "error": _("Sorry, that did not work. Please try again later."),
            },
        }


def response_key(response_id: int) -> str:
    return signing.dumps(response_id, salt=KEY_SALT, compress=True)


def response_for_key(widget: WidgetSettings, key: str) -> Response | None:
    try:
        pk = signing.loads(str(key)[:200], salt=KEY_SALT)
    except signing.BadSignature:
        return None
    return Response.objects.filter(pk=pk, campaign_id=widget.campaign_id).first()


def widget_answer_first(*, key: str, origin: str, token: str, score) -> tuple[int, str] | None:
    """The common answer, an identified contact's first (or a changed score within the edit window), in
    one statement (as the e-mail link's): stored only for the campaign of the widget with this public
    key, when it lists this origin (the CORS rule, checked in the same statement) and accepts answers.
    (the response's id, its category), or None: then the general way (widget_by_key, origin_allowed,
    widget_answer) says why."""
    if not token or not key or len(key) > 40 or not origin:
        return None
    first = response_submit_first(
        token=str(token)[:40], score=score, widget_key=key, widget_origin=origin.rstrip("/").lower()
    )
    return (first, category_for(clean_score(score))) if first is not None else None


def widget_answer(
    widget: WidgetSettings, *, score, token: str = "", language: str, tried_first: bool = False
) -> tuple[int, str]:
    """Store the score; (the response's id, its category). As the identified contact's invitation's
    answer (the personal token, by the e-mail link's own one-statement first answer where it can,
    unless the caller `tried_first`), or anonymously where allowed. ValidationError for a bad
    score; WidgetRefused otherwise."""
    if token:
        token = str(token)[:40]
        if not Invitation.objects.filter(token=token, campaign_id=widget.campaign_id).exists():
            raise WidgetRefused("unknown-token")
        first = None if tried_first else response_submit_first(token=token, score=score)
        if first is not None:
            return first, category_for(clean_score(score))
        invitation = Invitation.objects.select_related("campaign", "contact", "response").get(token=token)
        response = response_submit(invitation=invitation, score=score).response
        return response.pk, response.category
    if not widget.anonymous:
        raise WidgetRefused(SIGNATURE)
    response = response_submit_anonymous(campaign=widget.campaign, score=score, language=language)
    return response.pk, response.category


def widget_details(widget: WidgetSettings, *, key: str, comment: str, answers: dict) -> Response:
    response = response_for_key(widget, key)
    if response is None:
        raise WidgetRefused("unknown-response")
    cleaned = {}
    for question_id, value in (answers or {}).items():
        if str(question_id).isdigit() and isinstance(value, dict):
            cleaned[int(question_id)] = value
    return response_update_details(response=response, comment=str(comment or "")[:10_000], answers=cleaned)


def widget_dismiss(widget: WidgetSettings, contact: Contact | None, *, now=None) -> None:
    """The contact closed the widget without answering: not asked again for snooze_days."""
    if contact is not None:
        WidgetSighting.objects.update_or_create(
            campaign=widget.campaign,
            contact=contact,
            defaults={"dismissed_at": now or timezone.now()},
            create_defaults={"first_seen_at": now or timezone.now(), "dismissed_at": now or timezone.now()},
        )


def url_matches(widget: WidgetSettings, path: str) -> bool:
    """Does the page (its path) match one of the campaign's page patterns (any page without patterns)?"""
    patterns = widget.url_patterns or []
    return not patterns or any(fnmatchcase(path or "/", pattern) for pattern in patterns)


def public_config(widget: WidgetSettings) -> dict:
    """The rules the script checks in the browser before it asks the server."""
    return {
        "anonymous": widget.anonymous,
        "afterDays": widget.after_days,
        "pages": widget.url_patterns or [],
        "event": widget.event,
        "sample": widget.sample_percent,
        "snoozeDays": widget.snooze_days,
        "quietDays": widget.campaign.quiet_period_days,
        "colour": widget.colour,
        "position": widget.position,
    }
