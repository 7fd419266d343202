"""Themes in comments (#23.1): language per comment, seeded themes matched through inflections,
compounds and past participles, assignments stored by the worker and kept current, discovery of
a planted theme, and the admins' theme pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.processing import ANALYSE_TASK, response_process
from surveys.models import Response
from tests.factories import CampaignFactory, ResponseFactory
from tests.helpers import empty_broker, published_tasks
from themes import assign, discovery, services, text
from themes.matching import Matcher
from themes.models import CommentAnalysis, CommentTheme, Theme, ThemeDay, ThemeProposal, ThemeRules

WAITING = {"nl": ["wachten"], "en": ["wait"]}


def _matches(phrases: dict, comment: str, language: str) -> bool:
    return bool(Matcher([(1, phrases)]).themes_for(comment, language))


@pytest.mark.parametrize(
    "comment",
    [
        "Ik heb bijna een uur gewacht voordat iemand opnam.",
        "De wachttijd aan de telefoon was echt belachelijk.",
        "Wachttijden zijn veel te lang, verder prima.",
        "We moesten weer eindeloos wachten op een monteur.",
        "Ik wacht nog steeds op antwoord.",
    ],
)
def test_a_dutch_theme_matches_inflections_compounds_and_past_participles(comment):
    assert _matches(WAITING, comment, "nl")


@pytest.mark.parametrize(
    ("comment", "theme"),
    [
        ("De app crasht bij elke upload.", "Reliability"),
        ("Het systeem is gisteren weer gecrasht.", "Reliability"),
        ("De verbinding stoort de hele dag.", "Reliability"),
        ("Hij betaalt elke maand te veel.", "Billing"),
    ],
)
def test_a_dutch_verb_with_its_t_names_the_theme_of_its_stem(db, comment, theme):
    """Snowball keeps the -t of the present tense ("crasht"), where the phrase ("crash", "storing",
    "betaling") stems without it."""
    matcher = assign.matcher(assign.rules().version)
    assert Theme.objects.get(name=theme).pk in matcher.themes_for(comment, "nl")


@pytest.mark.parametrize(
    "comment",
    [
        "Het product overtrof mijn verwachting.",  # ver- + wacht is another word
        "Onverwacht snel geholpen, top!",
        "Prima service, niets op aan te merken.",
    ],
)
def test_a_dutch_theme_does_not_match_words_that_merely_contain_it(comment):
    assert not _matches(WAITING, comment, "nl")


@pytest.mark.parametrize(
    "comment",
    ["I was waiting for weeks.", "We waited two hours on the phone.", "Long waits every time I call."],
)
def test_an_english_theme_matches_inflections(comment):
    assert _matches(WAITING, comment, "en")


def test_a_phrase_needs_all_its_words_in_any_order():
    phrases = {"en": ["customer service"], "nl": ["lange levertijd"]}
    assert _matches(phrases, "The service for customers was poor", "en")
    assert not _matches(phrases, "Great service", "en")
    assert _matches(phrases, "De levertijd was erg lang", "nl")


def test_the_starter_themes_find_realistic_comments(db):
    matcher = assign.matcher(assign.rules().version)
    names = {t.pk: t.name for t in Theme.objects.all()}

    def themes(comment, language):
        return {names[pk] for pk in matcher.themes_for(comment, language)}

    assert themes("De factuur klopte weer niet en de klantenservice reageerde traag.", "nl") == {
        "Billing",
        "Staff and service",
        "Waiting time",
    }
    assert themes("Way too expensive for what you get, and the invoices are confusing.", "en") == {
        "Price",
        "Billing",
        "Ease of use",
    }
    assert themes("Het pakket werd keurig op tijd bezorgd.", "nl") == {"Delivery"}


@pytest.mark.parametrize(
    ("comment", "answered_in", "expected"),
    [
        ("De monteur kwam niet opdagen en niemand belde terug.", "en", "nl"),
        ("The engineer never showed up and nobody called back.", "nl", "en"),
        ("Snel en vriendelijk geholpen", "en", "nl"),
        ("ok", "nl", "nl"),  # too short to tell: the language it was answered in
        ("prima", "nl", "nl"),
        ("", "de", "en"),
    ],
)
def test_each_comment_gets_its_own_language(comment, answered_in, expected):
    assert text.detect_language(comment, answered_in) == expected


# --- Stored by the worker ----------------------------------------------------------------------
def _themes_of(response) -> set[str]:
    ids = CommentTheme.objects.filter(response=response).values_list("theme_id", flat=True)
    return set(Theme.objects.filter(pk__in=ids).values_list("name", flat=True))


def test_processing_an_answer_with_a_comment_queues_its_themes(db, django_capture_on_commit_callbacks):
    empty_broker()
    commented = ResponseFactory(score=4, comment="Veel te lang moeten wachten op de monteur.", language="nl")
    silent = ResponseFactory(score=9)
    with django_capture_on_commit_callbacks(execute=True):
        response_process(response_id=commented.pk)
        response_process(response_id=silent.pk)
    assert published_tasks(ANALYSE_TASK) == [(ANALYSE_TASK, [[commented.pk]])]
    assign.analyse_responses(response_ids=[commented.pk])
    assert _themes_of(commented) == {"Waiting time"}
    row = CommentTheme.objects.get(response=commented)
    assert (row.category, row.kind, row.campaign_id) == ("detractor", commented.kind, commented.campaign_id)
    assert CommentAnalysis.objects.get(pk=commented.pk).language == "nl"
    empty_broker()


def test_a_changed_answer_is_read_again_and_a_removed_comment_forgets_its_themes(db):
    response = ResponseFactory(score=5, comment="The invoice was wrong twice.")
    assign.analyse_responses(response_ids=[response.pk])
    assert _themes_of(response) == {"Billing"}
    assert assign.analyse_pending() == 0  # nothing changed: nothing to read
    response.score, response.category, response.comment = 9, "promoter", "Billing is clear now, and delivery was fast."
    response.save()
    assert assign.analyse_pending() == 1
    assert _themes_of(response) == {"Billing", "Delivery"}
    assert set(CommentTheme.objects.filter(response=response).values_list("category", flat=True)) == {"promoter"}
    Response.objects.filter(pk=response.pk).update(comment="")  # retention removes comments this way
    assign.analyse_pending()
    assert not CommentTheme.objects.filter(response=response).exists()
    assert not CommentAnalysis.objects.filter(pk=response.pk).exists()


def test_a_new_theme_reaches_old_comments_in_the_nightly_pass(db, admin):
    response = ResponseFactory(score=3, comment="Parkeren bij jullie vestiging is een ramp.", language="nl")
    assign.analyse_responses(response_ids=[response.pk])
    assert _themes_of(response) == set()
    version = ThemeRules.objects.get().version
    services.theme_save(actor=admin, name="Parking", names={"nl": "Parkeren"}, phrases={"nl": ["parkeren"]})
    assert ThemeRules.objects.get().version == version + 1
    assert assign.analyse_pending() == 1
    assert _themes_of(response) == {"Parking"}
    assert ThemeRules.objects.get().last_pass_count == 1


def test_reading_100_comments_in_one_batch_costs_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    campaign = CampaignFactory()
    responses = [
        ResponseFactory(campaign=campaign, score=i % 11, comment=f"Factuur {i} klopte niet") for i in range(100)
    ]
    assign.rules()
    assign.matcher(assign.rules().version)
    with django_assert_max_num_queries(12):
        assign.analyse_responses(response_ids=[r.pk for r in responses])
    assert CommentTheme.objects.count() == 100


def _rollup() -> dict:
    """ThemeDay as {(day, theme, dimensions): (promoters, passives, detractors)}, rows at zero left out."""
    rows = ThemeDay.objects.values_list(*assign.DAY_KEY, "promoters", "passives", "detractors")
    return {tuple(row[:-3]): tuple(row[-3:]) for row in rows if any(row[-3:])}


def _counted() -> dict:
    """The same, counted from the assignments one by one (no touchpoint or team: 0)."""
    found: dict = {}
    for row in CommentTheme.objects.values(*assign.DAY_KEY, "category"):
        key = tuple(row[name] or 0 if name in ("touchpoint_id", "team_id") else row[name] for name in assign.DAY_KEY)
        counts = found.setdefault(key, [0, 0, 0])
        counts[{"promoter": 0, "passive": 1, "detractor": 2}[row["category"]]] += 1
    return {key: tuple(counts) for key, counts in found.items()}


def test_the_daily_rollup_always_equals_the_assignments(db, admin):
    campaign = CampaignFactory()  # no touchpoint, no team
    yesterday = timezone.now() - timedelta(days=1)
    answers = [
        ResponseFactory(campaign=campaign, score=2, comment="De factuur klopte niet.", language="nl"),
        ResponseFactory(campaign=campaign, score=8, comment="Invoice wrong, and we waited for days."),
        ResponseFactory(campaign=campaign, score=10, comment="Friendly staff.", submitted_at=yesterday),
        ResponseFactory(score=6, comment="The invoice was late."),  # another campaign, with a team
    ]
    assign.analyse_responses(response_ids=[r.pk for r in answers])
    assert _rollup() == _counted() and sum(sum(n) for n in _rollup().values()) == 5
    assign.analyse_responses(response_ids=[r.pk for r in answers])  # read again, unchanged: counted once
    assert _rollup() == _counted() and sum(sum(n) for n in _rollup().values()) == 5
    changed = answers[0]
    changed.score, changed.category, changed.comment = 9, "promoter", "De factuur is nu duidelijk, dank jullie wel."
    changed.save()
    Response.objects.filter(pk=answers[1].pk).update(comment="")  # retention removes it
    assign.analyse_pending()
    assert _rollup() == _counted()
    key = next(k for k in _rollup() if k[1] == Theme.objects.get(name="Billing").pk and k[3] == campaign.pk)
    assert _rollup()[key] == (1, 0, 0)  # the detractor became a promoter; the passive's comment is gone
    services.theme_delete(actor=admin, theme_id=Theme.objects.get(name="Staff and service").pk)
    assert _rollup() == _counted()
    before = _rollup()
    assert assign.count_theme_days() == len(before)  # counted again whole: the same, zeros dropped
    assert _rollup() == before and ThemeDay.objects.count() == len(before)


# --- Discovery -----------------------------------------------------------------------------------
GENERIC_NL = [
    "Alles prima geregeld, dank jullie wel.",
    "Het contract was duidelijk en het team dacht goed mee.",
    "Ik ben tevreden over de samenwerking van het afgelopen jaar.",
    "Goede communicatie en afspraken worden nagekomen.",
    "De app ziet er mooi uit maar ik mis een donkere modus.",
    "Mijn accountmanager denkt echt mee met ons bedrijf.",
    "Het nieuwe portaal is een verbetering ten opzichte van vorig jaar.",
    "We gebruiken het product dagelijks met het hele team.",
]
PLANTED_NL = [
    "Parkeren bij het kantoor is onmogelijk, geen parkeerplaats te vinden.",
    "Er is nooit een parkeerplaats vrij als ik langskom.",
    "Parkeren kost een fortuin en de parkeerplaats is te klein.",
    "Bezoekers kunnen nergens parkeren, regel een parkeerplaats.",
    "Het parkeren rond jullie vestiging is een drama.",
]


def test_discovery_proposes_a_planted_theme_with_its_words_and_examples(db):
    campaign = CampaignFactory()
    long_ago = timezone.now() - timedelta(days=3)
    rows = []
    for i in range(48):
        rows.append(GENERIC_NL[i % len(GENERIC_NL)] + f" Groet, klant {i}.")
    names = ["Anna", "Bram", "Cor", "Daan", "Eva", "Fien", "Gijs", "Hanna"]
    for i in range(24):
        rows.append(PLANTED_NL[i % len(PLANTED_NL)] + f" Groet, {names[i % len(names)]}.")
    responses = [
        ResponseFactory(campaign=campaign, score=(i * 7) % 11, comment=c, language="nl", submitted_at=long_ago)
        for i, c in enumerate(rows)
    ]
    assign.analyse_responses(response_ids=[r.pk for r in responses])
    proposals = discovery.discover()
    parking = [p for p in proposals if any(term.startswith("parke") for term in p.terms[:3])]
    assert parking, [p.terms for p in proposals]
    proposal = ThemeProposal.objects.get(pk=parking[0].pk)
    assert proposal.language == "nl" and proposal.size >= 12
    assert len(proposal.examples) == 5
    examples = list(Response.objects.filter(pk__in=proposal.examples).values_list("comment", flat=True))
    assert all("parke" in comment.lower() for comment in examples)
    assert len(set(examples)) == 5  # each text once


def test_accepting_merging_and_rejecting_proposals(db, admin, client):
    def proposal(terms):
        return ThemeProposal.objects.create(language="nl", terms=terms, stems=[text.stem(t, "nl") for t in terms])

    accepted, merged, rejected = proposal(["parkeren", "parkeerplaats"]), proposal(["wifi"]), proposal(["koffie"])
    client.force_login(admin)
    page = client.get(reverse("themes:theme_list"))
    assert page.status_code == 200 and "parkeerplaats" in page.content.decode()
    client.post(reverse("themes:theme_proposal_accept", args=[accepted.pk]), {"name": "Parking", "name_nl": "Parkeren"})
    theme = Theme.objects.get(name="Parking")
    assert theme.phrases == {"nl": ["parkeren", "parkeerplaats"]} and theme.source == "discovered"
    assert str(theme.translations["nl"]["name"]) == "Parkeren"
    billing = Theme.objects.get(name="Billing")
    client.post(reverse("themes:theme_proposal_merge", args=[merged.pk]), {"theme": billing.pk})
    assert "wifi" in Theme.objects.get(pk=billing.pk).phrases["nl"]
    client.post(reverse("themes:theme_proposal_reject", args=[rejected.pk]))
    statuses = dict(ThemeProposal.objects.values_list("pk", "status"))
    assert statuses == {accepted.pk: "accepted", merged.pk: "merged", rejected.pk: "rejected"}
    # Deciding twice is refused with a message, not an error page.
    again = client.post(reverse("themes:theme_proposal_reject", args=[rejected.pk]), follow=True)
    assert again.status_code == 200 and "already decided" in again.content.decode()


def test_admins_define_a_theme_and_others_may_not(db, admin, agent, client):
    client.force_login(agent)
    assert client.get(reverse("themes:theme_list")).status_code == 403
    client.force_login(admin)
    response = client.post(
        reverse("themes:theme_create"),
        {"name": "Parking", "name_nl": "Parkeren", "phrases_nl": "parkeren, parkeerplaats", "phrases_en": "parking"},
    )
    assert response.status_code == 302
    assert Theme.objects.get(name="Parking").phrases == {"nl": ["parkeren", "parkeerplaats"], "en": ["parking"]}
    empty = client.post(
        reverse("themes:theme_create"), {"name": "Nothing", "phrases_nl": "de, het", "phrases_en": "the"}
    )
    assert empty.status_code == 400 and not Theme.objects.filter(name="Nothing").exists()
