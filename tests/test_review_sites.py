"""Review sites (#30.9): a campaign has several (Google, Trustpilot, an app store …), each shown to
the promoters whose language and segment it fits, on the thank-you page; a click goes through our
redirect, which counts it once per answer and site and adds nothing to the site's link."""

import pytest

from core.models import AuditLog
from surveys.models import Campaign, ReviewClick, ReviewSite
from surveys.public_views import _anon_key
from surveys.review_sites import site_name_for
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory, ResponseFactory


@pytest.fixture
def campaign(db):
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, language="en", anonymous_link_enabled=True)
    ReviewSite.objects.create(campaign=campaign, order=1, name="Google", url="https://g.example.com/review?id=7")
    ReviewSite.objects.create(
        campaign=campaign,
        order=2,
        name="Kiyoh",
        url="https://kiyoh.example.nl/acme",
        language="nl",
        label="Write a review on Kiyoh",
        translations={"nl": {"label": "Schrijf een review op Kiyoh"}},
    )
    ReviewSite.objects.create(
        campaign=campaign, order=3, name="App Store", url="https://apps.example.com/acme", segment={"plan": "app"}
    )
    return campaign


def _answered(campaign, score=10, *, language="en", attributes=None):
    contact = ContactFactory(language=language, attributes=attributes or {})
    invitation = InvitationFactory(campaign=campaign, contact=contact)
    ResponseFactory(campaign=campaign, contact=contact, invitation=invitation, score=score)
    return invitation


def _thanks(client, token):
    response = client.get(f"/s/{token}/thanks/")
    assert response.status_code == 200
    return response.content.decode()


def _site(campaign, name):
    return campaign.review_sites.get(name=name)


def test_a_promoter_sees_the_sites_of_their_language_and_segment(client, campaign):
    english = _thanks(client, _answered(campaign).token)
    assert "Review us on Google" in english and "Kiyoh" not in english and "App Store" not in english
    dutch_app_user = _answered(campaign, language="nl", attributes={"plan": "app", "region": "EU"})
    dutch = _thanks(client, dutch_app_user.token)
    assert "Beoordeel ons op Google" in dutch and "Schrijf een review op Kiyoh" in dutch
    assert "Beoordeel ons op App Store" in dutch
    assert dutch.index("Google") < dutch.index("Kiyoh") < dutch.index("App Store")  # the campaign's order
    for name in ("Google", "Kiyoh", "App Store"):
        assert f'href="/s/{dutch_app_user.token}/review/{_site(campaign, name).pk}/"' in dutch
    assert "g.example.com" not in dutch  # only our redirect is on the page


@pytest.mark.parametrize("score", [0, 6, 7, 8])
def test_passives_and_detractors_see_no_review_site(client, campaign, score):
    html = _thanks(client, _answered(campaign, score).token)
    assert "/review/" not in html and "Review us" not in html


def test_the_click_is_counted_once_and_goes_to_the_sites_own_link(client, campaign):
    invitation = _answered(campaign)
    google = _site(campaign, "Google")
    url = f"/s/{invitation.token}/review/{google.pk}/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "https://g.example.com/review?id=7"  # unchanged: nothing added
    assert response["Referrer-Policy"] == "no-referrer"  # the site does not see our link (it holds the token)
    assert client.get(url).status_code == 302
    assert list(ReviewClick.objects.values_list("site__name", "response__invitation")) == [("Google", invitation.pk)]


def test_a_head_request_counts_nothing(client, campaign):
    invitation = _answered(campaign)
    response = client.head(f"/s/{invitation.token}/review/{_site(campaign, 'Google').pk}/")
    assert response.status_code == 302 and not ReviewClick.objects.exists()


def test_a_site_the_promoter_is_not_shown_cannot_be_clicked(client, campaign):
    invitation = _answered(campaign)  # English, no segment
    other = CampaignFactory()
    foreign = ReviewSite.objects.create(campaign=other, name="Elsewhere", url="https://elsewhere.example.com/")
    for site in (_site(campaign, "Kiyoh"), _site(campaign, "App Store"), foreign):
        assert client.get(f"/s/{invitation.token}/review/{site.pk}/").status_code == 404
    assert client.get(f"/s/{invitation.token}/review/999999/").status_code == 404
    assert client.get(f"/s/not-a-token/review/{_site(campaign, 'Google').pk}/").status_code == 404
    assert not ReviewClick.objects.exists()


def test_a_passive_or_an_unanswered_link_cannot_click(client, campaign):
    google = _site(campaign, "Google")
    passive = _answered(campaign, 8)
    unanswered = InvitationFactory(campaign=campaign)
    for invitation in (passive, unanswered):
        assert client.get(f"/s/{invitation.token}/review/{google.pk}/").status_code == 404
    assert not ReviewClick.objects.exists()


def test_an_anonymous_promoter_sees_the_sites_without_a_segment(client, campaign):
    response = ResponseFactory(campaign=campaign, contact=None, invitation=None, score=9, language="en")
    key = _anon_key(response.pk)
    html = _thanks(client, key)
    assert "Review us on Google" in html and "App Store" not in html
    assert client.get(f"/s/{key}/review/{_site(campaign, 'Google').pk}/").status_code == 302
    assert client.get(f"/s/{key}/review/{_site(campaign, 'App Store').pk}/").status_code == 404
    assert ReviewClick.objects.get().response == response


def test_the_campaign_page_counts_the_clicks(client, admin, campaign):
    google = _site(campaign, "Google")
    for _ in range(2):
        client.get(f"/s/{_answered(campaign).token}/review/{google.pk}/")
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    section = html[html.index('id="review-sites"') :]
    assert "Google" in section and "2 clicks" in section and "0 clicks" in section
    assert "plan=app" in section and "Nederlands" in section


