"""/accounts/orcid/login/ sends the visitor to ORCID; /accounts/orcid/callback/
is where ORCID sends them back. Signed in, the answer links the iD to the
researcher's profile; signed out, it signs in the account whose profile
holds that iD (pops.orcid.backend says which). Every outcome is a message
and a security event (by reason and user id, never the iD), and every
failure changes nothing."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pops.audit import security_event
from pops.orcid import backend, client

# What the session remembers between the two views: who started (an account
# id, or None to sign in), where to go next and in which language.
FLOW = "pops_orcid_flow"


def _failure_message(reason: str) -> str:
    return {
        client.ACCESS_DENIED: _("You did not allow the portal to read your ORCID iD at ORCID: nothing was changed."),
        client.STATE_MISMATCH: _(
            "This answer from ORCID does not belong to a request started here, or it came too late: "
            "nothing was changed. Please try again."
        ),
        client.ORCID_REFUSED: _("ORCID did not confirm your ORCID iD: nothing was changed. Please try again."),
        client.ORCID_UNAVAILABLE: _("ORCID could not be reached: nothing was changed. Please try again later."),
        backend.NOT_LINKED: _(
            "No profile on the portal is linked to this ORCID iD. Sign in first with your Politecnico "
            "account or with your e-mail address and password, then link your ORCID iD from “My initiatives”."
        ),
        backend.STAFF_ACCOUNT: _(
            "POPS staff accounts do not sign in with ORCID: sign in with your password and second factor."
        ),
        backend.INACTIVE_ACCOUNT: _("The account linked to this ORCID iD is disabled: please write to POPS staff."),
        backend.HELD_BY_ANOTHER: _(
            "This ORCID iD is on another person's profile in the register: nothing was changed. "
            "If it is yours, please write to POPS staff, who can merge or correct the profiles."
        ),
    }[reason]


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _language(value) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return value if value in codes else translation.get_language()


@require_GET
def orcid_login(request):
    """Remember who asks (to link, or to sign in) and send them to ORCID."""
    next_url = _safe_next(request, request.GET.get("next", ""))
    request.session[FLOW] = {
        "user": request.user.pk if request.user.is_authenticated else None,
        "next": next_url,
        "language": _language(translation.get_language_from_path(next_url)),
    }
    return client.authorize_redirect(request)


@require_GET
def orcid_callback(request):
    flow = request.session.pop(FLOW, None) or {}
    language = _language(flow.get("language"))
    # The language the researcher started in (this path has no prefix).
    request.LANGUAGE_CODE = language
    with translation.override(language):
        linking = request.user.is_authenticated
        try:
            if "user" not in flow or flow["user"] != (request.user.pk if linking else None):
                # Not the flow this session started (or it started signed
                # out and signed in meanwhile, or the other way round).
                client.forget_pending(request)
                raise client.OrcidFailure(client.STATE_MISMATCH)
            orcid = client.confirmed_orcid(request)
        except client.OrcidFailure as failure:
            event = "orcid_link_failed" if linking else "login_failed"
            security_event(event, request=request, method="orcid", reason=failure.reason)
            messages.error(request, _failure_message(failure.reason))
            return _back(request, flow, signed_in=linking)
        if linking:
            return _link(request, flow, orcid)
        return _sign_in(request, flow, orcid)


def _back(request, flow: dict, *, signed_in: bool):
    """Where a refusal returns: the page the link was asked from (the
    researcher's dashboard by default), or the login page."""
    if signed_in:
        return redirect(flow.get("next") or reverse("census:dashboard"))
    login_url = reverse("login")
    if flow.get("next"):
        login_url += "?" + urlencode({"next": flow["next"]})
    return redirect(login_url)


def _link(request, flow: dict, orcid: str):
    outcome, person = backend.link(request.user, orcid)
    if outcome == backend.HELD_BY_ANOTHER:
        security_event("orcid_link_failed", request=request, method="orcid", reason=outcome)
        messages.error(request, _failure_message(outcome))
    else:
        security_event("orcid_linked", request=request, method="orcid", person_id=person.pk, outcome=outcome)
        messages.success(
            request,
            _("Your ORCID iD %(orcid)s is linked to your profile: you can now sign in with ORCID.") % {"orcid": orcid},
        )
    return _back(request, flow, signed_in=True)


def _sign_in(request, flow: dict, orcid: str):
    found = backend.account_for(orcid)
    if isinstance(found, str):
        # Logged, not counted towards the lockouts: ORCID confirmed the iD,
        # so nothing is being guessed, and a campus address that many share
        # would be locked by researchers who have not linked theirs yet.
        security_event("login_failed", request=request, method="orcid", reason=found)
        messages.error(request, _failure_message(found))
        return _back(request, flow, signed_in=False)
    # Through authenticate(): axes refuses a locked-out address or iD (its
    # middleware answers 429), and the session is started as for any login.
    user = authenticate(request, orcid_id=orcid)
    if user is None:  # locked out, or the account changed a moment ago
        messages.error(request, _failure_message(backend.NOT_LINKED))
        return _back(request, flow, signed_in=False)
    login(request, user)
    return redirect(flow.get("next") or reverse(settings.LOGIN_REDIRECT_URL))
