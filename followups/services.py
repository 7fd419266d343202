"""Follow-up cases: opening, routing, and the work staff do on them. Every write lives here."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

import webhooks.events
from core.audit import audit_log
from core.compiled import CompiledQuery, field_paths, instances_from_row
from core.queue import enqueue_on_commit
from followups import emails, queries, routing, sla
from followups.history import said
from followups.models import FollowUp, FollowUpEvent, RootCauseTag
from surveys.models import Category, Invitation, Response

S = FollowUp.Status

# The only status changes a case may make: new → in progress → contacted → resolved, or closed
# (with a reason) from any open status. Reaching the customer on the first try
# skips "in progress"; a case is resolved only once the customer was reached. Resolved and closed
# cases can be taken up again.
ALLOWED = {
    S.NEW: {S.IN_PROGRESS, S.CONTACTED, S.CLOSED},
    S.IN_PROGRESS: {S.CONTACTED, S.CLOSED},
    S.CONTACTED: {S.IN_PROGRESS, S.RESOLVED, S.CLOSED},
    S.RESOLVED: {S.IN_PROGRESS},
    S.CLOSED: {S.IN_PROGRESS},
}
UNHAPPY = (Category.DETRACTOR, Category.PASSIVE)
NOTIFY_TASK = "followups.tasks.notify_owner"
NOTIFY_MANY_TASK = "followups.tasks.notify_owners"
REPLY_TASK = "followups.tasks.send_reply"
SWEEP_AFTER = timedelta(seconds=60)  # younger work is still in the hands of its task
SWEEP_BATCH = 100  # answers per statement batch when the sweep processes lost work
logger = logging.getLogger(__name__)
CLOSED_AS_PROMOTER = gettext_noop("The customer changed the score to promoter.")  # stored in English, shown translated


def _unsaved_event(followup, kind, *, actor=None, text="", **data) -> FollowUpEvent:
    return FollowUpEvent(followup=followup, actor=actor, kind=kind, text=text, data=data)


def _event(followup, kind, **fields) -> FollowUpEvent:
    event = _unsaved_event(followup, kind, **fields)
    event.save()
    return event


def wants_followup(response: Response) -> bool:
    """Detractors and passives always; promoters when their campaign asks for a "thank and ask for a review" case."""
    return response.category in UNHAPPY or (
        response.category == Category.PROMOTER
        and response.campaign_id is not None
        and response.campaign.followup_promoters
    )


def contact_drop(*, response: Response) -> bool:
    """True when this answer is worse than the contact's previous one: a lower category or 3+ points."""
    if response.contact_id is None:
        return False
    previous = (
        Response.objects.filter(contact_id=response.contact_id, submitted_at__lt=response.submitted_at)
        .order_by("-submitted_at")
        .values("score", "category")
        .first()
    )
    return bool(previous) and dropped(response, previous["score"], previous["category"])


def dropped(response: Response, previous_score: int | None, previous_category: str | None) -> bool:
    """Whether `response` is worse than the contact's previous answer (None: there was none)."""
    if previous_category is None:
        return False
    rank = {Category.DETRACTOR: 0, Category.PASSIVE: 1, Category.PROMOTER: 2}
    return rank[response.category] < rank[previous_category] or previous_score - response.score >= 3


def previous_answer() -> dict:
    """Annotations giving a response its contact's previous answer: previous_score, previous_category
    (what contact_drop looks up, for many responses in one query)."""
    earlier = Response.objects.filter(
        contact_id=OuterRef("contact_id"), submitted_at__lt=OuterRef("submitted_at")
    ).order_by("-submitted_at")
    return {
        "previous_score": Subquery(earlier.values("score")[:1]),
        "previous_category": Subquery(earlier.values("category")[:1]),
    }


