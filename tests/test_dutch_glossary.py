"""Dutch that reads as if written in Dutch (#28): no translation uses a term or anglicism the glossary
(locale/nl/glossary.toml) rejects, the customer-facing phrases read as a Dutch CX manager would write
them, and `make messages` (locale/fill.py) warns about a new translation that breaks the glossary."""

import importlib.util
import tomllib
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

LOCALE = Path(__file__).resolve().parents[1] / "locale"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"kringloop_locale_{name}", LOCALE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


glossary = _load("glossary")


@pytest.fixture
def fill(monkeypatch):
    monkeypatch.syspath_prepend(str(LOCALE))  # fill.py imports glossary from beside itself
    return _load("fill")


def test_no_dutch_translation_uses_a_rejected_term():
    found = glossary.check(glossary.catalogue(glossary.PO.read_text(encoding="utf-8")), glossary.rules())
    assert [str(v) for v in found] == []


def test_no_pending_translation_uses_a_rejected_term():
    """A pending-*.json value would come back into the catalogue when django.po is regenerated."""
    entries = ((f"{name}: {msgid}", values) for name, msgid, values in glossary.pending())
    assert [str(v) for v in glossary.check(entries, glossary.rules())] == []


# The "now" column of #28, and the other carried-over phrases the glossary rejects: each is caught.
REJECTED = [
    "U zei het, wij deden het: Snellere levering",
    "Ingelicht: echt verstuurde “u zei, wij deden”-e-mails.",
    "Hoe doen we het? Eén korte vraag van Acme",
    "We horen graag hoe we het doen. Het kost maar één klik.",
    "Iemand van ons team neemt contact met u op om dit recht te zetten.",
    "Bedankt dat u wilde antwoorden. Deze enquête neemt geen antwoorden meer aan.",
    "Een paar dagen geleden stelden we u één vraag.",
    "U vertelde ons:",
    "Een klant wil teruggebeld worden.",
    "Kijker",
    "activeer hem voordat je er enquêtes mee start",
    "Vraag een beheerder u er een te geven.",
    "NPS door de tijd",
    "Kringloop testmail",
    "Externe id",
    "Bezorg-id",
    "Er is een opvolgzaak geopend",
    "de notities bij de opvolgingszaken",
    "Case geopend voor",
    "Follow-up #12",
    "Een verbetering is uitgebracht",
    "De accounteigenaar van het contact",
    "Accountbeheerder",
    "Vragen over drijfveren",
    "drijfveervraag",
    "antwoorden_drivers",
    "Regel “Alles” verwijderd.",
    "Gebounced",
    "berichten in de outbox",
]

# The "better" column of #28 and the terms it keeps: never flagged.
ACCEPTED = [
    "Dankzij uw feedback: Snellere levering",
    "Wat vindt u van ons? Eén korte vraag van {company}",
    "We horen graag wat u van ons vindt. Het kost u maar één klik.",
    "Iemand van ons team neemt contact met u op om dit goed te maken.",
    "Bedankt voor uw bereidheid. Deze enquête is gesloten.",
    "Een paar dagen geleden hebben we u één vraag gesteld.",
    "U schreef ons:",
    "Deze klant moet worden teruggebeld.",
    "Lezer",
    "activeer hem voordat u er enquêtes mee start",
    "Vraag een beheerder om u een rol toe te wijzen.",
    "NPS-verloop",
    "Kringloop-testmail",
    "Externe ID",
    "externe ID ‘%(id)s’ hoort bij een ander contact",
    "Zaak #%(pk)s is nu van u.",
    "Deadlines voor opvolging",
    "Stand van de opvolging",
    "Een verbetering is opgeleverd",
    "De accountmanager van het contact",
    "factor",
    "Verdiepingsvragen",
    "antwoorden_verdiepingsvragen",
    "Regel ‘Alles’ verwijderd.",
    "Contactmoment ‘Levering’: promotor, passief, criticaster, respondent",
    "Onbestelbaar sinds 3 maart",
    "berichten in postvak uit",
    "Het rechtzetten van een fout in de import.",
    "Gebruik de header <code>Authorization: Bearer id</code>.",
    "Houd het ‘kort’; medewerkers en beheerders zien het.",
]


@pytest.mark.parametrize("text", REJECTED)
def test_the_glossary_rejects_each_listed_anglicism(text):
    assert glossary.violations("x", text, glossary.rules()), text


@pytest.mark.parametrize("text", ACCEPTED)
def test_the_glossary_leaves_correct_dutch_alone(text):
    assert [str(v) for v in glossary.violations("x", text, glossary.rules())] == []


def test_the_glossary_file_names_the_chosen_terms():
    terms = tomllib.loads((LOCALE / "nl" / "glossary.toml").read_text(encoding="utf-8"))["term"]
    chosen = " | ".join(t["dutch"] for t in terms)
    rejected = {r for t in terms for r in t["rejected"]}
    for word in ("zaak", "opleveren", "accountmanager", "factor", "verdiepingsvraag", "‘…’", "Dankzij uw feedback"):
        assert word in chosen
    for word in ("opvolgzaak", "uitbrengen", "accountbeheerder", "accounteigenaar", "drijfveer", "“…”", "Kijker"):
        assert word in rejected


