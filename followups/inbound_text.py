"""Reading a customer's e-mail: what they wrote (without the quoted mail and the signature), and
whether a person wrote it at all (auto-replies and delivery reports are not the customer's answer).
Pure functions over text and headers."""

import re
from email.utils import getaddresses

# A line that starts the quoted original, in the mail programs our customers use (English, Dutch).
_QUOTE_HEADERS = [
    re.compile(r"^\s*On .{4,200}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Op .{4,200}(schreef|het volgende geschreven)[^:]{0,80}:\s*$", re.IGNORECASE),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Oorspronkelijk bericht|Origineel bericht|Forwarded message)\s*-{2,}\s*$", re.I
    ),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above the quoted header block
    re.compile(r"^\s*(From|Van)\s*:\s*.+$", re.IGNORECASE),  # Outlook: "From: …" then Sent/To/Subject
]
# Two lines "On Mon, 5 Dec 2026 at 10:15, Acme <nps@…>" + "wrote:" (Gmail wraps long ones).
_WRAPPED_ON = re.compile(r"^\s*(On|Op) .{4,200}$", re.IGNORECASE)
_WRAPPED_WROTE = re.compile(r"^\s*.{0,80}(wrote|schreef)[^:]{0,40}:\s*$", re.IGNORECASE)
# Where a signature starts: the standard "-- " line, and the phones' own sign-offs.
_SIGNATURE = [
    re.compile(r"^-- ?$"),
    re.compile(
        r"^\s*(Sent from my|Verzonden (vanaf|met|via) mijn|Verstuurd (vanaf|met|via) mijn|Get Outlook for)\b", re.I
    ),
]


def trim_reply(text: str) -> str:
    """The customer's own words: the text before the quoted mail and before the signature, with
    the ">"-quoted lines left out. Falls back to the whole text if trimming would leave nothing."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = []
    for index, line in enumerate(lines):
        if any(pattern.match(line) for pattern in _QUOTE_HEADERS):
            break
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _WRAPPED_ON.match(line) and _WRAPPED_WROTE.match(following):
            break
        if any(pattern.match(line) for pattern in _SIGNATURE):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    trimmed = "\n".join(kept).strip()
    trimmed = re.sub(r"\n{3,}", "\n\n", trimmed)
    return trimmed or (text or "").strip()


AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_AUTO_SUBJECTS = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwoord)|automatisch antwoord|out of (the )?office|"
    r"afwezig(heidsbericht)?|abwesenheitsnotiz|r[ée]ponse automatique)\b",
    re.IGNORECASE,
)
_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)


def automatic_kind(headers, *, from_email: str = "", subject: str = "", content_type: str = "", envelope_sender=None):
    """ "bounce" for a delivery status notification, "auto_reply" for an auto-reply, "" for a
    person's e-mail. `headers`: (name, value) pairs. RFC 3834 (Auto-Submitted), the de-facto
    X-Autoreply / X-Autorespond / Precedence headers, RFC 3464 DSNs (multipart/report;
    report-type=delivery-status) and the mailer daemons' addresses; an empty envelope sender ("<>")
    is only ever used by automatic mail."""
    values = {}
    for name, value in headers or ():
        values.setdefault(str(name).lower(), str(value).strip())
    content_type = (content_type or values.get("content-type", "")).lower()
    if "multipart/report" in content_type and "delivery-status" in content_type:
        return "bounce"
    if _DAEMONS.match(from_email or ""):
        return "bounce"
    auto_submitted = values.get("auto-submitted", "no").lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if any(name in values for name in ("x-autoreply", "x-autorespond", "x-autoresponse", "x-auto-response")):
        return "auto_reply"
    if values.get("precedence", "").lower() in AUTO_PRECEDENCE:
        return "auto_reply"
    if envelope_sender is not None and envelope_sender.strip().strip("<>") == "":
        return "auto_reply"
    if _AUTO_SUBJECTS.match(subject or ""):
        return "auto_reply"
    return ""


def addresses_in(*values) -> list[str]:
    """Every e-mail address in header values like "Ann <ann@x>, bob@y" (lower-cased)."""
    return [address.lower() for _name, address in getaddresses([value for value in values if value]) if address]


def message_ids(value: str) -> list[str]:
    """The <…> ids in a References / In-Reply-To header, in order."""
    return re.findall(r"<[^<>\s]+>", value or "")