# The row lock and what processing needs to decide, in one query compiled once (most answers
# need nothing more: a promoter without a case costs this query and two updates).
_LOCK_RESPONSE = CompiledQuery(
    lambda pk: (
        Response.objects.select_for_update(of=("self",))
        .filter(pk=pk)
        .values_list(*field_paths(Response), "campaign__followup_promoters", "followup__id")
    ),
    kinds=(int,),
)


@dataclass
class Processed:
    followup: FollowUp | None
    created: bool


def response_process(*, response_id: int) -> Processed:
    """Open (exactly once) and route the follow-up a response needs, then mark the response processed.

    Safe to run any number of times, on any number of workers at once: the response row is locked
    and FollowUp.response is one-to-one, so a duplicate delivery finds the case already there.
    """
    with transaction.atomic():
        row = _LOCK_RESPONSE.first(response_id)
        if row is None:
            return Processed(None, False)
        [response] = instances_from_row(row[:-2], Response)
        followup_promoters, followup_id = row[-2:]
        if response.processed_at is None:  # its first processing: the answer is new to the webhooks
            webhooks.events.emit("response.created", response)
        existing = FollowUp.objects.get(pk=followup_id) if followup_id else None
        result = Processed(existing, False)
        if existing is not None:
            _sync_category(existing, response)
        elif response.category in UNHAPPY or (response.category == Category.PROMOTER and followup_promoters):
            result = Processed(*_open(response))
        # Stamped on every run: a response changed after this moment (updated_at > processed_at)
        # and not processed again is found by the sweep.
        stamps = {"processed_at": timezone.now()}
        if response.invitation_id is not None and response.processed_at is None:
            # The answer request wrote only the response; the invitation is marked answered here
            # (reports already count it answered by its response: scoring.rollup.ANSWERED).
            Invitation.objects.filter(pk=response.invitation_id, answered_at__isnull=True).update(
                status=Invitation.Status.ANSWERED, answered_at=response.submitted_at
            )
        Response.objects.filter(pk=response.pk).update(**stamps)
    if result.created:
        enqueue_on_commit(NOTIFY_TASK, result.followup.pk)
    return result


def responses_process(*, response_ids: list[int]) -> int:
    """Process a batch of answers; returns how many were handled.

    The first processing of an answer is the same few writes for every answer of a kind, so when
    no webhook wants to hear of each one, new promoters that need no case are settled together and
    new cases are opened together (a fixed number of statements per batch). Every other answer
    goes through response_process on its own, and one failing answer does not stop the others
    (the sweep retries it)."""
    batched = set()
    if response_ids and not _webhooks_listening():
        batched = _settle_quiet_answers(response_ids)
        batched |= _open_cases([pk for pk in response_ids if pk not in batched])
    done = len(batched)
    for response_id in response_ids:
        if response_id in batched:
            continue
        try:
            response_process(response_id=response_id)
            done += 1
        except OperationalError:
            raise  # the database is away: the task retries the whole batch (processing is idempotent)
        except Exception:
            logger.exception("Could not process response %s; the sweep will retry it.", response_id)
    return done


def _webhooks_listening() -> bool:
    return bool(webhooks.events.subscribed_endpoints("response.created", "followup.created"))


def _new_answers(response_ids: list[int]):
    """The batch's answers never processed and without a case, locked (the conditions sit in the
    locking query, so an answer changed or processed meanwhile is left to response_process)."""
    return Response.objects.select_for_update(of=("self",)).filter(
        pk__any=response_ids, processed_at__isnull=True, followup__isnull=True
    )


def _mark_processed(answers: dict[int, int | None]) -> None:
    """{response id: invitation id or None}: stamp the responses processed, their invitations answered."""
    invitations = [pk for pk in answers.values() if pk is not None]
    if invitations:
        answered = Response.objects.filter(invitation_id=OuterRef("pk")).values("submitted_at")[:1]
        Invitation.objects.filter(pk__any=invitations, answered_at__isnull=True).update(
            status=Invitation.Status.ANSWERED, answered_at=Subquery(answered)
        )
    Response.objects.filter(pk__any=list(answers)).update(processed_at=timezone.now())


