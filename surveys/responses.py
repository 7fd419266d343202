"""Recording answers: step one stores the score, step two the "why" and the driver answers.

One response per invitation is a database guarantee (Response.invitation is one-to-one); the
invitation row is locked while answering so two simultaneous POSTs cannot both create one.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_on_commit
from scoring.nps import category_for
from surveys.lifecycle import ACCEPTS_ANSWERS
from surveys.models import Answer, Campaign, Invitation, Question, Response

PROCESS_TASK = "followups.tasks.process_response"


class CampaignClosed(Exception):
    """The campaign no longer accepts answers."""


class AlreadyAnswered(Exception):
    """The answer is older than the edit window and can no longer change."""


def edit_window() -> timedelta:
    return timedelta(days=settings.KRINGLOOP["ANSWER_EDIT_DAYS"])


def can_still_edit(response: Response) -> bool:
    return timezone.now() - response.submitted_at <= edit_window()


def clean_score(raw) -> int:
    try:
        score = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationError("Choose a score from 0 to 10.") from None
    if not 0 <= score <= 10 or str(raw).strip() not in {str(score), f"+{score}"}:
        raise ValidationError("Choose a score from 0 to 10.")
    return score


def _copy_campaign(campaign: Campaign) -> dict:
    return {"campaign": campaign, "kind": campaign.kind, "touchpoint_id": campaign.touchpoint_id,
            "team_id": campaign.team_id}


@dataclass
class Submitted:
    response: Response
    created: bool


def response_submit(*, invitation: Invitation, score: int, channel: str | None = None) -> Submitted:
    """Record (or, within the edit window, change) the score of an invitation."""
    category = category_for(score)
    with transaction.atomic():
        # Lock the invitation row: concurrent POSTs on one link queue here, one at a time.
        Invitation.objects.select_for_update().filter(pk=invitation.pk).values_list("pk", flat=True).first()
        campaign = invitation.campaign
        if campaign.status not in ACCEPTS_ANSWERS:
            raise CampaignClosed()
        existing = Response.objects.filter(invitation_id=invitation.pk).first()
        now = timezone.now()
        if existing is not None:
            if not can_still_edit(existing):
                raise AlreadyAnswered()
            if existing.score != score:
                existing.score, existing.category = score, category
                existing.save(update_fields=["score", "category", "updated_at"])
                enqueue_on_commit(PROCESS_TASK, existing.pk)
            return Submitted(existing, created=False)
        contact = invitation.contact
        response = Response.objects.create(
            **_copy_campaign(campaign), contact=contact, invitation=invitation, score=score, category=category,
            channel=channel or campaign.channel, language=(contact.language if contact else campaign.language),
            submitted_at=now,
        )
        Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.ANSWERED, answered_at=now)
        enqueue_on_commit(PROCESS_TASK, response.pk)
    return Submitted(response, created=True)


def response_submit_anonymous(*, campaign: Campaign, score: int, language: str) -> Response:
    """An answer through the campaign's public link (web/QR): no contact, no invitation."""
    category = category_for(score)
    with transaction.atomic():
        if Campaign.objects.filter(pk=campaign.pk, status__in=ACCEPTS_ANSWERS).count() == 0:
            raise CampaignClosed()
        response = Response.objects.create(
            **_copy_campaign(campaign), contact=None, invitation=None, score=score, category=category,
            channel=Campaign.Channel.WEB if campaign.channel == Campaign.Channel.EMAIL else campaign.channel,
            language=language, submitted_at=timezone.now(),
        )
        enqueue_on_commit(PROCESS_TASK, response.pk)
    return response


def response_update_details(*, response: Response, comment: str, answers: dict[int, dict]) -> Response:
    """Store the "why" and the driver answers (question id → {number|text|choices})."""
    limit = settings.KRINGLOOP["COMMENT_MAX_LENGTH"]
    if len(comment) > limit:
        raise ValidationError(f"Please keep your answer under {limit} characters.")
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response.pk)
        if response.campaign.status not in ACCEPTS_ANSWERS:
            raise CampaignClosed()
        if not can_still_edit(response):
            raise AlreadyAnswered()
        comment_changed = response.comment != comment
        response.comment = comment
        response.save(update_fields=["comment", "updated_at"])
        questions = {q.pk: q for q in response.campaign.questions.all()}
        for question_id, value in answers.items():
            question = questions.get(question_id)
            if question is None:
                continue
            if value is None or value == {"number": None, "text": "", "choices": []}:
                Answer.objects.filter(response=response, question=question).delete()
                continue
            Answer.objects.update_or_create(response=response, question=question, defaults={
                "number": value.get("number"), "text": value.get("text", "")[:500],
                "choices": value.get("choices", [])})
        if comment_changed and comment:
            enqueue_on_commit("followups.tasks.response_details_added", response.pk)
    return response


def answer_value_for(question: Question, answer: Answer | None):
    """The form's initial value for a stored answer."""
    if answer is None:
        return None
    if question.kind in (Question.Kind.CSAT, Question.Kind.EFFORT):
        return str(answer.number) if answer.number is not None else None
    if question.kind == Question.Kind.MULTIPLE:
        return answer.choices
    return answer.text
