"""Slack and Microsoft Teams messages: each event as a Slack Block Kit message or a Teams Adaptive
Card, in the team's language. One neutral card per event (title, text, facts, a link), drawn in
each tool's own format.

- Slack incoming webhooks take {"text": fallback, "blocks": [...]} (api.slack.com/messaging/webhooks,
  api.slack.com/reference/block-kit/blocks): a header (plain text, ≤ 150 characters), sections of
  mrkdwn (≤ 3,000; fields ≤ 10 of ≤ 2,000) with &, < and > escaped, and a button with the link.
- Teams workflow webhooks ("When a Teams webhook request is received") take a message with one
  Adaptive Card attachment (adaptivecards.io, version 1.4): TextBlocks, a FactSet and an
  Action.OpenUrl.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core.i18n import in_language

CHAT_EVENTS = {
    "followup.detractor": gettext_lazy("A new detractor case"),
    "followup.escalated": gettext_lazy("A case is overdue and was escalated"),
    "followup.replied": gettext_lazy("A customer replied by e-mail"),
    "improvement.shipped": gettext_lazy("An improvement was shipped"),
    "summary.weekly": gettext_lazy("The weekly NPS summary (Monday morning)"),
    "kudos": gettext_lazy("Kudos: promoters praised the team or someone in it (at most daily)"),
    "alert.nps_drop": gettext_lazy("An alert: the NPS fell below its target or dropped significantly"),
}
HEADER_MAX, TEXT_MAX, FIELD_MAX, FIELDS_MAX = 150, 3000, 2000, 10
REPLY_MAX = 500  # characters of a customer's e-mail shown in a chat message


@dataclass
class Card:
    title: str
    text: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    link: tuple[str, str] | None = None  # (label, url)


def _when(value) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _person(user: dict | None) -> str:
    if not user:
        return _("nobody yet")
    return user.get("name") or user.get("username") or ""


def _customer(contact: dict | None) -> str:
    if not contact:
        return _("anonymous")
    who = contact.get("name") or contact.get("email") or ""
    return f"{who} ({contact['company']})" if contact.get("company") else who


def reply_excerpt(text: str, limit: int = REPLY_MAX) -> str:
    """A customer's reply as a chat message shows it: without any quoted history left in it (lines
    starting with ">"), blank lines folded, at most `limit` characters, cut at a word."""
    lines = [line.rstrip() for line in (text or "").splitlines() if not line.lstrip().startswith(">")]
    folded = "\n".join(lines)
    while "\n\n\n" in folded:
        folded = folded.replace("\n\n\n", "\n\n")
    folded = folded.strip()
    if len(folded) <= limit:
        return folded
    return folded[: limit - 1].rsplit(None, 1)[0].rstrip(".,;:") + "…"


def _quote(text: str) -> str:
    if not text or not text.strip():
        return _("No comment.")
    return pgettext("quotation", "“%(text)s”") % {"text": text.strip()}


def _case_card(title: str, case: dict) -> Card:
    response = case["response"]
    facts = [
        (_("Score"), str(response["score"])),
        (_("Customer"), _customer(response.get("contact"))),
        (_("Owner"), _person(case.get("owner"))),
        (_("Team"), (case.get("team") or {}).get("name") or "—"),
        (_("Deadline"), _when(case.get("due_at"))),
    ]
    if response.get("touchpoint"):
        facts.append((_("Touchpoint"), response["touchpoint"]["name"]))
    return Card(
        title=title, text=_quote(response.get("comment", "")), facts=facts, link=(_("Open the case"), case["url"])
    )


def card(event: str, data: dict, language: str) -> Card:
    """The neutral card of `event` with its `data` (webhooks.payloads, or what the scheduler gave)."""
    if event == "followup.detractor":
        case = data["followup"]
        return _case_card(
            _("New detractor case #%(id)s: score %(score)s") % {**case, "score": case["response"]["score"]}, case
        )
    if event == "followup.escalated":
        case = data["followup"]
        title = _("Case #%(id)s is overdue (escalation level %(level)s)") % {
            "id": case["id"],
            "level": case["escalation_level"],
        }
        return _case_card(title, case)
    if event == "followup.replied":
        case = data["followup"]
        who = _customer(case["response"].get("contact"))
        drawn = _case_card(
            _("%(customer)s replied by e-mail on case #%(id)s") % {"customer": who, "id": case["id"]}, case
        )
        reply = data.get("reply")
        if reply:  # their e-mail, not the survey comment the case began with
            drawn.text = _quote(reply_excerpt(reply.get("text", "")))
            if reply.get("subject"):
                drawn.facts.insert(0, (_("Subject"), _cut(reply["subject"], 200)))
        return drawn
    if event == "improvement.shipped":
        improvement = data["improvement"]
        # The title and text as the team reads them: the one rule for texts per language.
        title = in_language({"en": improvement["title"], "nl": improvement.get("title_nl")}, language)
        description = in_language(
            {"en": improvement.get("description_en"), "nl": improvement.get("description_nl")}, language
        )
        return Card(
            title=_("Shipped: %(title)s") % {"title": title},
            text=description,
            facts=[
                (_("Customers who asked for it"), str(improvement.get("linked_responses", 0))),
                (_("Customers being told"), str(improvement.get("customers_to_notify", 0))),
            ],
            link=(_("Open the improvement"), improvement["url"]),
        )
    if event == "summary.weekly":
        summary = data["summary"]
        return Card(
            title=_("Weekly NPS summary: %(team)s") % {"team": summary["team"]},
            text=_("Week of %(start)s to %(end)s") % {"start": summary["start"], "end": summary["end"]},
            facts=[(row["label"], row["value"]) for row in summary["rows"]],
            link=(_("Open the dashboard"), summary["url"]),
        )
    if event == "kudos":
        kudos = data["kudos"]
        quotes = "\n".join(f"{_quote(item['comment'])} ({item['score']})" for item in kudos["comments"])
        return Card(
            title=_("Kudos for %(name)s") % {"name": kudos["name"]},
            text=quotes,
            link=(_("See the praise wall"), kudos["url"]),
        )
    if event == "alert.nps_drop":
        return _alert_card(data["alert"])
    if event == "ping":
        return Card(title=_("Test message from Kringloop"), text=_("This channel will receive Kringloop's messages."))
    return Card(title=event)


def _alert_card(alert: dict) -> Card:
    """An alert on a real drop (scoring.alerts): per survey type its NPS and why it is an alert."""
    kinds = {"relational": _("Relational"), "transactional": _("Transactional")}
    facts = []
    for found in alert["findings"]:
        why = []
        if "below_target" in found["reasons"]:
            why.append(_("below its target of %(target)+d") % {"target": found["target"]})
        if "significant_drop" in found["reasons"]:
            why.append(
                _("%(delta)+d points against the period before (significant)") % {"delta": round(found["delta"])}
            )
        value = _("%(nps)+d (n = %(n)s)") % {"nps": round(found["nps"]), "n": found["n"]}
        facts.append((kinds.get(found["kind"], found["kind"]), f"{value}: {'; '.join(why)}"))
    return Card(
        title=_("NPS alert: %(name)s") % {"name": alert["name"]},
        text=_("Period %(start)s to %(end)s") % {"start": _when_day(alert["start"]), "end": _when_day(alert["end"])},
        facts=facts,
        link=(_("Open the dashboard"), alert["url"]),
    )


def _when_day(value: str) -> str:
    try:
        return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return value


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack(c: Card) -> dict:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _cut(c.title, HEADER_MAX), "emoji": True}}]
    if c.text:
        quoted = "\n".join(f"> {line}" if line else ">" for line in _slack_escape(c.text).splitlines())
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(quoted, TEXT_MAX)}})
    if c.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": _cut(f"*{_slack_escape(label)}*\n{_slack_escape(value)}", FIELD_MAX)}
                    for label, value in c.facts[:FIELDS_MAX]
                ],
            }
        )
    if c.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": c.link[0]},
                        "url": c.link[1],
                        "style": "primary",
                    }
                ],
            }
        )
    return {"text": _cut(c.title, TEXT_MAX), "blocks": blocks}


def teams(c: Card) -> dict:
    body = [{"type": "TextBlock", "text": c.title, "weight": "Bolder", "size": "Medium", "wrap": True}]
    if c.text:
        body.append({"type": "TextBlock", "text": c.text, "wrap": True})
    if c.facts:
        body.append({"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in c.facts]})
    content = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if c.link:
        content["actions"] = [{"type": "Action.OpenUrl", "title": c.link[0], "url": c.link[1]}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": content}
        ],
    }


def message(fmt: str, event: str, data: dict, language: str) -> dict:
    """The JSON body for a Slack ("slack") or Teams ("teams") endpoint."""
    with translation.override(language):
        drawn = card(event, data, language)
    return slack(drawn) if fmt == "slack" else teams(drawn)
