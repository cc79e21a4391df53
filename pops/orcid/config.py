"""The ORCID settings, built from the environment by pops/settings.py.

ORCID sign-in is on when the portal has ORCID credentials (a client id and
secret, from ORCID's developer tools; the sandbox's for tests). Nothing here
imports a Django model: the settings module imports it before the apps are
ready."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# The path the ORCID views live under (outside the language prefix: ORCID
# knows one redirect URI, which must be registered with the client).
URL_PREFIX = "accounts/orcid/"
CALLBACK_PATH = f"/{URL_PREFIX}callback/"

# ORCID's plain OAuth 2.0 flow, whose token response carries the iD
# ({"access_token", "orcid", "name", ...}); no other scope is asked for.
SCOPE = "/authenticate"
DEFAULT_BASE_URL = "https://orcid.org"

# Where the back-end goes in AUTHENTICATION_BACKENDS.
BACKEND = "pops.orcid.backend.OrcidBackend"


def orcid_settings(env, *, site_url: str) -> dict:
    """The POPS_ORCID_* settings, or {} when ORCID is not configured (the
    embedded default). One of the two credentials without the other is a
    mistake, and says so."""
    client_id = env.str("POPS_ORCID_CLIENT_ID", "")
    client_secret = env.str("POPS_ORCID_CLIENT_SECRET", "")
    if not (client_id or client_secret):
        return {}
    if not (client_id and client_secret):
        raise ImproperlyConfigured("ORCID sign-in needs both POPS_ORCID_CLIENT_ID and POPS_ORCID_CLIENT_SECRET.")
    base_url = env.str("POPS_ORCID_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
        raise ImproperlyConfigured(f"POPS_ORCID_BASE_URL must be an http(s) address, not {base_url!r}.")
    return {
        "POPS_ORCID_ENABLED": True,
        "POPS_ORCID_CLIENT_ID": client_id,
        "POPS_ORCID_CLIENT_SECRET": client_secret,
        "POPS_ORCID_BASE_URL": base_url,
        "POPS_ORCID_REDIRECT_URI": site_url.rstrip("/") + CALLBACK_PATH,
    }
