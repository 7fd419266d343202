"""Customers' e-mails come back into their case (#21.1), through anymail's inbound webhooks, with
payloads shaped as Postmark (JSON, postmarkapp.com/developer/webhooks/inbound-webhook) and Mailgun
(a route's forward() POST, documentation.mailgun.com … receive-http) document them."""

import hashlib
import hmac
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import reply_address
from core.models import AuditLog, EmailDelivery
from followups.inbound_text import automatic_kind, trim_reply
from followups.models import FollowUp, FollowUpEvent, InboundMessage
from followups.services import followup_reply, followup_reply_send
from followups.tasks import notify_inbound
from tests.factories import ContactFactory, FollowUpFactory, InvitationFactory, ResponseFactory
from tests.inbound_support import (  # fixtures by name
    CUSTOMER,
    FULL_TEXT,
    MAILGUN_KEY,
    REPLY_TEXT,
    case,
    case_address,
    inbound_on,
    webhook_auth,
)


# --- Postmark: one JSON object per e-mail ------------------------------------------------------
def postmark(to: str, *, sender: str = CUSTOMER, headers=(), text: str = FULL_TEXT, stripped: str = "") -> dict:
    hash_ = to.split("@")[0].partition("+")[2]
    return {
        "FromName": "Jan de Vries",
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Jan de Vries", "MailboxHash": ""},
        "To": f'"Acme" <{to}>',
        "ToFull": [{"Email": to, "Name": "Acme", "MailboxHash": hash_}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": to,
        "Subject": "Re: Over uw feedback aan Acme",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": hash_,
        "Date": "Sat, 5 Dec 2026 11:02:11 +0100",
        "TextBody": text,
        "HtmlBody": "",
        "StrippedTextReply": stripped,
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": f"<{sender}>"},
            {
                "Name": "X-Spam-Checker-Version",
                "Value": "SpamAssassin 3.3.1 (2010-03-16) onrs-ord-pm-inbound1.wildbit.com",
            },
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "X-Spam-Score", "Value": "-0.1"},
            {"Name": "X-Spam-Tests", "Value": "DKIM_SIGNED,DKIM_VALID,DKIM_VALID_AU,SPF_PASS"},
            {"Name": "Received-SPF", "Value": "Pass (sender SPF authorized) identity=mailfrom"},
            {"Name": "MIME-Version", "Value": "1.0"},
            {"Name": "Message-ID", "Value": "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.example.nl>"},
            *({"Name": name, "Value": value} for name, value in headers),
        ],
        "Attachments": [],
    }


def post_postmark(client, payload, **extra):
    return client.post(
        "/anymail/postmark/inbound/",
        json.dumps(payload),
        content_type="application/json",
        **{**webhook_auth(), **extra},
    )


# --- Mailgun: a form POST, signed with the webhook signing key ---------------------------------
def mailgun(to: str, *, sender: str = CUSTOMER, attachments=(), message_id: str = "<mg-1@mail.example.nl>") -> dict:
    token, timestamp = f"token-{time.time()}", str(int(time.time()))
    signature = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    headers = [
        ["Received", "by luna.mailgun.net with SMTP mgrt 8734663311733; Sat, 05 Dec 2026 10:02:11 +0000"],
        ["Mime-Version", "1.0"],
        ["From", f"Jan de Vries <{sender}>"],
        ["To", to],
        ["Subject", "Re: Over uw feedback aan Acme"],
        ["Message-Id", message_id],
        ["In-Reply-To", "<kringloop.1@replies.example.com>"],
        ["Content-Type", 'multipart/mixed; boundary="001a11c3a2b4"'],
    ]
    form = {
        "recipient": to,
        "sender": sender,
        "from": f"Jan de Vries <{sender}>",
        "subject": "Re: Over uw feedback aan Acme",
        "body-plain": FULL_TEXT,
        "stripped-text": REPLY_TEXT,
        "stripped-signature": "Jan de Vries\nDe Vries BV",
        "body-html": "<div>" + REPLY_TEXT.replace("\n", "<br>") + "</div>",
        "stripped-html": "<div>Dank u.</div>",
        "message-headers": json.dumps(headers),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
        "attachment-count": str(len(attachments)),
        "content-id-map": "{}",
    }
    for number, upload in enumerate(attachments, start=1):
        form[f"attachment-{number}"] = upload
    return form


def post_mailgun(client, form):
    return client.post("/anymail/mailgun/inbound/", form, **webhook_auth())  # multipart/form-data


