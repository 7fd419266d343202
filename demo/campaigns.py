"""The demo's survey set-up: the reference data (touchpoints, root causes) with their Dutch names,
and the three campaigns with their questions in English and Dutch."""

from demo.text import QUESTIONS_NL, ROOT_CAUSES_NL, TOUCHPOINTS_NL, WHY_BY_CATEGORY, WHY_NL
from followups.models import RootCauseTag
from surveys.models import Campaign, Question, ReviewSite, Touchpoint

MARKER_CAMPAIGN = "Quarterly relationship NPS"  # its answers mean the demo data is there


def _with_dutch(record, texts: dict) -> None:
    """Give a record its Dutch texts unless it already has some."""
    if not (record.translations or {}).get("nl"):
        record.translations = {**(record.translations or {}), "nl": texts}
        record.save(update_fields=["translations"])


def reference_data():
    """Touchpoints and root causes as the migrations seed them (they may have been flushed since),
    with their Dutch names."""
    for order, name in enumerate(["Sales", "Onboarding", "Support", "Billing", "Renewal"]):
        touchpoint, _ = Touchpoint.objects.get_or_create(slug=name.lower(), defaults={"name": name, "order": order})
        if touchpoint.name == name:
            _with_dutch(touchpoint, {"name": TOUCHPOINTS_NL[name]})
    for name, slug in (
        ("Process", "process"),
        ("Product", "product"),
        ("Price", "price"),
        ("Reputation", "reputation"),
        ("Emotional engagement", "emotional"),
    ):
        tag, _ = RootCauseTag.objects.get_or_create(slug=slug, defaults={"name": name})
        if tag.name == name:
            _with_dutch(tag, {"name": ROOT_CAUSES_NL[slug]})


def make_campaigns(people, touchpoints):
    success, support = people["success"], people["support"]
    specs = [
        ("relational", MARKER_CAMPAIGN, Campaign.Kind.RELATIONAL, touchpoints["renewal"], success, 90),
        ("support", "Support ticket closed", Campaign.Kind.TRANSACTIONAL, touchpoints["support"], support, None),
        ("onboarding", "Onboarding completed", Campaign.Kind.TRANSACTIONAL, touchpoints["onboarding"], success, None),
    ]
    campaigns = {}
    for key, name, kind, touchpoint, team, recurrence in specs:
        # The relational campaign asks each category its own "why"; the others one for everyone.
        per_category = WHY_BY_CATEGORY if key == "relational" else {}
        campaign, created = Campaign.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "touchpoint": touchpoint,
                "team": team,
                "status": Campaign.Status.ACTIVE,
                "recurrence_days": recurrence,
                "spread_days": 7 if recurrence else 0,
                "why_question": "What is the main reason for your score?",
                **{field: english for field, (english, _dutch) in per_category.items()},
                "translations": {
                    "nl": {"why_question": WHY_NL, **{field: dutch for field, (_e, dutch) in per_category.items()}}
                },
                "anonymous_link_enabled": key == "relational",
                "created_by": people["admin"],
            },
        )
        campaigns[key] = campaign
        if created and key == "relational":  # promoters are asked for a review: everyone, and in Dutch also on Kiyoh
            ReviewSite.objects.bulk_create(
                [
                    ReviewSite(campaign=campaign, order=1, name="Google", url="https://www.example.com/review/google"),
                    ReviewSite(
                        campaign=campaign,
                        order=2,
                        name="Kiyoh",
                        url="https://www.example.com/review/kiyoh",
                        language="nl",
                    ),
                ]
            )
        if created:
            if key == "support":
                Question.objects.bulk_create(
                    [
                        Question(
                            campaign=campaign,
                            order=1,
                            kind=Question.Kind.CSAT,
                            driver=Question.Driver.PROCESS,
                            text="How satisfied were you with the support you received?",
                            required=False,
                        ),
                        Question(
                            campaign=campaign,
                            order=2,
                            kind=Question.Kind.EFFORT,
                            driver=Question.Driver.PROCESS,
                            text="How easy was it to get your issue resolved?",
                            required=False,
                        ),
                    ]
                )
            elif key == "relational":
                Question.objects.bulk_create(
                    [
                        Question(
                            campaign=campaign,
                            order=1,
                            kind=Question.Kind.SINGLE,
                            driver=Question.Driver.PRODUCT,
                            text="What matters most to you in our service?",
                            choices=["Product quality", "Price", "Customer service", "Ease of use"],
                        ),
                        Question(
                            campaign=campaign,
                            order=2,
                            kind=Question.Kind.CSAT,
                            driver=Question.Driver.PRICE,
                            text="How satisfied are you with the value for money?",
                        ),
                    ]
                )
            else:
                Question.objects.bulk_create(
                    [
                        Question(
                            campaign=campaign,
                            order=1,
                            kind=Question.Kind.CSAT,
                            driver=Question.Driver.PROCESS,
                            text="How satisfied are you with your onboarding?",
                        ),
                    ]
                )
            for question in campaign.questions.all():
                _with_dutch(question, QUESTIONS_NL[question.text])
    # A text-message campaign ready to send from its page (its texts land in the outbox), apart from
    # the answered campaigns above.
    Campaign.objects.get_or_create(
        name="Text message check-in",
        defaults={
            "kind": Campaign.Kind.RELATIONAL,
            "channel": Campaign.Channel.SMS,
            "team": success,
            "status": Campaign.Status.DRAFT,
            "audience_filter": {"plan": "enterprise"},
            "sms_daily_cap": 100,
            "created_by": people["admin"],
        },
    )
    return campaigns
