"""The widget on another origin (#22.1): a sample shop (demo/widget_host.py, the page `make demo`
serves on PORT+1) embeds /widget/v1.js from the live server. Identified and anonymous answers open
and route a case; dismissal and the quiet period; a forged signature; a blocked origin; Dutch.
The shop's strict Content-Security-Policy must not be violated (the e2e conftest fails on any)."""

import os
import subprocess
import sys

import pytest

from demo.widget_host import HostServer, sign
from followups.models import FollowUp
from followups.processing import responses_process
from surveys.models import Campaign, Contact, Response, WidgetSettings
from tests.e2e.conftest import PHONE, axe_violations, login, shot, wait_for_js
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


def _code(page, field_id: str) -> str:
    return page.input_value(f"#{field_id}")


def test_an_admin_sets_up_a_widget_campaign_and_its_snippet_works_on_the_shop(browser, live_server, admin):
    """From nothing: an admin makes a widget campaign in the campaign form (a wrong site's address is
    refused beside its field), opens it, takes the script tag and the secret (shown once) from its
    page, signs the shop's user with the Python code shown there, and the shop on another origin
    asks its customer through the widget, in the brand colour and corner chosen."""
    copied = {}
    server = HostServer(port=0, kringloop_url=live_server.url, credentials=lambda: (copied["key"], copied["secret"]))
    server.start()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        login(page, live_server, "alice-admin")
        page.goto(live_server.url + "/campaigns/new/")
        assert not page.is_visible("#widget-settings")  # e-mail first: the widget's part is hidden
        page.fill("#id_name", "Shop checkout")
        page.select_option("#id_kind", "relational")
        page.select_option("#id_channel", "widget")
        assert page.is_visible("#widget-settings") and not page.is_visible("#id_sms_daily_cap")
        page.fill("#id_widget-origins_text", "127.0.0.1:1234/shop")
        page.fill("#id_widget-colour", "#8a2be2")
        page.select_option("#id_widget-position", "bottom-left")
        page.fill("#id_widget-sample_percent", "100")
        page.click("button[type=submit].btn-lg")
        error = page.locator("#widget-settings .invalid-feedback").first.inner_text()
        assert "is not a site's origin" in error
        assert page.is_visible("#widget-settings")  # still shown with its error after the round trip
        page.fill("#id_widget-origins_text", server.url)
        shot(page, "widget-setup-form")
        page.click("button[type=submit].btn-lg")
        page.wait_for_url("**/campaigns/*/")
        campaign = Campaign.objects.get(name="Shop checkout")
        page.click("button:has-text('Open for answers')")
        page.wait_for_load_state()
        assert axe_violations(page) == []
        shot(page, "widget-setup-page")

        tag = _code(page, "widget-tag")
        copied["key"] = tag.split('data-campaign="')[1].split('"')[0]
        assert tag == f'<script src="{live_server.url}/widget/v1.js" data-campaign="{copied["key"]}" async></script>'
        python_code = _code(page, "widget-python")
        page.click("#widget-secret-reveal")
        copied["secret"] = page.input_value("#widget-secret")
        assert copied["secret"] == WidgetSettings.objects.get(campaign=campaign).secret
        page.goto(live_server.url + f"/campaigns/{campaign.pk}/")
        assert copied["secret"] not in page.content()  # shown once
        context.close()

        # The shop's back end signs its user with the code from the page.
        signed = subprocess.run(
            [sys.executable, "-c", python_code + "\nprint(kringloop_signature('demo-42'))"],
            env={**os.environ, "KRINGLOOP_WIDGET_SECRET": copied["secret"]},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert signed == sign(copied["secret"], "demo-42")

        context, shop_page = open_shop(browser, server.url + "/", PHONE | {"viewport": {"width": 320, "height": 640}})
        wait_for_js(shop_page, INSIDE + "?.querySelector('[role=dialog]')")
        box = shop_page.locator("[data-kringloop] [role=dialog]").bounding_box()
        assert box["x"] < 40 and box["x"] + box["width"] <= 320  # bottom left, within a 320 px phone
        score(shop_page, 9)
        shop_page.locator("[data-kringloop] button.go").click()
        wait_for_js(shop_page, INSIDE + "?.textContent.includes('Thank you')")
        shot(shop_page, "widget-setup-shop-phone")
        context.close()
    finally:
        server.stop()
    response = Response.objects.get()
    assert (response.campaign, response.contact.external_id, response.score) == (campaign, "demo-42", 9)
