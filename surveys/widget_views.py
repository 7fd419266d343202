"""The widget's endpoints: its script (/widget/v1.js) and the JSON calls it makes from the host page.

Every call names the campaign by its public key and is answered only to the campaign's listed
origins (CORS: Access-Control-Allow-Origin is that origin; any other Origin gets a 403 before
anything is read or written). The script sends its JSON as text/plain, a "simple" request, so no
preflight is needed, and never sends or gets a cookie: no CSRF token is involved, the origin check
and the signature (or the personal token the server handed out) are what authorise a call.
Anonymous answers are rate-limited like the public link's.
"""

import json

from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core import ratelimit
from surveys import widget, wording
from surveys.public_views import ANON_LIMIT
from surveys.responses import AlreadyAnswered, CampaignClosed

SCRIPT = "widget/v1.js"
SCRIPT_MAX_AGE = 7 * 24 * 3600  # a week: the URL names the version; fixes within v1 reach sites within a week
MAX_BODY = 20_000


def _cors(response, origin: str):
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


def _refuse(status: int, reason: str, origin: str = ""):
    response = JsonResponse({"ok": False, "reason": reason}, status=status)
    return _cors(response, origin) if origin else response


def _call(view, first=None):
    """Parse the JSON body, find the campaign's widget by key and check the Origin; the view gets
    (request, widget, data, origin). `first(data, origin)` may answer the common case before that,
    in one statement that checks the key and the origin itself (None: the general way)."""

    @csrf_exempt
    @require_http_methods(["POST"])
    def wrapped(request):
        if len(request.body) > MAX_BODY:
            return _refuse(413, "too-large")
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return _refuse(400, "not-json")
        if not isinstance(data, dict):
            return _refuse(400, "not-json")
        origin = request.headers.get("Origin", "")
        if first is not None:
            done = first(data, origin)
            if done is not None:
                return _cors(done, origin)
        found = widget.widget_by_key(str(data.get("key", "")))
        if found is None:
            return _refuse(404, "unknown-campaign")
        if not widget.origin_allowed(found, origin):
            return _refuse(403, "origin-not-allowed")  # no CORS header: the browser hides the answer too
        return _cors(view(request, found, data, origin), origin)

    wrapped.__name__ = view.__name__
    return wrapped


def _language(found, contact, data) -> str:
    if contact is not None and wording.spoken(contact.language):
        return contact.language
    return wording.spoken(_page_language(data)) or wording.respondent_language(found.campaign)


def _page_language(data) -> str:
    """The host page's language ("nl-NL" -> "nl")."""
    return str(data.get("language", ""))[:8].split("-")[0].lower()


@require_GET
def widget_script(request):
    """The built script (static/widget/v1.js, `make widget`), cacheable for a week by any site."""
    path = finders.find(SCRIPT)
    if not path:
        raise Http404
    with open(path, "rb") as handle:
        response = HttpResponse(handle.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"  # also loadable as an ES module (import)
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@_call
def widget_config(request, found, data, origin):
    return JsonResponse({"ok": True, "config": widget.public_config(found)})


@_call
def widget_ask(request, found, data, origin):
    contact, problem = widget.identified_contact(found, data.get("user"), language=_page_language(data))
    now = timezone.now()
    if problem and not found.anonymous:
        return JsonResponse({"ok": True, "ask": False, "reason": problem})
    if not widget.url_matches(found, str(data.get("path", "/"))[:500]):
        return JsonResponse({"ok": True, "ask": False, "reason": "page"})
    refusal = widget.ask_refusal(found, contact, now=now)
    if refusal:
        return JsonResponse({"ok": True, "ask": False, "reason": refusal})
    invitation = widget.widget_ask(found, contact, now=now)
    return JsonResponse(
        {
            "ok": True,
            "ask": True,
            "token": invitation.token if invitation else "",
            "texts": widget.texts(found, _language(found, contact, data)),
            "config": widget.public_config(found),
        }
    )


def _answer_first(data, origin):
    """An identified contact's answer, first or changed, in one statement (surveys.widget.widget_answer_first)."""
    answered = widget.widget_answer_first(
        key=str(data.get("key", "")), origin=origin, token=str(data.get("token", "")), score=data.get("score")
    )
    if answered is None:
        return None
    return JsonResponse({"ok": True, "response": widget.response_key(answered[0]), "category": answered[1]})


def widget_answer(request, found, data, origin):
    token = str(data.get("token", ""))
    if not token:  # anonymous: as many per client address as through the public link
        decision = ratelimit.check(
            "widget-answer", ratelimit.client_ip(request), limit=ANON_LIMIT[0], window=ANON_LIMIT[1]
        )
        if not decision.allowed:
            response = _refuse(429, "too-many")
            response["Retry-After"] = str(decision.retry_after)
            return response
    try:
        response_id, category = widget.widget_answer(
            found, score=data.get("score"), token=token, language=_language(found, None, data), tried_first=True
        )
    except ValidationError:
        return _refuse(400, "score")
    except (CampaignClosed, AlreadyAnswered):
        return _refuse(410, "closed")
    except widget.WidgetRefused as refusal:
        return _refuse(403, str(refusal))
    return JsonResponse({"ok": True, "response": widget.response_key(response_id), "category": category})


widget_answer = _call(widget_answer, first=_answer_first)


@_call
def widget_details(request, found, data, origin):
    try:
        widget.widget_details(
            found, key=str(data.get("response", "")), comment=data.get("comment", ""), answers=data.get("answers")
        )
    except ValidationError as error:
        return _refuse(400, " ".join(error.messages))
    except (CampaignClosed, AlreadyAnswered):
        return _refuse(410, "closed")
    except widget.WidgetRefused as refusal:
        return _refuse(403, str(refusal))
    return JsonResponse({"ok": True})


@_call
def widget_dismiss(request, found, data, origin):
    contact, problem = widget.identified_contact(found, data.get("user"))
    if contact is not None and not problem:
        widget.widget_dismiss(found, contact)
    return JsonResponse({"ok": True})
