"""The demo's answers: a year of invitations, responses and driver answers whose scores drift over
the year by campaign and plan, so the trends have a story; bulk-inserted in chunks."""

import math
from datetime import timedelta

from django.db.models import F
from django.utils import translation

from demo.chance import weighted
from demo.text import COMMENTS
from surveys.models import Answer, Invitation, Question, Response
from surveys.nps import DETRACTOR, category_for
from surveys.wording import why_question


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
            answers.append(Answer(response=response, question=q, text=weighted(rng, list(zip(q.choices, weights)))))
    return answers


def response_chunk(rng, size, now, campaigns, waves, questions, contacts, weights):
    invitations, responses, meta = [], [], []
    for _ in range(size):
        key = weighted(rng, weights)
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
        why_asked = ""
        if comment:  # the "why" the respondent read is kept with the comment, as a real answer keeps it
            with translation.override(language):
                why_asked = why_question(campaign, category)
        responses.append(
            Response(
                campaign=campaign,
                contact=contact,
                invitation=invitation,
                score=score,
                category=category,
                comment=comment,
                why_asked=why_asked,
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
