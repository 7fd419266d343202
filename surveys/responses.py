"""Recording answers: step one stores the score, step two the "why" and the driver answers.

One response per invitation is a database guarantee (Response.invitation is one-to-one). A link's
answer is a single statement (response_submit_first: INSERT … SELECT from the link, ON CONFLICT on
that one-to-one changing the score of an answer still within the edit window; nothing read before
it and nothing else written on the request); anything else (an unchanged or too old answer, a
closed campaign, a bad score) goes the general way, which loads the link first and says which it
was. When two POSTs on one link race in the general way, the loser's INSERT stops on that unique
index and it changes the winner's response instead (under a row lock). Each new or changed
response is handed to the follow-up step on commit (core/handoff.py, then `followups.tasks.process_response(s)`,
idempotent).
"""

import json
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import handoff
from core.compiled import CompiledInsert
from surveys import wording
from surveys.lifecycle import ACCEPTS_ANSWERS
from surveys.models import Answer, Campaign, Contact, Invitation, Question, Response, WidgetSettings
from surveys.nps import category_for
from surveys.sending_queries import SENDING_CHANNELS

SCALES = {Question.Kind.CSAT: range(1, 6), Question.Kind.EFFORT: range(1, 8)}
SHORT_TEXT_MAX = 500
_INSERT_RESPONSE = CompiledInsert(Response)


class CampaignClosed(Exception):
    """The campaign no longer accepts answers."""


class AlreadyAnswered(Exception):
    """The answer is older than the edit window and can no longer change."""


def edit_window() -> timedelta:
    return timedelta(days=settings.KRINGLOOP["ANSWER_EDIT_DAYS"])


def editable_since(now=None):
    """The oldest moment an answer may have been given and still be changed: the edit window's
    one rule, for a loaded answer (can_still_edit) and in SQL (_OneStatement) alike."""
    return (now or timezone.now()) - edit_window()


def can_still_edit(response: Response) -> bool:
    return response.submitted_at >= editable_since()


SCORE_TEXT = re.compile(r"(10|[0-9])")


def clean_score(raw) -> int:
    """A whole number from 0 to 10, given as an int or as exactly its decimal text ("5", never
    "05", " 5" or "5.0")."""
    if isinstance(raw, bool):
        raise ValidationError(_("Choose a score from 0 to 10."))
    if isinstance(raw, int):
        score = raw
    elif isinstance(raw, str) and SCORE_TEXT.fullmatch(raw):
        score = int(raw)
    else:
        raise ValidationError(_("Choose a score from 0 to 10."))
    if not 0 <= score <= 10:
        raise ValidationError(_("Choose a score from 0 to 10."))
    return score


def posted_score(data):
    """The one `score` a form posted, or None when it posted none or several (which clean_score
    then refuses): a repeated field must not quietly take its last value."""
    values = data.getlist("score")
    return values[0] if len(values) == 1 else None


# What every response copies from its campaign (besides the campaign itself), so reports filter on
# the response alone.
FROM_CAMPAIGN = ("kind", "touchpoint", "team")


def _from_campaign(campaign: Campaign) -> dict:
    attnames = (Campaign._meta.get_field(name).attname for name in FROM_CAMPAIGN)
    return {"campaign": campaign, **{attname: getattr(campaign, attname) for attname in attnames}}


# What a changed score changes on a stored answer (the general way and the one statement alike).
CHANGED_BY_A_NEW_SCORE = ("score", "category", "updated_at")


@dataclass
class Submitted:
    response: Response
    created: bool


def response_submit(*, invitation: Invitation, score, channel: str | None = None) -> Submitted:
    """Record the score of an invitation, or change it within the edit window (never a second one)."""
    score = clean_score(score)
    campaign = invitation.campaign
    if campaign.status not in ACCEPTS_ANSWERS:
        raise CampaignClosed()
    # The caller usually loaded the invitation with its response (select_related, or
    # surveys.queries.invitation_by_token); when it has none, try the INSERT straight away.
    if getattr(invitation, "response", None) is None:
        try:
            return _response_create(invitation=invitation, score=score, channel=channel)
        except IntegrityError:
            pass  # a simultaneous POST on the same link was first: change its response instead
    return _response_change(invitation=invitation, score=score, channel=channel)


