"""The demo's closed loop: routing rules, a case for every unhappy answer (those of the last 14 days
in every state, older ones resolved or closed) with their history, the owner alerts of the open cases
of the last two days, and two improvements linked to answers, one shipped with its notices sent.
The data is what the product itself would have made: `manage.py check_data` passes on it."""

from datetime import timedelta

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_noop

from demo.chance import weighted
from demo.text import ROOT_CAUSE_WORDS
from followups.emails import send_owner_alerts
from followups.history import KEY, said
from followups.models import (
    FollowUp,
    FollowUpEvent,
    Improvement,
    ImprovementLink,
    ImprovementNotice,
    RootCauseTag,
    RoutingRule,
)
from followups.notices import notice_send
from surveys.models import Category, Response


def routing_rules(people, campaigns):
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


def root_cause(rng, comment: str, tags: list):
    """The root cause an agent tags a case with: mostly the one its comment points at (agents read
    the comment), sometimes another, so the suggestions learned from them have something to learn
    and are not always right."""
    lowered = comment.lower()
    by_slug = {tag.slug: tag for tag in tags}
    for slug, words in ROOT_CAUSE_WORDS.items():
        if slug in by_slug and any(word in lowered for word in words) and rng.random() < 0.8:
            return by_slug[slug]
    return rng.choice(tags)


def make_cases(rng, now, people) -> int:
    """A case for every unhappy answer: in every state for the last 14 days, older ones resolved or closed."""
    support, success = people["support"], people["success"]
    owners = {
        support.pk: [people["sam"], people["joris"], people["agent"]],
        success.pk: [people["lena"], people["mila"], people["agent"]],
    }
    tags = list(RootCauseTag.objects.all())
    unhappy = (
        Response.objects.filter(
            category__in=[Category.DETRACTOR, Category.PASSIVE],
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
            status = weighted(
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
            first_contact = min(response.submitted_at + timedelta(hours=rng.uniform(2, hours * 1.3)), now)
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
                closed_at=min((first_contact or due) + timedelta(hours=rng.uniform(1, 48)), now) if closed else None,
                closed_reason="No answer after three attempts" if status == FollowUp.Status.CLOSED else "",
                resolution_summary="Called the customer, explained the fix and offered a credit."
                if status == FollowUp.Status.RESOLVED
                else "",
                outcome="Customer satisfied" if status == FollowUp.Status.RESOLVED else "",
            )
        )
    FollowUp.objects.bulk_create(cases, batch_size=2000)
    # auto_now_add stamped the seeding moment; a case really opens when its answer arrives.
    FollowUp.objects.filter(pk__in=[c.pk for c in cases]).update(
        created_at=Subquery(Response.objects.filter(pk=OuterRef("response_id")).values("submitted_at")[:1])
    )
    for case in cases:
        # Lines Kringloop writes itself are stored as messages too, so each reader sees them in their
        # language (followups.history), as the live cases' lines are.
        opened = said(
            gettext_noop("Case opened for a %(category)s answer (score %(score)s)."),
            category=case.category,
            score=case.response.score,
        )
        events.append(
            FollowUpEvent(followup=case, kind=FollowUpEvent.Kind.CREATED, text=opened["text"], data={KEY: opened[KEY]})
        )
        if case.status != FollowUp.Status.NEW:
            changed = said(
                gettext_noop("Status: %(status_from)s → %(status_to)s."),
                status_from=FollowUp.Status.NEW,
                status_to=case.status,
            )
            events.append(
                FollowUpEvent(
                    followup=case,
                    actor=case.owner,
                    kind=FollowUpEvent.Kind.STATUS,
                    data={"to": case.status, KEY: changed[KEY]},
                    text=changed["text"],
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
            tag = root_cause(rng, case.response.comment, tags)
            tag_links.append(FollowUp.tags.through(followup_id=case.pk, rootcausetag_id=tag.pk))
    FollowUpEvent.objects.bulk_create(events, batch_size=5000)
    FollowUp.tags.through.objects.bulk_create(tag_links, batch_size=5000, ignore_conflicts=True)
    # Event times follow the case, not the moment of seeding.
    FollowUpEvent.objects.filter(followup__in=cases).update(
        created_at=Subquery(FollowUp.objects.filter(pk=OuterRef("followup_id")).values("created_at")[:1])
    )
    # The owners of the open cases of the last two days were alerted, as the worker does (the sweep
    # would otherwise send these alerts when the demo starts).
    recent = FollowUp.objects.filter(status__in=FollowUp.OPEN_STATUSES, created_at__gte=now - timedelta(days=2))
    send_owner_alerts(followup_ids=list(recent.values_list("pk", flat=True)))
    return len(cases)


def make_improvements(rng, now, people):
    if Improvement.objects.exists():
        return
    tags = {t.slug: t for t in RootCauseTag.objects.all()}
    shipped = Improvement.objects.create(
        title="Support replies within 4 hours",
        title_nl="Support antwoordt binnen 4 uur",
        description_en="You told us support took too long to answer. We doubled the support team and now answer every ticket within 4 working hours.",  # noqa: E501
        description_nl="U liet ons weten dat onze support te traag reageerde. We hebben het supportteam verdubbeld en beantwoorden nu elk ticket binnen 4 werkuren.",  # noqa: E501
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
        title_nl="Duidelijkere facturen",
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
                        status=ImprovementNotice.Status.QUEUED,
                    )
                    for cid in contact_ids
                ],
                ignore_conflicts=True,
            )
            # Sent as the worker sends them (one e-mail each, in the send-once ledger), back in time.
            for notice_id in improvement.notices.values_list("pk", flat=True):
                notice_send(notice_id=notice_id)
            improvement.notices.filter(status=ImprovementNotice.Status.SENT).update(sent_at=improvement.shipped_at)
