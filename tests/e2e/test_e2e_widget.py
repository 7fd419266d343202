"""The widget on another origin (#22.1): a sample shop (demo/widget_host.py, the page `make demo`
serves on PORT+1) embeds /widget/v1.js from the live server. Identified and anonymous answers open
and route a case; dismissal and the quiet period; a forged signature; a blocked origin; Dutch.
The shop's strict Content-Security-Policy must not be violated (the e2e conftest fails on any)."""

import pytest

from demo.widget_host import HostServer
from followups.models import FollowUp
from followups.processing import responses_process
from surveys.models import Campaign, Contact, Response, WidgetSettings
from tests.e2e.conftest import PHONE, axe_violations, shot, wait_for_js
from tests.factories import CampaignFactory, ContactFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDGET = "document.querySelector('[data-kringloop]')"
INSIDE = WIDGET + "?.shadowRoot"


@pytest.fixture
def shop(live_server, settings):
    team = TeamFactory(name="Web shop")
    campaign = CampaignFactory(
        name="Checkout",
        channel=Campaign.Channel.WIDGET,
        status=Campaign.Status.ACTIVE,
        team=team,
        quiet_period_days=30,
        translations={"nl": {"question": "Zou u ons aanraden?"}},
    )
    RoutingRuleFactory(name="Web shop cases", target="team_queue", team=team)
    widget = WidgetSettings.objects.create(campaign=campaign, anonymous=False, colour="#8a2be2")
    server = HostServer(port=0, kringloop_url=live_server.url, key=widget.public_key, secret=widget.secret)
    widget.origins = [server.url]
    widget.save()
    server.start()
    yield server, widget
    server.stop()


def open_shop(browser, url, options=None):
    context = browser.new_context(**(options or {"viewport": {"width": 1280, "height": 800}}))
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(url)
    return context, page


def score(page, number: int):
    page.locator("[data-kringloop] button", has_text=str(number)).first.click()


def process_all():
    responses_process(response_ids=list(Response.objects.values_list("pk", flat=True)))


def test_an_identified_customer_answers_and_a_case_is_opened_and_routed(browser, shop):
    server, widget = shop
    context, page = open_shop(browser, server.url + "/", PHONE | {"viewport": {"width": 320, "height": 640}})
    wait_for_js(page, INSIDE + "?.querySelector('[role=dialog]')")
    dialog = page.locator("[data-kringloop] [role=dialog]")
    assert "How likely is it" in dialog.inner_text()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320  # fits a 320 px phone
    page.click("#checkout")  # the host page still works under it
    assert page.inner_text("#status") == "Order placed."
    assert axe_violations(page) == []
    shot(page, "widget-identified-phone")
    score(page, 3)
    page.locator("[data-kringloop] textarea").fill("The parcel came late")
    page.locator("[data-kringloop] button.go").click()
    wait_for_js(page, INSIDE + "?.textContent.includes('Thank you')")
    assert axe_violations(page) == []
    context.close()

    response = Response.objects.get()
    contact = Contact.objects.get(external_id="demo-42")
    assert (response.contact, response.channel, response.score, response.comment) == (
        contact,
        "widget",
        3,
        "The parcel came late",
    )
    process_all()
    case = FollowUp.objects.get(response=response)
    assert case.team.name == "Web shop"


def test_an_anonymous_visitor_answers_where_the_campaign_allows_it(browser, shop):
    server, widget = shop
    context, page = open_shop(browser, server.url + "/anonymous")
    page.wait_for_timeout(1500)
    assert page.evaluate(WIDGET) is None  # not allowed: nothing shown
    context.close()
    WidgetSettings.objects.filter(pk=widget.pk).update(anonymous=True)
    context, page = open_shop(browser, server.url + "/anonymous")
    wait_for_js(page, INSIDE)
    score(page, 10)
    page.locator("[data-kringloop] button.go").click()
    wait_for_js(page, INSIDE + "?.textContent.includes('Thank you')")
    context.close()
    response = Response.objects.get()
    assert response.contact is None and response.channel == "widget" and response.score == 10


def test_escape_dismisses_and_the_widget_does_not_ask_again(browser, shop):
    server, widget = shop
    context, page = open_shop(browser, server.url + "/")
    wait_for_js(page, INSIDE)
    page.keyboard.press("Escape")
    assert page.evaluate(WIDGET) is None
    page.reload()
    page.wait_for_timeout(1500)
    assert page.evaluate(WIDGET) is None  # snoozed (in the browser and on the server)
    context.close()
    # Another browser (no local state): the server still remembers the dismissal and the quiet period.
    context, page = open_shop(browser, server.url + "/")
    page.wait_for_timeout(2000)
    assert page.evaluate(WIDGET) is None
    context.close()
    assert not Response.objects.exists()


def test_the_quiet_period_is_shared_with_email(browser, shop):
    from tests.factories import InvitationFactory

    server, _widget = shop
    InvitationFactory(contact=ContactFactory(external_id="demo-42", email="widget.demo@example.com"))
    context, page = open_shop(browser, server.url + "/")
    page.wait_for_timeout(2500)
    assert page.evaluate(WIDGET) is None
    context.close()


def test_a_forged_signature_does_not_answer_as_the_customer(browser, shop):
    server, _widget = shop
    ContactFactory(external_id="demo-42", email="widget.demo@example.com")
    context, page = open_shop(browser, server.url + "/forged")
    page.wait_for_timeout(2500)
    assert page.evaluate(WIDGET) is None
    context.close()
    assert not Response.objects.exists()


def test_a_site_that_is_not_listed_gets_nothing_and_keeps_working(browser, shop):
    server, widget = shop
    WidgetSettings.objects.filter(pk=widget.pk).update(origins=["https://shop.example.com"])
    context, page = open_shop(browser, server.url + "/")
    page.wait_for_timeout(2500)
    assert page.evaluate(WIDGET) is None
    page.click("#checkout")
    assert page.inner_text("#status") == "Order placed."
    context.close()


def test_a_dutch_customer_reads_dutch(browser, shop):
    server, _widget = shop
    context, page = open_shop(browser, server.url + "/nl")
    wait_for_js(page, INSIDE)
    text = page.locator("[data-kringloop] [role=dialog]").inner_text()
    assert "Zou u ons aanraden?" in text
    score(page, 8)
    wait_for_js(page, INSIDE + "?.querySelector('textarea')")
    assert "Wat is" in page.locator("[data-kringloop] label").first.inner_text()
    page.locator("[data-kringloop] button.go").click()
    wait_for_js(page, INSIDE + "?.textContent.includes('Bedankt')")
    shot(page, "widget-dutch")
    context.close()
    assert Response.objects.get().language == "nl"
