"""Customers' e-mails through SendGrid's Inbound Parse webhook (#21.1), the third ESP after Postmark
and Mailgun (tests/test_inbound.py). SendGrid posts multipart/form-data in one of two shapes
(twilio.com/docs/sendgrid/for-developers/parsing-email/inbound-email), both read by anymail's
SendGridInboundWebhookView at /anymail/sendgrid/inbound/:

- the default: the e-mail parsed into fields (`headers` holds the raw header block, `text` and
  `html` the bodies, `envelope` the SMTP envelope as JSON, `charsets` each field's charset as JSON,
  `attachments` a count, `attachment-info` a JSON object and each file as `attachment1`, …);
- "POST the raw, full MIME message": the whole message in the `email` field, with the same
  envelope, charsets and spam fields beside it.

SendGrid gives no event id and signs nothing here, so the webhook's basic auth guards it and an
e-mail posted again is known by its Message-ID."""

import json
from textwrap import dedent

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from followups.models import FollowUp, FollowUpEvent, InboundMessage
from tests.inbound_support import (  # fixtures by name
    CUSTOMER,
    FULL_TEXT,
    REPLY_TEXT,
    case,
    case_address,
    inbound_on,
    webhook_auth,
)

# anymail warns once per view that it no longer tests SendGrid against a live account.
pytestmark = pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")

URL = "/anymail/sendgrid/inbound/"
MESSAGE_ID = "<CAEPk3R+4Zr9cXbq@mail.example.nl>"
SPAM_REPORT = (
    'Spam detection software, running on the system "mx0047p1mdw1.sendgrid.net", '
    "has NOT identified this incoming email as spam."
)


def sendgrid_parsed(to: str, *, sender: str = CUSTOMER, attachments=(), extra_headers: str = "") -> dict:
    """The default (parsed) Inbound Parse POST."""
    headers = dedent(
        f"""\
        Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn Sat, 05 Dec 2026 10:02:11 +0000 (UTC)
        Received: from mail.example.nl (mail.example.nl [192.0.2.10]) by mx0047p1mdw1.sendgrid.net (Postfix)
        DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.nl; s=mail; h=from:to:subject
        MIME-Version: 1.0
        From: Jan de Vries <{sender}>
        Date: Sat, 5 Dec 2026 11:02:11 +0100
        Message-ID: {MESSAGE_ID}
        Subject: Re: Over uw feedback aan Acme
        To: Acme <{to}>
        In-Reply-To: <kringloop.1@replies.example.com>
        Content-Type: multipart/mixed; boundary="000000000000a1b2c3d4e5f6"
        """
    )
    form = {
        "headers": headers + extra_headers,
        "dkim": "{@example.nl : pass}",  # SendGrid's own not-quite-JSON
        "to": f"Acme <{to}>",
        "from": f"Jan de Vries <{sender}>",
        "subject": "Re: Over uw feedback aan Acme",
        "text": FULL_TEXT,
        "html": "<div>" + REPLY_TEXT.replace("\n", "<br>") + "</div>",
        "sender_ip": "192.0.2.10",
        "spam_report": SPAM_REPORT,
        "envelope": json.dumps({"to": [to], "from": sender}),
        "attachments": str(len(attachments)),
        "charsets": json.dumps({"to": "UTF-8", "html": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}),
        "SPF": "pass",
        "spam_score": "0.1",
    }
    if attachments:
        form["attachment-info"] = json.dumps(
            {
                f"attachment{number}": {"filename": upload.name, "name": upload.name, "type": upload.content_type}
                for number, upload in enumerate(attachments, start=1)
            }
        )
        for number, upload in enumerate(attachments, start=1):
            form[f"attachment{number}"] = upload
    return form


RAW_MIME = """\
Received: from mail.example.nl (mail.example.nl [192.0.2.10]) by mx0047p1mdw1.sendgrid.net (Postfix)
From: Jan de Vries <{sender}>
Date: Sat, 5 Dec 2026 11:02:11 +0100
Message-ID: <raw-{marker}@mail.example.nl>
Subject: Re: Over uw feedback aan Acme
To: Acme <{to}>
MIME-Version: 1.0
{extra}Content-Type: multipart/mixed; boundary="94eb2c05e174adb140055b6339c5"

--94eb2c05e174adb140055b6339c5
Content-Type: multipart/alternative; boundary="94eb2c05e174adb140055b6339c6"

--94eb2c05e174adb140055b6339c6
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Het bedrag van =E2=82=AC120 is nog steeds niet teruggestort.

Groet,
Jan

Op 5 dec. 2026 om 10:15 schreef Acme <nps@acme.example>:
> Beste Jan,
> Wij hebben het bedrag terugbetaald.

--94eb2c05e174adb140055b6339c6
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Het bedrag van =E2=82=AC120 is nog steeds niet teruggestort.</div>

--94eb2c05e174adb140055b6339c6--

--94eb2c05e174adb140055b6339c5
Content-Type: application/pdf; name="afschrift.pdf"
Content-Disposition: attachment; filename="afschrift.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQgYWZzY2hyaWZ0

--94eb2c05e174adb140055b6339c5--
"""