def _settle_quiet_answers(response_ids: list[int]) -> set[int]:
    """Mark processed, in three statements, the batch's new promoter answers that open no case."""
    if not response_ids:
        return set()
    with transaction.atomic():
        quiet = dict(
            _new_answers(response_ids)
            .filter(category=Category.PROMOTER, campaign__followup_promoters=False)
            .values_list("pk", "invitation_id")
        )
        if quiet:
            _mark_processed(quiet)
    return set(quiet)


def _open_cases(response_ids: list[int]) -> set[int]:
    """Open, route and record the cases of the batch's new answers that want one, in a fixed number
    of statements: rules, deadlines and round-robin positions are read once, cases and their
    history lines written with one INSERT each; one task alerts the owners."""
    if not response_ids:
        return set()
    with transaction.atomic():
        answers = list(
            _new_answers(response_ids)
            .filter(Q(category__in=UNHAPPY) | Q(category=Category.PROMOTER, campaign__followup_promoters=True))
            .annotate(**previous_answer())
            .select_related("campaign", "contact__account_owner")
            .order_by("pk")
        )
        if not answers:
            return set()
        router, deadlines, now = routing.Router(), sla.policies(), timezone.now()
        cases, lines = [], []
        for response in answers:
            case, case_lines = _routed_case(
                response,
                router,
                at_risk=dropped(response, response.previous_score, response.previous_category),
                now=now,
                deadlines=deadlines,
            )
            cases.append(case)
            lines.append(case_lines)
        router.finish()
        FollowUp.objects.bulk_create(cases)
        FollowUpEvent.objects.bulk_create(
            [
                _unsaved_event(case, kind, **fields)
                for case, case_lines in zip(cases, lines)
                for kind, fields in case_lines
            ]
        )
        _mark_processed({response.pk: response.invitation_id for response in answers})
        enqueue_on_commit(NOTIFY_MANY_TASK, [case.pk for case in cases])
    return {response.pk for response in answers}


def sweep_lost_work(*, now=None, limit: int = 5000) -> int:
    """Finish what lost tasks left undone: responses never processed (the broker was down at
    commit) or changed since (a re-answered score), replies to customers and owner alerts never sent. Everything it
    calls is idempotent, so overlapping with the tasks themselves is harmless. Bounded per run."""
    now = now or timezone.now()
    before = now - SWEEP_AFTER
    edit_window = timedelta(days=settings.KRINGLOOP["ANSWER_EDIT_DAYS"] + 1)
    ids = queries.responses_to_process(before=before, changed_since=before - edit_window, limit=limit)
    for start in range(0, len(ids), SWEEP_BATCH):  # the batch path: after an outage, thousands a minute
        try:  # responses_process keeps one bad row from blocking the rest; it is retried next sweep
            responses_process(response_ids=ids[start : start + SWEEP_BATCH])
        except Exception:  # the database went away mid-sweep: the next sweep takes it from here
            logger.exception("Sweep could not process responses %s…", ids[start])
    for event_id in queries.replies_not_sent(created_from=before - timedelta(days=2), created_before=before)[:limit]:
        try:
            followup_reply_send(event_id=event_id)
        except Exception:
            logger.exception("Sweep could not send reply %s.", event_id)
    unsent = queries.followups_missing_owner_alert(created_from=before - timedelta(days=2), created_before=before)
    try:  # a provider error leaves that one alert pending for the next sweep; the others are sent
        emails.send_owner_alerts(followup_ids=list(unsent.values_list("pk", flat=True)[:limit]))
    except Exception:
        logger.exception("Sweep could not send every missing owner alert; it tries again next time.")
    return len(ids)


