"""Answers become cases. Every new or changed answer is processed here by one piece of code, for one
answer (a task, a changed score) or a batch of them (the hand-off, the sweep) alike: a single
answer is a batch of one.

Processing an answer, once or any number of times, on any number of workers at once:
- the first time, report it to the webhooks (response.created) and mark its invitation answered;
- if it wants a case (routing.wants_followup) and has none: open it, route it, record its history,
  report it (followup.created), and alert the owners with one task after commit: at once when the
  customer already gave their "why", else held until it arrives or the hold (settings
  OWNER_ALERT_HOLD_SECONDS) has passed, whichever comes first;
- if it has a case: follow a changed score (`_sync_category`); if its "why" arrived since it was
  last processed, send the held alert now, or one update to an alert that went out without it;
- a new or changed comment is read for its language and themes by one task after commit
  (themes.tasks.analyse_comments; the nightly pass catches up on any it missed);
- stamp it processed: a response changed after that stamp is found again by the sweep.

The batch's responses are locked first (in id order) and their cases read after the lock, so two
workers given the same answers take turns and the second finds the work done; FollowUp.response
is one-to-one besides. A batch costs a fixed number of statements whatever its length: rules,
deadlines and round-robin positions are read once, cases, history lines and webhook deliveries
written with one INSERT each. Only a changed score on an existing case costs statements of its own.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import OuterRef, Subquery, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_noop

import webhooks.events
from core.queue import enqueue_on_commit, send_task_now
from followups import emails, kudos, notices, queries, routing, sla
from followups.history import said
from followups.models import FollowUp, FollowUpEvent, InboundMessage
from followups.services import followup_reply_send, followup_transition, history_add, history_line
from surveys.models import Campaign, Category, Invitation, Response

S = FollowUp.Status
NOTIFY_MANY_TASK = "followups.tasks.notify_owners"
NOTIFY_WHY_TASK = "followups.tasks.notify_owners_why"
ANALYSE_TASK = "themes.tasks.analyse_comments"
# Younger work is still in the hands of its task. Half a minute (a minute before 2026-12-06): an answer
# is processed within seconds, and one the sweep takes from a task still queued behind a backlog is
# only processed first by the sweep (the lock and the stamps make the queued task's run a no-op). The
# sweep runs every 15 s (config/celery.py), so lost work waits 30-45 s, not 60-120 (make chaos).
SWEEP_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 100  # answers per batch when the sweep processes lost work
NOTICES_PER_SWEEP = 2000  # lost "you said, we did" notices one sweep queues again at most
# A sweep starts nothing new after SWEEP_BUDGET seconds, and runs once at a time (core.queue.single_flight,
# held SWEEP_HOLD seconds at most): after an outage a sweep has more to do than a minute holds, and the
# next minute's run beside it would only do the same work again, taking the workers from everything else.
SWEEP_BUDGET = 45
SWEEP_HOLD = 90
# What routing and deadlines read of an answer's contact: its account owner, its account's owner.
ANSWER_CONTACT = ("contact__account_owner", "contact__account__owner")
CLOSED_AS_PROMOTER = gettext_noop("The customer changed the score to promoter.")  # stored in English, shown translated
logger = logging.getLogger(__name__)


@dataclass
class Processed:
    followup: FollowUp | None
    created: bool


def response_process(*, response_id: int) -> Processed:
    """Process one answer (a batch of one); its case, and whether this run opened it."""
    return _process([response_id]).get(response_id, Processed(None, False))


def responses_process(*, response_ids: list[int]) -> int:
    """Process a batch of answers; returns how many were handled.

    One answer that cannot be processed (bad data, a bug) must not hold up the others: the batch
    is then processed again one answer at a time, and the failing one is left for the sweep.
    A database outage is raised instead: the task retries the whole batch."""
    try:
        _process(response_ids)
        return len(response_ids)
    except OperationalError:
        raise
    except Exception:
        if len(response_ids) == 1:
            logger.exception("Could not process response %s; the sweep will retry it.", response_ids[0])
            return 0
        logger.warning("A batch of %s answers failed; processing them one at a time.", len(response_ids))
    done = 0
    for response_id in response_ids:
        try:
            _process([response_id])
            done += 1
        except OperationalError:
            raise
        except Exception:
            logger.exception("Could not process response %s; the sweep will retry it.", response_id)
    return done


def locked_answers(response_ids: list[int]):
    """The answers, locked for processing. FOR NO KEY UPDATE (only non-key columns change), so a row
    that merely points at an answer (a rollup's LatestScore, a case, a link) can still be written:
    with FOR UPDATE its foreign-key check waited on the lock, and a rollup refresh and processing
    deadlocked (make chaos)."""
    return Response.objects.select_for_update(of=("self",), no_key=True).filter(pk__any=response_ids)


def _process(response_ids: list[int]) -> dict[int, Processed]:
    if not response_ids:
        return {}
    with transaction.atomic():
        answers = list(locked_answers(response_ids).select_related("campaign", "touchpoint", "team").order_by("pk"))
        if not answers:
            return {}
        # The contacts and their owners (routing, deadlines) by primary key, not joined to the locked
        # answers: with the join, PostgreSQL chose to walk the contacts' whole key index whenever its
        # statistics predated the newest contacts (46 ms a batch of 250 against 5).
        prefetch_related_objects(answers, *ANSWER_CONTACT)
        # Read after the lock: a case another worker opened meanwhile is seen here.
        cases = {case.response_id: case for case in FollowUp.objects.filter(response_id__any=[r.pk for r in answers])}
        to_open = [r for r in answers if r.pk not in cases and routing.wants_followup(r)]
        rescored = [r for r in answers if r.pk in cases and cases[r.pk].category != r.category]
        _add_previous_answers(to_open + rescored)
        new = [response for response in answers if response.processed_at is None]
        # An employee's answer (eNPS) is anonymous: it never leaves in a webhook, is nobody's kudos
        # and joins no customer theme.
        customers = [response for response in answers if response.kind != Campaign.Kind.EMPLOYEE]
        webhooks.events.emit_many("response.created", [r for r in new if r.kind != Campaign.Kind.EMPLOYEE])
        for response in rescored:
            _sync_category(cases[response.pk], response)
        opened = _open_cases(to_open)
        results = {response.pk: Processed(cases.get(response.pk), False) for response in answers}
        results.update({case.response_id: Processed(case, True) for case in opened})
        prefetch_related_objects(opened, "tags")  # what the webhook payload lists: one query for the batch
        webhooks.events.emit_many("followup.created", opened)
        kudos.record([r for r in customers if r.category == Category.PROMOTER and r.comment])
        why_arrived = [
            cases[r.pk].pk
            for r in answers
            if r.pk in cases and r.comment and r.processed_at is not None and r.updated_at > r.processed_at
        ]
        changed = [r.pk for r in customers if r.comment and (r.processed_at is None or r.updated_at > r.processed_at)]
        _mark_processed(answers, answered=[r.invitation_id for r in new if r.invitation_id is not None])
        _alert_owners(opened, why_arrived)
        if changed:  # its language and themes (themes.assign), apart: a failure there holds up no case
            enqueue_on_commit(ANALYSE_TASK, changed)
    return results


def _alert_owners(opened: list[FollowUp], why_arrived: list[int]) -> None:
    """After commit: the alerts of new cases (held for those without a "why" yet), and the "why"
    of existing ones. The alerts due now are sent by this task itself, the others by one task each
    at most; the sweep sends what a lost task left."""
    hold = emails.alert_hold().total_seconds()
    now, held = [], []
    for case in opened:  # held only while a "why" may still come
        (now if case.response.comment or not hold else held).append(case)
    if now:
        transaction.on_commit(lambda: _alert_now(now))
    if held:
        enqueue_on_commit(NOTIFY_MANY_TASK, [case.pk for case in held], countdown=hold)
    if why_arrived:
        enqueue_on_commit(NOTIFY_WHY_TASK, why_arrived)


def _alert_now(cases: list[FollowUp]) -> None:
    """The alerts of these new cases, sent after commit from the cases as this task loaded them: a
    task of their own (notify_owners) cost the worker as much again, in the hop and in loading the
    cases a second time. Sent once per case and recipient all the same (the ledger); if sending
    fails, notify_owners takes them over with its retries, and the sweep sends what both missed."""
    without_owner = [case for case in cases if case.owner_id is None and case.team_id is not None]
    try:
        prefetch_related_objects(without_owner, "team__lead")  # who is told of a team queue's case
        emails.send_owner_alerts_of(cases)
    except Exception:
        logger.warning("Could not send the owner alerts of %s cases; a task retries them.", len(cases), exc_info=True)
        send_task_now(NOTIFY_MANY_TASK, [case.pk for case in cases])


def _add_previous_answers(answers: list[Response]) -> None:
    """Give each of `answers` its contact's previous answer (previous_score, previous_category: what
    routing.dropped compares with), in one query; only answers that open or change a case need it."""
    if not answers:
        return
    previous = {
        pk: (score, category)
        for pk, score, category in Response.objects.filter(pk__any=[r.pk for r in answers])
        .annotate(**routing.previous_answer())
        .values_list("pk", "previous_score", "previous_category")
    }
    for response in answers:
        response.previous_score, response.previous_category = previous[response.pk]


def _mark_processed(answers: list[Response], *, answered: list[int]) -> None:
    """Stamp the answers processed, and the invitations of the new ones answered: the answer
    request wrote only the response (reports already count it answered by its response:
    scoring.recount.ANSWERED). Stamped on every run: a response changed after this moment
    (updated_at > processed_at) and not processed again is found by the sweep."""
    if answered:
        submitted = Response.objects.filter(invitation_id=OuterRef("pk")).values("submitted_at")[:1]
        Invitation.objects.filter(pk__any=answered, answered_at__isnull=True).update(
            status=Invitation.Status.ANSWERED, answered_at=Subquery(submitted)
        )
    Response.objects.filter(pk__any=[response.pk for response in answers]).update(processed_at=timezone.now())


def _open_cases(answers: list[Response]) -> list[FollowUp]:
    """Open, route and record the cases of `answers` (with their previous answers):
    rules, deadlines and round-robin positions read once, cases and history lines written with one
    INSERT each."""
    if not answers:
        return []
    router, deadlines, now = routing.Router(), sla.policies(), timezone.now()
    cases, lines = [], []
    for response in answers:
        at_risk = routing.dropped(response, response.previous_score, response.previous_category)
        rule = router.match(response, at_risk=at_risk)
        owner, team = router.resolve(rule, response)
        cases.append(
            FollowUp(
                response=response,
                contact=response.contact,
                category=response.category,
                owner=owner,
                team=team,
                routed_by=rule,
                due_at=sla.due_at(
                    now, response.category, known=deadlines, key_account=sla.is_key_account(response.contact)
                ),
                at_risk=at_risk,
            )
        )
        lines.append(_opening_lines(response, rule, owner, team))
    router.finish()
    FollowUp.objects.bulk_create(cases)
    FollowUpEvent.objects.bulk_create(
        [history_line(case, kind, **fields) for case, case_lines in zip(cases, lines) for kind, fields in case_lines]
    )
    return cases


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
    `response` has its previous answer (_add_previous_answers).
    """
    if followup.category == response.category:
        return
    previous = followup.category
    wanted = routing.wants_followup(response)
    followup.category = response.category
    followup.at_risk = routing.dropped(response, response.previous_score, response.previous_category)
    if followup.status in FollowUp.OPEN_STATUSES and wanted:
        followup.due_at = sla.due_at(
            followup.created_at, response.category, key_account=sla.is_key_account(response.contact)
        )
    followup.save(update_fields=["category", "at_risk", "due_at", "updated_at"])
    history_add(
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
        due = sla.due_at(timezone.now(), response.category, key_account=sla.is_key_account(response.contact))
        FollowUp.objects.filter(pk=followup.pk).update(due_at=due)


def response_details_added(*, response_id: int) -> None:
    """The respondent added their "why" after the case was opened: note it on the case."""
    kudos.record(Response.objects.filter(pk=response_id, category=Category.PROMOTER).exclude(comment=""))
    followup = FollowUp.objects.filter(response_id=response_id).first()
    if followup is not None:
        history_add(
            followup, FollowUpEvent.Kind.NOTE, **said(gettext_noop("The customer added a comment to their answer."))
        )


def sweep_lost_work(*, now=None, limit: int = 5000, budget: float | None = None) -> int:
    """Finish what lost tasks left undone: responses never processed (the broker was down at
    commit) or changed since (a re-answered score), replies to customers, owner alerts and "you
    said, we did" notices never sent. Everything it calls is idempotent, so overlapping with the
    tasks themselves is harmless. Bounded per run: at most `limit` of each, and after `budget`
    seconds it starts no new batch of answers, replies or customer e-mails (the next run, 15 s later,
    goes on where it stopped); lost notices are queued first and missing owner alerts always sent.
    Returns how many answers it processed."""
    now = now or timezone.now()
    deadline = time.monotonic() + budget if budget is not None else None

    def out_of_time() -> bool:
        return deadline is not None and time.monotonic() > deadline

    before = now - SWEEP_AFTER
    edit_window = timedelta(days=settings.KRINGLOOP["ANSWER_EDIT_DAYS"] + 1)
    # Lost notices go back to their batch task, a hundred a task, so the workers send them side by side
    # (sent one by one here, 600 took this one process minutes). Queued again each run until sent: a
    # task that finds its notices sent does nothing. First, as it costs a query: a run that spends its
    # budget on lost answers must not leave them waiting (make chaos: 600 notices, none sent in 4 minutes).
    lost = notices.notices_lost(shipped_before=before, limit=min(limit, NOTICES_PER_SWEEP))
    for start in range(0, len(lost), notices.SEND_BATCH):
        send_task_now(notices.SEND_TASK, lost[start : start + notices.SEND_BATCH])
    ids = queries.responses_to_process(before=before, changed_since=before - edit_window, limit=limit)
    processed = 0
    for start in range(0, len(ids), SWEEP_BATCH):  # after an outage, thousands a minute
        if out_of_time():
            break  # the owner alerts below still go: one batched call
        processed = min(start + SWEEP_BATCH, len(ids))
        try:  # responses_process keeps one bad row from blocking the rest; it is retried next sweep
            responses_process(response_ids=ids[start : start + SWEEP_BATCH])
        except Exception:  # the database went away mid-sweep: the next sweep takes it from here
            logger.exception("Sweep could not process responses %s…", ids[start])
    for event_id in queries.replies_not_sent(created_from=before - timedelta(days=2), created_before=before)[:limit]:
        if out_of_time():
            break
        try:
            followup_reply_send(event_id=event_id)
        except Exception:
            logger.exception("Sweep could not send reply %s.", event_id)
    unsent = queries.followups_missing_owner_alert(
        created_from=before - timedelta(days=2), created_before=before, held_since=now - emails.alert_hold()
    )
    try:  # a provider error leaves that one alert pending for the next sweep; the others are sent
        emails.send_owner_alerts(followup_ids=list(unsent.values_list("pk", flat=True)[:limit]))
    except Exception:
        logger.exception("Sweep could not send every missing owner alert; it tries again next time.")
    for inbound_id in InboundMessage.objects.filter(
        notified_at__isnull=True, received_at__lt=before, received_at__gte=before - timedelta(days=2)
    ).values_list("pk", flat=True)[:limit]:
        if out_of_time():
            break
        try:
            emails.send_inbound_notice(inbound_id=inbound_id)
        except Exception:
            logger.exception("Sweep could not tell the owner about customer e-mail %s.", inbound_id)
    return processed
