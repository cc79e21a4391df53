"""Request-level defences: who the client is, malformed input, session
lifetime, rate limits and the pages that refuse a request.

Login lockouts are django-axes' (settings AXES_*); rate limits are counted by
django-ratelimit in the default cache, per client address as `client_ip`
tells it. Every limit and lifetime is a setting read from the environment
(pops/settings.py, README "Environment variables").
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django_ratelimit.core import get_usage
from rest_framework.throttling import AnonRateThrottle

from pops.saml.attributes import principal

# --- The client's address ---------------------------------------------------------


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of the client. Behind the portal's own reverse proxy
    (POPS_BEHIND_PROXY) it is the last entry of X-Forwarded-For, the one the
    proxy wrote: earlier entries come from the client and prove nothing.
    Otherwise the socket's peer, whatever headers say. None when there is none
    (a request built in code)."""
    if settings.POPS_BEHIND_PROXY:
        forwarded = _address(request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1])
        if forwarded:
            return forwarded
    return _address(request.META.get("REMOTE_ADDR") or "")


# --- Refusals -----------------------------------------------------------------


def too_many_requests(request, retry_after: int, *, messages: bool = False):
    """429, with Retry-After in seconds and a page saying when to try again
    (about messages sent, where `messages`: the contact form)."""
    retry_after = max(1, int(retry_after))
    context = {"retry_after_minutes": math.ceil(retry_after / 60), "messages_sent": messages}
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def lockout_response(request, original_response=None, credentials=None):
    """What django-axes answers once a username or an address is locked out:
    the same page whichever it was, and whether or not the account exists."""
    cool_off = settings.AXES_COOLOFF_TIME
    return too_many_requests(request, cool_off.total_seconds() if cool_off else 3600)


def login_username(request, credentials) -> str:
    """The username axes counts failures for: an e-mail address in any case
    is one account (pops.auth.EmailBackend ignores case)."""
    credentials = credentials or {}
    if "session_info" in credentials:
        # A SAML sign-in: the identity the IdP asserted (pops.saml), so that
        # refusals of one person never lock out another.
        return "saml:" + principal(credentials["session_info"])
    if "saml_error" in credentials:
        # A SAML response refused before anyone was named in it.
        return "saml:"
    if "orcid_id" in credentials:
        # An ORCID sign-in (pops.orcid): the iD ORCID confirmed.
        return "orcid:" + credentials["orcid_id"]
    raw = credentials.get("username") or request.POST.get("username") or ""
    return raw.strip().lower()


# --- NUL bytes -------------------------------------------------------------------


# Paths whose clients expect JSON, errors included.
JSON_PATHS = ("/api/",)


class RejectNulMiddleware:
    """A NUL byte in a query parameter or a form field is never meaningful and
    PostgreSQL cannot store or compare it (a 500 where it reached a query):
    refuse the request with a 400 before any view sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for data in (request.GET, request.POST):
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    if request.path.startswith(JSON_PATHS):
                        return JsonResponse({"detail": gettext("A parameter holds a NUL byte.")}, status=400)
                    raise BadRequest("NUL byte in the request parameters.")
        return self.get_response(request)


# --- Permissions-Policy ------------------------------------------------------------


def permissions_policy(features: dict[str, tuple[str, ...]]) -> str:
    """The header's value: `camera=()` for a feature no one may use,
    `fullscreen=(self)` for one the portal's own pages may."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in features.items())


class PermissionsPolicyMiddleware:
    """Sends Permissions-Policy (settings.POPS_PERMISSIONS_POLICY) on every
    answer that does not set its own. (Content-Security-Policy is
    django-csp's, HSTS, nosniff, Referrer-Policy and COOP Django's
    SecurityMiddleware's.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        header = permissions_policy(settings.POPS_PERMISSIONS_POLICY)
        if header:
            response.headers.setdefault("Permissions-Policy", header)
        return response


# --- Session lifetime ------------------------------------------------------------

SESSION_STARTED = "pops_session_started"
SESSION_SEEN = "pops_session_seen"
# Seconds between two refreshes of the last-seen time: a request within this
# time of the last one does not write the session again.
SEEN_RESOLUTION = 60


def start_session_clock(sender, request, user, **kwargs) -> None:
    """At login: the session's age and idle time count from now."""
    now = int(time.time())
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


def connect_receivers() -> None:
    """Called once at start-up (initiatives.apps)."""
    user_logged_in.connect(start_session_clock, dispatch_uid="pops.security.start_session_clock")