# --- The reply joins the case ------------------------------------------------------------------
def test_a_postmark_reply_joins_the_case_and_moves_it_to_customer_replied(client, case, agent, mailoutbox):
    response = post_postmark(client, postmark(case_address(case)))
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == FollowUp.Status.REPLIED
    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.followup, inbound.esp) == ("matched", case, "Postmark")
    # Postmark's StrippedTextReply was empty: our own trimming leaves the quote and signature out.
    assert inbound.reply_text == REPLY_TEXT
    assert "Wij hebben het bedrag terugbetaald" in inbound.text
    event = FollowUpEvent.objects.get(followup=case, kind="inbound")
    assert event.text == REPLY_TEXT and event.data["sender"] == CUSTOMER
    assert FollowUpEvent.objects.filter(followup=case, kind="status", data__status_to="replied").exists()
    assert AuditLog.objects.filter(action="followup.customer_replied").count() == 1

    notify_inbound(inbound.pk)
    notify_inbound(inbound.pk)  # a duplicate delivery of the task
    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert "De factuur klopt nog steeds niet" in mailoutbox[0].body
    assert EmailDelivery.objects.filter(kind="followup_inbound").count() == 1

    client.force_login(agent)
    page = client.get(f"/followups/{case.pk}/").content.decode()
    assert "De factuur klopt nog steeds niet" in page
    assert "Show the whole e-mail" in page and "Wij hebben het bedrag terugbetaald" in page
    assert "Customer replied" in page


def test_the_same_email_posted_twice_is_stored_once(client, case):
    payload = postmark(case_address(case))
    assert post_postmark(client, payload).status_code == 200
    assert post_postmark(client, payload).status_code == 200  # Postmark retries until it hears 200
    assert InboundMessage.objects.count() == 1
    assert FollowUpEvent.objects.filter(kind="inbound").count() == 1


def test_without_the_webhook_credentials_nothing_is_stored(client, case):
    response = client.post(
        "/anymail/postmark/inbound/", json.dumps(postmark(case_address(case))), content_type="application/json"
    )
    assert response.status_code in (400, 401, 403)
    assert not InboundMessage.objects.exists()


def test_a_mailgun_reply_with_an_attachment_kept_within_the_limit(client, settings, tmp_path, case, agent):
    settings.INBOUND_KEEP_ATTACHMENTS = True
    settings.INBOUND_ATTACHMENT_MAX_BYTES = 1000
    settings.MEDIA_ROOT = str(tmp_path)
    files = [
        SimpleUploadedFile("factuur.pdf", b"%PDF-1.4 small", content_type="application/pdf"),
        SimpleUploadedFile("foto.jpg", b"x" * 2000, content_type="image/jpeg"),
    ]
    assert post_mailgun(client, mailgun(case_address(case), attachments=files)).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.followup == case and inbound.esp == "Mailgun"
    assert inbound.reply_text == REPLY_TEXT  # Mailgun's stripped-text
    kept, too_large = inbound.attachments
    assert (kept["name"], kept["size"], bool(kept["path"])) == ("factuur.pdf", 14, True)
    assert (too_large["name"], too_large["size"], too_large["path"]) == ("foto.jpg", 2000, "")
    client.force_login(agent)
    page = client.get(f"/followups/{case.pk}/").content.decode()
    assert "factuur.pdf" in page and "foto.jpg" in page and "not kept" in page
    download = client.get(f"/followups/{case.pk}/emails/{inbound.pk}/attachments/1/")
    assert download.status_code == 200 and download["Content-Type"] == "application/octet-stream"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4 small"
    assert client.get(f"/followups/{case.pk}/emails/{inbound.pk}/attachments/2/").status_code == 404


def test_attachments_are_listed_but_not_kept_by_default(client, case):
    files = [SimpleUploadedFile("factuur.pdf", b"%PDF-1.4", content_type="application/pdf")]
    assert post_mailgun(client, mailgun(case_address(case), attachments=files)).status_code == 200
    [item] = InboundMessage.objects.get().attachments
    assert item["name"] == "factuur.pdf" and item["path"] == ""


def test_a_mailgun_post_with_a_bad_signature_is_refused(client, case):
    form = mailgun(case_address(case))
    form["signature"] = "0" * 64
    assert post_mailgun(client, form).status_code == 400
    assert not InboundMessage.objects.exists()


# --- Not the customer's answer -----------------------------------------------------------------
def test_an_auto_reply_is_recorded_but_changes_nothing(client, case, mailoutbox):
    payload = postmark(
        case_address(case),
        headers=[("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")],
        text="Ik ben afwezig tot 4 januari.",
    )
    payload["Subject"] = "Automatisch antwoord: Over uw feedback aan Acme"
    assert post_postmark(client, payload).status_code == 200
    case.refresh_from_db()
    assert case.status == "contacted"
    inbound = InboundMessage.objects.get()
    assert inbound.kind == "auto_reply" and inbound.followup == case and inbound.notified_at is not None
    assert FollowUpEvent.objects.get(kind="inbound").data["automatic"] == "auto_reply"
    assert not FollowUpEvent.objects.filter(kind="status").exists()