def _open(response: Response) -> tuple[FollowUp, bool]:
    """Create, route and record the case; (case, created)."""
    router = routing.Router()
    followup, lines = _routed_case(response, router, at_risk=contact_drop(response=response), now=timezone.now())
    router.finish()
    try:
        with transaction.atomic():
            followup.save(force_insert=True)
    except IntegrityError:
        # Another worker opened it between our check and insert (possible only without the row lock).
        return FollowUp.objects.get(response=response), False
    for kind, data in lines:
        _event(followup, kind, **data)
    webhooks.events.emit("followup.created", followup)
    return followup, True


def _routed_case(
    response: Response, router: routing.Router, *, at_risk: bool, now, deadlines=None
) -> tuple[FollowUp, list[tuple[str, dict]]]:
    """The new, unsaved case of `response`, routed by `router`, and its history lines
    (`deadlines`: sla.policies(), when many cases are opened at once)."""
    rule = router.match(response, at_risk=at_risk)
    owner, team = router.resolve(rule, response)
    case = FollowUp(
        response=response,
        contact=response.contact,
        category=response.category,
        owner=owner,
        team=team,
        routed_by=rule,
        due_at=sla.due_at(now, response.category, known=deadlines),
        at_risk=at_risk,
    )
    return case, _opening_lines(response, rule, owner, team)


def _opening_lines(response: Response, rule, owner, team) -> list[tuple[str, dict]]:
    """The history lines of a new case: (kind, event fields) for "opened" and "routed"."""
    lines = [
        (
            FollowUpEvent.Kind.CREATED,
            said(
                gettext_noop("Case opened for a %(category)s answer (score %(score)s)."),
                category=response.category,
                score=response.score,
            ),
        )
    ]
    if rule is None:
        lines.append((FollowUpEvent.Kind.ROUTED, said(gettext_noop("No routing rule matched: in the fallback queue."))))
        return lines
    if owner:
        line = said(gettext_noop("Routed to %(who)s by rule “%(rule)s”."), who=owner.get_username(), rule=rule.name)
    elif team:
        line = said(gettext_noop("Routed to the %(team)s queue by rule “%(rule)s”."), team=str(team), rule=rule.name)
    else:
        line = said(gettext_noop("Routed to the fallback queue by rule “%(rule)s”."), rule=rule.name)
    lines.append((FollowUpEvent.Kind.ROUTED, {**line, "rule": rule.pk, "owner": owner.pk if owner else None}))
    return lines


def _sync_category(followup: FollowUp, response: Response) -> None:
    """The respondent changed their score within the edit window: follow the new category.

    An open case gets the new category and deadline, or is closed if no case is wanted any more
    (a promoter now); a case closed for that reason is reopened when the answer turns unhappy again.
    """
    if followup.category == response.category:
        return
    previous = followup.category
    wanted = wants_followup(response)
    followup.category = response.category
    followup.at_risk = contact_drop(response=response)
    if followup.status in FollowUp.OPEN_STATUSES and wanted:
        followup.due_at = sla.due_at(followup.created_at, response.category)
    followup.save(update_fields=["category", "at_risk", "due_at", "updated_at"])
    _event(
        followup,
        FollowUpEvent.Kind.STATUS,
        **said(gettext_noop("The customer changed the score to %(score)s."), score=response.score),
        category_from=previous,
        category_to=response.category,
    )
    if followup.status in FollowUp.OPEN_STATUSES and not wanted:
        followup_transition(followup=followup, to=S.CLOSED, actor=None, reason=CLOSED_AS_PROMOTER)
    elif followup.status == S.CLOSED and followup.closed_reason == CLOSED_AS_PROMOTER and wanted:
        followup_transition(followup=followup, to=S.IN_PROGRESS, actor=None)
        FollowUp.objects.filter(pk=followup.pk).update(due_at=sla.due_at(timezone.now(), response.category))


def response_details_added(*, response_id: int) -> None:
    """The respondent added their "why" after the case was opened: note it on the case."""
    followup = FollowUp.objects.filter(response_id=response_id).first()
    if followup is not None:
        _event(followup, FollowUpEvent.Kind.NOTE, **said(gettext_noop("The customer added a comment to their answer.")))


