"""Improvements: "you said, we did". Link feedback to what the company changed; when it ships, tell
exactly the customers who asked, once each."""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

import webhooks.events
from core.audit import audit_log
from core.models import EmailDelivery
from core.queue import enqueue_on_commit
from followups.history import said
from followups.models import FollowUp, FollowUpEvent, Improvement, ImprovementLink, ImprovementNotice
from followups.notices import SEND_BATCH, SEND_TASK
from followups.queries import visible_responses
from surveys.models import Campaign, Category, Contact, Response
from surveys.nps import NpsResult, nps_from_counts

logger = logging.getLogger(__name__)
I = Improvement.Status  # noqa: E741
ALLOWED = {
    I.PLANNED: {I.IN_PROGRESS, I.SHIPPED, I.DROPPED},
    I.IN_PROGRESS: {I.PLANNED, I.SHIPPED, I.DROPPED},
    I.SHIPPED: set(),
    I.DROPPED: {I.PLANNED},
}
# Feedback is linked to, and shipped from, an improvement still being worked on.
IN_WORK = (I.PLANNED, I.IN_PROGRESS)


def improvement_actions(improvement: Improvement) -> dict[str, bool]:
    """What the improvement's page offers, by the rules the services below enforce."""
    status = improvement.status
    return {
        "start": I.IN_PROGRESS in ALLOWED[status],
        "drop": I.DROPPED in ALLOWED[status],
        "ship": status in IN_WORK,
        "link": status in IN_WORK,
        "unlink": status != I.SHIPPED,
    }


def improvement_link(*, improvement: Improvement, response_ids, actor) -> int:
    """Link responses to an improvement (idempotent); note it on their follow-up cases."""
    if improvement.status not in IN_WORK:
        raise ValidationError(_("Feedback can only be linked to a planned or in-progress improvement."))
    _refuse_other_teams(actor, response_ids)
    ids = list(Response.objects.filter(pk__in=list(response_ids)).values_list("pk", flat=True))
    with transaction.atomic():
        existing = set(improvement.links.filter(response_id__in=ids).values_list("response_id", flat=True))
        new = [i for i in ids if i not in existing]
        ImprovementLink.objects.bulk_create(
            [ImprovementLink(improvement=improvement, response_id=i, linked_by=actor) for i in new],
            ignore_conflicts=True,
        )
        line = said(gettext_noop("Linked to improvement “%(title)s”."), title=improvement.title)
        FollowUpEvent.objects.bulk_create(
            [
                FollowUpEvent(
                    followup=case,
                    actor=actor,
                    kind=FollowUpEvent.Kind.LINKED,
                    text=line["text"],
                    data={"improvement": improvement.pk, "i18n": line["i18n"]},
                )
                for case in FollowUp.objects.filter(response_id__in=new)
            ]
        )
        if new:
            audit_log(actor=actor, action="improvement.linked", target=improvement, data={"responses": new})
    return len(new)


