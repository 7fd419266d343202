"""The respondent's pages. A GET never records anything (mail scanners follow links); answers are
stored on POST. Tokens are unguessable; unknown ones get a 404 that says nothing more."""

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.ratelimit import allow, client_ip
from surveys import wording
from surveys.lifecycle import ACCEPTS_ANSWERS
from surveys.models import Campaign, Invitation, Response
from surveys.public_forms import DetailsForm, ScoreForm
from surveys.responses import (AlreadyAnswered, CampaignClosed, answer_value_for, can_still_edit,
                               response_submit, response_submit_anonymous, response_update_details)

ANON_SALT = "kringloop.anonymous-response"
ANON_LIMIT = (20, 60)  # answers per client address per minute on a public link


def _anon_key(response: Response) -> str:
    return "a" + signing.dumps(response.pk, salt=ANON_SALT, compress=True)


def _subject(token: str):
    """(invitation or None, response or None, campaign) for a personal token or an anonymous key."""
    if token.startswith("a") and ":" in token:
        try:
            pk = signing.loads(token[1:], salt=ANON_SALT)
        except signing.BadSignature:
            raise Http404 from None
        response = Response.objects.select_related("campaign").filter(pk=pk, invitation__isnull=True).first()
        if response is None:
            raise Http404
        return None, response, response.campaign
    if len(token) > 60:
        raise Http404
    # One query: the invitation with its campaign, contact and (reverse one-to-one) response.
    invitation = (Invitation.objects.select_related("campaign", "contact", "response")
                  .filter(token=token).first())
    if invitation is None:
        raise Http404
    response = getattr(invitation, "response", None)
    return invitation, response, invitation.campaign


def _render(request, template, context, *, status=200):
    return render(request, f"surveys/public/{template}", context, status=status)


def _closed(request, campaign):
    return _render(request, "message.html", {
        "title": _("This survey has closed"),
        "text": _("Thank you for wanting to answer. This survey no longer accepts answers."),
        "campaign": campaign}, status=410)


def _already(request, campaign):
    return _render(request, "message.html", {
        "title": _("You already answered"),
        "text": _("Thank you, we have your answer. It can no longer be changed."),
        "campaign": campaign})


def _initial_score(request) -> str | None:
    raw = request.GET.get("score", "")
    return raw if raw in {str(i) for i in range(11)} else None


def render_answer_page(request, *, campaign: Campaign, invitation: Invitation | None = None, preview: bool = False,
                       form: ScoreForm | None = None, status: int = 200, action: str = ""):
    """The score page. With preview=True it writes nothing and posts nowhere (campaign preview)."""
    language = wording.respondent_language(campaign, invitation.contact if invitation else None)
    with translation.override(language):
        form = form or ScoreForm(initial={"score": _initial_score(request)})
        return _render(request, "answer.html", {
            "campaign": campaign, "form": form, "question": wording.nps_question(campaign), "preview": preview,
            "action": action, "selected": str(form["score"].value() or ""), "scores": range(11),
            "language": language}, status=status)


@require_http_methods(["GET", "POST"])
def survey_answer(request, token: str):
    invitation, response, campaign = _subject(token)
    if invitation is None:
        raise Http404
    if campaign.status not in ACCEPTS_ANSWERS:
        return _closed(request, campaign)
    if response is not None and not can_still_edit(response):
        return _already(request, campaign)
    if request.method == "GET":
        if response is not None and "score" not in request.GET:
            request.GET = request.GET.copy()
            request.GET["score"] = str(response.score)
        return render_answer_page(request, campaign=campaign, invitation=invitation)
    form = ScoreForm(request.POST)
    if not form.is_valid():
        return render_answer_page(request, campaign=campaign, invitation=invitation, form=form, status=400)
    try:
        response_submit(invitation=invitation, score=form.cleaned_data["score"])
    except CampaignClosed:
        return _closed(request, campaign)
    except AlreadyAnswered:
        return _already(request, campaign)
    return redirect("survey_details", token=token)


@require_http_methods(["GET", "POST"])
def survey_anonymous(request, token: str):
    campaign = Campaign.objects.filter(anonymous_token=token, anonymous_link_enabled=True).first()
    if campaign is None or len(token) > 60:
        raise Http404
    if campaign.status not in ACCEPTS_ANSWERS:
        return _closed(request, campaign)
    if request.method == "GET":
        return render_answer_page(request, campaign=campaign)
    if not allow("anonymous-answer", client_ip(request), limit=ANON_LIMIT[0], window=ANON_LIMIT[1]):
        with translation.override(campaign.language):
            return _render(request, "message.html", {
                "title": _("Too many answers"), "campaign": campaign,
                "text": _("We received many answers from your connection. Please try again in a minute.")},
                status=429)
    form = ScoreForm(request.POST)
    if not form.is_valid():
        return render_answer_page(request, campaign=campaign, form=form, status=400)
    try:
        response = response_submit_anonymous(campaign=campaign, score=form.cleaned_data["score"],
                                             language=wording.respondent_language(campaign))
    except CampaignClosed:
        return _closed(request, campaign)
    return redirect("survey_details", token=_anon_key(response))


@require_http_methods(["GET", "POST"])
def survey_details(request, token: str):
    invitation, response, campaign = _subject(token)
    if response is None:
        return redirect("survey_answer", token=token)
    if campaign.status not in ACCEPTS_ANSWERS:
        return _closed(request, campaign)
    if not can_still_edit(response):
        return _already(request, campaign)
    language = wording.respondent_language(campaign, invitation.contact if invitation else None)
    with translation.override(language):
        questions = list(campaign.questions.all())
        kwargs = {"questions": questions, "why_label": wording.why_question(campaign)}
        if request.method == "POST":
            form = DetailsForm(request.POST, **kwargs)
            if form.is_valid():
                try:
                    response_update_details(response=response, comment=form.cleaned_data["comment"],
                                            answers=form.answers())
                except CampaignClosed:
                    return _closed(request, campaign)
                except AlreadyAnswered:
                    return _already(request, campaign)
                except ValidationError as error:
                    form.add_error("comment", error)
                else:
                    return redirect("survey_thanks", token=token)
            status = 400
        else:
            stored = {a.question_id: a for a in response.answers.all()}
            initial = {"comment": response.comment}
            initial.update({f"q{q.pk}": answer_value_for(q, stored.get(q.pk)) for q in questions})
            form = DetailsForm(initial=initial, **kwargs)
            status = 200
        return _render(request, "details.html", {
            "campaign": campaign, "form": form, "response": response, "token": token,
            "change_url": reverse("survey_answer", args=[token]) if invitation else ""}, status=status)


@require_http_methods(["GET"])
def survey_thanks(request, token: str):
    invitation, response, campaign = _subject(token)
    if response is None:
        return redirect("survey_answer", token=token)
    language = wording.respondent_language(campaign, invitation.contact if invitation else None)
    with translation.override(language):
        return _render(request, "thanks.html", {
            "campaign": campaign, "response": response, "text": wording.thanks_text(campaign, response.category),
            "promoter_link": campaign.promoter_link if response.category == "promoter" else "",
            "change_url": reverse("survey_answer", args=[token]) if invitation and can_still_edit(response) else ""})
