"""Setting up the widget in the campaign (#22.1): its settings on the campaign's edit page with
clear errors, the install snippet on its page (script tag, identify call, signing code for Python
and Node with the public key filled in), the signing secret shown once and rotated with an audit
entry, and the answer call's one-statement path, which checks the key and origin itself."""

import json
import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from surveys.models import Campaign, Invitation, Response, WidgetSettings
from surveys.services import campaign_duplicate, campaign_save
from surveys.widget import signature_for
from surveys.widget_models import clean_origin, clean_page_pattern
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory
from tests.test_campaign_edit import _form

SHOP = "https://shop.example.com"


def _widget_form(**overrides):
    data = _form(
        kind="relational",
        channel="widget",
        **{
            "widget-origins_text": "https://Shop.example.com/\nhttp://localhost:8080",
            "widget-anonymous": "on",
            "widget-pages_text": "/checkout/*\n/account",
            "widget-event": "checkout_completed",
            "widget-after_days": "3",
            "widget-sample_percent": "25",
            "widget-snooze_days": "14",
            "widget-colour": "#8A2BE2",
            "widget-position": "bottom-left",
        },
    )
    data.update(overrides)
    return data


@pytest.fixture
def widget_campaign(admin, db):
    campaign = campaign_save(actor=admin, name="In the app", kind="relational", channel="widget", language="en")
    return campaign, WidgetSettings.objects.get(campaign=campaign)


