"""Demo data: a company with a year of NPS history worth looking at.

Deterministic (seeded random), idempotent (a second run with the same data present does nothing),
and bulk-inserted so the benchmark can ask for a much larger `responses` count.
"""

import math
import random
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import Team, UserProfile
from core.roles import assign_role
from demo.text import COMMENTS
from followups.models import (
    FollowUp,
    FollowUpEvent,
    Improvement,
    ImprovementLink,
    ImprovementNotice,
    RootCauseTag,
    RoutingRule,
)
from surveys.addresses import address_problem, normalise
from surveys.models import (
    Answer,
    Campaign,
    Category,
    Contact,
    ContactList,
    Invitation,
    Question,
    Response,
    SendWave,
    Touchpoint,
)
from surveys.nps import DETRACTOR, category_for

User = get_user_model()
MARKER_CAMPAIGN = "Quarterly relationship NPS"

FIRST_NAMES = [
    "Anna",
    "Bram",
    "Chloe",
    "Daan",
    "Emma",
    "Finn",
    "Gijs",
    "Hanna",
    "Isa",
    "Jesse",
    "Julia",
    "Lars",
    "Lotte",
    "Milan",
    "Noah",
    "Olivia",
    "Pieter",
    "Roos",
    "Sam",
    "Sophie",
    "Thomas",
    "Vera",
    "Willem",
    "Yara",
    "Zoë",
    "Liam",
    "Mia",
    "Lucas",
    "Nora",
    "Ruben",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "de Boer",
    "Bos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Smith",
    "Brown",
    "Taylor",
    "Wilson",
    "Clarke",
    "Evans",
    "Walker",
    "Hughes",
]
COMPANIES = [
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Acme Retail",
    "Blue Harbor",
    "Polder Tech",
    "Zuidas Finance",
    "Maas Logistics",
    "Delta Foods",
    "Orbit Media",
]
PLANS = [("starter", 0.45), ("pro", 0.4), ("enterprise", 0.15)]
REGIONS = [("EU", 0.55), ("NA", 0.3), ("APAC", 0.15)]
SIZES = {"starter": "smb", "pro": "mid", "enterprise": "large"}


@dataclass
class DemoResult:
    created: bool
    contacts: int = 0
    responses: int = 0
    followups: int = 0


def _weighted(rng, pairs):
    r = rng.random()
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        if r <= acc:
            return value
    return pairs[-1][0]


def _score(rng, promoter_share: float, detractor_share: float) -> int:
    r = rng.random()
    if r < promoter_share:
        return rng.choice([9, 10, 10, 9, 10])
    if r < promoter_share + detractor_share:
        return rng.choice([0, 2, 3, 4, 5, 5, 6, 6, 6])
    return rng.choice([7, 8, 8])


def _shares(campaign_key: str, age_days: float, plan: str) -> tuple[float, float]:
    """Promoter and detractor shares that drift over the year, so trends have a story."""
    t = 1 - age_days / 365  # 0 a year ago → 1 today
    if campaign_key == "support":
        # Support got much better after the improvement shipped ~4 months ago.
        promoters, detractors = (0.38, 0.32) if age_days > 120 else (0.52, 0.16)
    elif campaign_key == "onboarding":
        # A dip in the middle of the year (a rushed release), then recovery.
        dip = math.exp(-(((age_days - 180) / 45) ** 2))
        promoters, detractors = 0.5 - 0.2 * dip, 0.18 + 0.2 * dip
    else:
        promoters, detractors = 0.42 + 0.06 * t, 0.22 - 0.04 * t
    if plan == "enterprise":
        promoters, detractors = promoters + 0.05, detractors - 0.04
    elif plan == "starter":
        promoters, detractors = promoters - 0.04, detractors + 0.04
    return max(promoters, 0.05), max(detractors, 0.02)


