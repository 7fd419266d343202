"""What respondents read, in the language they read (the active one, see respondent_language).

The one rule for every text of a campaign, a driver question, a touchpoint or a root cause
(core.i18n.in_language, which improvements' texts follow too): the record's translation into that
language (its `translations` field) when it has one; else the record's own text, written in the
campaign's language; else, for a text left empty, Kringloop's default, translated. {company} is
filled in. `missing_translations` lists what a campaign lacks.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.i18n import in_language
from surveys.models import Campaign, Question

# The texts a respondent reads, with the builder's names for them.
CAMPAIGN_TEXTS = {
    "email_subject": gettext_lazy("E-mail subject"),
    "email_intro": gettext_lazy("E-mail introduction"),
    "question": gettext_lazy("NPS question"),
    "scale_low": gettext_lazy("Label of 0"),
    "scale_high": gettext_lazy("Label of 10"),
    "why_question": gettext_lazy("“Why” question"),
    "why_detractor": gettext_lazy("“Why” question for detractors (0–6)"),
    "why_passive": gettext_lazy("“Why” question for passives (7–8)"),
    "why_promoter": gettext_lazy("“Why” question for promoters (9–10)"),
    "thanks_promoter": gettext_lazy("Thank-you text for promoters (9–10)"),
    "thanks_passive": gettext_lazy("Thank-you text for passives (7–8)"),
    "thanks_detractor": gettext_lazy("Thank-you text for detractors (0–6)"),
}
QUESTION_TEXTS = {
    "text": gettext_lazy("question"),
    "choices": gettext_lazy("choices"),
    "scale_low": gettext_lazy("label of the lowest number"),
    "scale_high": gettext_lazy("label of the highest number"),
}


def translated(record, field: str, language: str | None = None):
    """`record.<field>` as read in `language` (default: the active one): its translation, else its
    own (core.i18n.in_language)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    own = getattr(record, field)
    if language == getattr(record, "language", None):  # a campaign's own texts are in its language
        return own
    texts = {
        code: values.get(field) for code, values in (record.translations or {}).items() if isinstance(values, dict)
    }
    if field == "choices" and own:  # each choice on its own: a missing one is the campaign's own
        given = list(texts.get(language) or [])
        return [
            in_language({language: given[i] if i < len(given) else ""}, language, own=choice)
            for i, choice in enumerate(own)
        ]
    return in_language(texts, language, own=own)


def translations_for(record, fields, languages) -> dict:
    """A record's translations as stored: only these fields and languages, empty ones left out."""
    result = {}
    for language in languages:
        texts = {}
        for field in fields:
            value = ((record.get(language) or {}) if isinstance(record, dict) else {}).get(field)
            if isinstance(value, list):
                value = [str(v).strip() for v in value]
                if any(value):
                    texts[field] = value
            elif value and str(value).strip():
                texts[field] = str(value).strip()
        if texts:
            result[language] = texts
    return result


def other_languages(campaign: Campaign) -> list[str]:
    """The languages a campaign's texts can be translated into: every one but its own."""
    return [code for code in language_codes() if code != campaign.language]


def missing_translations(campaign: Campaign, questions=None) -> dict[str, list[str]]:
    """{language: [the texts a respondent in it would read in the campaign's language instead]}.
    A text left empty is not missing: Kringloop's translated default is used."""
    questions = list(campaign.questions.all()) if questions is None else questions
    missing = {}
    for language in other_languages(campaign):
        names = []
        texts = campaign.translations.get(language) or {}
        for field, label in CAMPAIGN_TEXTS.items():
            if getattr(campaign, field) and not texts.get(field):
                names.append(str(label))
        for number, question in enumerate(questions, start=1):
            texts = question.translations.get(language) or {}
            for field, label in QUESTION_TEXTS.items():
                own = getattr(question, field)
                if field == "choices":
                    given = texts.get("choices") or []
                    complete = len(given) >= len(own) and all(given[: len(own)])
                    if own and question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and not complete:
                        names.append(_("question %(number)s: %(what)s") % {"number": number, "what": label})
                elif own and not texts.get(field):
                    names.append(_("question %(number)s: %(what)s") % {"number": number, "what": label})
        if names:
            missing[language] = names
    return missing


def missing_by_language_name(campaign: Campaign) -> list[tuple[str, list[str]]]:
    """missing_translations for the builder and the preview: (language name, texts), in the reader's language."""
    return [
        (translation.get_language_info(code)["name_translated"], texts)
        for code, texts in missing_translations(campaign).items()
    ]


def _fill(text: str) -> str:
    return text.replace("{company}", settings.COMPANY_NAME)


def nps_question(campaign: Campaign) -> str:
    if campaign.kind == Campaign.Kind.EMPLOYEE:
        default = _("How likely are you to recommend working at {company} to a friend or acquaintance?")
    else:
        default = _("How likely is it that you would recommend {company} to a friend or colleague?")
    return _fill(translated(campaign, "question") or default)


def scale_ends(campaign: Campaign) -> tuple[str, str]:
    """The words for 0 and for 10 on the NPS scale."""
    return (
        translated(campaign, "scale_low") or _("Not at all likely"),
        translated(campaign, "scale_high") or _("Extremely likely"),
    )


def question_scale_ends(question: Question) -> tuple[str, str]:
    """The words for the lowest and highest number of a satisfaction or effort question."""
    if question.kind == Question.Kind.EFFORT:
        defaults = (_("Very difficult"), _("Very easy"))
    else:
        defaults = (_("Very dissatisfied"), _("Very satisfied"))
    return translated(question, "scale_low") or defaults[0], translated(question, "scale_high") or defaults[1]


def review_site_label(site) -> str:
    """A review site's button: its text in the reader's language, else "Review us on <site>"."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    # Not translated(): a site's `language` says who sees it, not what language its own text is in.
    label = ((site.translations or {}).get(language) or {}).get("label") or site.label
    return _fill(label or _("Review us on %(site)s") % {"site": site.name})


def why_question(campaign: Campaign, category: str = "") -> str:
    """The "why" asked after the score: the category's own question when the campaign has one
    (in the reader's language), else the campaign's general one, else the default."""
    own = translated(campaign, f"why_{category}") if category in ("detractor", "passive", "promoter") else ""
    return _fill(own or translated(campaign, "why_question") or _("What is the most important reason for your score?"))


def email_subject(campaign: Campaign) -> str:
    return _fill(translated(campaign, "email_subject") or _("How are we doing? One quick question from {company}"))


def email_intro(campaign: Campaign) -> str:
    return _fill(
        translated(campaign, "email_intro") or _("We would love to hear how we are doing. It takes one click.")
    )


def thanks_text(campaign: Campaign, category: str) -> str:
    field = {"promoter": "thanks_promoter", "passive": "thanks_passive", "detractor": "thanks_detractor"}.get(category)
    own = translated(campaign, field) if field else ""
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
# (surveys.responses._OneStatement) builds its SQL CASE from this same list.
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