@pytest.mark.parametrize(
    "text, origin",
    [
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        (" https://a-b.example.nl ", "https://a-b.example.nl"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
    ],
)
def test_an_origin_is_scheme_host_and_port_written_as_the_browser_sends_it(text, origin):
    assert clean_origin(text) == origin


@pytest.mark.parametrize(
    "text",
    [
        "shop.example.com",
        "https://shop.example.com/checkout",
        "ftp://shop.example.com",
        "https://",
        "https://a b.nl",
        "https://shop.example.com:99999",
        "javascript:alert(1)",
        "*",
    ],
)
def test_anything_else_is_refused_as_an_origin(text):
    with pytest.raises(ValidationError):
        clean_origin(text)


def test_a_page_pattern_is_a_path():
    assert clean_page_pattern(" /checkout/* ") == "/checkout/*"
    for bad in ("checkout", "https://shop.example.com/checkout", "/a b"):
        with pytest.raises(ValidationError):
            clean_page_pattern(bad)


def test_admin_sets_up_the_widget_in_the_campaign_form(client, admin):
    client.force_login(admin)
    page = client.get("/campaigns/new/").content.decode()
    assert 'id="widget-settings" data-channel-only="widget" hidden' in page  # shown for the widget channel
    response = client.post("/campaigns/new/", _widget_form())
    assert response.status_code == 302
    widget = WidgetSettings.objects.get()
    assert widget.origins == [SHOP, "http://localhost:8080"]
    assert widget.url_patterns == ["/checkout/*", "/account"]
    assert (widget.anonymous, widget.event, widget.after_days, widget.sample_percent, widget.snooze_days) == (
        True,
        "checkout_completed",
        3,
        25,
        14,
    )
    assert (widget.colour, widget.position) == ("#8a2be2", "bottom-left")
    created = AuditLog.objects.get(action="campaign.created")
    assert "origins" in created.data["widget_changed"] and "sample_percent" in created.data["widget_changed"]

    # Edited again: its values are in the form, and a change is audited by name.
    campaign = widget.campaign
    page = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert "https://shop.example.com\nhttp://localhost:8080</textarea>" in page
    assert 'id="widget-settings" data-channel-only="widget">' in page
    response = client.post(f"/campaigns/{campaign.pk}/edit/", _widget_form(**{"widget-sample_percent": "100"}))
    assert response.status_code == 302
    updated = AuditLog.objects.get(action="campaign.updated")
    assert updated.data["widget_changed"] == ["sample_percent"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("widget-origins_text", "https://shop.example.com/checkout", "is not a site&#x27;s origin"),
        ("widget-origins_text", "shop.example.com", "write its scheme and host"),
        ("widget-pages_text", "checkout", "is not a page pattern"),
        ("widget-colour", "red", "A colour such as #1f5f8b."),
        ("widget-sample_percent", "150", "less than or equal to 100"),
        ("widget-sample_percent", "-1", "greater than or equal to 0"),
        ("widget-after_days", "99999", "less than or equal to 3650"),
        ("widget-event", "checkout completed!", "An event name such as checkout_completed"),
    ],
)
def test_bad_widget_settings_are_refused_beside_their_field(client, admin, field, value, message):
    client.force_login(admin)
    response = client.post("/campaigns/new/", _widget_form(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Campaign.objects.exists() and not WidgetSettings.objects.exists()


def test_other_channels_ignore_the_widget_part_of_the_form(client, admin):
    client.force_login(admin)
    response = client.post("/campaigns/new/", _widget_form(channel="email", **{"widget-colour": "red"}))
    assert response.status_code == 302
    assert Campaign.objects.get().channel == "email" and not WidgetSettings.objects.exists()


def test_the_service_refuses_what_the_model_refuses(admin, db):
    with pytest.raises(ValidationError) as refused:
        campaign_save(
            actor=admin,
            name="Widget",
            kind="relational",
            channel="widget",
            language="en",
            widget={"origins": ["https://ok.example", "https://shop.example.com/path"], "sample_percent": 101},
        )
    assert set(refused.value.error_dict) == {"origins"}
    assert not Campaign.objects.exists()  # nothing half-saved


def test_the_campaign_page_shows_the_install_snippet_with_the_key_but_never_the_secret(client, admin, widget_campaign):
    campaign, widget = widget_campaign
    client.force_login(admin)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'data-campaign="{widget.public_key}" async&gt;&lt;/script&gt;' in page
    assert "http://testserver/widget/v1.js" in page
    assert 'kringloop("identify", {userId: "USER_ID", email: "USER_EMAIL", signature: "SIGNATURE"})' in page
    assert "def kringloop_signature(user_id: str) -> str:" in page
    assert 'crypto.createHmac("sha256", WIDGET_SECRET)' in page
    assert widget.secret not in page and widget.secret[-4:] in page  # named by its last characters only
    assert "No site is allowed yet" in page  # no origin listed: it appears nowhere
    assert "asks through the widget on your site" in page  # not "sends"


def test_the_python_and_node_code_on_the_page_sign_as_the_server_checks(client, admin, widget_campaign):
    campaign, widget = widget_campaign
    client.force_login(admin)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()

    def code(name):
        start = page.index(f'id="widget-{name}"')
        start = page.index(">", start) + 1
        return page[start : page.index("</textarea>", start)].replace("&quot;", '"').replace("&gt;", ">")

    env = {"KRINGLOOP_WIDGET_SECRET": widget.secret, "PATH": "/usr/bin:/bin"}
    python = subprocess.run(
        ["python3", "-c", code("python") + "\nprint(kringloop_signature('crm-42'))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert python.stdout.strip() == signature_for(widget.secret, "crm-42")
    node = shutil.which("node")
    if node:  # the Node.js toolchain builds the widget (make widget); the code runs as it is shown
        out = subprocess.run(
            [node, "-e", code("node") + "\nconsole.log(kringloopSignature('crm-42'))"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == signature_for(widget.secret, "crm-42")


def test_the_secret_is_shown_once_then_only_a_rotated_one_each_audited(client, admin, widget_campaign):
    campaign, widget = widget_campaign
    client.force_login(admin)
    url = f"/campaigns/{campaign.pk}/widget/secret/"
    shown = client.post(url, {"action": "reveal"})
    assert shown.status_code == 200 and widget.secret in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert AuditLog.objects.filter(action="widget.secret_shown", target_id=str(campaign.pk)).count() == 1

    again = client.post(url, {"action": "reveal"}, follow=True)
    assert widget.secret not in again.content.decode()
    assert "is not shown again. Rotate it to get a new one." in again.content.decode()
    assert AuditLog.objects.filter(action="widget.secret_shown").count() == 1

    rotated = client.post(url, {"action": "rotate"})
    widget.refresh_from_db()
    old_signature = signature_for(shown.context["secret"], "crm-42")
    assert rotated.status_code == 200 and widget.secret in rotated.content.decode()
    assert widget.secret != shown.context["secret"]
    assert signature_for(widget.secret, "crm-42") != old_signature  # the old secret no longer signs
    entry = AuditLog.objects.get(action="widget.secret_rotated")
    assert entry.actor == admin and widget.secret not in json.dumps(entry.data)
    assert client.post(url, {"action": "other"}).status_code == 400


def test_only_admins_see_or_rotate_the_secret(client, agent, viewer, widget_campaign):
    campaign, widget = widget_campaign
    for user in (agent, viewer):
        client.force_login(user)
        assert client.post(f"/campaigns/{campaign.pk}/widget/secret/", {"action": "rotate"}).status_code == 403
    widget.refresh_from_db()
    assert widget.secret_shown_at is None


def test_a_campaign_without_a_widget_has_no_secret_to_show(client, admin):
    campaign = CampaignFactory(channel=Campaign.Channel.EMAIL)
    client.force_login(admin)
    assert client.post(f"/campaigns/{campaign.pk}/widget/secret/", {"action": "reveal"}).status_code == 404


def test_a_duplicate_keeps_the_settings_with_a_key_and_secret_of_its_own(admin, widget_campaign):
    campaign, widget = widget_campaign
    WidgetSettings.objects.filter(pk=widget.pk).update(origins=[SHOP], sample_percent=40)
    copy = campaign_duplicate(campaign=campaign, actor=admin)
    copied = WidgetSettings.objects.get(campaign=copy)
    assert (copied.origins, copied.sample_percent) == ([SHOP], 40)
    assert copied.public_key != widget.public_key and copied.secret != widget.secret


def post(client, body, origin=SHOP):
    return client.post("/widget/v1/answer/", json.dumps(body), content_type="text/plain", HTTP_ORIGIN=origin)


@pytest.mark.postgres("the one-statement answer is PostgreSQL's INSERT … SELECT")
def test_the_widget_answer_is_one_statement_that_checks_the_key_and_origin(client, db, django_assert_num_queries):
    campaign = CampaignFactory(channel=Campaign.Channel.WIDGET, status=Campaign.Status.ACTIVE)
    widget = WidgetSettings.objects.create(campaign=campaign, origins=[SHOP])
    other = WidgetSettings.objects.create(
        campaign=CampaignFactory(channel=Campaign.Channel.WIDGET, status=Campaign.Status.ACTIVE), origins=[SHOP]
    )
    invitation = InvitationFactory(campaign=campaign, contact=ContactFactory(), status=Invitation.Status.SENT)
    body = {"key": widget.public_key, "token": invitation.token, "score": 9}
    # Another origin, or another campaign's key: refused as before, nothing stored.
    assert post(client, body, origin="https://evil.example").status_code == 403
    assert post(client, {**body, "key": other.public_key}).status_code == 403
    assert not Response.objects.exists()
    with django_assert_num_queries(1):
        answered = post(client, body)
    assert answered.status_code == 200 and answered["Access-Control-Allow-Origin"] == SHOP
    response = Response.objects.get()
    assert (response.invitation, response.score, response.channel) == (invitation, 9, "widget")
    assert answered.json()["category"] == "promoter"
    # A changed answer goes the general way, as the e-mail link's does.
    assert post(client, {**body, "score": 4}).json()["category"] == "detractor"
    assert Response.objects.get().score == 4


def test_an_origin_stored_before_the_rule_still_answers_the_general_way(client, db):
    campaign = CampaignFactory(channel=Campaign.Channel.WIDGET, status=Campaign.Status.ACTIVE)
    widget = WidgetSettings.objects.create(campaign=campaign, origins=["https://Shop.example.com/"])
    invitation = InvitationFactory(campaign=campaign, contact=ContactFactory(), status=Invitation.Status.SENT)
    answered = post(client, {"key": widget.public_key, "token": invitation.token, "score": 8})
    assert answered.status_code == 200 and Response.objects.get().score == 8
