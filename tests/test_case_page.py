"""The case page without dead ends (#19.4-8): the tab and the input stay after an error, shown by
the field; a closed case shows how it ended; the reply shows the exact e-mail before it goes, with
an editable greeting and signature; a customer who cannot be e-mailed gets a reason and the other
ways; with htmx an action sends back only what it changed, and without JavaScript it all still works."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone
from freezegun import freeze_time

from followups.models import FollowUp, FollowUpEvent
from followups.services import followup_transition
from followups.tasks import send_reply
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory

S = FollowUp.Status
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}


@pytest.fixture
def case(db, agent, team_a):
    contact = ContactFactory(name="Jan de Vries", language="nl", phone="+31 20 123 4567")
    return FollowUpFactory(owner=agent, team=team_a, response=ResponseFactory(score=2, contact=contact, language="nl"))


def _active_tab(html: str) -> str:
    return re.search(r'class="tab-pane fade show active" id="t-(\w+)"', html).group(1)


# --- 4. Keep the tab and the input; the error by the field -----------------------------------------
def test_resolving_without_a_summary_keeps_the_tab_the_status_and_shows_the_error_by_the_field(client, agent, case):
    followup_transition(followup=case, to=S.CONTACTED, actor=agent)
    client.force_login(agent)
    response = client.post(
        f"/followups/{case.pk}/", {"action": "status", "status-status": "resolved", "status-outcome": "Refund"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert _active_tab(html) == "status"
    assert '<option value="resolved" selected>' in html and 'value="Refund"' in html
    assert 'id="error_1_id_status-summary"' in html and "needs a resolution summary" in html
    assert 'class="alert alert-danger" role="alert">Resolving' not in html  # no banner at the top any more


def test_a_tab_link_opens_that_tab_without_javascript(client, agent, case):
    client.force_login(agent)
    html = client.get(f"/followups/{case.pk}/?tab=note").content.decode()
    assert _active_tab(html) == "note"
    assert 'href="?tab=reply#work-h"' in html
    assert _active_tab(client.get(f"/followups/{case.pk}/").content.decode()) == "attempt"


def test_after_saving_without_javascript_the_page_comes_back_on_the_same_tab(client, agent, case):
    client.force_login(agent)
    response = client.post(f"/followups/{case.pk}/", {"action": "note", "note-text": "Called back later"})
    assert response.status_code == 302 and response["Location"] == f"/followups/{case.pk}/?tab=note"


# --- 5. How a closed case ended ------------------------------------------------------------------
def test_a_resolved_case_shows_when_by_whom_and_against_the_deadline(client, agent, case):
    with freeze_time(case.due_at - timedelta(hours=3)):
        followup_transition(followup=case, to=S.CONTACTED, actor=agent)
        followup_transition(followup=case, to=S.RESOLVED, actor=agent, summary="Refunded")
    client.force_login(agent)
    html = client.get(f"/followups/{case.pk}/").content.decode()
    assert "Due " not in html
    assert re.search(rf"Resolved .* by {agent.username}", html) and "within the deadline" in html


def test_a_case_closed_late_says_by_how_much(client, agent, case):
    with freeze_time(case.due_at + timedelta(hours=5, minutes=1)):
        followup_transition(followup=case, to=S.CLOSED, actor=agent, reason="No answer after three calls")
    client.force_login(agent)
    html = client.get(f"/followups/{case.pk}/").content.decode()
    assert "Closed without contact" in html
    assert re.search(r"5.hours, 1.minute after the deadline", html)
    assert "Due " not in html


# --- 6. The reply e-mail, shown as it will be sent ------------------------------------------------
def test_the_reply_tab_previews_the_exact_email_with_the_default_greeting_and_signature(client, agent, case):
    agent.first_name, agent.last_name = "Arthur", "Agent"
    agent.save()
    client.force_login(agent)
    page = client.get(f"/followups/{case.pk}/?tab=reply").content.decode()
    assert 'value="Beste Jan de Vries,"' in page  # the greeting field, in the customer's language
    assert re.search(r'<textarea name="reply-signature"[^>]*>\nArthur Agent\n', page)  # the signature field
    preview = page[page.index('id="reply-preview"') :]
    assert "Beste Jan de Vries," in preview and "Arthur Agent" in preview and "/u/" in preview


def test_the_preview_follows_the_form_and_matches_what_is_sent(client, agent, case, mailoutbox):
    client.force_login(agent)
    data = {
        "action": "reply",
        "reply-subject": "Uw factuur",
        "reply-greeting": "Dear Jan,",
        "reply-body": "We refunded you.\n\nKind regards, Arthur",
        "reply-signature": "",
    }
    preview = client.post(f"/followups/{case.pk}/", {**data, "preview": "1"}, **HTMX, HTTP_HX_TARGET="reply-preview")
    text = preview.content.decode()
    assert preview.status_code == 200 and text.lstrip().startswith('<section id="reply-preview"')
    assert not FollowUpEvent.objects.filter(kind="reply").exists()  # a preview sends nothing
    shown = re.search(r'<pre class="reply-preview-text small mb-0">(.*?)</pre>', text, re.S).group(1)
    assert client.post(f"/followups/{case.pk}/", data).status_code == 302
    send_reply(FollowUpEvent.objects.get(kind="reply").pk)
    [message] = mailoutbox

    def same(text):  # the unsubscribe link's signature carries the second it was made in
        return re.sub(r"/u/[^/\s]+/", "/u/…/", text)

    assert same(message.body) == same(unescape(shown))
    assert message.body.startswith("Dear Jan,\n\nWe refunded you.\n\nKind regards, Arthur\n\n")  # no second wrap
    assert "Beste" not in message.body and "Kringloop" not in message.body.split("\n\n")[-2]


def test_the_preview_button_with_htmx_sends_back_the_reply_tab_with_the_input(client, agent, case):
    client.force_login(agent)
    data = {
        "action": "reply",
        "reply-subject": "S",
        "reply-greeting": "Hoi Jan,",
        "reply-body": "Tekst",
        "preview": "1",
    }
    html = client.post(f"/followups/{case.pk}/", data, **HTMX, HTTP_HX_TARGET="t-reply").content.decode()
    assert html.lstrip().startswith('<div class="tab-pane fade show active" id="t-reply"') and "<html" not in html
    assert 'value="Hoi Jan,"' in html and "Hoi Jan,\n\nTekst" in html
    assert not FollowUpEvent.objects.filter(kind="reply").exists()


def test_the_preview_works_without_javascript(client, agent, case):
    client.force_login(agent)
    data = {
        "action": "reply",
        "reply-subject": "S",
        "reply-greeting": "Hoi Jan,",
        "reply-body": "Tekst",
        "preview": "1",
    }
    html = client.post(f"/followups/{case.pk}/", data).content.decode()
    assert _active_tab(html) == "reply"
    assert "Hoi Jan,\n\nTekst" in html
    assert not FollowUpEvent.objects.filter(kind="reply").exists()


# --- 7. A customer who cannot be e-mailed --------------------------------------------------------
@pytest.mark.parametrize(
    "field, reason",
    [
        ("opted_out_at", "This customer opted out of e-mails on 3 November 2026"),
        ("undeliverable_at", "cannot be delivered (bounced on 3 November 2026)"),
    ],
)
def test_the_reply_tab_says_why_and_offers_what_is_left(client, agent, case, field, reason):
    setattr(case.contact, field, timezone.make_aware(timezone.datetime(2026, 11, 3, 12)))
    case.contact.save()
    client.force_login(agent)
    html = client.get(f"/followups/{case.pk}/?tab=reply").content.decode()
    pane = html[html.index('id="t-reply"') :]
    assert reason in pane
    assert 'href="tel:+31201234567"' in pane and 'data-show-tab="attempt"' in pane
    card = html[html.index('id="case-customer"') :]
    if field == "opted_out_at":
        assert "Opted out of e-mails on 2026-11-03" in card
    else:
        assert "Address undeliverable since 2026-11-03" in card


# --- 8. htmx: only what changed -------------------------------------------------------------------
def test_with_htmx_logging_a_call_sends_back_the_tab_and_the_parts_it_changed(client, agent, case):
    client.force_login(agent)
    response = client.post(
        f"/followups/{case.pk}/",
        {"action": "attempt", "attempt-channel": "phone", "attempt-result": "reached", "attempt-note": "Spoke to Jan"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="answer-h"' not in html  # not the whole page
    assert html.lstrip().startswith('<div class="tab-pane fade show active" id="t-attempt"')
    for part in ("case-head", "t-status", "case-history", "case-customer", "case-flash"):
        assert re.search(rf'id="{part}"[^>]*data-hx-swap-oob="true"', html), part
    assert "Spoke to Jan" in html and "Contacted" in html
    assert FollowUp.objects.get(pk=case.pk).status == S.CONTACTED


def test_with_htmx_a_note_refreshes_only_its_tab_and_the_history(client, agent, case):
    client.force_login(agent)
    html = client.post(f"/followups/{case.pk}/", {"action": "note", "note-text": "Left a voicemail"}, **HTMX)
    html = html.content.decode()
    assert re.findall(r'id="([\w-]+)"[^>]*data-hx-swap-oob="true"', html) == ["case-history", "case-flash"]
    assert "Left a voicemail" in html


def test_with_htmx_an_error_comes_back_in_the_form(client, agent, case):
    followup_transition(followup=case, to=S.CONTACTED, actor=agent)
    client.force_login(agent)
    response = client.post(f"/followups/{case.pk}/", {"action": "status", "status-status": "resolved"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps 2xx answers only
    assert html.lstrip().startswith('<div class="tab-pane fade show active" id="t-status"')
    assert "needs a resolution summary" in html and "data-hx-swap-oob" not in html.split('id="case-flash"')[0]


def test_with_htmx_tags_refresh_their_card(client, agent, case):
    from followups.models import RootCauseTag

    tag = RootCauseTag.objects.create(name="Billing", slug="billing")
    client.force_login(agent)
    html = client.post(f"/followups/{case.pk}/", {"action": "tags", "tags-tags": [tag.pk]}, **HTMX).content.decode()
    assert html.lstrip().startswith('<section class="card mb-3" aria-labelledby="tags-h" id="case-tags"')
    assert list(case.tags.all()) == [tag]


def test_every_case_form_posts_with_htmx_and_without(client, agent, case):
    client.force_login(agent)
    html = client.get(f"/followups/{case.pk}/").content.decode()
    for form in re.findall(r'<form method="post" action="/followups/\d+/"[^>]*>', html):
        assert 'data-hx-post="/followups/' in form


@pytest.mark.parametrize("htmx", [False, True])
def test_handing_a_case_out_of_ones_view_goes_back_to_the_list_not_to_a_404(client, agent, agent_b, team_b, htmx):
    foreign = FollowUpFactory(owner=agent, team=team_b)  # routed to the agent from another team's rule
    client.force_login(agent)
    data = {"action": "reassign", "reassign-owner": agent_b.pk, "reassign-reason": "Their customer"}
    response = client.post(f"/followups/{foreign.pk}/", data, **(HTMX if htmx else {}))
    if htmx:
        assert response.status_code == 200 and response["HX-Redirect"] == "/followups/"
    else:
        assert response.status_code == 302 and response["Location"] == "/followups/"
    assert FollowUp.objects.get(pk=foreign.pk).owner == agent_b


def test_the_preview_escapes_what_the_agent_and_the_customer_wrote(client, agent, case):
    case.contact.name = "<b>Jan</b>"
    case.contact.save()
    client.force_login(agent)
    data = {"action": "reply", "reply-subject": "<i>S</i>", "reply-body": "<script>x</script>", "preview": "1"}
    text = client.post(f"/followups/{case.pk}/", data, **HTMX, HTTP_HX_TARGET="reply-preview").content.decode()
    assert "<script>x" not in text and "<b>Jan" not in text and "<i>S" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text and "&lt;b&gt;Jan&lt;/b&gt;" in text
