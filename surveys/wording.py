"""What respondents read: the campaign's own wording, or a translated default, with {company} filled in."""

from django.conf import settings
from django.utils.translation import gettext as _

from surveys.models import Campaign


def _fill(text: str) -> str:
    return text.replace("{company}", settings.COMPANY_NAME)


def nps_question(campaign: Campaign) -> str:
    return _fill(
        campaign.question or _("How likely is it that you would recommend {company} to a friend or colleague?")
    )


def why_question(campaign: Campaign) -> str:
    return _fill(campaign.why_question or _("What is the most important reason for your score?"))


def email_subject(campaign: Campaign) -> str:
    return _fill(campaign.email_subject or _("How are we doing? One quick question from {company}"))


def email_intro(campaign: Campaign) -> str:
    return _fill(campaign.email_intro or _("We would love to hear how we are doing. It takes one click."))


def thanks_text(campaign: Campaign, category: str) -> str:
    own = {
        "promoter": campaign.thanks_promoter,
        "passive": campaign.thanks_passive,
        "detractor": campaign.thanks_detractor,
    }.get(category, "")
    if own:
        return _fill(own)
    defaults = {
        "promoter": _("Thank you! We are delighted you would recommend us."),
        "passive": _("Thank you for your feedback. We are working to earn a higher score from you."),
        "detractor": _(
            "Thank you for being honest with us. Someone from our team will contact you to make this right."
        ),
    }
    return defaults[category]


# Whose language a respondent reads, in order: the contact's own, else the campaign's; the first
# one Kringloop speaks wins, else the site's default. The one statement that stores a first answer
# (surveys.responses._FirstAnswer) builds its SQL CASE from this same list.
LANGUAGE_SOURCES = ("contact", "campaign")


def spoken(code: str | None) -> str | None:
    """`code` when Kringloop speaks it (settings.LANGUAGES), else None."""
    return code if code in language_codes() else None


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def respondent_language(campaign: Campaign, contact=None) -> str:
    """The language a respondent reads and answers in (LANGUAGE_SOURCES)."""
    records = {"contact": contact, "campaign": campaign}
    for source in LANGUAGE_SOURCES:
        record = records[source]
        if record is not None and spoken(record.language):
            return record.language
    return settings.LANGUAGE_CODE
