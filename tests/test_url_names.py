"""URL names and paths (#30.6): each app has one urls.py with its own namespace, no pattern is
shadowed by another (so the order of the includes in config/urls.py decides nothing), and every
path already e-mailed to customers, printed as a QR code or sent to a webhook receiver reaches the
view it always reached."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

APPS = ("accounts", "core", "surveys", "followups", "scoring", "api", "webhooks", "themes", "demo")

# Paths that left the building: in invitations, reminders, 'you said, we did' notices and their
# List-Unsubscribe headers (/s/, /u/), on QR codes and public links (/a/), in the review buttons of
# thank-you pages left open, and in webhook payloads (the staff pages of a contact, campaign, case
# and improvement). They are kept forever, each to the view that served it when it was sent.
SENT = {
    "/s/tok3n/": "surveys.public_views.survey_answer",
    "/s/tok3n/why/": "surveys.public_views.survey_details",
    "/s/tok3n/thanks/": "surveys.public_views.survey_thanks",
    "/a/tok3n/": "surveys.public_views.survey_anonymous",
    "/u/tok3n/": "surveys.unsubscribe_views.unsubscribe",
    "/s/tok3n/review/7/": "surveys.public_views.review_click",
    # Embedded in customers' own sites and apps, and set at SMS providers as webhooks.
    "/widget/v1.js": "surveys.widget_views.widget_script",
    "/widget/v1/config/": "surveys.widget_views.widget_config",
    "/widget/v1/answer/": "surveys.widget_views.widget_answer",
    "/sms/twilio/status/": "surveys.sms_views.sms_status",
    "/sms/twilio/inbound/": "surveys.sms_views.sms_inbound",
    "/contacts/7/": "surveys.contact_views.contact_detail",
    "/campaigns/7/": "surveys.views.campaign_detail",
    "/followups/7/": "followups.case_views.followup_detail",
    "/improvements/7/": "followups.improvement_views.improvement_detail",
    "/password/reset/MQ/abc-123/": "accounts.password_views.ResetConfirmView",
}


def _named_patterns(resolver=None, prefix="", namespace=()):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = (*namespace, entry.namespace) if entry.namespace else namespace
            if ns[:1] == ("admin",) or str(entry.pattern).startswith("anymail"):
                continue
            yield from _named_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield ":".join((*namespace, entry.name)), prefix + str(entry.pattern), entry


def _sample_kwargs(entry):
    converters = getattr(entry.pattern, "converters", {})
    samples = {"IntConverter": 7, "UUIDConverter": uuid.UUID(int=7), "StringConverter": "tok3n"}
    return {name: samples[type(conv).__name__] for name, conv in converters.items()}


def test_every_named_pattern_reverses_and_resolves_back_to_itself():
    seen = []
    for full_name, route, entry in _named_patterns():
        if route.startswith("api/") and entry.name == "not_found":
            continue  # the API's catch-all 404 is a regex, matched only by what nothing else matches
        url = reverse(full_name, kwargs=_sample_kwargs(entry))
        match = resolve(url)
        assert match.view_name == full_name, (url, full_name, match.view_name)
        seen.append(full_name)
    assert len(seen) > 100


def test_each_app_has_one_urls_module_and_namespace():
    root = Path(settings.BASE_DIR)
    for app in APPS:
        assert [p.name for p in (root / app).glob("urls*.py")] == ["urls.py"], app
        module = __import__(f"{app}.urls", fromlist=["app_name"])
        assert module.app_name == app
    for full_name, _route, entry in _named_patterns():
        app = entry.lookup_str.split(".")[0]
        if full_name.startswith("otp_webauthn:"):
            continue  # the passkey ceremonies (accounts.passkeys) keep the names the library's script reads
        if app in APPS:
            assert full_name.startswith(app + ":"), (full_name, entry.lookup_str)
        else:  # Django's or a library's view mounted by one of ours
            assert full_name.split(":")[0] in APPS, (full_name, entry.lookup_str)


@pytest.mark.parametrize("path,view", sorted(SENT.items()))
def test_a_path_sent_to_customers_reaches_the_same_view_forever(path, view):
    assert resolve(path)._func_path == view


def test_respondent_pages_are_the_paths_the_error_pages_treat_as_public():
    views = ("surveys.public_views.", "surveys.unsubscribe_views.")
    public = {route for _name, route, entry in _named_patterns() if entry.lookup_str.startswith(views)}
    assert {"/" + route.split("/")[0] + "/" for route in public} == set(settings.RESPONDENT_PATH_PREFIXES)


def test_e_mailed_links_are_built_on_the_same_paths():
    assert reverse("surveys:survey_answer", args=["tok3n"]) == "/s/tok3n/"
    assert reverse("surveys:survey_anonymous", args=["tok3n"]) == "/a/tok3n/"
    assert reverse("surveys:unsubscribe", args=["tok3n"]) == "/u/tok3n/"
