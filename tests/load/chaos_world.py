"""What `make chaos` sets up, does during the load and counts afterwards, through the product's own
services, in the harness's Django (the same database and broker as the processes it tortures).

Every database call of the harness goes through `retrying()`: the harness's own connection is cut
by the same faults it injects."""

import random
import time
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, close_old_connections, connections

SEND_GROUP = "chaos-send"
WHY = ("Support took three days to answer.", "The invoice was wrong again.", "Great service, thank you!")


def retrying(function, *args, seconds: float = 120, **kwargs):
    """Call `function`, again on a lost database connection (closed first), for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return function(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            connections.close_all()
            time.sleep(1)
        finally:
            close_old_connections()


@dataclass
class World:
    team_id: int
    admin_id: int
    answer_campaign_id: int
    send_campaign_id: int
    improvement_id: int
    endpoint_id: int
    work: list  # (token, score, comment)
    send_size: int
    linked_contacts: set = field(default_factory=set)


def seed(*, answers: int, invitations: int, receiver_url: str, rng: random.Random, send_batches: int = 1) -> World:
    """The staff, routing, the answering campaign with its invitations, the contacts to send to (in
    `send_batches` batches: attribute "batch"), the improvement to ship and the webhook endpoint."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.models import Team
    from core.roles import assign_role
    from followups.models import Improvement, RoutingRule
    from surveys.models import Campaign, Contact, Invitation, Touchpoint
    from webhooks.events import EVENT_TYPES
    from webhooks.models import Endpoint

    User = get_user_model()
    team = Team.objects.create(name="Care")
    agents = []
    for i in range(4):
        agent = User.objects.create_user(f"agent{i}", f"agent{i}@example.com", "not-used-" + str(rng.random()))
        assign_role(agent, "agent")
        agents.append(agent)
    admin = User.objects.create_user("chaos-admin", "admin@example.com", "not-used-" + str(rng.random()))
    assign_role(admin, "admin")
    team.members.add(*agents)
    team.lead = agents[0]
    team.save()
    RoutingRule.objects.create(
        name="Everyone: round-robin in Care", order=1, target=RoutingRule.Target.ROUND_ROBIN, team=team
    )
    plans = ("starter", "pro", "enterprise")
    answering = Campaign.objects.create(
        name="Chaos answers",
        status=Campaign.Status.ACTIVE,
        kind=Campaign.Kind.TRANSACTIONAL,
        touchpoint=Touchpoint.objects.get(slug="support"),
        team=team,
        reminder_after_days=None,
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(email=f"c{i}@chaos.example", name=f"Customer {i}", attributes={"plan": plans[i % 3]})
            for i in range(answers)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    sent = Invitation.objects.bulk_create(
        [Invitation(campaign=answering, contact=c, status=Invitation.Status.SENT, sent_at=now) for c in contacts],
        batch_size=2000,
    )
    # A third unhappy (0–8), the rest promoters; half of them give their "why".
    work = [
        (
            inv.token,
            rng.choice(range(9)) if i % 3 == 0 else rng.choice((9, 10)),
            rng.choice(WHY) if i % 2 == 0 else "",
        )
        for i, inv in enumerate(sent)
    ]
    sending = Campaign.objects.create(
        name="Chaos sending",
        status=Campaign.Status.DRAFT,
        kind=Campaign.Kind.RELATIONAL,
        touchpoint=Touchpoint.objects.get(slug="renewal"),
        team=team,
        reminder_after_days=None,
        quiet_period_days=0,
        audience_filter={"group": SEND_GROUP},
    )
    Contact.objects.bulk_create(
        [
            Contact(
                email=f"s{i}@send.example",
                name=f"Recipient {i}",
                attributes={"group": SEND_GROUP, "plan": plans[i % 3], "batch": i % send_batches},
            )
            for i in range(invitations)
        ],
        batch_size=5000,
    )
    improvement = Improvement.objects.create(
        title="Support within four hours",
        description_en="You told us support was slow. We now answer within four hours.",
        description_nl="U vertelde ons dat support traag was. We antwoorden nu binnen vier uur.",
        team=team,
        created_by=admin,
    )
    endpoint = Endpoint.objects.create(url=receiver_url, events=list(EVENT_TYPES), description="make chaos")
    return World(
        team_id=team.pk,
        admin_id=admin.pk,
        answer_campaign_id=answering.pk,
        send_campaign_id=sending.pk,
        improvement_id=improvement.pk,
        endpoint_id=endpoint.pk,
        work=work,
        send_size=invitations,
    )


# --- Events during the load ------------------------------------------------------------------------
def start_sending(world: World) -> str:
    """The admin presses Send on the campaign of `invitations` recipients."""
    from django.contrib.auth import get_user_model

    from surveys.models import Campaign
    from surveys.sending import campaign_send

    admin = get_user_model().objects.get(pk=world.admin_id)
    wave = campaign_send(campaign=Campaign.objects.get(pk=world.send_campaign_id), actor=admin)
    return f"wave {wave.number} of {world.send_size} invitations"


def ship_improvement(world: World, accepted_tokens: set, wanted: int) -> str:
    """An agent links up to `wanted` customers' answers to the improvement, and it ships."""
    from django.contrib.auth import get_user_model

    from followups.improvements import improvement_link, improvement_ship
    from followups.models import Improvement
    from surveys.models import Response

    admin = get_user_model().objects.get(pk=world.admin_id)
    answers = list(
        Response.objects.filter(invitation__token__in=list(accepted_tokens))
        .order_by("pk")
        .values_list("pk", "contact_id")[: wanted * 2]
    )
    chosen, contacts = [], set()
    for pk, contact_id in answers:
        if contact_id not in contacts and len(contacts) < wanted:
            contacts.add(contact_id)
            chosen.append(pk)
    improvement = Improvement.objects.get(pk=world.improvement_id)
    improvement_link(improvement=improvement, response_ids=chosen, actor=admin)
    queued = improvement_ship(improvement=improvement, actor=admin)
    world.linked_contacts = contacts
    return f"linked {len(chosen)} answers of {len(contacts)} customers; {queued} notices queued"


# --- Counting -------------------------------------------------------------------------------------
def _keys(prefix: str) -> list[str]:
    from django.db.models.fields.json import KeyTextTransform

    from core.models import OutboxMessage

    return list(
        OutboxMessage.objects.annotate(key=KeyTextTransform("X-Kringloop-Key", "headers"))
        .filter(key__startswith=prefix)
        .values_list("key", flat=True)
    )


def figures(world: World, accepted: set, receiver) -> dict:
    """The issue's figures, counted from the raw tables, the outbox and the receiver."""
    from django.db import connection
    from django.db.models import Count

    from core.models import OutboxMessage
    from followups.models import FollowUp, ImprovementNotice
    from surveys.models import Invitation, Response
    from webhooks.models import Delivery

    stored = set(
        Response.objects.filter(invitation__token__in=list(accepted)).values_list("invitation__token", flat=True)
    )
    wanted = wanted_followups()
    cases = set(FollowUp.objects.values_list("response_id", flat=True))
    owner_keys = _keys("followup-owner:")
    # Invitations of the sending: each sent one stored once in the outbox (its link names its token).
    # The tokens come out of the bodies in SQL and are matched here: joined in SQL, the planner
    # evaluated the pattern once per pair of rows.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT substring(body_text from '/s/([A-Za-z0-9_-]{{16,}})/')
                FROM {OutboxMessage._meta.db_table} WHERE tags @> '["invitation"]'::jsonb"""
        )
        tokens = [token for (token,) in cursor.fetchall()]
    wave = set(Invitation.objects.filter(campaign_id=world.send_campaign_id).values_list("token", flat=True))
    emailed = [token for token in tokens if token in wave]
    emailed, emailed_once = len(emailed), len(set(emailed))
    notice_keys = _keys(f"improvement:{world.improvement_id}:")
    # Webhooks: one accepted delivery per event the product reported.
    received = receiver.snapshot()
    expected = {("response.created", pk) for pk in Response.objects.values_list("pk", flat=True)}
    expected |= {("followup.created", pk) for pk in FollowUp.objects.values_list("pk", flat=True)}
    if ImprovementNotice.objects.filter(improvement_id=world.improvement_id).exists():
        expected.add(("improvement.shipped", world.improvement_id))
    # One event accepted under two delivery ids: the product wrote it twice (a retry keeps its id).
    doubled_events = sum(1 for key, ids in received.items() if key in expected and len(ids) > 1)
    return {
        "accepted": len(accepted),
        "stored": len(stored),
        "lost": len(accepted - stored),
        "followups_expected": len(wanted),
        "followups": len(wanted & cases),
        "duplicate_followups": FollowUp.objects.values("response_id").annotate(n=Count("id")).filter(n__gt=1).count(),
        "owner_emails": len(owner_keys),
        "duplicate_owner_emails": len(owner_keys) - len(set(owner_keys)),
        "invitations_expected": world.send_size,
        "invitation_emails": emailed,
        "duplicate_invitation_emails": emailed - emailed_once,
        "missing_invitation_emails": world.send_size - emailed_once,
        "notices_expected": len(world.linked_contacts),
        "notice_emails": len(notice_keys),
        "duplicate_notice_emails": len(notice_keys) - len(set(notice_keys)),
        "webhooks_expected": len(expected),
        "webhooks_delivered": len(expected & set(received)),
        "webhooks_lost": len(expected - set(received)),
        "duplicate_webhook_events": doubled_events,
        "webhook_calls": receiver.calls,
        "webhook_calls_failed": dict(receiver.failed),
        "webhooks_given_up": Delivery.objects.filter(status=Delivery.Status.FAILED).count(),
    }


def progress(world: World, wanted: set, receiver) -> dict:
    """The figures settled() reads, counted cheaply (a few indexed counts) for polling while the
    worker catches up: the full count (figures) parses every e-mail in the outbox, and on a 2-core
    machine it took CPU from the very worker being waited for. Only a poll that looks settled is
    confirmed with figures()."""
    from django.db.models.fields.json import KeyTextTransform

    from core.models import OutboxMessage
    from followups.models import FollowUp, ImprovementNotice
    from surveys.models import Invitation, Response

    keyed = OutboxMessage.objects.annotate(key=KeyTextTransform("X-Kringloop-Key", "headers"))
    cases = set(FollowUp.objects.values_list("pk", "response_id"))
    received = set(receiver.snapshot())
    expected = {("response.created", pk) for pk in Response.objects.values_list("pk", flat=True)}
    expected |= {("followup.created", pk) for pk, _response in cases}
    if ImprovementNotice.objects.filter(improvement_id=world.improvement_id).exists():
        expected.add(("improvement.shipped", world.improvement_id))
    sent = Invitation.objects.filter(campaign_id=world.send_campaign_id, sent_at__isnull=False).count()
    return {
        "followups_expected": len(wanted),
        "followups": len(wanted & {response for _pk, response in cases}),
        "owner_emails": keyed.filter(key__startswith="followup-owner:").count(),
        "invitations_expected": world.send_size,
        "invitation_emails": sent,
        "missing_invitation_emails": world.send_size - sent,
        "notices_expected": len(world.linked_contacts),
        "notice_emails": keyed.filter(key__startswith=f"improvement:{world.improvement_id}:").count(),
        "webhooks_expected": len(expected),
        "webhooks_delivered": len(expected & received),
        "webhooks_lost": len(expected - received),
    }


def wanted_followups() -> set:
    """Ids of the answers that need a case (routing.wants_followup)."""
    from followups.routing import wants_followup
    from surveys.models import Response

    responses = Response.objects.select_related("campaign").only("pk", "category", "campaign__followup_promoters")
    return {r.pk for r in responses.iterator(chunk_size=5000) if wants_followup(r)}


def settled(f: dict) -> bool:
    """Everything the load started has gone through."""
    return (
        f["followups"] == f["followups_expected"]
        and f["owner_emails"] >= f["followups"]
        and f["missing_invitation_emails"] <= 0
        and f["notice_emails"] >= f["notices_expected"]
        and f["webhooks_lost"] == 0
    )


def rollups_refreshed_since(moment) -> bool:
    from scoring.models import RollupState

    state = RollupState.objects.filter(pk=1).first()
    return state is not None and state.refreshed_at is not None and state.refreshed_at > moment


def timeline(world: World, load_done_at) -> dict:
    """When each pipeline's last piece of work went through, in seconds after the end of the load
    (negative: during it), from the rows' own timestamps rather than the harness's polling; and how
    the last webhook delivery got there (its attempts, and the waits before each: a wait much longer
    than the retry schedule's step is a lost task that a sweep brought back)."""
    from django.db.models import Max
    from django.db.models.fields.json import KeyTextTransform

    from core.models import OutboxMessage
    from followups.models import FollowUp
    from scoring.models import RollupState
    from surveys.models import Response
    from webhooks.models import Delivery, DeliveryAttempt

    def after(moment):
        return None if moment is None else round((moment - load_done_at).total_seconds(), 1)

    def outbox_last(prefix):
        return (
            OutboxMessage.objects.annotate(key=KeyTextTransform("X-Kringloop-Key", "headers"))
            .filter(key__startswith=prefix)
            .aggregate(last=Max("created_at"))["last"]
        )

    state = RollupState.objects.filter(pk=1).first()
    delivered = Delivery.objects.filter(endpoint_id=world.endpoint_id, delivered_at__isnull=False)
    out = {
        "answers_processed": after(Response.objects.aggregate(last=Max("processed_at"))["last"]),
        "followups": after(FollowUp.objects.aggregate(last=Max("created_at"))["last"]),
        "owner_emails": after(outbox_last("followup-owner:")),
        "invitation_emails": after(
            OutboxMessage.objects.filter(tags__contains=["invitation"]).aggregate(last=Max("created_at"))["last"]
        ),
        "notice_emails": after(outbox_last(f"improvement:{world.improvement_id}:")),
        "webhooks": after(delivered.aggregate(last=Max("delivered_at"))["last"]),
        "rollups_last_refresh": after(state.refreshed_at if state else None),
    }
    last = delivered.order_by("-delivered_at").first()
    tail = {}
    if last is not None:
        starts = list(
            DeliveryAttempt.objects.filter(delivery=last).order_by("number").values_list("started_at", flat=True)
        )
        moments = [last.created_at, *starts]
        tail = {
            "event": last.event,
            "attempts": last.attempts,
            "created": after(last.created_at),
            "waits_s": [round((b - a).total_seconds(), 1) for a, b in zip(moments, moments[1:], strict=False)],
        }
        tail["deliveries_created_after_load"] = delivered.filter(created_at__gt=load_done_at).count()
    return {"settled_by_pipeline": out, "last_webhook": tail}
