"""Single sign-on with OpenID Connect (Microsoft Entra ID, Google Workspace, Okta, Keycloak, …).

Configured from the environment (settings.OIDC; README: Configuration): the issuer, the client id
and secret. The flow is the authorisation-code flow with PKCE:

1. `begin` reads the provider's discovery document (`<issuer>/.well-known/openid-configuration`,
   cached for an hour; its issuer must be ours), makes a state, a nonce and a PKCE verifier, keeps
   them in the session, and sends the browser to the provider's authorisation endpoint with the
   S256 challenge.
2. `complete` checks the state, exchanges the code at the token endpoint with the verifier
   (authlib's OAuth2Session), and verifies the ID token (`verify_id_token`, joserfc): its
   signature against the provider's published keys (asymmetric algorithms only), issuer,
   audience, expiry and that its nonce is the one we sent.
3. `user_for` matches the person by e-mail address, and only when the provider says the address
   is verified; without a match, a user is created with the default role if OIDC_CREATE_USERS is on.

Refusals raise SSOError with a message for the person and a code for the log.
"""

import logging
import secrets
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from core.audit import audit_log
from core.mail import absolute_url
from core.roles import ROLES, assign_role

logger = logging.getLogger(__name__)

SESSION_KEY = "kr_sso_flow"
FLOW_SECONDS = 10 * 60
METADATA_SECONDS = 3600
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY = 60
TIMEOUT = 10


class SSOError(Exception):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def configured() -> bool:
    return bool(settings.OIDC["ISSUER"] and settings.OIDC["CLIENT_ID"])


def button() -> dict | None:
    """What the login page shows for SSO, or None when SSO is not configured."""
    if not configured():
        return None
    return {"label": settings.OIDC["PROVIDER_NAME"] or _("single sign-on")}


def _unreachable(error) -> SSOError:
    logger.warning("Single sign-on: the identity provider could not be reached", exc_info=error)
    return SSOError(_("The sign-in service could not be reached. Please try again later."), "unreachable")


def metadata() -> dict:
    issuer = settings.OIDC["ISSUER"]
    key = f"oidc-metadata:{issuer}"
    document = cache.get(key)
    if document:
        return document
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise _unreachable(error) from error
    if document.get("issuer", "").rstrip("/") != issuer:
        logger.error("Single sign-on: discovery names issuer %r, configured %r", document.get("issuer"), issuer)
        raise SSOError(_("Single sign-on is not set up correctly. Please tell an admin."), "discovery")
    missing = [name for name in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(name)]
    if missing:
        raise SSOError(_("Single sign-on is not set up correctly. Please tell an admin."), "discovery")
    cache.set(key, document, METADATA_SECONDS)
    return document


def callback_url() -> str:
    return absolute_url(reverse("accounts:sso_callback"))


def _client(meta: dict) -> OAuth2Session:
    supported = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"
    return OAuth2Session(
        settings.OIDC["CLIENT_ID"],
        settings.OIDC["CLIENT_SECRET"] or None,
        scope=settings.OIDC["SCOPES"],
        redirect_uri=callback_url(),
        code_challenge_method="S256",
        token_endpoint_auth_method=method,
    )


def begin(request, *, next_url: str) -> str:
    """The provider's authorisation URL to send the browser to; the flow's secrets go in the session."""
    meta = metadata()
    flow = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),  # PKCE: 86 characters, within RFC 7636's 43-128
        "next": next_url,
        "at": time.time(),
    }
    url, _state = _client(meta).create_authorization_url(
        meta["authorization_endpoint"], state=flow["state"], nonce=flow["nonce"], code_verifier=flow["verifier"]
    )
    request.session[SESSION_KEY] = flow
    return url


def complete(request) -> tuple[dict, str]:
    """Finish the flow from the provider's redirect: the verified ID-token claims and the next URL."""
    flow = request.session.pop(SESSION_KEY, None)
    if not flow or time.time() - flow.get("at", 0) > FLOW_SECONDS:
        raise SSOError(_("The sign-in took too long or was started elsewhere. Please try again."), "no_flow")
    if not secrets.compare_digest(str(request.GET.get("state", "")), flow["state"]):
        raise SSOError(_("The sign-in took too long or was started elsewhere. Please try again."), "state")
    if request.GET.get("error"):
        raise SSOError(_("The sign-in service did not sign you in."), f"provider:{request.GET['error'][:40]}")
    code = request.GET.get("code", "")
    if not code:
        raise SSOError(_("The sign-in service did not sign you in."), "no_code")
    meta = metadata()
    try:
        token = _client(meta).fetch_token(
            meta["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=flow["verifier"]
        )
        keys = requests.get(meta["jwks_uri"], timeout=TIMEOUT)
        keys.raise_for_status()
        key_set = keys.json()
    except requests.RequestException as error:
        raise _unreachable(error) from error
    except Exception as error:  # authlib's OAuth errors: a refused code or verifier, a bad client secret
        logger.warning("Single sign-on: the token request was refused", exc_info=True)
        raise SSOError(_("The sign-in service did not sign you in."), "token") from error
    if not token.get("id_token"):
        raise SSOError(_("The sign-in service did not sign you in."), "no_id_token")
    claims = verify_id_token(
        token["id_token"],
        key_set=key_set,
        issuer=meta["issuer"],
        audience=settings.OIDC["CLIENT_ID"],
        nonce=flow["nonce"],
    )
    return claims, flow.get("next", "")


def verify_id_token(id_token: str, *, key_set: dict, issuer: str, audience: str, nonce: str) -> dict:
    """The claims of a valid ID token; SSOError when its signature, issuer, audience, expiry or nonce
    is wrong."""
    refused = SSOError(_("The sign-in service did not sign you in."), "id_token")
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(key_set), algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        logger.warning("Single sign-on: ID token refused: %s", error)
        refused.code = f"id_token:{type(error).__name__}"
        raise refused from error
    return token.claims


def _verified(claims: dict) -> bool:
    # Some providers send the flag as a string.
    return claims.get("email_verified") is True or str(claims.get("email_verified")).lower() == "true"


def user_for(claims: dict):
    """The Kringloop user for these verified claims, created just in time when allowed."""
    email = (claims.get("email") or "").strip()
    if not email or not _verified(claims):
        raise SSOError(
            _("Your sign-in service did not confirm your e-mail address, so Kringloop cannot tell who you are."),
            "unverified_email",
        )
    User = get_user_model()
    users = list(User.objects.filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise SSOError(
            _("More than one Kringloop account uses your e-mail address. Please tell an admin."), "ambiguous"
        )
    if users:
        if not users[0].is_active:
            raise SSOError(_("Your Kringloop account is switched off. Please ask an admin."), "inactive")
        return users[0]
    if not settings.OIDC["CREATE_USERS"]:
        raise SSOError(
            _("There is no Kringloop account for %(email)s. Please ask an admin.") % {"email": email}, "no_user"
        )
    return _create_user(email=email, claims=claims)


def _create_user(*, email: str, claims: dict):
    User = get_user_model()
    base = email.split("@")[0][:140] or "user"
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    role = settings.OIDC["DEFAULT_ROLE"]
    with transaction.atomic():
        user = User(
            username=username,
            email=email,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        user.set_unusable_password()
        user.save()
        if role in ROLES:
            assign_role(user, role)
        audit_log(actor=None, action="sso.user_created", target=user, data={"role": role, "issuer": claims.get("iss")})
    return user