class _OneStatement:
    """The common answers as one statement each, built from the models' fields and from the same data
    as the general way: FROM_CAMPAIGN for what is copied from the campaign, wording.LANGUAGE_SOURCES
    for the respondent's language, CHANGED_BY_A_NEW_SCORE for what a change changes, SENDING_CHANNELS
    for the public link's channel (as public_channel). tests/test_first_answer.py runs both ways and
    compares the stored responses field by field.

    - "link": INSERT … SELECT from the link's invitation, campaign and contact, when the campaign
      accepts answers; when the link has an answer already (ON CONFLICT on the one-to-one
      invitation), its score and category change instead, if it is another score and the answer is
      still within the edit window (editable_since), as _response_change does.
    - "widget": the same, only for the campaign whose widget has the public key %(widget_key)s and
      lists the origin in %(widget_origins)s (a JSON list of that one origin, as
      surveys.widget_models stores origins): the widget's CORS rule, checked in the same statement.
    - "public": INSERT … SELECT from the campaign whose public link is %(token)s, when the link is
      on and the campaign accepts answers: an anonymous answer, as response_submit_anonymous stores.
    """

    _sql: dict[str, str] = {}  # by kind: "link", "widget", "public"

    @classmethod
    def sql(cls, connection, kind: str) -> str:
        if kind not in cls._sql:
            cls._sql[kind] = cls.build(connection, kind)
        return cls._sql[kind]

    @staticmethod
    def build(connection, kind: str = "link", *, fields=None) -> str:
        """The statement's SQL, for Response's fields (or `fields`, for the test of the guard)."""
        q = connection.ops.quote_name
        public = kind == "public"

        def column(alias: str, model, name: str) -> str:
            return f"{alias}.{q(model._meta.get_field(name).column)}"

        aliases = {"contact": ("p", Contact), "campaign": ("c", Campaign)}
        language = " ".join(
            f"WHEN {column(a, m, 'language')} = ANY(%(languages)s) THEN {column(a, m, 'language')}"
            for a, m in (aliases[source] for source in wording.LANGUAGE_SOURCES if not (public and source == "contact"))
        )
        channel = column("c", Campaign, "channel")
        values = {  # Response field -> SQL (i: invitation, c: campaign, p: contact)
            "campaign": column("c", Campaign, "id"),
            "contact": "NULL" if public else column("i", Invitation, "contact"),
            "invitation": "NULL" if public else column("i", Invitation, "id"),
            **{name: column("c", Campaign, name) for name in FROM_CAMPAIGN},
            "score": "%(score)s",
            "category": "%(category)s",
            "comment": "''",
            "why_asked": "''",
            "channel": f"CASE WHEN {channel} = ANY(%(sending)s) THEN %(web)s ELSE {channel} END" if public else channel,
            "language": f"CASE {language} ELSE %(default_language)s END",
            "submitted_at": "%(now)s",
            "updated_at": "%(now)s",
            "processed_at": "NULL",
            "may_contact": "FALSE",  # an employee says so on the "why" page, never with the score
        }
        fields = [f for f in (fields or Response._meta.concrete_fields) if not f.primary_key]
        unmatched = sorted({f.name for f in fields} ^ set(values))
        if unmatched:  # a new field would be stored empty, or the INSERT fail, on every answer
            raise ImproperlyConfigured(
                f"The one-statement answer does not match Response (fields {unmatched}): "
                "add them to surveys.responses._OneStatement."
            )
        table = lambda model: q(model._meta.db_table)  # noqa: E731
        r = lambda name: q(Response._meta.get_field(name).column)  # noqa: E731
        insert = (
            f"INSERT INTO {table(Response)} ({', '.join(q(f.column) for f in fields)}) "
            f"SELECT {', '.join(values[f.name] for f in fields)} "
        )
        returning = f"RETURNING {table(Response)}.{q(Response._meta.pk.column)}"
        if public:
            return (
                f"{insert}FROM {table(Campaign)} c WHERE {column('c', Campaign, 'anonymous_token')} = %(token)s "
                f"AND {column('c', Campaign, 'anonymous_link_enabled')} "
                f"AND {column('c', Campaign, 'status')} = ANY(%(open)s) {returning}"
            )
        widget_guard = ""
        if kind == "widget":
            w = lambda name: f"w.{q(WidgetSettings._meta.get_field(name).column)}"  # noqa: E731
            widget_guard = (
                f"AND EXISTS (SELECT 1 FROM {table(WidgetSettings)} w "
                f"WHERE {w('campaign')} = {column('c', Campaign, 'id')} "
                f"AND {w('public_key')} = %(widget_key)s AND {w('origins')} @> %(widget_origins)s::jsonb) "
            )
        return (
            f"{insert}FROM {table(Invitation)} i "
            f"JOIN {table(Campaign)} c ON {column('c', Campaign, 'id')} = {column('i', Invitation, 'campaign')} "
            f"JOIN {table(Contact)} p ON {column('p', Contact, 'id')} = {column('i', Invitation, 'contact')} "
            f"WHERE {column('i', Invitation, 'token')} = %(token)s "
            f"AND {column('c', Campaign, 'status')} = ANY(%(open)s) "
            f"{widget_guard}"
            f"ON CONFLICT ({q(Response._meta.get_field('invitation').column)}) DO UPDATE SET "
            + ", ".join(f"{r(name)} = EXCLUDED.{r(name)}" for name in CHANGED_BY_A_NEW_SCORE)
            + f" WHERE {table(Response)}.{r('submitted_at')} >= %(editable_since)s "
            f"AND {table(Response)}.{r('score')} <> EXCLUDED.{r('score')} {returning}"
        )


