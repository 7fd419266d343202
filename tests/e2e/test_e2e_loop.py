"""The whole closed loop in a real browser, as its users do it, with a real Celery worker.

Admin imports contacts and sends a campaign → a respondent answers on a phone → the agent works the
case → the admin ships an improvement and the respondent is told once → someone unsubscribes and is
never e-mailed again. Screenshots land in tests/e2e/screenshots/.
"""

import re

import pytest

from core.models import OutboxMessage
from followups.models import FollowUp, RoutingRule
from surveys.models import Campaign, Contact, Invitation, Response
from tests.e2e.conftest import axe_violations, login, shot
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

CSV = (
    b"email,name,plan,language\n"
    b"dana@example.com,Dana Detractor,e2e,en\n"
    b"ursula@example.com,Ursula Unsubscribe,e2e,en\n"
    b"paul@example.com,Paul Promoter,e2e,en\n"
)


@pytest.fixture
def world(settings, live_server, celery_worker, admin, agent, team_a):
    from demo.campaigns import reference_data

    reference_data()  # transactional tests flush what the migrations seeded
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"
    RoutingRule.objects.create(
        name="Everything to Arthur", order=1, target=RoutingRule.Target.USER, target_user=agent, team=team_a
    )
    return live_server


def _admin_imports_and_sends(page, url):
    login(page, url, "alice-admin")
    page.goto(f"{url}/contacts/import/")
    page.set_input_files("input[name=file]", files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.click("button:has-text('Upload and check')")
    page.click("button:has-text('Check rows')")
    page.get_by_text("3 rows are ready to import").wait_for()
    page.click("button:has-text('Import 3 contacts')")
    page.get_by_text("done").wait_for(timeout=30000)
    shot(page, "1-import-done")

    page.goto(f"{url}/campaigns/new/")
    page.fill("#id_name", "Support follow-up survey")
    page.select_option("#id_kind", "transactional")
    page.select_option("#id_touchpoint", label="Support")
    page.fill("#id_segment", "plan=e2e")
    page.click("button:has-text('Add a question')")  # questions are added in place (#30.8)
    page.fill("#id_questions-0-text", "How satisfied were you with our support?")
    page.select_option("#id_questions-0-kind", "csat")
    page.click("button:has-text('Add a question')")
    page.fill("#id_questions-1-text", "How easy was it to get help?")
    page.select_option("#id_questions-1-kind", "effort")
    page.click("button:has-text('Save campaign')")
    page.get_by_role("heading", name="Support follow-up survey").wait_for()
    page.click("a:has-text('Preview')")
    page.frame_locator("iframe[title='Survey form preview']").get_by_text("How likely is it").wait_for()
    shot(page, "1-preview")
    page.go_back()
    page.click("button:has-text('Send invitations')")
    page.click("#send-confirm button[type=submit]")  # sending asks first (#19.9)
    page.get_by_text("100 %").first.wait_for(timeout=30000)
    page.get_by_text("finished").wait_for(timeout=30000)
    shot(page, "1-sent")
    assert "<strong>3</strong> sent" in page.content()


def _invitation_link(email: str, score: int) -> str:
    message = OutboxMessage.objects.filter(to=email, tags__0="invitation").latest("created_at")
    return re.search(rf'href="([^"]+\?score={score})"', message.body_html).group(1).replace("&amp;", "&")


def test_the_whole_closed_loop(world, browser, laptop, admin, agent):
    url = world.url
    _admin_imports_and_sends(laptop, url)

    # 2. The respondent clicks "3" in the e-mail, on a phone.
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    link = _invitation_link("dana@example.com", 3)
    phone.goto(link)
    assert phone.is_checked("#score-3")
    assert Response.objects.count() == 0  # the GET recorded nothing
    assert axe_violations(phone) == []
    shot(phone, "2-form-phone")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.click("button:has-text('Send my score')")
    phone.fill("textarea[name=comment]", "I waited three days for an answer.")
    phone.click("label:has-text('2') >> nth=0")
    phone.locator(".driver-scale").nth(1).locator("label", has_text="6").click()
    shot(phone, "2-why-phone")
    phone.click("button:has-text('Send')")
    phone.get_by_text("Someone from our team will contact you").wait_for()
    shot(phone, "2-thanks-phone")
    response = Response.objects.get()
    assert (response.score, response.comment) == (3, "I waited three days for an answer.")
    assert sorted(response.answers.values_list("number", flat=True)) == [2, 6]
    phone.goto(link.replace("score=3", "score=4"))
    phone.click("button:has-text('Change my score')")
    assert Response.objects.count() == 1 and Response.objects.get().score == 4

    # 3. The agent works the case.
    assert wait_for(lambda: FollowUp.objects.filter(response=response, owner=agent).exists(), timeout=30)
    agent_page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(agent_page, url, "arthur-agent")
    agent_page.goto(f"{url}/followups/")
    row = agent_page.locator("tr", has_text="Dana Detractor")
    assert "in 2 days" in row.inner_text() or "from now" in row.inner_text()
    shot(agent_page, "3-my-followups")
    row.get_by_role("link", name="Dana Detractor").click()
    assert axe_violations(agent_page) == []
    agent_page.select_option("#id_attempt-result", "reached")
    agent_page.fill("#id_attempt-note", "Called Dana, apologised, explained the new support hours.")
    agent_page.click("button:has-text('Log contact attempt')")
    agent_page.wait_for_selector("#case-history >> text=Called Dana")  # htmx: only the changed parts come back
    agent_page.check("label:has-text('Process') >> xpath=preceding-sibling::input")
    agent_page.click("button:has-text('Save root causes')")
    agent_page.wait_for_selector("#case-history >> text=Root causes:")
    agent_page.click("a[data-bs-target='#t-status']")
    agent_page.select_option("#id_status-status", "resolved")
    agent_page.fill("#id_status-summary", "Explained the new support hours; Dana is happy with the follow-up.")
    agent_page.click("button:has-text('Change status')")
    agent_page.wait_for_selector("#case-ending")
    case = FollowUp.objects.get(response=response)
    assert case.status == "resolved" and case.first_contact_at is not None
    assert list(case.tags.values_list("slug", flat=True)) == ["process"]
    shot(agent_page, "3-case-resolved")

    # 4. The admin links the case to an improvement and ships it; Dana is told once.
    laptop.goto(f"{url}/improvements/new/")
    laptop.fill("#id_title", "Support answers within 4 hours")
    laptop.fill("#id_description_en", "We doubled the support team: every ticket is answered within 4 hours.")
    laptop.click("button:has-text('Save')")
    laptop.goto(f"{url}/followups/{case.pk}/")
    laptop.click("button:has-text('Link to improvement')")
    laptop.goto(f"{url}/improvements/")
    laptop.click("a:has-text('Support answers within 4 hours')")
    laptop.click("a:has-text('Mark shipped')")
    assert "Dana Detractor" in laptop.content()
    shot(laptop, "4-ship-preview")
    with laptop.expect_navigation():  # the reload below must not race the form's own page load
        laptop.click("button:has-text('Ship and tell them')")
    assert wait_for(
        lambda: OutboxMessage.objects.filter(to="dana@example.com", subject__startswith="You said, we did").exists(),
        timeout=30,
    )
    laptop.reload()
    shot(laptop, "4-shipped")
    assert OutboxMessage.objects.filter(to="dana@example.com", subject__startswith="You said, we did").count() == 1

    # 6. Ursula unsubscribes from the e-mail's link and is never e-mailed again.
    message = OutboxMessage.objects.get(to="ursula@example.com")
    unsubscribe = message.headers["List-Unsubscribe"].strip("<>")
    phone.goto(unsubscribe)
    shot(phone, "6-unsubscribe")
    phone.click("button:has-text('Unsubscribe')")
    phone.get_by_text("You are unsubscribed").wait_for()
    assert Contact.objects.get(email="ursula@example.com").opted_out_at is not None
    again = Campaign.objects.create(
        name="Second survey", kind="relational", status="draft", audience_filter={"plan": "e2e"}, quiet_period_days=0
    )
    laptop.goto(f"{url}/campaigns/{again.pk}/")
    laptop.click("button:has-text('Send invitations')")
    laptop.click("#send-confirm button[type=submit]")
    laptop.get_by_text("finished").wait_for(timeout=30000)
    assert OutboxMessage.objects.filter(to="ursula@example.com").count() == 1
    assert Invitation.objects.get(campaign=again, contact__email="ursula@example.com").skip_reason == "opted out"
