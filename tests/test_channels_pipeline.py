"""Both new channels feed the same pipeline as e-mail (#22, "Done when"): an answer through the
widget and one through a text message's link are routed to a team's queue, reported to webhooks
with their channel, and counted in the delivery funnel and the NPS under their channel's cut."""

import json

import pytest
from freezegun import freeze_time

from followups.models import FollowUp
from followups.processing import response_process
from scoring.filters import parse_filters
from scoring.panels import delivery_funnel, nps_summary
from surveys.models import Campaign, Response, WidgetSettings
from surveys.widget import signature_for
from tests.factories import CampaignFactory, ContactFactory, RoutingRuleFactory, TeamFactory
from tests.sending_helpers import send_all, start
from tests.webhooks_support import make_endpoint
from webhooks.models import Delivery

SHOP = "https://shop.example.com"


@freeze_time("2026-03-10 10:00:00")  # within the sending hours of a Dutch mobile number
def test_widget_and_sms_answers_are_routed_reported_and_counted_by_channel(client, admin, db):
    team = TeamFactory(name="Digital")
    RoutingRuleFactory(name="Digital cases", target="team_queue", team=team)
    endpoint = make_endpoint(events=["response.created"])

    widget = WidgetSettings.objects.create(
        campaign=CampaignFactory(channel=Campaign.Channel.WIDGET, status=Campaign.Status.ACTIVE, team=team),
        origins=[SHOP],
    )
    user = {"id": "crm-7", "email": "ann@example.com", "signature": signature_for(widget.secret, "crm-7")}

    def call(path, body):
        body = {"key": widget.public_key, "user": user, **body}
        return client.post(f"/widget/v1/{path}/", json.dumps(body), content_type="text/plain", HTTP_ORIGIN=SHOP)

    asked = call("ask", {"path": "/"}).json()
    assert asked["ask"] is True
    assert call("answer", {"token": asked["token"], "score": 4}).status_code == 200

    sms = CampaignFactory(
        channel=Campaign.Channel.SMS, status=Campaign.Status.DRAFT, team=team, audience_filter={"plan": "sms"}
    )
    ContactFactory(email="bob@example.com", phone="+31612345678", attributes={"plan": "sms"})
    wave = start(sms, admin)
    send_all(wave)
    invitation = wave.invitations.get()
    assert client.post(f"/s/{invitation.token}/", {"score": "2"}).status_code == 302

    for response in Response.objects.all():
        response_process(response_id=response.pk)
    by_channel = {r.channel: r for r in Response.objects.all()}
    assert sorted(by_channel) == ["sms", "widget"]
    for response in by_channel.values():
        assert FollowUp.objects.get(response=response).team == team  # routed like an e-mail answer
    reported = [json.loads(d.body)["data"]["response"]["channel"] for d in Delivery.objects.filter(endpoint=endpoint)]
    assert sorted(reported) == ["sms", "widget"]

    for channel in ("sms", "widget"):
        filters = parse_filters({"channel": channel, "period": "30d", "kind": "all"})
        funnel = delivery_funnel(filters)
        assert (funnel["invited"], funnel["delivered"], funnel["answered"]) == (1, 1, 1), (channel, funnel)
        assert nps_summary(filters).current.n == 1