def _one_statement(kind: str, *, token: str, score, **extra) -> int | None:
    """Run the `kind` statement; the id it stored (handed to the follow-up step once committed), or
    None when it stored nothing or the score is not valid (the general way then says why). PostgreSQL
    only: on the SQLite demo every answer goes the general way."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return None
    try:
        score = clean_score(score)
    except ValidationError:
        return None
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _OneStatement.sql(connection, kind),
            {
                **extra,
                "token": token,
                "score": score,
                "category": category_for(score),
                "now": now,
                "editable_since": editable_since(now),
                "open": list(ACCEPTS_ANSWERS),
                "languages": wording.language_codes(),
                "default_language": settings.LANGUAGE_CODE,
                "sending": list(SENDING_CHANNELS),
                "web": Campaign.Channel.WEB.value,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    transaction.on_commit(lambda: handoff.hand_off(row[0]))  # new or changed alike (handoff.process_again)
    return row[0]


def response_submit_first(*, token: str, score, widget_key: str = "", widget_origin: str = "") -> int | None:
    """The id of the response stored for this link's answer, new or changed, in one statement; None
    when the score is not valid, the link is unknown, its answer has this score already or is past
    the edit window, or the campaign is closed (or, with `widget_key`, is not that widget's campaign
    or does not list `widget_origin`): the caller then goes the general way (response_submit), which
    says which it was."""
    if widget_key:
        widget = {"widget_key": widget_key, "widget_origins": json.dumps([widget_origin])}
        return _one_statement("widget", token=token, score=score, **widget)
    return _one_statement("link", token=token, score=score)


def response_submit_public(*, token: str, score) -> int | None:
    """The id of the anonymous response stored through the campaign's public link `token`, in one
    statement; None when the score is not valid, the link is unknown or off, or the campaign is
    closed: the caller then goes the general way (response_submit_anonymous), which says which."""
    return _one_statement("public", token=token, score=score)


def public_channel(channel: str) -> str:
    """The channel of an answer through a campaign's public link: the web form, for a campaign that
    sends invitations (its e-mail or text message did not bring this answer), else its own (a QR code)."""
    return Campaign.Channel.WEB if channel in SENDING_CHANNELS else channel


def _response_create(*, invitation: Invitation, score: int, channel: str | None) -> Submitted:
    """One INSERT, committed on its own: the answer is safe the moment it returns. Marking the
    invitation answered is the follow-up step's first job (followups.processing.response_process)."""
    campaign, contact = invitation.campaign, invitation.contact
    response = _INSERT_RESPONSE.create(
        **_from_campaign(campaign),
        contact=contact,
        invitation=invitation,
        score=score,
        category=category_for(score),
        channel=channel or campaign.channel,
        language=wording.respondent_language(campaign, contact),
        submitted_at=timezone.now(),
    )
    transaction.on_commit(lambda: handoff.hand_off(response.pk))  # at once, unless a caller's transaction is open
    return Submitted(response, created=True)


def _response_change(*, invitation: Invitation, score: int, channel: str | None) -> Submitted:
    with transaction.atomic():
        # The row lock makes simultaneous changes of one answer take turns.
        # NO KEY: rows pointing at the answer (cases, rollups) need not wait (followups.processing.locked_answers).
        existing = Response.objects.select_for_update(no_key=True).filter(invitation_id=invitation.pk).first()
        if existing is None:  # erased since the page was loaded
            return _response_create(invitation=invitation, score=score, channel=channel)
        if not can_still_edit(existing):
            raise AlreadyAnswered()
        if existing.score != score:
            existing.score, existing.category = score, category_for(score)
            existing.save(update_fields=list(CHANGED_BY_A_NEW_SCORE))
            handoff.process_again(existing.pk)
    return Submitted(existing, created=False)


