"""Staff read the product in the language they chose in their preferences (UserProfile.language).

- `user_language(user)`: that language, or the site default (LANGUAGE_CODE); `user_languages(users)`
  the same for many users in one query.
- `for_user(user)`: a context manager rendering whatever happens inside it (an e-mail to that
  staff member, a message stored for them) in their language:

      with for_user(owner):
          message = render_email(template="followup_owner", context=..., to=owner.email)

  (`render_email(..., language=user_language(owner))` does the same for one e-mail.)
- `UserLanguageMiddleware`: a logged-in user's pages follow their preference; anonymous pages
  (the login page) follow the language cookie, else the browser's Accept-Language, through
  Django's LocaleMiddleware. Respondent pages ignore both: their views override the language
  with the contact's or the campaign's (surveys.public_views).

The preference is read once at login and kept in the session (`remember_language`), so a page
costs no extra query; the preferences page updates the session when it changes.

- `in_language(texts, language, own=...)`: the one rule for choosing among a record's texts per
  language (a campaign's translations through surveys.wording.translated, an improvement's title and
  "what changed" text, a team channel's improvement message).
"""

from contextlib import contextmanager

from django.conf import settings
from django.utils import translation

SESSION_KEY = "kringloop_language"


_NONE = object()


def in_language(texts, language: str | None = None, *, own=_NONE):
    """The text a reader of `language` (default: the active one) reads, from `texts` ({language
    code: text}; empty counts as none):

    1. the text in their language, when there is one;
    2. else the record's `own` text, when it has one: written in the record's own language (a
       campaign's fields, and what surveys.wording falls back to a translated default from);
    3. else, for texts kept side by side per language with none of them the record's own (an
       improvement's English and Dutch texts), the text in another language, in
       settings.LANGUAGES order; "" when there is none.
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    text = texts.get(language)
    if text:
        return text
    if own is not _NONE:
        return own
    return next((texts[code] for code, _name in settings.LANGUAGES if texts.get(code)), "")


def _known(code: str | None) -> str | None:
    return code if code in {c for c, _name in settings.LANGUAGES} else None


def user_language(user) -> str:
    """The language `user` chose, else the site default. One query (none without a user)."""
    if user is None or not getattr(user, "pk", None):
        return settings.LANGUAGE_CODE
    return user_languages([user])[user.pk]


def user_languages(users) -> dict[int, str]:
    """`user_language` of each user, by primary key, in one query for all of them (a batch of e-mails)."""
    from core.models import UserProfile

    pks = {user.pk for user in users if user is not None and getattr(user, "pk", None)}
    chosen = dict(UserProfile.objects.filter(user_id__any=pks).values_list("user_id", "language")) if pks else {}
    return {pk: _known(chosen.get(pk)) or settings.LANGUAGE_CODE for pk in pks}


@contextmanager
def for_user(user):
    """Everything translated inside the block is in `user`'s language."""
    with translation.override(user_language(user)):
        yield


def remember_language(request, user, language: str) -> None:
    """Keep the user's language in their session (at login, and when they change it)."""
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = [user.pk, language]


def on_login(sender, request, user, **kwargs):
    """user_logged_in receiver: read the preference once per login."""
    if request is not None:
        remember_language(request, user, user_language(user))


def _session_language(request) -> str | None:
    stored = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if isinstance(stored, list) and len(stored) == 2 and stored[0] == request.user.pk:
        return _known(stored[1])
    return None


class UserLanguageMiddleware:
    """Activates a logged-in user's own language for the request (after AuthenticationMiddleware,
    which must come after LocaleMiddleware), and keeps the language cookie in step, so the login
    page after logging out is in the same language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = _session_language(request)
            if language is None:  # a session from before this was kept, or a changed user
                language = user_language(user)
                remember_language(request, user, language)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # Read again: the request may have logged the user in or out, or changed the preference.
        user = getattr(request, "user", None)
        language = _session_language(request) if user is not None and user.is_authenticated else None
        if (
            language
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language
            and settings.LANGUAGE_COOKIE_NAME not in response.cookies
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
            )
        return response
