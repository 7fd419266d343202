"""The public "you said, we did" page (#25.4): shipped improvements an admin published, in English
and Dutch, with what changed, when, how many customers asked (no names) and optionally the NPS
before and after; its RSS and Atom feeds and embeddable list; a link in the "you said, we did"
e-mail. Published and shipped only."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditLog
from followups import improvements, notices, public_page
from followups.models import Improvement, ImprovementLink
from tests.factories import ContactFactory, ResponseFactory

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def shown(db):
    """Published and shipped: on the page. Two customers asked (one of them twice)."""
    improvement = Improvement.objects.create(
        title="Callbacks within a day",
        title_nl="Binnen een dag teruggebeld",
        description_en="We now call you back within one working day.",
        description_nl="We bellen u nu binnen een werkdag terug.",
        status=Improvement.Status.SHIPPED,
        shipped_at=timezone.now() - timedelta(days=3),
        public=True,
    )
    ann = ContactFactory(name="Ann Secretname", email="ann.secret@example.com")
    for contact, score in ((ann, 2), (ann, 4), (ContactFactory(name="Bob Hidden"), 3)):
        response = ResponseFactory(contact=contact, score=score, comment="Nobody calls back")
        ImprovementLink.objects.create(improvement=improvement, response=response)
    return improvement


@pytest.fixture
def hidden(db):
    """Shipped but not published, and published but not shipped: never shown."""
    return [
        Improvement.objects.create(
            title="Secret internal fix",
            description_en="Internal.",
            status=Improvement.Status.SHIPPED,
            shipped_at=timezone.now(),
        ),
        Improvement.objects.create(title="Not done yet", description_en="Soon.", public=True),
    ]


def test_the_page_shows_published_shipped_improvements_only_in_both_languages(client, shown, hidden):
    page = client.get("/you-said-we-did/?lang=en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Callbacks within a day" in html and "We now call you back within one working day." in html
    assert "2 customers asked for it" in html  # a count of customers, never who
    assert "Secretname" not in html and "Bob Hidden" not in html and "Nobody calls back" not in html
    assert "Secret internal fix" not in html and "Not done yet" not in html
    assert "NPS of the customers who asked" not in html  # not chosen
    dutch = client.get("/you-said-we-did/?lang=nl").content.decode()
    assert "Binnen een dag teruggebeld" in dutch and "We bellen u nu binnen een werkdag terug." in dutch
    assert 'lang="nl"' in dutch and "Secret internal fix" not in dutch


def test_the_nps_before_and_after_is_shown_when_the_admin_chooses(client, shown):
    Improvement.objects.filter(pk=shown.pk).update(public_show_nps=True)
    html = client.get("/you-said-we-did/").content.decode()
    assert "NPS of the customers who asked: −100 (n = 3) before" in html


def test_the_feeds_list_the_same_improvements(client, shown, hidden):
    rss = client.get("/you-said-we-did/feed.rss?lang=nl")
    assert rss["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(rss.content).find("channel")
    assert channel.findtext("language") == "nl"
    assert [item.findtext("title") for item in channel.findall("item")] == ["Binnen een dag teruggebeld"]
    atom = client.get("/you-said-we-did/feed.atom")
    assert atom["Content-Type"].startswith("application/atom+xml")
    entries = ET.fromstring(atom.content).findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Callbacks within a day"]
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"?lang=en#improvement-{shown.pk}")
    Improvement.objects.filter(pk=shown.pk).update(public=False)  # taken off: gone at once
    assert ET.fromstring(client.get("/you-said-we-did/feed.atom").content).findall(f"{ATOM}entry") == []


def test_the_embeddable_list_may_be_framed_by_the_companys_website(client, shown, hidden):
    response = client.get("/you-said-we-did/embed/?lang=en")
    assert response.status_code == 200 and "X-Frame-Options" not in response
    assert "Callbacks within a day" in response.content.decode()
    assert client.get("/you-said-we-did/")["X-Frame-Options"] == "DENY"  # the page itself is not framed
    snippet = public_page.embed_snippet("nl")
    assert snippet.startswith('<iframe src="http') and "/you-said-we-did/embed/?lang=nl" in snippet


def test_only_admins_publish_and_it_is_audit_logged(client, admin, agent, shown, hidden):
    secret = hidden[0]
    client.force_login(agent)
    assert client.post(f"/improvements/{secret.pk}/publish/", {"public": "1"}).status_code == 403
    client.force_login(admin)
    Improvement.objects.filter(pk=secret.pk).update(title_nl="Geheime interne oplossing")
    response = client.post(f"/improvements/{secret.pk}/publish/", {"public": "1", "show_nps": "1"})
    assert response.status_code == 302
    secret.refresh_from_db()
    # The Dutch title is written on the improvement's form with its other texts: publishing keeps it.
    assert (secret.public, secret.public_show_nps, secret.title_nl) == (True, True, "Geheime interne oplossing")
    assert AuditLog.objects.filter(action="improvement.published", target_id=str(secret.pk)).exists()
    assert "Secret internal fix" in client.get("/you-said-we-did/").content.decode()
    detail = client.get(f"/improvements/{secret.pk}/").content.decode()
    assert 'id="publish-form"' in detail
    listing = client.get("/improvements/").content.decode()
    assert "/you-said-we-did/feed.rss?lang=nl" in listing and "&lt;iframe" in listing


def test_the_you_said_we_did_e_mail_links_to_the_public_page(shown, hidden):
    contact = ContactFactory(language="nl")
    message = notices.notice_message(improvement=shown, contact=contact)
    assert "/you-said-we-did/?lang=nl" in message.body and "/you-said-we-did/?lang=nl" in message.alternatives[0][0]
    assert "/you-said-we-did/" not in notices.notice_message(improvement=hidden[0], contact=contact).body