# --- Work on a case -------------------------------------------------------------------------
def followup_transition(
    *, followup: FollowUp, to: str, actor, reason: str = "", summary: str = "", outcome: str = ""
) -> FollowUp:
    """Change a case's status: only the transitions in ALLOWED; closing needs a reason, resolving a summary.

    An `outcome` given along is stored too (also when the status stays the same).
    """
    with transaction.atomic():
        case = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if to != case.status:
            if to not in ALLOWED.get(case.status, set()):
                raise ValidationError(
                    _("A %(status)s case cannot become %(to)s.")
                    % {"status": case.get_status_display().lower(), "to": S(to).label.lower()}
                )
            if to == S.RESOLVED and not summary.strip():
                raise ValidationError(_("Resolving a case needs a resolution summary."))
            if to == S.CLOSED and not reason.strip():
                raise ValidationError(_("Closing without contact needs a reason."))
        if outcome.strip() and outcome.strip()[:200] != case.outcome:
            followup_set_outcome(followup=case, actor=actor, outcome=outcome)
            case.refresh_from_db()
        if to == case.status:
            return case
        previous = case.status
        case.status = to
        now = timezone.now()
        if to in (S.RESOLVED, S.CLOSED):
            case.closed_at = now
            case.resolution_summary = summary.strip() if to == S.RESOLVED else case.resolution_summary
            case.closed_reason = reason.strip() if to == S.CLOSED else case.closed_reason
        else:  # open again: the old reason and summary stay in the history only
            case.closed_at, case.closed_reason, case.resolution_summary = None, "", ""
        if to == S.CONTACTED and case.first_contact_at is None:
            case.first_contact_at = now
        if case.owner_id is None and actor is not None:
            case.owner = actor
        case.save()
        parts = [(gettext_noop("Status: %(status_from)s → %(status_to)s."), {"status_from": previous, "status_to": to})]
        if reason:
            parts.append((gettext_noop("Reason: %(reason)s"), {"reason": reason.strip()}))
        if summary:
            parts.append((gettext_noop("Summary: %(summary)s"), {"summary": summary.strip()}))
        _event(case, FollowUpEvent.Kind.STATUS, actor=actor, **said(*parts), status_from=previous, status_to=to)
        audit_log(actor=actor, action="followup.status", target=case, data={"from": previous, "to": to})
        if to in (S.RESOLVED, S.CLOSED):
            webhooks.events.emit("followup.closed", case)
    return case


def followup_log_attempt(*, followup: FollowUp, actor, channel: str, result: str, note: str = "") -> FollowUp:
    """Log a call, e-mail or meeting. Reaching the customer marks the case contacted."""
    with transaction.atomic():
        case = FollowUp.objects.select_for_update().get(pk=followup.pk)
        _event(case, FollowUpEvent.Kind.ATTEMPT, actor=actor, text=note.strip(), channel=channel, result=result)
        if result == "reached":
            if case.first_contact_at is None:
                case.first_contact_at = timezone.now()
                case.save(update_fields=["first_contact_at", "updated_at"])
            if case.status in (S.NEW, S.IN_PROGRESS):
                return followup_transition(followup=case, to=S.CONTACTED, actor=actor)
        elif case.status == S.NEW:
            return followup_transition(followup=case, to=S.IN_PROGRESS, actor=actor)
    return case


def followup_add_note(*, followup: FollowUp, actor, text: str) -> FollowUpEvent:
    if not text.strip():
        raise ValidationError(_("A note cannot be empty."))
    return _event(followup, FollowUpEvent.Kind.NOTE, actor=actor, text=text.strip())


def followup_set_tags(*, followup: FollowUp, actor, tags: list[RootCauseTag]) -> None:
    with transaction.atomic():
        before = set(followup.tags.values_list("name", flat=True))
        followup.tags.set(tags)
        after = {t.name for t in tags}
        if before != after:
            _event(
                followup,
                FollowUpEvent.Kind.TAGGED,
                actor=actor,
                **said(gettext_noop("Root causes: %(tags)s"), tags=sorted(after)),
            )
            audit_log(actor=actor, action="followup.tags", target=followup, data={"tags": sorted(after)})


