"""The migration to review sites (#30.9, surveys 0018): each campaign's one promoter link, with its
label and the label's translations, becomes its first review site; the other texts stay."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("surveys", "0017_employee_nps")]
AFTER = [("surveys", "0018_review_sites")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_promoter_link_becomes_the_campaigns_first_review_site():
    old = _migrate(BEFORE)
    Campaign = old.get_model("surveys", "Campaign")
    linked = Campaign.objects.create(
        name="Linked",
        promoter_link="https://www.trustpilot.com/evaluate/acme.example",
        promoter_link_label="Tell the world",
        translations={"nl": {"promoter_link_label": "Vertel het de wereld", "why_question": "Waarom?"}},
    )
    plain = Campaign.objects.create(name="Plain", translations={"nl": {"promoter_link_label": ""}})
    try:
        new = _migrate(AFTER)
        ReviewSite = new.get_model("surveys", "ReviewSite")
        site = ReviewSite.objects.get()
        assert (site.campaign_id, site.order, site.name, site.url, site.label, site.language, site.segment) == (
            linked.pk,
            1,
            "Trustpilot",
            "https://www.trustpilot.com/evaluate/acme.example",
            "Tell the world",
            "",
            {},
        )
        assert site.translations == {"nl": {"label": "Vertel het de wereld"}}
        Campaign = new.get_model("surveys", "Campaign")
        assert Campaign.objects.get(pk=linked.pk).translations == {"nl": {"why_question": "Waarom?"}}
        assert Campaign.objects.get(pk=plain.pk).translations == {}
        assert not ReviewSite.objects.filter(campaign_id=plain.pk).exists()

        back = _migrate(BEFORE)  # and back again
        Campaign = back.get_model("surveys", "Campaign")
        restored = Campaign.objects.get(pk=linked.pk)
        assert (restored.promoter_link, restored.promoter_link_label) == (site.url, "Tell the world")
        assert restored.translations["nl"]["promoter_link_label"] == "Vertel het de wereld"
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
