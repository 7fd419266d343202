"""The respondent's pages, in the respondent's language, working without JavaScript.

A GET never records anything (mail scanners follow links); answers are stored on POST. HEAD is
answered like GET (scanners send it too, and log a 405 as an error), recording nothing either. Tokens are
unguessable; unknown, forged or cut-short ones get the plain 404 page, a closed campaign a 410.

The personal link's pages (and the "why" page an anonymous answer continues on) need no CSRF token
and set no cookie: the unguessable token in the URL is what lets a request answer, so a forged
request would need the token, and whoever has it can answer anyway. Without the cookie, an answer
also gets through from in-app mail browsers that drop cookies (where Django's check answered 403).
The campaign's public link (/a/) is shared, so it keeps the CSRF check: another site cannot make
its visitors' browsers answer through it.
"""

import re

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from core.ratelimit import rate_limit
from surveys import review_sites, wording
from surveys.lifecycle import ACCEPTS_ANSWERS
from surveys.models import Campaign, Category, Invitation, Response
from surveys.public_forms import DetailsForm, ScoreForm
from surveys.queries import invitation_by_token
from surveys.responses import (
    AlreadyAnswered,
    CampaignClosed,
    answer_value_for,
    can_still_edit,
    posted_score,
    response_submit,
    response_submit_anonymous,
    response_submit_first,
    response_submit_public,
    response_update_details,
)

ANON_SALT = "kringloop.anonymous-response"
ANON_LIMIT = (20, 60)  # answers per client address per minute through public links
MAX_TOKEN = 60
SAFE = ("GET", "HEAD")  # what only shows a page


def _anon_key(response_id: int) -> str:
    """The signed key that lets an anonymous respondent add their "why" to their own answer."""
    return "a" + signing.dumps(response_id, salt=ANON_SALT, compress=True)


def _subject(token: str):
    """(invitation or None, response or None, campaign) for a personal token or an anonymous key."""
    if len(token) > MAX_TOKEN * 2:
        raise Http404
    if token.startswith("a") and ":" in token:  # personal tokens never contain ":"
        try:
            pk = signing.loads(token[1:], salt=ANON_SALT)
        except signing.BadSignature:
            raise Http404 from None
        response = Response.objects.select_related("campaign").filter(pk=pk, invitation__isnull=True).first()
        if response is None:
            raise Http404
        return None, response, response.campaign
    if len(token) > MAX_TOKEN:
        raise Http404
    invitation = invitation_by_token(token)  # one query: with its campaign, contact and response
    if invitation is None:
        raise Http404
    return invitation, getattr(invitation, "response", None), invitation.campaign


def _language(campaign: Campaign, invitation: Invitation | None = None, response: Response | None = None) -> str:
    """The contact's language, else (anonymous answers) the one they answered in, else the campaign's."""
    if invitation is None and response is not None and wording.spoken(response.language):
        return response.language
    return wording.respondent_language(campaign, invitation.contact if invitation else None)


def _render(request, template, context, *, language: str, status=200):
    with translation.override(language):
        response = render(
            request,
            f"surveys/public/{template}",
            {"company_name": settings.COMPANY_NAME, "language": language, **context},
            status=status,
        )
    response.headers["Content-Language"] = language  # the page's language, also for a logged-in staff member
    return response


# (title, text) of the message pages, translated when shown, in the respondent's language.
CLOSED = (
    gettext_noop("This survey has closed"),
    gettext_noop("Thank you for wanting to answer. This survey no longer accepts answers."),
)
ALREADY = (
    gettext_noop("You already answered"),
    gettext_noop("Thank you, we have your answer. It can no longer be changed."),
)
TOO_MANY = (
    gettext_noop("Too many answers"),
    gettext_noop("We received many answers from your connection. Please try again in a minute."),
)


def _message(request, campaign, language: str, message: tuple[str, str], status: int, answered=None):
    with translation.override(language):
        title, text = _(message[0]), _(message[1])
    return _render(
        request,
        "message.html",
        {"title": title, "text": text, "campaign": campaign, "answered": answered},
        language=language,
        status=status,
    )


def _closed(request, campaign, language):
    return _message(request, campaign, language, CLOSED, 410)


def _already(request, campaign, language, response: Response | None = None):
    """The link's answer can no longer be changed: say so, and what it was."""
    return _message(request, campaign, language, ALREADY, 200, answered=response)


def _initial_score(request) -> str | None:
    raw = request.GET.get("score", "")
    return raw if raw in {str(i) for i in range(11)} else None


