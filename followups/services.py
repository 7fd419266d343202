"""The work staff do on a follow-up case: status changes, attempts, notes, tags, owners, outcome
and replies to the customer, each with its history line and audit entry. (Opening cases from
answers is followups.processing; escalation followups.escalation.)"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

import webhooks.events
from core.audit import audit_log
from core.queue import enqueue_on_commit
from followups import emails
from followups.history import said
from followups.inbound_queries import reply_thread
from followups.models import FollowUp, FollowUpEvent, RootCauseTag
from followups.queries import is_lead
from followups.routing import owner_problem

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
    # Kringloop itself moves an open case here when the customer's e-mail comes in (followups.inbound).
    S.REPLIED: {S.IN_PROGRESS, S.CONTACTED, S.RESOLVED, S.CLOSED},
}
NOTIFY_TASK = "followups.tasks.notify_owner"
REPLY_TASK = "followups.tasks.send_reply"


def history_line(followup, kind, *, actor=None, text="", **data) -> FollowUpEvent:
    """A line of the case's history, unsaved (for bulk_create); `data` as followups.history.said gives it."""
    return FollowUpEvent(followup=followup, actor=actor, kind=kind, text=text, data=data)


def history_add(followup, kind, **fields) -> FollowUpEvent:
    """A line of the case's history, saved."""
    event = history_line(followup, kind, **fields)
    event.save()
    return event


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
            # By the field that is missing, so the form shows it there.
            if to == S.RESOLVED and not summary.strip():
                raise ValidationError({"summary": _("Resolving a case needs a resolution summary.")})
            if to == S.CLOSED and not reason.strip():
                raise ValidationError({"reason": _("Closing without contact needs a reason.")})
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
        history_add(case, FollowUpEvent.Kind.STATUS, actor=actor, **said(*parts), status_from=previous, status_to=to)
        audit_log(actor=actor, action="followup.status", target=case, data={"from": previous, "to": to})
        if to in (S.RESOLVED, S.CLOSED):
            webhooks.events.emit("followup.closed", case)
    return case


def followup_log_attempt(*, followup: FollowUp, actor, channel: str, result: str, note: str = "") -> FollowUp:
    """Log a call, e-mail or meeting. Reaching the customer marks the case contacted."""
    with transaction.atomic():
        case = FollowUp.objects.select_for_update().get(pk=followup.pk)
        history_add(case, FollowUpEvent.Kind.ATTEMPT, actor=actor, text=note.strip(), channel=channel, result=result)
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
    return history_add(followup, FollowUpEvent.Kind.NOTE, actor=actor, text=text.strip())


def followup_set_tags(*, followup: FollowUp, actor, tags: list[RootCauseTag]) -> None:
    with transaction.atomic():
        before = set(followup.tags.values_list("name", flat=True))
        followup.tags.set(tags)
        after = {t.name for t in tags}
        if before != after:
            history_add(
                followup,
                FollowUpEvent.Kind.TAGGED,
                actor=actor,
                **said(gettext_noop("Root causes: %(tags)s"), tags=sorted(after)),
            )
            audit_log(actor=actor, action="followup.tags", target=followup, data={"tags": sorted(after)})


def followups_bulk_assign(*, followups, actor, owner, reason: str) -> int:
    """Reassign several cases at once, all or none; only team leads and admins may."""
    if not is_lead(actor):
        raise PermissionDenied(_("Only team leads and admins can reassign cases in bulk."))
    with transaction.atomic():
        for case in followups:
            followup_assign(followup=case, actor=actor, owner=owner, reason=reason)
    return len(followups)


def followup_assign(*, followup: FollowUp, actor, owner, reason: str = "", claim: bool = False) -> FollowUp:
    """Claim an unassigned case, or reassign one (a reason is required)."""
    if not claim and not reason.strip():
        raise ValidationError(_("Reassigning a case needs a reason."))
    if owner is not None and owner_problem(owner):
        raise ValidationError({"owner": owner_problem(owner)})
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
        history_add(
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
        history_add(
            followup,
            FollowUpEvent.Kind.NOTE,
            actor=actor,
            **said(gettext_noop("Outcome: %(outcome)s"), outcome=outcome),
        )
        audit_log(actor=actor, action="followup.outcome", target=followup, data={"outcome": outcome})


def followup_reply(
    *, followup: FollowUp, actor, subject: str, body: str, greeting: str | None = None, signature: str | None = None
) -> FollowUpEvent:
    """Reply to the customer by e-mail from the case. Logged on the case now, sent after commit.
    `greeting` and `signature` as the agent wrote them ("" leaves one out; None: the default,
    emails.reply_defaults)."""
    contact = followup.contact
    if contact is None:
        raise ValidationError(_("This answer came through the anonymous link: there is nobody to reply to."))
    if not contact.can_be_emailed:
        raise ValidationError(_("This customer cannot be e-mailed (opted out, unreachable or erased). Call instead."))
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ValidationError(_("A reply needs a subject and a message."))
    with transaction.atomic():
        wrapping = {
            name: value.strip()
            for name, value in (("greeting", greeting), ("signature", signature))
            if value is not None
        }
        # Its Message-ID is fixed now, so a retry sends the same one, and the customer's answer to
        # it (In-Reply-To) and our next reply (References) thread with it.
        event = history_add(
            followup,
            FollowUpEvent.Kind.REPLY,
            actor=actor,
            text=body,
            subject=subject,
            to=contact.email,
            sent=False,
            message_id=emails.new_message_id(),
            **reply_thread(followup),
            **wrapping,
        )
        audit_log(actor=actor, action="followup.replied", target=followup, data={"subject": subject})
        if FollowUp.objects.filter(pk=followup.pk, status=S.REPLIED).exists():
            followup_transition(followup=followup, to=S.CONTACTED, actor=actor)  # our turn taken
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
