"""What customers read of an improvement, in their language: its title and its "what changed" text,
each kept in English and Dutch (`title` and `title_nl`, `description_en` and `description_nl`).

The rule is core.i18n.in_language, the one surveys.wording follows for a campaign's texts: the
text in the reader's language, else (an improvement has no language of its own) the other
language's. So a Dutch customer reads the Dutch title and text an admin wrote, and an English one
the Dutch text when no English was written. The "you said, we did" e-mail and its preview
(followups.notices), the public page and its feeds (followups.public_page) read them here.
"""

from core.i18n import in_language

# The fields holding each text, by language.
FIELDS = {
    "title": {"en": "title", "nl": "title_nl"},
    "description": {"en": "description_en", "nl": "description_nl"},
}


def text_in(improvement, text: str, language: str | None = None) -> str:
    """The improvement's `text` ("title" or "description") as a reader of `language` reads it."""
    return in_language({code: getattr(improvement, field) for code, field in FIELDS[text].items()}, language)


def customer_texts(improvement, language: str | None = None) -> dict[str, str]:
    """{"title": …, "description": …} in `language` (default: the active one)."""
    return {text: text_in(improvement, text, language) for text in FIELDS}
