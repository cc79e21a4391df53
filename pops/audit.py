"""Security-relevant events, one JSON object per line on the `pops.security`
logger: sign-ins and their failures, lockouts, sign-outs, permission
denials, rate limits, exports, publications, merges and the answers to
lead contact nominations.

An event names who by user id only (never a name, an e-mail address, the
username typed, or an IP address), what happened, and on what (the request
path, an object's id); log collectors (journald, Loki, the container logs)
read it as it is."""

from __future__ import annotations

import json
import logging

from django.utils import timezone

logger = logging.getLogger("pops.security")


class JsonFormatter(logging.Formatter):
    """A record of the `pops.security` logger as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"at": timezone.now().isoformat(timespec="seconds"), "event": record.getMessage()}
        data.update(getattr(record, "security", {}))
        return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _user_id(user) -> int | None:
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def security_event(event: str, *, user=None, request=None, **fields) -> None:
    """Log `event` (a short snake_case name) with the acting user's id, the
    request's method and path, and `fields` (ids and counts, no personal data)."""
    data = {"user_id": _user_id(user if user is not None else getattr(request, "user", None))}
    if request is not None:
        data.update(method=request.method, path=request.path)
    data.update(fields)
    logger.info(event, extra={"security": data})


class SecurityEventsMiddleware:
    """Every answer that refused a request for who asked: 403 (permission
    denied, CSRF) and 429 (a rate limit or a lockout)."""

    EVENTS = {403: "permission_denied", 429: "rate_limited"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        event = self.EVENTS.get(response.status_code)
        if event:
            security_event(event, request=request, status=response.status_code)
        return response


SAML_BACKEND = "pops.saml.backend.SamlBackend"
ORCID_BACKEND = "pops.orcid.backend.OrcidBackend"
METHOD_BY_BACKEND = {SAML_BACKEND: "saml", ORCID_BACKEND: "orcid"}


def _logged_in(sender, request, user, **kwargs):
    method = METHOD_BY_BACKEND.get(getattr(user, "backend", None))
    security_event("login", user=user, request=request, **({"method": method} if method else {}))


def _login_failed(sender, credentials, request=None, **kwargs):
    # Not the username typed: it may be someone's e-mail address, or a password.
    # A SAML refusal says why (pops/saml/): a code, never an attribute.
    credentials = credentials or {}
    if "session_info" in credentials or "saml_error" in credentials:
        reason = credentials.get("saml_error") or getattr(request, "pops_saml_refused", None) or "refused"
        security_event("login_failed", request=request, method="saml", reason=reason)
    elif "orcid_id" in credentials:
        # pops/orcid/ logs its own refusals before it asks; this one is axes'
        # (a locked-out address or iD) or an account changed meanwhile.
        security_event("login_failed", request=request, method="orcid", reason="refused")
    else:
        security_event("login_failed", request=request)


def _logged_out(sender, request, user, **kwargs):
    security_event("logout", user=user, request=request)


def _locked_out(sender, request, **kwargs):
    security_event("lockout", request=request)


def connect_receivers() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_logged_in, dispatch_uid="pops.audit.login")
    user_login_failed.connect(_login_failed, dispatch_uid="pops.audit.login_failed")
    user_logged_out.connect(_logged_out, dispatch_uid="pops.audit.logout")
    user_locked_out.connect(_locked_out, dispatch_uid="pops.audit.lockout")
