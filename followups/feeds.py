"""RSS and Atom feeds of the public "you said, we did" page (django.contrib.syndication): the same
published, shipped improvements, in the language asked for (?lang=nl; English otherwise)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from followups import public_page


class ImprovementsRss(Feed):
    def get_object(self, request):
        return public_page.language_of(request.GET.get("lang"))

    def title(self, language):
        with translation.override(language):
            return _("%(company)s: you said, we did") % {"company": settings.COMPANY_NAME}

    def link(self, language):
        return public_page.page_url(language)

    def description(self, language):
        with translation.override(language):
            return _("What we changed because our customers asked for it.")

    def items(self, language):
        return public_page.entries(language)

    def item_title(self, item):
        return item["title"]

    def item_description(self, item):
        return item["description"]

    def item_link(self, item):
        return item["url"]

    def item_guid(self, item):
        return f"{public_page.page_url('en')}#improvement-{item['pk']}"

    def item_pubdate(self, item):
        return item["shipped_at"]

    def item_updateddate(self, item):
        return item["shipped_at"]


class ImprovementsAtom(ImprovementsRss):
    feed_type = Atom1Feed
    subtitle = ImprovementsRss.description