def test_the_preview_shows_every_site_of_the_language_linked_directly(client, admin, campaign):
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/preview/thanks/?category=promoter&lang=nl").content.decode()
    assert "https://kiyoh.example.nl/acme" in html and "https://apps.example.com/acme" in html
    assert "/review/" not in html
    english = client.get(f"/campaigns/{campaign.pk}/preview/thanks/?category=promoter&lang=en").content.decode()
    assert "kiyoh" not in english


# --- The builder ----------------------------------------------------------------------------------


def _builder_form(campaign=None, **fields):
    data = {
        "name": campaign.name if campaign else "Reviews",
        "kind": "relational",
        "channel": "email",
        "language": "en",
        "quiet_period_days": 30,
        "spread_days": 0,
        "reminder_after_days": 5,
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        "sites-INITIAL_FORMS": "0",
        "sites-MIN_NUM_FORMS": "0",
        "sites-MAX_NUM_FORMS": "10",
    }
    data.update(fields)
    return data


def test_an_admin_sets_several_review_sites_in_the_builder(client, admin):
    client.force_login(admin)
    data = _builder_form(
        **{
            "sites-TOTAL_FORMS": "3",
            "sites-0-name": "Google",
            "sites-0-url": "https://g.example.com/r",
            "sites-1-name": "Trustpilot",
            "sites-1-url": "trustpilot.example.com/acme",  # no scheme: https is assumed
            "sites-1-language": "nl",
            "sites-1-segment_text": "plan=pro, region=EU",
            "sites-1-tr_nl_label": "Schrijf een review",
            "sites-2-name": "",  # an added row left blank
            "sites-2-url": "",
        }
    )
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert list(campaign.review_sites.values_list("order", "name", "url", "language", "segment")) == [
        (1, "Google", "https://g.example.com/r", "", {}),
        (2, "Trustpilot", "https://trustpilot.example.com/acme", "nl", {"plan": "pro", "region": "EU"}),
    ]
    assert campaign.review_sites.get(name="Trustpilot").translations == {"nl": {"label": "Schrijf een review"}}
    assert AuditLog.objects.get(action="campaign.created").data["review_sites_changed"] is True


def test_the_builder_changes_and_removes_sites(client, admin, campaign):
    client.force_login(admin)
    google, kiyoh, app = (_site(campaign, name) for name in ("Google", "Kiyoh", "App Store"))
    data = _builder_form(
        campaign,
        **{
            "sites-TOTAL_FORMS": "3",
            "sites-INITIAL_FORMS": "3",
            "sites-0-id": google.pk,
            "sites-0-name": "Google",
            "sites-0-url": "https://g.example.com/new",
            "sites-1-id": kiyoh.pk,
            "sites-1-name": "Kiyoh",
            "sites-1-url": kiyoh.url,
            "sites-1-language": "nl",
            "sites-1-DELETE": "on",
            "sites-2-id": app.pk,
            "sites-2-name": "App Store",
            "sites-2-url": app.url,
            "sites-2-segment_text": "plan=app",
        },
    )
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert list(campaign.review_sites.values_list("name", "url", "order")) == [
        ("Google", "https://g.example.com/new", 1),
        ("App Store", "https://apps.example.com/acme", 2),
    ]


def test_a_bad_site_is_refused_with_its_reason(client, admin):
    client.force_login(admin)
    data = _builder_form(
        **{
            "sites-TOTAL_FORMS": "1",
            "sites-0-name": "Google",
            "sites-0-url": "javascript:alert(1)",
            "sites-0-segment_text": "plan pro",
        }
    )
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid URL." in html and "is not attribute=value" in html
    assert not Campaign.objects.exists()


def test_a_post_without_the_sites_part_leaves_them_alone(client, admin, campaign):
    client.force_login(admin)
    data = _builder_form(campaign)
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert campaign.review_sites.count() == 3
    assert "review_sites_changed" not in AuditLog.objects.get(action="campaign.updated").data


def test_add_a_review_site_sends_the_next_blank_form(client, admin):
    client.force_login(admin)
    response = client.get("/campaigns/review-sites/new/", {"sites-TOTAL_FORMS": "1", "language": "en"})
    html = response.content.decode()
    assert response.status_code == 200 and 'name="sites-1-url"' in html and 'name="sites-1-tr_nl_label"' in html
    assert 'name="sites-TOTAL_FORMS" value="2"' in html and "Review site 2" in html
    assert client.get("/campaigns/review-sites/new/", {"sites-TOTAL_FORMS": "x"}).status_code == 400


def test_the_builder_shows_the_sites(client, admin, campaign):
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'name="sites-TOTAL_FORMS" value="3"' in html and 'value="plan=app"' in html
    assert "Add a review site" in html


@pytest.mark.parametrize(
    "url,name",
    [
        ("https://g.page/r/abc/review", "Google"),
        ("https://search.google.com/local/writereview?placeid=x", "Google"),
        ("https://play.google.com/store/apps/details?id=x", "Google Play"),
        ("https://apps.apple.com/app/id1", "App Store"),
        ("https://nl.trustpilot.com/evaluate/acme.nl", "Trustpilot"),
        ("https://www.example.com/review", "example.com"),
    ],
)
def test_a_site_is_named_after_where_its_link_goes(url, name):
    assert site_name_for(url) == name


def test_the_privacy_export_lists_the_review_sites_a_contact_went_to(client, admin, campaign):
    invitation = _answered(campaign)
    client.get(f"/s/{invitation.token}/review/{_site(campaign, 'Google').pk}/")
    client.force_login(admin)
    export = client.get(f"/contacts/{invitation.contact.pk}/export.json").json()
    (response,) = export["responses"]
    assert [visit["site"] for visit in response["review_sites_visited"]] == ["Google"]
