"""Review sites (#30.9): which of a campaign's review sites a promoter is shown, saving them from the
campaign builder, and recording a click.

A site is shown to a promoter when its language is empty or the one they read, and every attribute
of its segment ({"plan": "pro"}) is the same on their contact; a site with a segment is never shown
to an anonymous answer (there is no contact to match). The click goes through
surveys.public_views.review_click, which records it here, once per answer and site, and sends the
promoter on to the site's own link, unchanged: nothing is added to it and no referrer is sent, so
nothing about the review itself is tracked.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from surveys.models import Campaign, Contact, Response, ReviewClick, ReviewSite

SITE_FIELDS = ("name", "url", "label", "language", "segment", "translations")
MAX_SITES = 10

# The button text of a site without its own, by the site's host (what the migration names them by).
KNOWN_HOSTS = {
    "google.": "Google",
    "g.page": "Google",
    "trustpilot.": "Trustpilot",
    "apps.apple.com": "App Store",
    "play.google.com": "Google Play",
    "facebook.com": "Facebook",
    "tripadvisor.": "Tripadvisor",
    "kiyoh.": "Kiyoh",
    "feedbackcompany.": "The Feedback Company",
}


def site_name_for(url: str) -> str:
    """A readable name for a review link: the known site it is on, else its host without www."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    for part, name in sorted(KNOWN_HOSTS.items(), key=lambda item: -len(item[0])):  # play.google.com first
        if part in host:
            return name
    return host.removeprefix("www.") or "Review"


def fits(site: ReviewSite, *, language: str, contact: Contact | None, any_segment: bool = False) -> bool:
    """Whether `site` is shown to a promoter reading `language` whose contact is `contact` (None for
    an anonymous answer). `any_segment`: the builder's preview, which has no contact."""
    if site.language and site.language != language:
        return False
    if not site.segment or any_segment:
        return True
    attributes = (contact.attributes or {}) if contact is not None else None
    if attributes is None:
        return False
    return all(str(attributes.get(key, "")) == str(value) for key, value in site.segment.items())


def sites_for(
    campaign: Campaign, *, language: str, contact: Contact | None, any_segment: bool = False
) -> list[ReviewSite]:
    """The campaign's review sites this promoter is shown, in the campaign's order."""
    return [
        site
        for site in campaign.review_sites.all()
        if fits(site, language=language, contact=contact, any_segment=any_segment)
    ]


def record_click(*, site: ReviewSite, response: Response) -> bool:
    """Record that the promoter of `response` went to `site`; True the first time, False after."""
    try:
        with transaction.atomic():
            _click, created = ReviewClick.objects.get_or_create(site=site, response=response)
    except IntegrityError:  # the same click twice at once: the other one recorded it
        return False
    return created


def review_sites_save(campaign: Campaign, sites: list[dict]) -> bool:
    """Make the campaign's review sites these, in this order (dicts of SITE_FIELDS, with the "id" of
    one that exists; an existing site left out is deleted, with its clicks). Returns whether any
    site was added, changed, moved or deleted. Part of services.campaign_save's transaction."""
    if len(sites) > MAX_SITES:
        raise ValidationError(_("At most %(count)d review sites.") % {"count": MAX_SITES})
    existing = {site.pk: site for site in campaign.review_sites.all()}
    kept, changed = set(), False
    for order, item in enumerate(sites, start=1):
        values = {name: item[name] for name in SITE_FIELDS if name in item}
        site = existing.get(item.get("id")) if item.get("id") is not None else None
        if item.get("id") is not None and site is None:
            raise ValidationError(_("A review site was changed meanwhile; reload the page."))
        if site is None:
            ReviewSite.objects.create(campaign=campaign, order=order, **values)
            changed = True
            continue
        kept.add(site.pk)
        if site.order != order or any(getattr(site, name) != value for name, value in values.items()):
            ReviewSite.objects.filter(pk=site.pk).update(order=order, **values)
            changed = True
    removed = [pk for pk in existing if pk not in kept]
    if removed:
        ReviewSite.objects.filter(pk__in=removed).delete()
        changed = True
    return changed


def click_counts(campaign: Campaign) -> dict[int, int]:
    """Clicks per review site of the campaign: {site id: count}."""
    rows = ReviewClick.objects.filter(site__campaign=campaign).values("site").annotate(n=Count("id"))
    return {row["site"]: row["n"] for row in rows}