# Dutch names of the touchpoints and root causes, and of the demo campaigns' texts.
TOUCHPOINTS_NL = {"Sales": "Verkoop", "Onboarding": "Onboarding", "Support": "Klantenservice", "Billing": "Facturatie"}
TOUCHPOINTS_NL["Renewal"] = "Verlenging"
ROOT_CAUSES_NL = {
    "process": "Proces",
    "product": "Product",
    "price": "Prijs",
    "reputation": "Reputatie",
    "emotional": "Emotionele betrokkenheid",
}
WHY_NL = "Wat is de belangrijkste reden voor uw score?"
QUESTIONS_NL = {
    "How satisfied were you with the support you received?": {"text": "Hoe tevreden was u met de hulp die u kreeg?"},
    "How easy was it to get your issue resolved?": {
        "text": "Hoe makkelijk was het om uw probleem opgelost te krijgen?"
    },
    "What matters most to you in our service?": {
        "text": "Wat vindt u het belangrijkst aan onze dienstverlening?",
        "choices": ["Productkwaliteit", "Prijs", "Klantenservice", "Gebruiksgemak"],
    },
    "How satisfied are you with the value for money?": {
        "text": "Hoe tevreden bent u over de prijs-kwaliteitverhouding?"
    },
    "How satisfied are you with your onboarding?": {"text": "Hoe tevreden bent u over uw onboarding?"},
}


def _with_dutch(record, texts: dict) -> None:
    """Give a record its Dutch texts unless it already has some."""
    if not (record.translations or {}).get("nl"):
        record.translations = {**(record.translations or {}), "nl": texts}
        record.save(update_fields=["translations"])


def _reference_data():
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


def _users():
    def user(username, first, last, role, password="demo"):
        u, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@kringloop.example"},
        )
        if created:
            u.set_password(password)
            u.save()
        assign_role(u, role)
        UserProfile.objects.get_or_create(user=u, defaults={"weekly_digest": role == "admin"})
        return u

    admin = user("admin", "Ada", "Admin", "admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    agent = user("agent", "Arthur", "Agent", "agent")
    viewer = user("viewer", "Vera", "Viewer", "viewer")
    lena = user("lena", "Lena", "Lead", "agent")
    sam = user("sam", "Sam", "Support-lead", "agent")
    mila = user("mila", "Mila", "Jansen", "agent")
    joris = user("joris", "Joris", "Bakker", "agent")
    success, _ = Team.objects.get_or_create(name="Customer Success", defaults={"lead": lena, "nps_target": 40})
    support, _ = Team.objects.get_or_create(name="Support", defaults={"lead": sam, "nps_target": 30})
    success.members.add(lena, agent, mila)
    support.members.add(sam, joris, agent)
    return {
        "admin": admin,
        "agent": agent,
        "viewer": viewer,
        "lena": lena,
        "sam": sam,
        "mila": mila,
        "joris": joris,
        "success": success,
        "support": support,
    }


def _campaigns(people, touchpoints):
    success, support = people["success"], people["support"]
    specs = [
        ("relational", MARKER_CAMPAIGN, Campaign.Kind.RELATIONAL, touchpoints["renewal"], success, 90),
        ("support", "Support ticket closed", Campaign.Kind.TRANSACTIONAL, touchpoints["support"], support, None),
        ("onboarding", "Onboarding completed", Campaign.Kind.TRANSACTIONAL, touchpoints["onboarding"], success, None),
    ]
    campaigns = {}
    for key, name, kind, touchpoint, team, recurrence in specs:
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
                "translations": {"nl": {"why_question": WHY_NL}},
                "promoter_link": "https://www.example.com/review" if key == "relational" else "",
                "anonymous_link_enabled": key == "relational",
                "created_by": people["admin"],
            },
        )
        campaigns[key] = campaign
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
    return campaigns


def demo_address(first: str, last: str, number: int, company: str) -> str:
    """A demo contact's address, as the address rule accepts it: `zoë.jansen.3@…` where the e-mail
    provider can deliver a UTF-8 local part, else the letters without their accents (`zoe…`)."""
    address = normalise(f"{first}.{last.replace(' ', '')}.{number}@{company.replace(' ', '')}.example")
    if address_problem(address):
        address = unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode("ascii")
    return address