def render_answer_page(
    request,
    *,
    campaign: Campaign,
    invitation: Invitation | None = None,
    preview: bool = True,
    form: ScoreForm | None = None,
    status: int = 200,
    answered: Response | None = None,
    keep_url: str = "",
):
    """The score page as the respondent sees it, in their language.

    With preview=True (the default, for the campaign preview) it writes nothing and its form posts
    nowhere: the button only reloads the preview with the chosen score selected. `answered`: the
    stored answer of a re-opened link, shown above the form ("You answered 3 on 5 December"), with
    `keep_url` to leave it as it is.
    """
    language = _language(campaign, invitation)
    with translation.override(language):
        form = form or ScoreForm(initial={"score": _initial_score(request)})
        return _render(
            request,
            "answer.html",
            {
                "campaign": campaign,
                "form": form,
                "question": wording.nps_question(campaign),
                "scale_low": wording.scale_ends(campaign)[0],
                "scale_high": wording.scale_ends(campaign)[1],
                "preview": preview,
                "selected": str(form["score"].value() if form["score"].value() is not None else ""),
                "scores": range(11),
                "csrf": invitation is None,
                "answered": answered,
                "keep_url": keep_url,
            },
            language=language,
            status=status,
        )


@csrf_exempt  # the personal token authorises the answer (module docstring)
@require_http_methods(["GET", "HEAD", "POST"])
def survey_answer(request, token: str):
    if request.method == "POST" and len(token) <= MAX_TOKEN and ":" not in token:
        if response_submit_first(token=token, score=posted_score(request.POST)) is not None:
            return HttpResponseRedirect(_details_url(token))  # the common case, in one statement
    invitation, response, campaign = _subject(token)
    if invitation is None:
        raise Http404
    language = _language(campaign, invitation)
    if campaign.status not in ACCEPTS_ANSWERS:
        return _closed(request, campaign, language)
    if response is not None and not can_still_edit(response):
        return _already(request, campaign, language, response)
    if request.method in SAFE:
        if response is not None and "score" not in request.GET:
            request.GET = request.GET.copy()
            request.GET["score"] = str(response.score)  # changing an answer starts from the stored one
        return render_answer_page(
            request,
            campaign=campaign,
            invitation=invitation,
            preview=False,
            answered=response,
            keep_url=reverse("surveys:survey_thanks", args=[token]) if response is not None else "",
        )
    try:  # the service checks the score; the form is only built to show what was wrong
        response_submit(invitation=invitation, score=posted_score(request.POST))
    except CampaignClosed:
        return _closed(request, campaign, language)
    except AlreadyAnswered:
        return _already(request, campaign, language, response)
    except ValidationError as error:
        return render_answer_page(
            request,
            campaign=campaign,
            invitation=invitation,
            status=400,
            preview=False,
            form=_score_form_showing(request.POST, error),
        )
    return redirect("surveys:survey_details", token=token)


def _details_url(token: str) -> str:
    """reverse("surveys:survey_details", token=token), without reversing on every answer: for a URL-safe
    token (as new_token makes them) the URL around it is worked out once per script prefix."""
    if not _URL_SAFE.fullmatch(token):
        return reverse("surveys:survey_details", kwargs={"token": token})
    prefix = get_script_prefix()
    parts = _DETAILS_URL.get(prefix)
    if parts is None:
        parts = _DETAILS_URL[prefix] = reverse("surveys:survey_details", kwargs={"token": "~"}).split("~")
    return token.join(parts)


_DETAILS_URL: dict[str, list[str]] = {}
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


def _score_form_showing(data, error: ValidationError) -> ScoreForm:
    """The score form bound to what was posted, with the error (the form's own, in the respondent's
    language when it finds one; else the service's)."""
    form = ScoreForm(data)
    if form.is_valid():
        form.add_error("score", error)
    return form


def _too_many_answers(request, token: str):
    campaign = Campaign.objects.filter(anonymous_token=token[:MAX_TOKEN]).first()
    language = _language(campaign) if campaign else settings.LANGUAGE_CODE
    return _message(request, campaign, language, TOO_MANY, 429)


@rate_limit("anonymous-answer", limit=ANON_LIMIT[0], window=ANON_LIMIT[1], on_limited=_too_many_answers)
@require_http_methods(["GET", "HEAD", "POST"])
def survey_anonymous(request, token: str):
    if len(token) > MAX_TOKEN:
        raise Http404
    if request.method == "POST":  # the common case, in one statement
        stored = response_submit_public(token=token, score=posted_score(request.POST))
        if stored is not None:
            return redirect("surveys:survey_details", token=_anon_key(stored))
    campaign = Campaign.objects.filter(anonymous_token=token, anonymous_link_enabled=True).first()
    if campaign is None:
        raise Http404
    language = _language(campaign)
    if campaign.status not in ACCEPTS_ANSWERS:
        return _closed(request, campaign, language)
    if request.method in SAFE:
        return render_answer_page(request, campaign=campaign, preview=False)
    try:
        response = response_submit_anonymous(campaign=campaign, score=posted_score(request.POST), language=language)
    except CampaignClosed:
        return _closed(request, campaign, language)
    except ValidationError as error:
        return render_answer_page(
            request, campaign=campaign, status=400, preview=False, form=_score_form_showing(request.POST, error)
        )
    return redirect("surveys:survey_details", token=_anon_key(response.pk))


