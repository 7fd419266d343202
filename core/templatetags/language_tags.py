"""`{{ code|language_label }}`: a language's name in the reader's language ("Engels" for a Dutch reader)."""

from django import template
from django.utils.translation import get_language_info

register = template.Library()


@register.filter
def language_label(code: str) -> str:
    # Django's own |language_name_translated raises on an empty or unknown code.
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:  # an empty or unknown code is shown as it is
        return code or "—"
