"""Sending asks first and the ship page shows the e-mail (#19.9, 12) in a real browser, on a laptop
and a 390 px phone: Send shows how many will be invited and skipped and why, warns about a short
quiet period, and sends only after the confirmation; the ship page shows the "you said, we did"
e-mail of each language, rendered (not blank) in its frame. Screenshots land in tests/e2e/screenshots/."""

import pytest
from django.utils import timezone

from followups.improvements import improvement_link
from followups.models import Improvement
from surveys.models import Campaign
from tests.e2e.conftest import OVERFLOW, axe_violations, login, shot
from tests.factories import CampaignFactory, ContactFactory, ResponseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_send_asks_first_and_warns_about_a_short_quiet_period(live_server, device, admin):
    name, page = device
    campaign = CampaignFactory(name="Spring check", status=Campaign.Status.DRAFT, quiet_period_days=0)
    ContactFactory(email="a@example.com")
    ContactFactory(email="b@example.com")
    ContactFactory(email="c@example.com", opted_out_at=timezone.now())
    login(page, live_server.url, admin.username)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    assert "No quiet period" in page.inner_text("#send-panel")
    page.click("#send-panel button:has-text('Send invitations')")
    page.wait_for_selector("#send-confirm")
    text = page.inner_text("#send-confirm")
    assert "2 contacts will be invited" in text and "1 contact will be skipped: 1 opted out" in text
    assert page.is_visible("#quiet-warning")
    assert not campaign.waves.exists()  # nothing sent yet
    assert axe_violations(page) == []
    if name == "phone":
        assert page.evaluate(OVERFLOW) == []
    shot(page, f"send-confirm-{name}")
    page.click("#send-confirm button:has-text('Invite 2 contacts')")
    page.wait_for_selector("text=Sending started.")
    assert campaign.waves.count() == 1


def test_the_ship_page_shows_the_email_of_each_language(live_server, device, admin):
    name, page = device
    improvement = Improvement.objects.create(
        title="Faster support",
        description_en="We now answer within 4 hours.",
        description_nl="We antwoorden nu binnen 4 uur.",
    )
    for email, language in (("ann@example.com", "en"), ("jan@example.nl", "nl")):
        answer = ResponseFactory(contact=ContactFactory(email=email, language=language), score=3, comment="Too slow")
        improvement_link(improvement=improvement, response_ids=[answer.pk], actor=admin)
    login(page, live_server.url, admin.username)
    page.goto(f"{live_server.url}/improvements/{improvement.pk}/ship/")
    english = page.frame_locator("#preview-en iframe")
    dutch = page.frame_locator("#preview-nl iframe")
    assert "We now answer within 4 hours." in english.locator("body").inner_text()
    assert "We antwoorden nu binnen 4 uur." in dutch.locator("body").inner_text()
    assert "Too slow" in english.locator("body").inner_text()
    assert axe_violations(page) == []
    if name == "phone":
        assert page.evaluate(OVERFLOW) == []
    shot(page, f"improvement-ship-{name}")
    page.click("button:has-text('Ship and tell them')")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/improvements/{improvement.pk}/ship/")
    assert page.is_visible("#ship-state") and page.locator("text=Ship and tell them").count() == 0
    shot(page, f"improvement-shipped-{name}")
