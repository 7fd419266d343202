"""The theme report (#23.1): counts and shares per theme under the dashboard's filters, NPS impact
against a hand computation, trend, praise and complaints by theme, and a theme's comments linked
to an improvement in one step."""

import math

import pytest
from django.urls import reverse

from followups.models import Improvement, ImprovementLink
from scoring.filters import parse_filters
from scoring.nps import nps_from_counts
from scoring.theme_report import impact, theme_report
from tests.factories import CampaignFactory, ResponseFactory, TeamFactory
from themes import assign
from themes.models import Theme


def _answers(campaign, scores, comment=""):
    return [ResponseFactory(campaign=campaign, score=s, comment=comment) for s in scores]


@pytest.fixture
def world(db):
    """20 answers: 6 name billing (4 detractors, 1 passive, 1 promoter), 4 praise the staff (promoters),
    10 without a comment (3 detractors, 3 passives, 4 promoters)."""
    campaign = CampaignFactory()
    billing = _answers(campaign, [2, 4, 5, 6, 8, 9], "De factuur klopte weer niet.")
    staff = _answers(campaign, [9, 10, 10, 9], "Very helpful staff, thank you!")
    rest = _answers(campaign, [1, 3, 6, 7, 7, 8, 9, 9, 10, 10])
    assign.analyse_responses(response_ids=[r.pk for r in billing + staff])
    return {"campaign": campaign, "billing": billing, "staff": staff, "rest": rest}


def test_nps_impact_matches_a_hand_computation(world):
    report = theme_report(parse_filters({}, teams=None))
    overall = report["overall"]
    assert (overall.promoters, overall.passives, overall.detractors) == (9, 4, 7)
    row = next(r for r in report["themes"] if r["theme"].name == "Billing")
    assert (row["result"].promoters, row["result"].passives, row["result"].detractors) == (1, 1, 4)
    # By hand: NPS of all = (9 - 7) / 20 = +10. The rest: 8 promoters, 3 passives, 3 detractors of
    # 14 = +35.71. Had billing's 6 answers scored like the rest, NPS would be +35.71: a gain of 25.71.
    assert row["impact"]["points"] == pytest.approx(250 / 7 - 10)
    p_t, d_t, p_r, d_r = 1 / 6, 4 / 6, 8 / 14, 3 / 14
    var = (p_t + d_t - (p_t - d_t) ** 2) / 6 + (p_r + d_r - (p_r - d_r) ** 2) / 14
    assert row["impact"]["margin"] == pytest.approx(1.96 * (6 / 20) * math.sqrt(var) * 100)
    assert row["share"] == pytest.approx(6 / 20)
    assert row["shares"] == pytest.approx({"detractors": 4 / 7, "passives": 1 / 4, "promoters": 1 / 9})
    staff = next(r for r in report["themes"] if r["theme"].name == "Staff and service")
    assert staff["impact"]["points"] < 0  # praised: the score would drop without it


def test_impact_without_answers_is_unknown():
    empty = nps_from_counts(promoters=0, passives=0, detractors=0)
    some = nps_from_counts(promoters=3, passives=1, detractors=1)
    assert impact(empty, some)["points"] is None
    assert impact(some, some)["points"] is None  # no rest to compare with


def test_the_report_follows_the_filters_and_a_changed_score(world, admin):
    other = CampaignFactory(team=TeamFactory(name="Elsewhere"))
    assign.analyse_responses(response_ids=[r.pk for r in _answers(other, [0, 0], "Invoice wrong again")])
    assert next(r for r in theme_report(parse_filters({}))["themes"] if r["theme"].name == "Billing")["result"].n == 8
    only = parse_filters({"campaign": str(world["campaign"].pk)})
    assert next(r for r in theme_report(only)["themes"] if r["theme"].name == "Billing")["result"].n == 6
    answer = world["billing"][0]
    answer.score, answer.category = 10, "promoter"
    answer.save()
    assign.analyse_pending()
    row = next(r for r in theme_report(only)["themes"] if r["theme"].name == "Billing")
    assert (row["result"].promoters, row["result"].detractors) == (2, 3)


def test_a_segment_filter_counts_the_assignments_themselves(world):
    """Under a segment filter no rollup applies: the report counts the stored assignments, and
    gives what the rollup gives when the segment holds everyone."""

    def billing(params):
        report = theme_report(parse_filters(params))
        return next(((r["result"].n, r["trend"]) for r in report["themes"] if r["theme"].name == "Billing"), None)

    assert billing({"segment": "plan=pro"}) == billing({}) == (6, billing({})[1])
    contact = world["billing"][0].contact
    contact.attributes = {"plan": "free"}
    contact.save()
    assert billing({"segment": "plan=free"})[0] == 1
    assert billing({"segment": "plan=enterprise"}) is None


def test_the_theme_page_shows_figures_and_by_category(world, admin, viewer, client):
    client.force_login(admin)
    page = client.get(reverse("scoring:theme_report")).content.decode()
    assert "Billing" in page and "+25.7" in page and "±" in page  # the impact, to one decimal, and its margin
    assert "praise-by-theme" in page and "complaints-by-theme" in page
    assert f"theme={Theme.objects.get(name='Billing').pk}" in page
    client.force_login(viewer)
    page = client.get(reverse("scoring:theme_report")).content.decode()
    assert "Billing" in page and "theme=" not in page  # figures only: no way to the comments


def test_a_themes_comments_link_to_an_improvement_in_one_step(world, admin, client):
    improvement = Improvement.objects.create(title="Clearer invoices", status=Improvement.Status.PLANNED)
    billing = Theme.objects.get(name="Billing")
    client.force_login(admin)
    page = client.get(reverse("scoring:comment_list"), {"theme": billing.pk})
    html = page.content.decode()
    assert html.count("De factuur klopte") == 6 and "Very helpful staff" not in html
    assert 'id="link-theme"' in html
    client.post(
        reverse("followups:comments_link_improvement"),
        {"improvement": improvement.pk, "responses": page.context["theme_ids"], "next": "/"},
    )
    assert set(ImprovementLink.objects.values_list("response_id", flat=True)) == {r.pk for r in world["billing"]}