@pytest.mark.parametrize(
    ("headers", "sender", "expected"),
    [
        ([("Auto-Submitted", "auto-generated")], "jan@x.nl", "auto_reply"),
        ([("Precedence", "bulk")], "jan@x.nl", "auto_reply"),
        ([("X-Autorespond", "On vacation")], "jan@x.nl", "auto_reply"),
        ([("Content-Type", 'multipart/report; report-type=delivery-status; boundary="x"')], "jan@x.nl", "bounce"),
        ([], "MAILER-DAEMON@mx.example.nl", "bounce"),
        ([("Auto-Submitted", "no")], "jan@x.nl", ""),
        ([], "jan@x.nl", ""),
    ],
)
def test_automatic_mail_is_recognised(headers, sender, expected):
    assert automatic_kind(headers, from_email=sender, subject="Re: uw feedback") == expected


def test_a_delivery_report_through_postmark_is_a_bounce_not_an_answer(client, case):
    payload = postmark(case_address(case), sender="mailer-daemon@mx.example.nl", text="Delivery to jan failed.")
    assert post_postmark(client, payload).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.kind == "bounce" and inbound.status == "unmatched" and inbound.reason == "other_sender"
    case.refresh_from_db()
    assert case.status == "contacted"


def test_a_forged_token_goes_to_the_unmatched_list(client, case, admin):
    genuine = case_address(case)
    forged = genuine.replace(f"+c{case.pk}-", f"+c{case.pk + 1}-")  # another case, the old signature
    assert post_postmark(client, postmark(forged)).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.reason, inbound.followup) == ("unmatched", "forged", None)
    assert not FollowUpEvent.objects.filter(kind="inbound").exists()
    client.force_login(admin)
    listing = client.get("/followups/emails/").content.decode()
    assert "signature does not match" in listing


def test_a_reply_from_another_address_goes_to_the_unmatched_list(client, case, admin):
    payload = postmark(case_address(case), sender="someone.else@example.com")
    assert post_postmark(client, payload).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.reason, inbound.followup) == ("unmatched", "other_sender", None)
    case.refresh_from_db()
    assert case.status == "contacted"
    # The admin decides: put on the case (audit-logged), or dismiss.
    client.force_login(admin)
    assert client.post(f"/followups/emails/{inbound.pk}/", {"action": "attach", "case": "999999"}).status_code == 400
    assert (
        client.post(f"/followups/emails/{inbound.pk}/", {"action": "attach", "case": f"#{case.pk}"}).status_code == 302
    )
    inbound.refresh_from_db()
    assert inbound.status == "matched" and inbound.followup == case and inbound.handled_by == admin
    assert AuditLog.objects.filter(action="inbound.attached").count() == 1


def test_mail_to_no_address_of_ours_is_kept_and_can_be_dismissed(client, case, admin, agent):
    assert post_postmark(client, postmark("info@replies.example.com")).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.reason == "no_address"
    client.force_login(agent)
    assert client.get("/followups/emails/").status_code == 403  # admins only
    client.force_login(admin)
    assert client.post(f"/followups/emails/{inbound.pk}/", {"action": "dismiss"}).status_code == 302
    inbound.refresh_from_db()
    assert inbound.status == "dismissed"
    assert "Nothing here." in client.get("/followups/emails/").content.decode()


def test_a_reply_to_the_invitation_reaches_the_case_of_its_answer(client, db, agent, team_a):
    contact = ContactFactory(email=CUSTOMER)
    invitation = InvitationFactory(contact=contact)
    case = FollowUpFactory(
        owner=agent, team=team_a, response=ResponseFactory(score=2, contact=contact, invitation=invitation)
    )
    address = reply_address.reply_address("i", invitation.pk)
    assert post_postmark(client, postmark(address)).status_code == 200
    assert InboundMessage.objects.get().followup == case


def test_a_reply_to_an_invitation_without_a_case_is_unmatched(client, db):
    invitation = InvitationFactory(contact=ContactFactory(email=CUSTOMER))
    assert post_postmark(client, postmark(reply_address.reply_address("i", invitation.pk))).status_code == 200
    assert InboundMessage.objects.get().reason == "no_case"