def sendgrid_raw(to: str, *, sender: str = CUSTOMER, marker: str = "1", extra_headers: str = "") -> dict:
    """The "POST the raw, full MIME message" Inbound Parse POST."""
    email = RAW_MIME.format(sender=sender, to=to, marker=marker, extra=extra_headers)
    return {
        "email": email,
        "dkim": "{@example.nl : pass}",
        "to": f"Acme <{to}>",
        "from": f"Jan de Vries <{sender}>",
        "subject": "Re: Over uw feedback aan Acme",
        "sender_ip": "192.0.2.10",
        "spam_report": SPAM_REPORT,
        "envelope": json.dumps({"to": [to], "from": sender}),
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
        "SPF": "pass",
        "spam_score": "0.1",
    }


def post(client, form):
    return client.post(URL, form, **webhook_auth())  # multipart/form-data, as SendGrid posts it


def test_a_parsed_sendgrid_reply_joins_the_case_with_its_attachment(client, settings, tmp_path, case, agent):
    settings.INBOUND_KEEP_ATTACHMENTS = True
    settings.INBOUND_ATTACHMENT_MAX_BYTES = 1000
    settings.MEDIA_ROOT = str(tmp_path)
    upload = SimpleUploadedFile("factuur.pdf", b"%PDF-1.4 factuur", content_type="application/pdf")
    assert post(client, sendgrid_parsed(case_address(case), attachments=[upload])).status_code == 200

    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.followup, inbound.esp) == ("matched", case, "SendGrid")
    assert inbound.message_id == MESSAGE_ID and inbound.in_reply_to == "<kringloop.1@replies.example.com>"
    assert inbound.from_email == CUSTOMER and inbound.from_name == "Jan de Vries"
    # SendGrid strips nothing: our own trimming leaves the quote and the signature out.
    assert inbound.reply_text == REPLY_TEXT
    assert "Wij hebben het bedrag terugbetaald" in inbound.text
    [kept] = inbound.attachments
    assert (kept["name"], kept["type"], kept["size"], bool(kept["path"])) == (
        "factuur.pdf",
        "application/pdf",
        16,
        True,
    )
    case.refresh_from_db()
    assert case.status == FollowUp.Status.REPLIED
    assert FollowUpEvent.objects.get(followup=case, kind="inbound").text == REPLY_TEXT

    client.force_login(agent)
    download = client.get(f"/followups/{case.pk}/emails/{inbound.pk}/attachments/1/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 factuur"


def test_a_raw_mime_sendgrid_reply_joins_the_case(client, settings, tmp_path, case):
    settings.INBOUND_KEEP_ATTACHMENTS = True
    settings.MEDIA_ROOT = str(tmp_path)
    assert post(client, sendgrid_raw(case_address(case))).status_code == 200

    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.followup, inbound.esp) == ("matched", case, "SendGrid")
    assert inbound.message_id == "<raw-1@mail.example.nl>"
    assert inbound.reply_text == "Het bedrag van €120 is nog steeds niet teruggestort.\n\nGroet,\nJan"
    assert "Wij hebben het bedrag terugbetaald" in inbound.text
    [kept] = inbound.attachments
    assert (kept["name"], kept["size"], bool(kept["path"])) == ("afschrift.pdf", 18, True)
    case.refresh_from_db()
    assert case.status == FollowUp.Status.REPLIED


def test_sendgrid_posting_the_same_email_again_stores_it_once(client, case):
    """SendGrid retries until it hears a 2xx and gives no event id: the Message-ID tells."""
    form = sendgrid_parsed(case_address(case))
    assert post(client, form).status_code == 200
    assert post(client, sendgrid_parsed(case_address(case))).status_code == 200
    assert InboundMessage.objects.count() == 1
    assert FollowUpEvent.objects.filter(kind="inbound").count() == 1


def test_a_sendgrid_auto_reply_changes_nothing(client, case):
    form = sendgrid_raw(case_address(case), extra_headers="Auto-Submitted: auto-replied\nX-Autoreply: yes\n")
    assert post(client, form).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.kind == "auto_reply" and inbound.followup == case
    case.refresh_from_db()
    assert case.status == "contacted"


def test_a_sendgrid_reply_from_another_address_is_unmatched(client, case):
    assert post(client, sendgrid_parsed(case_address(case), sender="iemand.anders@example.com")).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.reason, inbound.followup) == ("unmatched", "other_sender", None)


def test_a_sendgrid_post_without_the_webhook_credentials_is_refused(client, case):
    assert client.post(URL, sendgrid_parsed(case_address(case))).status_code in (400, 401, 403)
    assert not InboundMessage.objects.exists()