def _contacts(rng, count, people):
    owners = [people["lena"], people["mila"], people["agent"], None]
    existing = Contact.objects.count()
    batch = []
    for i in range(existing, count):
        plan = _weighted(rng, PLANS)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        language = "nl" if rng.random() < 0.3 else "en"
        batch.append(
            Contact(
                email=demo_address(first, last, i, rng.choice(COMPANIES)),
                name=f"{first} {last}",
                external_id=f"CRM-{10000 + i}",
                company=rng.choice(COMPANIES),
                phone=f"+44 7700 900{i % 1000:03d}",  # Ofcom's range for fiction: nobody real is called
                attributes={"plan": plan, "region": _weighted(rng, REGIONS), "size": SIZES[plan]},
                language=language,
                account_owner=rng.choice(owners),
            )
        )
    Contact.objects.bulk_create(batch, batch_size=2000)
    contacts = list(Contact.objects.order_by("id")[:count])
    demo_list, _ = ContactList.objects.get_or_create(name="All customers (demo import)")
    demo_list.contacts.add(*contacts[: min(len(contacts), 5000)])
    for contact in rng.sample(contacts, max(1, len(contacts) // 60)):
        contact.opted_out_at = timezone.now() - timedelta(days=rng.randint(1, 200))
    Contact.objects.bulk_update([c for c in contacts if c.opted_out_at], ["opted_out_at"])
    return contacts


def _answers_for(rng, response, questions):
    answers = []
    for q in questions:
        if rng.random() < 0.15:
            continue  # optional question skipped
        if q.kind == Question.Kind.CSAT:
            base = 2 + response.score / 3.3
            answers.append(
                Answer(response=response, question=q, number=max(1, min(5, round(base + rng.uniform(-1, 1)))))
            )
        elif q.kind == Question.Kind.EFFORT:
            base = 1 + (10 - response.score) / 1.8
            answers.append(
                Answer(response=response, question=q, number=max(1, min(7, round(base + rng.uniform(-1, 1)))))
            )
        elif q.kind == Question.Kind.SINGLE:
            weights = [0.3, 0.25, 0.25, 0.2] if category_for(response.score) != DETRACTOR else [0.15, 0.45, 0.3, 0.1]
            answers.append(Answer(response=response, question=q, text=_weighted(rng, list(zip(q.choices, weights)))))
    return answers


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
        _reference_data()
        people = _users()
        touchpoints = {t.slug: t for t in Touchpoint.objects.all()}
        campaigns = _campaigns(people, touchpoints)
        all_contacts = _contacts(rng, contacts, people)
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
        _routing_rules(people, campaigns)

    weights = [("relational", 0.4), ("support", 0.4), ("onboarding", 0.2)]
    made = 0
    chunk = 5000
    while made < responses:
        size = min(chunk, responses - made)
        with transaction.atomic():
            _response_chunk(rng, size, now, campaigns, waves, questions, all_contacts, weights)
        made += size
        if stdout and responses > 20000:
            stdout.write(f"  {made:,} responses")
    created_followups = 0
    if followups:
        with transaction.atomic():
            created_followups = _followups(rng, now, people)
            _improvements(rng, now, people)
    return DemoResult(created=True, contacts=len(all_contacts), responses=made, followups=created_followups)


def _response_chunk(rng, size, now, campaigns, waves, questions, contacts, weights):
    invitations, responses, meta = [], [], []
    for _ in range(size):
        key = _weighted(rng, weights)
        campaign = campaigns[key]
        contact = rng.choice(contacts)
        # More answers recently (the customer base grows).
        age_days = 365 * (1 - math.sqrt(rng.random()))
        submitted = now - timedelta(days=age_days, minutes=rng.randint(0, 600))
        plan = contact.attributes.get("plan", "pro")
        score = _score(rng, *_shares(key, age_days, plan))
        sent = submitted - timedelta(hours=rng.randint(1, 72))
        invitations.append(
            Invitation(
                campaign=campaign,
                wave=None,
                contact=contact,
                status=Invitation.Status.ANSWERED,
                sent_at=sent,
                answered_at=submitted,
            )
        )
        meta.append((key, campaign, contact, score, submitted))
    # Delivered but unanswered invitations, so response rates are realistic (~35 %).
    unanswered = []
    for _key, campaign, _contact, _s, submitted in meta:
        for _ in range(2 if rng.random() < 0.85 else 1):
            unanswered.append(
                Invitation(
                    campaign=campaign,
                    contact=rng.choice(contacts),
                    status=Invitation.Status.SENT,
                    sent_at=submitted - timedelta(hours=rng.randint(1, 500)),
                )
            )
    Invitation.objects.bulk_create(invitations, batch_size=2000)
    Invitation.objects.bulk_create(unanswered, batch_size=2000)
    for invitation, (_key, campaign, contact, score, submitted) in zip(invitations, meta):
        category = category_for(score)
        language = contact.language
        comment = rng.choice(COMMENTS[language][category]) if rng.random() < 0.7 else ""
        responses.append(
            Response(
                campaign=campaign,
                contact=contact,
                invitation=invitation,
                score=score,
                category=category,
                comment=comment,
                kind=campaign.kind,
                touchpoint=campaign.touchpoint,
                team=campaign.team,
                channel=campaign.channel,
                language=language,
                submitted_at=submitted,
                processed_at=submitted,
            )
        )
    Response.objects.bulk_create(responses, batch_size=2000)
    # auto_now stamped the seeding moment; an answer was last changed when it was given. Else the
    # sweep would take every seeded answer for one changed since processing and open old cases.
    Response.objects.filter(pk__in=[r.pk for r in responses]).update(updated_at=F("submitted_at"))
    answers = []
    for response, (key, *_rest) in zip(responses, meta):
        answers.extend(_answers_for(rng, response, questions[key]))
    Answer.objects.bulk_create(answers, batch_size=5000)


def _routing_rules(people, campaigns):
    if RoutingRule.objects.exists():
        return
    RoutingRule.objects.bulk_create(
        [
            RoutingRule(
                name="Support detractors: round-robin in Support",
                order=1,
                campaign=campaigns["support"],
                categories=["detractor"],
                target=RoutingRule.Target.ROUND_ROBIN,
                team=people["support"],
            ),
            RoutingRule(
                name="Support passives: Support queue",
                order=2,
                campaign=campaigns["support"],
                categories=["passive"],
                target=RoutingRule.Target.TEAM_QUEUE,
                team=people["support"],
            ),
            RoutingRule(
                name="Enterprise accounts: the account owner",
                order=3,
                segment_key="plan",
                segment_value="enterprise",
                target=RoutingRule.Target.ACCOUNT_OWNER,
                team=people["success"],
            ),
            RoutingRule(
                name="Everything else: round-robin in Customer Success",
                order=4,
                target=RoutingRule.Target.ROUND_ROBIN,
                team=people["success"],
            ),
        ]
    )


def _followups(rng, now, people) -> int:
    """Cases for unhappy answers of the last 120 days, in every state; older ones resolved."""
    support, success = people["support"], people["success"]
    owners = {
        support.pk: [people["sam"], people["joris"], people["agent"]],
        success.pk: [people["lena"], people["mila"], people["agent"]],
    }
    tags = list(RootCauseTag.objects.all())
    unhappy = (
        Response.objects.filter(
            category__in=[Category.DETRACTOR, Category.PASSIVE],
            submitted_at__gte=now - timedelta(days=120),
            followup__isnull=True,
        )
        .select_related("contact")
        .order_by("submitted_at")
    )
    cases, tag_links, events = [], [], []
    for response in unhappy:
        team_id = response.team_id or success.pk
        owner = rng.choice(owners.get(team_id, owners[success.pk]))
        hours = 48 if response.category == Category.DETRACTOR else 168
        due = response.submitted_at + timedelta(hours=hours)
        age = (now - response.submitted_at).days
        if age > 14:
            status = FollowUp.Status.RESOLVED if rng.random() < 0.85 else FollowUp.Status.CLOSED
        else:
            status = _weighted(
                rng,
                [
                    (FollowUp.Status.NEW, 0.35),
                    (FollowUp.Status.IN_PROGRESS, 0.25),
                    (FollowUp.Status.CONTACTED, 0.2),
                    (FollowUp.Status.RESOLVED, 0.2),
                ],
            )
        first_contact = None
        if status in (FollowUp.Status.CONTACTED, FollowUp.Status.RESOLVED):
            first_contact = response.submitted_at + timedelta(hours=rng.uniform(2, hours * 1.3))
        closed = status in (FollowUp.Status.RESOLVED, FollowUp.Status.CLOSED)
        cases.append(
            FollowUp(
                response=response,
                contact=response.contact,
                category=response.category,
                owner=owner,
                team_id=team_id,
                status=status,
                due_at=due,
                escalation_level=1 if (not closed and due < now) else 0,
                first_contact_at=first_contact,
                closed_at=(first_contact or due) + timedelta(hours=rng.uniform(1, 48)) if closed else None,
                closed_reason="No answer after three attempts" if status == FollowUp.Status.CLOSED else "",
                resolution_summary="Called the customer, explained the fix and offered a credit."
                if status == FollowUp.Status.RESOLVED
                else "",
                outcome="Customer satisfied" if status == FollowUp.Status.RESOLVED else "",
            )
        )
    FollowUp.objects.bulk_create(cases, batch_size=2000)
    # auto_now_add stamped the seeding moment; a case really opens when its answer arrives.
    from django.db.models import OuterRef, Subquery

    FollowUp.objects.filter(pk__in=[c.pk for c in cases]).update(
        created_at=Subquery(Response.objects.filter(pk=OuterRef("response_id")).values("submitted_at")[:1])
    )
    for case in cases:
        events.append(FollowUpEvent(followup=case, kind=FollowUpEvent.Kind.CREATED, text="Case opened"))
        if case.status != FollowUp.Status.NEW:
            events.append(
                FollowUpEvent(
                    followup=case,
                    actor=case.owner,
                    kind=FollowUpEvent.Kind.STATUS,
                    data={"to": case.status},
                    text=f"Status changed to {case.get_status_display()}",
                )
            )
        if case.first_contact_at:
            events.append(
                FollowUpEvent(
                    followup=case,
                    actor=case.owner,
                    kind=FollowUpEvent.Kind.ATTEMPT,
                    data={"channel": "phone", "result": "reached"},
                    text="Called the customer.",
                )
            )
        if case.status in (FollowUp.Status.RESOLVED, FollowUp.Status.CONTACTED) and tags:
            tag_links.append(FollowUp.tags.through(followup_id=case.pk, rootcausetag_id=rng.choice(tags).pk))
    FollowUpEvent.objects.bulk_create(events, batch_size=5000)
    FollowUp.tags.through.objects.bulk_create(tag_links, batch_size=5000, ignore_conflicts=True)
    # Event times follow the case, not the moment of seeding.
    FollowUpEvent.objects.filter(followup__in=cases).update(
        created_at=Subquery(FollowUp.objects.filter(pk=OuterRef("followup_id")).values("created_at")[:1])
    )
    return len(cases)


def _improvements(rng, now, people):
    if Improvement.objects.exists():
        return
    tags = {t.slug: t for t in RootCauseTag.objects.all()}
    shipped = Improvement.objects.create(
        title="Support replies within 4 hours",
        description_en="You told us support took too long to answer. We doubled the support team and now answer every ticket within 4 working hours.",  # noqa: E501
        description_nl="U vertelde ons dat support te traag reageerde. We hebben het supportteam verdubbeld en beantwoorden nu elk ticket binnen 4 werkuren.",  # noqa: E501
        internal_notes="Hiring round Q2; new on-call rota.",
        keywords="support, wait, slow, traag, reply",
        team=people["support"],
        status=Improvement.Status.SHIPPED,
        shipped_at=now - timedelta(days=120),
        created_by=people["admin"],
    )
    shipped.tags.add(tags["process"])
    planned = Improvement.objects.create(
        title="Clearer invoices",
        description_en="Invoices now show each product line and the period it covers.",
        description_nl="Facturen tonen nu elke productregel en de periode waarop die betrekking heeft.",
        keywords="invoice, billing, factuur",
        team=people["success"],
        status=Improvement.Status.IN_PROGRESS,
        created_by=people["admin"],
    )
    planned.tags.add(tags["price"])
    for improvement, words, before in (
        (shipped, ["support", "Support"], True),
        (planned, ["invoice", "factur", "Billing", "billing"], False),
    ):
        query = Response.objects.filter(category__in=[Category.DETRACTOR, Category.PASSIVE])
        if before:
            query = query.filter(submitted_at__lt=improvement.shipped_at)
        matches = [
            r
            for r in query.exclude(comment="").only("id", "comment", "contact_id")[:3000]
            if any(w in r.comment for w in words)
        ][:40]
        ImprovementLink.objects.bulk_create(
            [ImprovementLink(improvement=improvement, response=r, linked_by=people["admin"]) for r in matches],
            ignore_conflicts=True,
        )
        if improvement.status == Improvement.Status.SHIPPED:
            contact_ids = {r.contact_id for r in matches if r.contact_id}
            ImprovementNotice.objects.bulk_create(
                [
                    ImprovementNotice(
                        improvement=improvement,
                        contact_id=cid,
                        status=ImprovementNotice.Status.SENT,
                        sent_at=improvement.shipped_at,
                    )
                    for cid in contact_ids
                ],
                ignore_conflicts=True,
            )
