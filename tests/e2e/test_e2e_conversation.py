"""The loop as a conversation (#21), in a real browser with a real Celery worker, as the demo has it:
the agent replies from the case → the admin presses "Reply as the customer" in the outbox (a
Postmark inbound payload through anymail's own webhook view) → the reply appears in the case, which
is now "customer replied" → the agent answers again, and that e-mail threads with the customer's
(In-Reply-To, References) and carries the case's own Reply-To."""

import pytest

from core import reply_address
from core.models import OutboxMessage
from followups.models import FollowUp, InboundMessage
from tests.e2e.conftest import axe_violations, login, shot
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


@pytest.fixture
def world(settings, live_server, celery_worker, admin, agent, team_a):
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"
    settings.INBOUND_DOMAIN = "replies.localhost"
    contact = ContactFactory(name="Dana Detractor", email="dana@example.com", language="en")
    case = FollowUpFactory(
        owner=agent, team=team_a, response=ResponseFactory(score=3, contact=contact, comment="Billed twice.")
    )
    return live_server, case


def _reply(page, text: str) -> None:
    page.click("a[data-bs-target='#t-reply']")
    page.fill("#id_reply-body", text)
    page.click("button:has-text('Send reply')")


def _sent(count: int) -> list[OutboxMessage]:
    assert wait_for(lambda: OutboxMessage.objects.filter(tags__0="followup_reply").count() >= count, timeout=30)
    return list(OutboxMessage.objects.filter(tags__0="followup_reply").order_by("created_at", "pk"))


def test_the_demo_conversation(world, browser, laptop):
    server, case = world
    url = server.url

    # 1. The agent replies from the case.
    agent_page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(agent_page, url, "arthur-agent")
    agent_page.goto(f"{url}/followups/{case.pk}/")
    _reply(agent_page, "We refunded the second payment. Sorry for the trouble.")
    agent_page.wait_for_selector("#case-history >> text=We refunded the second payment")
    [first] = _sent(1)
    case_address = reply_address.reply_address("c", case.pk)
    assert first.to == "dana@example.com" and first.headers["Reply-To"] == case_address
    assert "In-Reply-To" not in first.headers

    # 2. The admin answers as the customer from the outbox.
    login(laptop, url, "alice-admin")
    laptop.goto(f"{url}/outbox/")
    laptop.locator("tr", has_text="dana@example.com").get_by_role("button", name="Reply as the customer").click()
    laptop.wait_for_url(f"**/followups/{case.pk}/")
    laptop.get_by_text("The customer's reply came in on case").wait_for()
    history = laptop.locator("#case-history")
    assert "Thank you for getting back to me" in history.inner_text()
    assert "Sent from my iPhone" not in history.inner_text()  # the signature and quote are trimmed …
    history.get_by_text("Show the whole e-mail").click()  # … and one click away
    history.get_by_text("Sent from my iPhone").wait_for()
    assert axe_violations(laptop) == []
    shot(laptop, "conversation-1-customer-replied")
    inbound = InboundMessage.objects.get()
    assert inbound.followup_id == case.pk and inbound.in_reply_to == first.message_id
    assert FollowUp.objects.get(pk=case.pk).status == "replied"

    # 3. The agent sees it and answers again, threaded.
    agent_page.goto(f"{url}/followups/{case.pk}/")
    assert "Customer replied" in agent_page.locator("main").inner_text()
    _reply(agent_page, "I will call you tomorrow at 9.")
    agent_page.wait_for_selector("#case-history >> text=I will call you tomorrow at 9.")
    second = _sent(2)[1]
    assert second.headers["Reply-To"] == case_address
    assert second.headers["In-Reply-To"] == inbound.message_id
    assert second.headers["References"] == f"{first.message_id} {inbound.message_id}"
    assert second.message_id not in (first.message_id, inbound.message_id)
    assert FollowUp.objects.get(pk=case.pk).status == "contacted"
    shot(agent_page, "conversation-2-answered-again")
