"""Demo data: a company with a year of NPS history worth looking at.

Deterministic (seeded random), idempotent (a second run with the same data present does nothing),
and bulk-inserted so the benchmark can ask for a much larger `responses` count. The parts: the
people (demo.people), the survey set-up (demo.campaigns), the answers (demo.answers) and the closed
loop (demo.cases); texts in demo.text.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from demo.accounts import make_accounts
from demo.answers import response_chunk
from demo.campaigns import MARKER_CAMPAIGN, make_campaigns, reference_data
from demo.cases import make_cases, make_improvements, routing_rules
from demo.people import make_contacts, make_users
from demo.replies import make_reply_templates
from followups import suggestions
from followups.models import FollowUp
from surveys.models import Campaign, Contact, Response, SendWave, Touchpoint
from themes import assign, discovery


@dataclass
class DemoResult:
    created: bool
    contacts: int = 0
    responses: int = 0
    followups: int = 0


def seed_demo(
    *, responses: int = 5000, contacts: int = 500, seed: int = 42, followups: bool = True, stdout=None
) -> DemoResult:
    """Create the demo company. Returns created=False when the demo data is already there."""
    if Campaign.objects.filter(name=MARKER_CAMPAIGN).exists() and Response.objects.exists():
        return DemoResult(
            created=False,
            contacts=Contact.objects.count(),
            responses=Response.objects.count(),
            followups=FollowUp.objects.count(),
        )
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        reference_data()
        people = make_users()
        touchpoints = {t.slug: t for t in Touchpoint.objects.all()}
        campaigns = make_campaigns(people, touchpoints)
        all_contacts = make_contacts(rng, contacts, people)
        questions = {key: list(c.questions.all()) for key, c in campaigns.items()}
        waves = {
            key: SendWave.objects.get_or_create(
                campaign=c,
                number=1,
                defaults={
                    "scheduled_for": now - timedelta(days=365),
                    "started_at": now - timedelta(days=365),
                    "finished_at": now - timedelta(days=364),
                },
            )[0]
            for key, c in campaigns.items()
        }
        routing_rules(people, campaigns)
        make_reply_templates()

    weights = [("relational", 0.4), ("support", 0.4), ("onboarding", 0.2)]
    made = 0
    chunk = 5000
    while made < responses:
        size = min(chunk, responses - made)
        with transaction.atomic():
            response_chunk(rng, size, now, campaigns, waves, questions, all_contacts, weights)
        made += size
        if stdout and responses > 20000:
            stdout.write(f"  {made:,} responses")
    created_followups = 0
    if followups:
        with transaction.atomic():
            created_followups = make_cases(rng, now, people)
            make_improvements(rng, now, people)
    with transaction.atomic():
        make_accounts(rng, people)
    # What the nightly tasks would have left: every comment's language and themes, the proposed
    # themes, and the root-cause suggestions learned from the demo's tagged cases.
    assign.analyse_pending()
    discovery.discover()
    suggestions.retrain()
    return DemoResult(created=True, contacts=len(all_contacts), responses=made, followups=created_followups)
