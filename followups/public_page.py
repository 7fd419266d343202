"""The public "you said, we did" page (#25.4): the shipped improvements an admin chose to publish,
in English and Dutch, with what changed, when, how many customers asked (a count, never names)
and, where the admin chose so, the NPS of those customers before and since. The same list feeds
the RSS and Atom feeds (followups.feeds) and the embeddable list for the company's website.

Only what is published and shipped is ever shown: an improvement opted in before it ships appears
when it ships, and one taken off the page disappears from the page and the feeds at once."""

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.html import escape

from core.audit import audit_log
from core.mail import absolute_url
from followups.improvement_texts import customer_texts
from followups.improvements import before_after
from followups.models import Improvement

LANGUAGES = ("en", "nl")
LIMIT = 100  # improvements on the page and in the feeds, newest first


def language_of(requested: str | None) -> str:
    """A language the page has (en, nl); anything else is English."""
    return requested if requested in LANGUAGES else "en"


def improvement_publish(*, improvement: Improvement, actor, public: bool, show_nps: bool):
    """Put an improvement on the public page or take it off, and whether it shows its NPS. Audit-logged.
    (Its Dutch title is written with its other texts, on the improvement's form.)"""
    with transaction.atomic():
        locked = Improvement.objects.select_for_update().get(pk=improvement.pk)
        locked.public, locked.public_show_nps = bool(public), bool(show_nps)
        locked.save(update_fields=["public", "public_show_nps"])
        audit_log(
            actor=actor,
            action="improvement.published" if public else "improvement.unpublished",
            target=locked,
            data={"show_nps": bool(show_nps)},
        )
    return locked


def published():
    """The improvements on the public page: published and shipped, newest first, each with how
    many customers asked (`asked`: distinct contacts of its linked answers)."""
    return (
        Improvement.objects.filter(public=True, status=Improvement.Status.SHIPPED, shipped_at__isnull=False)
        .annotate(asked=Count("links__response__contact", distinct=True))
        .order_by("-shipped_at", "-pk")[:LIMIT]
    )


def entry(improvement: Improvement, language: str) -> dict:
    """One improvement as the public sees it, in `language` (followups.improvement_texts)."""
    texts = customer_texts(improvement, language)
    return {
        "pk": improvement.pk,
        "title": texts["title"],
        "description": texts["description"],
        "shipped_at": improvement.shipped_at,
        "asked": improvement.asked,
        "change": before_after(improvement) if improvement.public_show_nps else None,
        "url": f"{page_url(language)}#improvement-{improvement.pk}",
    }


def entries(language: str) -> list[dict]:
    return [entry(improvement, language) for improvement in published()]


def page_url(language: str = "en") -> str:
    return absolute_url(f"{reverse('followups:public_improvements')}?lang={language_of(language)}")


def feed_urls(language: str) -> dict:
    lang = language_of(language)
    return {
        "rss": absolute_url(f"{reverse('followups:public_improvements_rss')}?lang={lang}"),
        "atom": absolute_url(f"{reverse('followups:public_improvements_atom')}?lang={lang}"),
        "embed": absolute_url(f"{reverse('followups:public_improvements_embed')}?lang={lang}"),
    }


def embed_snippet(language: str) -> str:
    """The HTML a company puts on its website to show the list (an iframe of the embeddable page)."""
    return (
        f'<iframe src="{escape(feed_urls(language)["embed"])}" title="{escape(settings.COMPANY_NAME)}" '
        'style="width:100%;height:480px;border:0" loading="lazy"></iframe>'
    )