def _refuse_other_teams(actor, response_ids) -> None:
    """Linking writes onto the answers' cases: only answers the actor may see (their teams')."""
    wanted = {int(i) for i in response_ids}
    allowed = set(visible_responses(actor).filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - allowed:
        raise ValidationError(_("You can only link or unlink answers of your own teams."))


def improvement_unlink(*, improvement: Improvement, response_id: int, actor) -> None:
    if improvement.status == I.SHIPPED:
        raise ValidationError(_("A shipped improvement's links are kept as they were when customers were told."))
    _refuse_other_teams(actor, [response_id])
    improvement.links.filter(response_id=response_id).delete()
    audit_log(actor=actor, action="improvement.unlinked", target=improvement, data={"response": response_id})


def suggestions(improvement: Improvement, *, among=None, limit: int = 30):
    """Unlinked unhappy responses whose case carries one of the improvement's root causes, or whose
    comment contains one of its keywords; only those in `among` (the answers the reader may see,
    followups.queries.visible_responses) when given."""
    condition = Q()
    tag_ids = list(improvement.tags.values_list("pk", flat=True))
    if tag_ids:
        condition |= Q(followup__tags__in=tag_ids)
    for word in [w.strip() for w in improvement.keywords.split(",") if len(w.strip()) >= 3][:10]:
        condition |= Q(comment__icontains=word)
    if not condition:
        return Response.objects.none()
    answers = Response.objects.filter(pk__in=among.values("pk")) if among is not None else Response.objects.all()
    answers = answers.exclude(kind=Campaign.Kind.EMPLOYEE)  # anonymous eNPS answers are never suggested
    return (
        answers.filter(condition, category__in=[Category.DETRACTOR, Category.PASSIVE])
        .exclude(improvement_links__improvement=improvement)
        .exclude(contact__erased_at__isnull=False)
        .select_related("contact", "campaign")
        .distinct()
        .order_by("-submitted_at")[:limit]
    )


def recipients(improvement: Improvement):
    """Contacts to tell: linked, not opted out, not undeliverable, not erased; one each."""
    return (
        Contact.objects.filter(
            responses__improvement_links__improvement=improvement,
            opted_out_at__isnull=True,
            undeliverable_at__isnull=True,
            erased_at__isnull=True,
        )
        .distinct()
        .order_by("name", "email")
    )


def improvement_transition(*, improvement: Improvement, to: str, actor, reason: str = "") -> Improvement:
    if to == I.SHIPPED:
        raise ValidationError(_("Use “Mark shipped” to ship, so the customers who asked are told."))
    with transaction.atomic():
        locked = Improvement.objects.select_for_update().get(pk=improvement.pk)
        if to not in ALLOWED[locked.status]:
            raise ValidationError(
                _("A %(status)s improvement cannot become %(to)s.")
                % {"status": locked.get_status_display().lower(), "to": I(to).label.lower()}
            )
        if to == I.DROPPED and not reason.strip():
            raise ValidationError(_("Dropping an improvement needs a reason."))
        locked.status = to
        locked.dropped_reason = reason.strip() if to == I.DROPPED else locked.dropped_reason
        locked.save(update_fields=["status", "dropped_reason"])
        audit_log(actor=actor, action="improvement.status", target=locked, data={"to": to})
    return locked


def improvement_ship(*, improvement: Improvement, actor, exclude_contact_ids=()) -> int:
    """Mark shipped and queue one "you said, we did" e-mail per recipient. Returns how many are queued.

    Notices are unique per (improvement, contact): shipping twice, or a retried task, queues nothing twice.
    """
    exclude = {int(i) for i in exclude_contact_ids}
    with transaction.atomic():
        locked = Improvement.objects.select_for_update().get(pk=improvement.pk)
        if locked.status not in IN_WORK:
            raise ValidationError(_("Only a planned or in-progress improvement can be shipped."))
        if not (locked.description_en or locked.description_nl):
            raise ValidationError(_("Write the customer-facing description before shipping."))
        locked.status, locked.shipped_at = I.SHIPPED, timezone.now()
        locked.save(update_fields=["status", "shipped_at"])
        notices = [
            ImprovementNotice(
                improvement=locked,
                contact=c,
                status=ImprovementNotice.Status.EXCLUDED if c.pk in exclude else ImprovementNotice.Status.QUEUED,
            )
            for c in recipients(locked)
        ]
        ImprovementNotice.objects.bulk_create(notices, ignore_conflicts=True)
        queued = list(locked.notices.filter(status=ImprovementNotice.Status.QUEUED).values_list("pk", flat=True))
        for start in range(0, len(queued), SEND_BATCH):  # a task per hundred: a task each cost more than the e-mail
            enqueue_on_commit(SEND_TASK, queued[start : start + SEND_BATCH])
        audit_log(
            actor=actor,
            action="improvement.shipped",
            target=locked,
            data={"queued": len(queued), "excluded": sorted(exclude)},
        )
        webhooks.events.emit("improvement.shipped", locked)
    return len(queued)


@dataclass
class BeforeAfter:
    before: NpsResult
    after: NpsResult


def before_after(improvement: Improvement) -> BeforeAfter | None:
    """NPS of the customers who asked: their linked answers vs their answers since it shipped."""
    if not improvement.shipped_at:
        return None
    contact_ids = improvement.links.values("response__contact_id")
    linked = Response.objects.filter(improvement_links__improvement=improvement)
    after = Response.objects.filter(contact_id__in=contact_ids, submitted_at__gt=improvement.shipped_at)
    counts = {
        "promoters": Count("id", filter=Q(category=Category.PROMOTER)),
        "passives": Count("id", filter=Q(category=Category.PASSIVE)),
        "detractors": Count("id", filter=Q(category=Category.DETRACTOR)),
    }
    return BeforeAfter(
        before=nps_from_counts(**linked.aggregate(**counts)), after=nps_from_counts(**after.aggregate(**counts))
    )


def improvement_rows():
    """Every improvement with how many customers asked (`asked`), were really told (`told`: sent in
    the send-once ledger) and how many answers they gave since it shipped (`reanswered`)."""
    _sent_notices = (
        EmailDelivery.objects.filter(
            kind="improvement_notice",
            status=EmailDelivery.Status.SENT,
            key__startswith=Concat(Value("improvement:"), Cast(OuterRef("pk"), CharField()), Value(":")),
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values("n")
    )
    improvements = Improvement.objects.select_related("team").annotate(
        asked=Count("links__response__contact", distinct=True),
        told=Coalesce(Subquery(_sent_notices), 0),
    )
    rows = []
    for improvement in improvements:
        change = before_after(improvement)
        rows.append({"improvement": improvement, "change": change, "reanswered": change.after.n if change else 0})
    return rows


IMPROVEMENT_FIELDS = (
    "title",
    "title_nl",
    "description_en",
    "description_nl",
    "internal_notes",
    "keywords",
    "team",
    "resurvey_campaign",
)


def improvement_save(*, actor, improvement_id: int | None = None, tags=None, **values) -> Improvement:
    """Create an improvement (`improvement_id` None) or change one, from plain values: fields named
    in IMPROVEMENT_FIELDS (related records as instances) and its root-cause tags."""
    unknown = sorted(set(values) - set(IMPROVEMENT_FIELDS))
    if unknown:
        raise TypeError(f"Not fields of an improvement: {', '.join(unknown)}")
    with transaction.atomic():
        if improvement_id is None:
            improvement = Improvement(created_by=actor)
        else:
            improvement = Improvement.objects.select_for_update().get(pk=improvement_id)
        for name, value in values.items():
            setattr(improvement, name, value)
        improvement.save()
        if tags is not None:
            improvement.tags.set(tags)
        audit_log(
            actor=actor,
            action="improvement.created" if improvement_id is None else "improvement.updated",
            target=improvement,
        )
    return improvement
