"""ORCID's two endpoints, through Authlib's Django client: the redirect to
/oauth/authorize (with a state kept in the session) and the exchange of the
code at /oauth/token, whose answer names the ORCID iD. Every way the exchange
can fail is one `OrcidFailure` reason; nothing here reads or writes a model.
"""

from __future__ import annotations

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from django.conf import settings
from django.core.exceptions import ValidationError

from initiatives.models import orcid_validator
from pops.orcid.config import SCOPE

# Why an answer from ORCID named no iD, as the messages and security events say it.
ACCESS_DENIED = "access_denied"  # the researcher did not allow it at ORCID
STATE_MISMATCH = "state_mismatch"  # not the answer to a request this session made (or it expired)
ORCID_REFUSED = "orcid_refused"  # ORCID answered with an error, or without a valid iD
ORCID_UNAVAILABLE = "orcid_unavailable"  # ORCID could not be reached (timeout, 5xx)

NAME = "orcid"


class OrcidFailure(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _app():
    """Authlib's client for ORCID, from the settings of the moment (a new
    registry each time: cheap, and the settings may change, tests do)."""
    from authlib.integrations.django_client import OAuth

    base = settings.POPS_ORCID_BASE_URL
    return OAuth().register(
        name=NAME,
        client_id=settings.POPS_ORCID_CLIENT_ID,
        client_secret=settings.POPS_ORCID_CLIENT_SECRET,
        authorize_url=f"{base}/oauth/authorize",
        access_token_url=f"{base}/oauth/token",
        client_kwargs={
            "scope": SCOPE,
            # ORCID reads the client's credentials from the form, not a header.
            "token_endpoint_auth_method": "client_secret_post",
            "default_timeout": settings.POPS_ORCID_TIMEOUT,
        },
    )


def authorize_redirect(request):
    """The redirect to ORCID's authorization page; Authlib keeps the state
    (and the redirect URI it was sent with) in the session."""
    return _app().authorize_redirect(request, settings.POPS_ORCID_REDIRECT_URI)


def forget_pending(request) -> None:
    """Drop every state this session waits for an answer to (a flow that is
    refused before its state is read leaves none behind)."""
    prefix = f"_state_{NAME}_"
    for key in [key for key, _value in request.session.items() if key.startswith(prefix)]:
        del request.session[key]


def confirmed_orcid(request) -> str:
    """The ORCID iD of the researcher ORCID sent back, once the state matched
    and ORCID exchanged the code for a token; `OrcidFailure` otherwise."""
    app = _app()
    error = request.GET.get("error")
    if error:
        app.framework.clear_state_data(request.session, request.GET.get("state"))
        raise OrcidFailure(ACCESS_DENIED if error == "access_denied" else ORCID_REFUSED)
    try:
        token = app.authorize_access_token(request)
    except MismatchingStateError as exc:
        raise OrcidFailure(STATE_MISMATCH) from exc
    except OAuthError as exc:
        raise OrcidFailure(ORCID_REFUSED) from exc
    except ValueError as exc:  # an answer that is not JSON (requests' JSONDecodeError is one)
        raise OrcidFailure(ORCID_REFUSED) from exc
    except requests.RequestException as exc:  # timeout, connection refused, 5xx
        raise OrcidFailure(ORCID_UNAVAILABLE) from exc
    orcid = token.get("orcid") if isinstance(token, dict) else None
    if not isinstance(orcid, str):
        raise OrcidFailure(ORCID_REFUSED)
    try:
        orcid_validator(orcid)
    except ValidationError as exc:
        raise OrcidFailure(ORCID_REFUSED) from exc
    return orcid