class SessionLifetimeMiddleware:
    """Ends a signed-in session idle for POPS_SESSION_IDLE_SECONDS, or older
    than POPS_SESSION_MAX_SECONDS since login, whatever the activity. (The
    session cookie itself lasts until the browser closes; disabled accounts
    and changed passwords end sessions in django.contrib.auth.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            if SESSION_STARTED not in request.session:
                # A session from before these rules: its clock starts now.
                start_session_clock(None, request, request.user)
            started = request.session[SESSION_STARTED]
            seen = request.session.get(SESSION_SEEN, now)
            if now - seen > settings.POPS_SESSION_IDLE_SECONDS or now - started > settings.POPS_SESSION_MAX_SECONDS:
                logout(request)
            elif now - seen >= SEEN_RESOLUTION:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)


# --- Rate limits -----------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """At most `rate` requests (the setting's django-ratelimit "count/period")
    per client address, or per signed-in user where `per_user` (a campus
    shares few addresses), on the URL names given, for the methods given."""

    setting: str
    url_names: tuple[str, ...]
    methods: tuple[str, ...] = ("POST",)
    per_user: bool = False
    json: bool = False
    # The page says messages were sent too often, not attempts made.
    messages: bool = False


LIMITS = (
    # On top of django-axes' lockouts, which count failures only.
    Limit("POPS_RATE_LOGIN", ("login", "admin:login", "saml2_acs")),
    # ORCID's way back is a GET (pops/orcid/): counted with the logins.
    Limit("POPS_RATE_LOGIN", ("orcid_callback",), ("GET",)),
    Limit("POPS_RATE_PASSWORD_RESET", ("password_reset",)),
    # The second factor's code forms, per account (pops/otp.py has the rest).
    Limit("POPS_RATE_OTP", ("admin:otp_verify", "admin:otp_setup"), per_user=True),
    Limit(
        "POPS_RATE_SUGGESTIONS",
        ("census:organisation-suggestions", "census:person-suggestions"),
        ("GET",),
        per_user=True,
        json=True,
    ),
    Limit("POPS_RATE_INVITATIONS", ("census:invite",), per_user=True),
    # The showcase's contact forms, together; per sender too: contact_wait.
    Limit("POPS_RATE_CONTACT", ("initiative-contact", "person-contact"), messages=True),
)


def _ip_key(group, request) -> str:
    return client_ip(request) or ""


def _user_key(group, request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return client_ip(request) or ""


class RateLimitMiddleware:
    """Applies LIMITS by URL name, so that the views keep no limit of their
    own and the table reads in one place. Over the limit: 429 (`too_many_requests`)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.by_name = {name: limit for limit in LIMITS for name in limit.url_names}

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        limit = self.by_name.get(match.view_name) if match else None
        if limit is None or request.method not in limit.methods:
            return None
        usage = get_usage(
            request,
            group=limit.setting,
            key=_user_key if limit.per_user else _ip_key,
            rate=getattr(settings, limit.setting),
            method=list(limit.methods),
            increment=True,
        )
        if not (usage and usage["should_limit"]):
            return None
        if limit.json:
            response = JsonResponse({"error": gettext("Too many requests: try again in a minute.")}, status=429)
            response["Retry-After"] = str(max(1, usage["time_left"]))
            return response
        return too_many_requests(request, usage["time_left"], messages=limit.messages)


def contact_wait(request, email: str) -> int:
    """Seconds before the contact form may relay another message from the
    sender `email` (POPS_RATE_CONTACT_EMAIL per address, whatever client
    sends it); 0 when it may now. Counts this one."""
    usage = get_usage(
        request,
        group="contact-email",
        key=lambda group, request: email.strip().lower(),
        rate=settings.POPS_RATE_CONTACT_EMAIL,
        increment=True,
    )
    return max(1, usage["time_left"]) if usage and usage["should_limit"] else 0


def reset_allowed_for(request, email: str) -> bool:
    """Whether another password-reset e-mail may go to `email` now
    (POPS_RATE_PASSWORD_RESET_EMAIL per address, any existing or not, so that
    the count reveals nothing)."""
    usage = get_usage(
        request,
        group="password-reset-email",
        key=lambda group, request: email.strip().lower(),
        rate=settings.POPS_RATE_PASSWORD_RESET_EMAIL,
        increment=True,
    )
    return not (usage and usage["should_limit"])


class ApiThrottle(AnonRateThrottle):
    """DRF throttling of the open-data API per client address
    (POPS_RATE_API), with the address `client_ip` tells, not one a client
    can choose in X-Forwarded-For."""

    def get_rate(self):
        return settings.POPS_RATE_API if getattr(settings, "RATELIMIT_ENABLE", True) else None

    def get_ident(self, request):
        return client_ip(request) or ""

    def allow_request(self, request, view):
        # The rate is read per request (settings may change, tests do).
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