def test_customers_read_dutch_that_was_written_in_dutch():
    with translation.override("nl"):
        assert gettext("You said, we did: %(title)s") == "Dankzij uw feedback: %(title)s"
        assert gettext("You said, we did") == "Dankzij uw feedback"
        assert gettext("How are we doing? One quick question from {company}") == (
            "Wat vindt u van ons? Eén korte vraag van {company}"
        )
        assert gettext("We would love to hear how we are doing. It takes one click.") == (
            "We horen graag wat u van ons vindt. Het kost u maar één klik."
        )
        assert gettext(
            "Thank you for being honest with us. Someone from our team will contact you to make this right."
        ).endswith("om dit goed te maken.")
        assert gettext("Thank you for wanting to answer. This survey no longer accepts answers.") == (
            "Bedankt voor uw bereidheid. Deze enquête is gesloten."
        )
        assert gettext("A few days ago we asked you one question. We would still love to hear from you.").startswith(
            "Een paar dagen geleden hebben we u één vraag gesteld."
        )
        assert gettext("You told us:") == "U schreef ons:"


def test_staff_read_one_term_per_concept():
    with translation.override("nl"):
        assert gettext("A customer needs a call back.") == "Deze klant moet worden teruggebeld."
        assert gettext("Viewer") == "Lezer"
        assert gettext("Your account has no role yet. Ask an administrator to give you one.").endswith(
            "Vraag een beheerder om u een rol toe te wijzen."
        )
        assert gettext("NPS over time") == "NPS-verloop"
        assert gettext("Kringloop test e-mail") == "Kringloop-testmail"
        assert gettext("External id") == "Externe ID"
        assert gettext("Case #%(pk)s") == "Zaak #%(pk)s" and gettext("My follow-ups") == "Mijn zaken"
        assert gettext("An improvement was shipped") == "Een verbetering is opgeleverd"
        assert gettext("Account owner") == "Accountmanager"
        assert gettext("driver") == "factor" and gettext("Driver questions") == "Verdiepingsvragen"
        assert pgettext("export column", "driver_answers") == "antwoorden_verdiepingsvragen"
        assert ngettext("%(counter)s overdue follow-up needs you", "x", 2) == "%(counter)s te late zaken wachten op u"


def test_fill_warns_when_a_new_translation_uses_a_rejected_term(fill):
    catalogue = (
        'msgid ""\nmsgstr ""\n"Language: nl\\n"\n\n'
        'msgid "You said, we did"\nmsgstr ""\n\n'
        'msgid "Viewer"\nmsgstr ""\n\n'
        'msgid "%(n)s case"\nmsgid_plural "%(n)s cases"\nmsgstr[0] ""\nmsgstr[1] ""\n'
    )
    pending = {
        "You said, we did": "U zei het, wij deden het",
        "Viewer": "Lezer",
        "%(n)s case": ["%(n)s zaak", "%(n)s cases"],
    }
    text, missing, filled = fill.fill(catalogue, pending)
    assert missing == [] and 'msgstr "Lezer"' in text
    warnings = fill.glossary_warnings(filled, text)
    assert len(warnings) == 2, warnings
    assert "'You said, we did'" in warnings[0] and "Dankzij uw feedback" in warnings[0]
    assert "'%(n)s case'" in warnings[1] and "'cases'" in warnings[1]


def test_fill_counts_older_rejected_terms_without_listing_them(fill):
    catalogue = 'msgid "Viewer"\nmsgstr "Kijker"\n\nmsgid "Save"\nmsgstr ""\n'
    text, _, filled = fill.fill(catalogue, {"Save": "Opslaan"})
    assert fill.glossary_warnings(filled, text) == [
        "warning: glossary: 1 older text(s) in django.po use rejected terms; see tests/test_dutch_glossary.py"
    ]


def test_quoted_customer_words_take_dutch_quotation_marks():
    """What a customer wrote is quoted as ‘…’ in Dutch and as “…” in English (one translatable
    quotation, used by this e-mail, the digest and the dashboard's comments); the quote is escaped."""
    from django.template.loader import render_to_string

    context = {"contact": {"name": "Anna"}, "quote": "Te <traag>", "description": "Sneller.", "company": "Acme"}
    with translation.override("nl"):
        html = render_to_string("emails/improvement_notice_body.html", context)
    assert "‘Te &lt;traag&gt;’" in html and "U schreef ons:" in html and "Nogmaals bedankt voor uw feedback," in html
    assert "“" not in html
    with translation.override("en"):
        assert "“Te &lt;traag&gt;”" in render_to_string("emails/improvement_notice_body.html", context)