def response_submit_anonymous(*, campaign: Campaign, score, language: str) -> Response:
    """An answer through the campaign's public link (web/QR): no contact, no invitation."""
    score = clean_score(score)
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status__in=ACCEPTS_ANSWERS).exists():
            raise CampaignClosed()
        response = Response.objects.create(
            **_from_campaign(campaign),
            contact=None,
            invitation=None,
            score=score,
            category=category_for(score),
            channel=public_channel(campaign.channel),
            language=language,
            submitted_at=timezone.now(),
        )
        transaction.on_commit(lambda: handoff.hand_off(response.pk))
    return response


def _clean_answer(question: Question, value: dict | None) -> dict | None:
    """The stored form of one driver answer, or ValidationError. None (or empty) removes it."""
    if not value or all(v in (None, "", []) for v in value.values()):
        if question.required:
            raise ValidationError(_("“%(question)s” needs an answer.") % {"question": question.text})
        return None
    if question.kind in SCALES:
        number = value.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or number not in SCALES[question.kind]:
            raise ValidationError(_("Choose one of the options for “%(question)s”.") % {"question": question.text})
        return {"number": number, "text": "", "choices": []}
    if question.kind == Question.Kind.MULTIPLE:
        choices = list(value.get("choices") or [])
        if any(choice not in question.choices for choice in choices) or len(set(choices)) != len(choices):
            raise ValidationError(_("Choose one of the options for “%(question)s”.") % {"question": question.text})
        return {"number": None, "text": "", "choices": choices}
    text = str(value.get("text", "")).strip()
    if question.kind == Question.Kind.SINGLE and text not in question.choices:
        raise ValidationError(_("Choose one of the options for “%(question)s”.") % {"question": question.text})
    if len(text) > SHORT_TEXT_MAX:
        raise ValidationError(
            _("Please keep your answer to “%(question)s” under %(limit)s characters.")
            % {"question": question.text, "limit": SHORT_TEXT_MAX}
        )
    return {"number": None, "text": text, "choices": []}


def response_update_details(
    *,
    response: Response,
    comment: str,
    answers: dict[int, dict | None],
    why_asked: str = "",
    may_contact: bool | None = None,
) -> Response:
    """Store the "why" and the driver answers (question id → {"number"|"text"|"choices": …} or None),
    the "why" question the respondent read (`why_asked`, kept with the comment for reports) and, for
    an employee's answer, whether they may be contacted about it (None: not asked).

    Within the edit window only; an over-long comment is refused, never cut short.
    """
    limit = settings.KRINGLOOP["COMMENT_MAX_LENGTH"]
    if len(comment) > limit:
        raise ValidationError(_("Please keep your answer under %(limit)s characters.") % {"limit": limit})
    with transaction.atomic():
        response = (
            Response.objects.select_for_update(of=("self",), no_key=True).select_related("campaign").get(pk=response.pk)
        )
        if response.campaign.status not in ACCEPTS_ANSWERS:
            raise CampaignClosed()
        if not can_still_edit(response):
            raise AlreadyAnswered()
        questions = list(response.campaign.questions.all())
        wanted = {q.pk: _clean_answer(q, answers.get(q.pk)) for q in questions}
        stored = {a.question_id: a for a in response.answers.all()}
        changed = response.comment != comment
        for question in questions:
            value, answer = wanted[question.pk], stored.get(question.pk)
            if value is None:
                if answer is not None:
                    answer.delete()
                    changed = True
            elif answer is None:
                Answer.objects.create(response=response, question=question, **value)
                changed = True
            elif (answer.number, answer.text, answer.choices) != (value["number"], value["text"], value["choices"]):
                answer.number, answer.text, answer.choices = value["number"], value["text"], value["choices"]
                answer.save(update_fields=["number", "text", "choices"])
                changed = True
        if may_contact is not None and response.campaign.kind == Campaign.Kind.EMPLOYEE:
            changed = changed or response.may_contact != bool(may_contact)
            response.may_contact = bool(may_contact)
        if changed:
            response.comment, response.updated_at = comment, timezone.now()
            response.why_asked = why_asked[:300] if comment else ""
            Response.objects.filter(pk=response.pk).update(
                comment=comment,
                why_asked=response.why_asked,
                updated_at=response.updated_at,
                may_contact=response.may_contact,
            )
            handoff.process_again(response.pk)
    return response


def answer_value_for(question: Question, answer: Answer | None):
    """The form's initial value for a stored answer."""
    if answer is None:
        return None
    if question.kind in SCALES:
        return str(answer.number) if answer.number is not None else None
    if question.kind == Question.Kind.MULTIPLE:
        return answer.choices
    return answer.text