@csrf_exempt  # the personal token or the anonymous answer's signed key authorises it (module docstring)
@require_http_methods(["GET", "HEAD", "POST"])
def survey_details(request, token: str):
    invitation, response, campaign = _subject(token)
    if response is None:
        return redirect("surveys:survey_answer", token=token)
    language = _language(campaign, invitation, response)
    if campaign.status not in ACCEPTS_ANSWERS:
        return _closed(request, campaign, language)
    if not can_still_edit(response):
        return _already(request, campaign, language, response)
    with translation.override(language):
        questions = list(campaign.questions.all())
        kwargs = {
            "questions": questions,
            "why_label": wording.why_question(campaign, response.category),
            "employee": campaign.kind == Campaign.Kind.EMPLOYEE,
        }
        status = 200
        if request.method == "POST":
            form = DetailsForm(request.POST, **kwargs)
            if form.is_valid():
                try:
                    response_update_details(
                        response=response,
                        comment=form.cleaned_data["comment"],
                        answers=form.answers(),
                        why_asked=kwargs["why_label"],
                        may_contact=form.cleaned_data.get("may_contact"),
                    )
                except CampaignClosed:
                    return _closed(request, campaign, language)
                except AlreadyAnswered:
                    return _already(request, campaign, language, response)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    return redirect("surveys:survey_thanks", token=token)
            status = 400
        else:
            stored = {a.question_id: a for a in response.answers.all()}
            initial = {"comment": response.comment, "may_contact": response.may_contact}
            initial.update({f"q{q.pk}": answer_value_for(q, stored.get(q.pk)) for q in questions})
            form = DetailsForm(initial=initial, **kwargs)
        return _render(
            request,
            "details.html",
            {
                "campaign": campaign,
                "form": form,
                "response": response,
                "token": token,
                "change_url": reverse("surveys:survey_answer", args=[token]) if invitation else "",
            },
            language=language,
            status=status,
        )


@require_safe
def survey_thanks(request, token: str):
    invitation, response, campaign = _subject(token)
    if response is None:
        return redirect("surveys:survey_answer", token=token)
    language = _language(campaign, invitation, response)
    with translation.override(language):
        return _render(
            request,
            "thanks.html",
            {
                "campaign": campaign,
                "response": response,
                "text": wording.thanks_text(campaign, response.category),
                "review_links": _review_links(campaign, invitation, response, token, language),
                "change_url": reverse("surveys:survey_answer", args=[token])
                if invitation and can_still_edit(response)
                else "",
            },
            language=language,
        )


def _review_links(campaign, invitation, response, token: str, language: str) -> list[tuple[str, str]]:
    """(button text, link) of each review site shown to this promoter; none for anyone else."""
    if response.category != Category.PROMOTER:
        return []
    contact = invitation.contact if invitation is not None else None
    return [
        (wording.review_site_label(site), reverse("surveys:review_click", args=[token, site.pk]))
        for site in review_sites.sites_for(campaign, language=language, contact=contact)
    ]


@require_safe
def review_click(request, token: str, site_id: int):
    """A promoter goes from their thank-you page to a review site: the click is recorded, once per
    answer and site, and they are sent on to the site's own link. This page is linked only from the
    thank-you page, never from an e-mail, so a mail scanner does not reach it; a HEAD records
    nothing. No referrer goes with them (the link holds their token) and nothing is added to the
    site's link: what they do there is not tracked."""
    invitation, response, campaign = _subject(token)
    if response is None or response.category != Category.PROMOTER:
        raise Http404
    contact = invitation.contact if invitation is not None else None
    language = _language(campaign, invitation, response)
    sites = review_sites.sites_for(campaign, language=language, contact=contact)
    site = next((site for site in sites if site.pk == site_id), None)
    if site is None:
        raise Http404
    if request.method == "GET":
        review_sites.record_click(site=site, response=response)
    redirect_to = HttpResponseRedirect(site.url)
    redirect_to["Referrer-Policy"] = "no-referrer"
    redirect_to["Cache-Control"] = "no-store"
    return redirect_to