# --- The agent answers again, threaded ------------------------------------------------------------
def test_the_agents_next_reply_threads_with_the_customers_email(client, case, agent, mailoutbox):
    first = followup_reply(followup=case, actor=agent, subject="Over uw feedback aan Acme", body="Terugbetaald.")
    followup_reply_send(event_id=first.pk)
    [sent] = mailoutbox
    assert sent.extra_headers["Reply-To"] == case_address(case)
    ours = sent.extra_headers["Message-ID"]
    assert ours.startswith("<") and ours.endswith("@replies.example.com>")
    assert "In-Reply-To" not in sent.extra_headers

    payload = postmark(case_address(case), headers=[("In-Reply-To", ours), ("References", ours)])
    assert post_postmark(client, payload).status_code == 200
    case.refresh_from_db()
    assert case.status == "replied"

    second = followup_reply(
        followup=case, actor=agent, subject="Re: Over uw feedback aan Acme", body="Ik bel u morgen."
    )
    followup_reply_send(event_id=second.pk)
    answer = mailoutbox[-1]
    theirs = "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.example.nl>"
    assert answer.extra_headers["In-Reply-To"] == theirs
    assert answer.extra_headers["References"] == f"{ours} {theirs}"
    assert answer.extra_headers["Message-ID"] not in (ours, theirs)
    case.refresh_from_db()
    assert case.status == "contacted"  # our turn taken


def test_without_an_inbound_domain_replies_go_to_the_agent(settings, case, agent, mailoutbox):
    settings.INBOUND_DOMAIN = ""
    event = followup_reply(followup=case, actor=agent, subject="Hi", body="About your answer")
    followup_reply_send(event_id=event.pk)
    assert mailoutbox[0].extra_headers["Reply-To"] == agent.email


def test_an_address_is_unforgeable_and_survives_lower_casing():
    address = reply_address.reply_address("c", 42)
    local = address.split("@")[0]
    assert len(local) <= 64
    assert reply_address.parse(address.upper()).genuine
    assert reply_address.parse(address).pk == 42
    assert not reply_address.parse(address.replace("c42-", "c43-")).genuine
    assert reply_address.parse("reply+nonsense@replies.example.com").genuine is False
    assert reply_address.parse(address.replace("replies.example.com", "elsewhere.example.com")) is None


# --- Trimming ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Thanks, that helps.\n\nOn Sat, 5 Dec 2026 at 10:15, Acme <nps@acme.example> wrote:\n> Dear Jan,\n",
        "Thanks, that helps.\n\nOn Sat, 5 Dec 2026 at 10:15, Acme Customer Success\n<nps@acme.example> wrote:\n> x",
        "Thanks, that helps.\n\n-----Original Message-----\nFrom: Acme\nSent: Saturday\n",
        "Thanks, that helps.\n\n________________________________\nVan: Acme <nps@acme.example>\nVerzonden: zaterdag\n",
        "Thanks, that helps.\n\nSent from my iPhone\n\n> Dear Jan",
        "Thanks, that helps.\n-- \nJan\n06-12345678",
    ],
)
def test_quotes_and_signatures_are_trimmed(text):
    assert trim_reply(text) == "Thanks, that helps."


def test_trimming_never_leaves_nothing():
    assert trim_reply("> only a quote") == "> only a quote"


# --- The demo: "Reply as the customer" in the outbox -------------------------------------------
def test_the_outbox_button_posts_the_customers_reply_through_the_webhook(client, settings, case, admin, agent):
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"
    event = followup_reply(followup=case, actor=agent, subject="Over uw feedback aan Acme", body="Terugbetaald.")
    followup_reply_send(event_id=event.pk)
    from core.models import OutboxMessage

    sent = OutboxMessage.objects.get(tags__0="followup_reply")
    client.force_login(admin)
    outbox = client.get("/outbox/").content.decode()
    assert "Reply as the customer" in outbox
    response = client.post(f"/demo/outbox/{sent.pk}/reply-as-customer/")
    assert response.status_code == 302 and response["Location"] == f"/followups/{case.pk}/"
    inbound = InboundMessage.objects.get()
    assert inbound.esp == "Postmark" and inbound.followup == case and inbound.in_reply_to == sent.message_id
    assert inbound.reply_text.startswith("Dank voor uw bericht")  # the customer writes Dutch
    case.refresh_from_db()
    assert case.status == "replied"


def test_erasing_the_customer_removes_their_emails(client, case, admin):
    from core.privacy import erase

    post_postmark(client, postmark(case_address(case)))
    post_postmark(client, {**postmark("info@replies.example.com"), "MessageID": "other"} | {"Headers": []})
    assert InboundMessage.objects.count() == 2
    erase(case.contact, actor=admin)
    assert not InboundMessage.objects.exists()