def followup_assign(*, followup: FollowUp, actor, owner, reason: str = "", claim: bool = False) -> FollowUp:
    """Claim an unassigned case, or reassign one (a reason is required)."""
    if not claim and not reason.strip():
        raise ValidationError(_("Reassigning a case needs a reason."))
    with transaction.atomic():
        case = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if claim and case.owner_id is not None:
            raise ValidationError(_("Someone else has already claimed this case."))
        previous = case.owner
        case.owner = owner
        case.save(update_fields=["owner", "updated_at"])
        who = owner.get_username() if owner else "nobody"
        line = (
            said(gettext_noop("Claimed by %(who)s."), who=owner.get_username() if owner else None)
            if claim
            else said(
                gettext_noop("Reassigned from %(owner_from)s to %(owner_to)s. Reason: %(reason)s"),
                owner_from=previous.get_username() if previous else None,
                owner_to=owner.get_username() if owner else None,
                reason=reason.strip(),
            )
        )
        _event(
            case,
            FollowUpEvent.Kind.REASSIGNED,
            actor=actor,
            **line,
            owner_from=previous.pk if previous else None,
            owner_to=owner.pk if owner else None,
        )
        audit_log(
            actor=actor,
            action="followup.claimed" if claim else "followup.reassigned",
            target=case,
            data={"to": who, "reason": reason.strip()},
        )
    if not claim and owner is not None and owner != actor:
        enqueue_on_commit(NOTIFY_TASK, case.pk)
    return case


def followup_set_outcome(*, followup: FollowUp, actor, outcome: str) -> None:
    outcome = outcome.strip()[:200]
    with transaction.atomic():
        FollowUp.objects.filter(pk=followup.pk).update(outcome=outcome, updated_at=timezone.now())
        _event(
            followup,
            FollowUpEvent.Kind.NOTE,
            actor=actor,
            **said(gettext_noop("Outcome: %(outcome)s"), outcome=outcome),
        )
        audit_log(actor=actor, action="followup.outcome", target=followup, data={"outcome": outcome})


def followup_reply(*, followup: FollowUp, actor, subject: str, body: str) -> FollowUpEvent:
    """Reply to the customer by e-mail from the case. Logged on the case now, sent after commit."""
    contact = followup.contact
    if contact is None:
        raise ValidationError(_("This answer came through the anonymous link: there is nobody to reply to."))
    if not contact.can_be_emailed:
        raise ValidationError(_("This customer cannot be e-mailed (opted out, unreachable or erased). Call instead."))
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ValidationError(_("A reply needs a subject and a message."))
    with transaction.atomic():
        event = _event(
            followup, FollowUpEvent.Kind.REPLY, actor=actor, text=body, subject=subject, to=contact.email, sent=False
        )
        audit_log(actor=actor, action="followup.replied", target=followup, data={"subject": subject})
    enqueue_on_commit(REPLY_TASK, event.pk)
    return event


def followup_reply_send(*, event_id: int) -> bool:
    """Send a logged reply (once); a contact who opted out meanwhile gets nothing, noted on the case."""
    event = (
        FollowUpEvent.objects.select_related("followup__contact", "actor")
        .filter(pk=event_id, kind=FollowUpEvent.Kind.REPLY)
        .first()
    )
    if event is None or event.data.get("sent") is not False:
        return False
    contact = event.followup.contact
    if contact is None or not contact.can_be_emailed:
        FollowUpEvent.objects.filter(pk=event.pk).update(data={**event.data, "sent": None, "skipped": "opted out"})
        return False
    emails.send_customer_reply(event=event)
    FollowUpEvent.objects.filter(pk=event.pk).update(data={**event.data, "sent": True})
    return True
