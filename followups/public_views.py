"""The public "you said, we did" page, its embeddable list and feeds: anyone may read them; they
show only published, shipped improvements (followups.public_page), in English or Dutch (?lang=)."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from followups import feeds, public_page


def _language(request) -> str:
    return public_page.language_of(request.GET.get("lang") or translation.get_language())


def _context(language: str) -> dict:
    return {
        "company_name": settings.COMPANY_NAME,
        "language": language,
        "entries": public_page.entries(language),
        "feeds": public_page.feed_urls(language),
        "other_languages": [(code, public_page.page_url(code)) for code in public_page.LANGUAGES if code != language],
    }


@require_GET
def public_improvements(request):
    language = _language(request)
    with translation.override(language):
        return render(request, "followups/public/improvements.html", _context(language))


@xframe_options_exempt  # made to be shown inside the company's own website
@require_GET
def public_improvements_embed(request):
    language = _language(request)
    with translation.override(language):
        return render(request, "followups/public/improvements_embed.html", _context(language))


@require_GET
def public_improvements_rss(request):
    language = _language(request)
    with translation.override(language):
        return feeds.ImprovementsRss()(request)


@require_GET
def public_improvements_atom(request):
    language = _language(request)
    with translation.override(language):
        return feeds.ImprovementsAtom()(request)
