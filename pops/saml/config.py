"""The SAML settings, built from the environment by pops/settings.py.

SAML is on when an IdP's metadata is given (a file, or a URL with the
certificate its signature is checked against); the SP's own key and
certificate are then required. Nothing here imports a Django model: the
settings module imports it before the apps are ready."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# The path the SAML views live under (outside the language prefix: the IdP
# knows one ACS address).
URL_PREFIX = "saml2/"

# The attributes asked for in the SP metadata, by their friendly names
# (pysaml2 maps the urn:oid: names the IdP sends onto these).
REQUIRED_ATTRIBUTES = ["eduPersonPrincipalName", "mail"]
OPTIONAL_ATTRIBUTES = ["givenName", "sn", "eduPersonScopedAffiliation", "eduPersonAffiliation", "ou"]


def _readable(path: str, variable: str) -> str:
    if not path:
        raise ImproperlyConfigured(f"{variable} is required when SAML is on.")
    if not Path(path).is_file():
        raise ImproperlyConfigured(f"{variable}: no such file: {path!r}.")
    return path


def saml_config(
    *,
    entity_id: str,
    base_url: str,
    key_file: str,
    cert_file: str,
    idp_metadata_file: str = "",
    idp_metadata_url: str = "",
    idp_metadata_cert: str = "",
    department_attribute: str = "ou",
    contact_email: str = "",
    xmlsec_binary: str = "",
    accepted_time_diff: int = 60,
) -> dict:
    """pysaml2's SP configuration (djangosaml2's SAML_CONFIG).

    Responses must come back to our ACS, answer a request we made
    (`allow_unsolicited` off) and be signed: the whole response (Shibboleth's
    default) or the assertion (and views.AcsView checks it again); any
    signature present is verified against the IdP's metadata only. Our AuthnRequests
    are signed, and assertions encrypted for us are decrypted with our key."""
    from saml2 import BINDING_HTTP_POST
    from saml2.saml import NAMEID_FORMAT_TRANSIENT

    if idp_metadata_file:
        metadata = {"local": [_readable(idp_metadata_file, "POPS_SAML_IDP_METADATA_FILE")]}
    elif idp_metadata_url:
        if not idp_metadata_cert:
            raise ImproperlyConfigured(
                "POPS_SAML_IDP_METADATA_URL needs POPS_SAML_IDP_METADATA_CERT, "
                "the certificate its signature is checked with."
            )
        metadata = {
            "remote": [{"url": idp_metadata_url, "cert": _readable(idp_metadata_cert, "POPS_SAML_IDP_METADATA_CERT")}]
        }
    else:
        raise ImproperlyConfigured("SAML needs POPS_SAML_IDP_METADATA_FILE or POPS_SAML_IDP_METADATA_URL.")
    key_file = _readable(key_file, "POPS_SAML_KEY_FILE")
    cert_file = _readable(cert_file, "POPS_SAML_CERT_FILE")
    xmlsec_binary = xmlsec_binary or shutil.which("xmlsec1") or ""
    if not xmlsec_binary:
        raise ImproperlyConfigured("SAML needs the xmlsec1 program (Debian: apt-get install xmlsec1).")
    base_url = base_url.rstrip("/")
    optional = OPTIONAL_ATTRIBUTES + ([department_attribute] if department_attribute not in OPTIONAL_ATTRIBUTES else [])
    config = {
        "xmlsec_binary": xmlsec_binary,
        "entityid": entity_id,
        "allow_unknown_attributes": True,
        "accepted_time_diff": accepted_time_diff,
        "service": {
            "sp": {
                "name": "PoliTO per il Sociale",
                "name_id_format": NAMEID_FORMAT_TRANSIENT,
                "endpoints": {
                    "assertion_consumer_service": [(f"{base_url}/{URL_PREFIX}acs/", BINDING_HTTP_POST)],
                },
                "allow_unsolicited": False,
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_assertions_signed": False,
                "want_response_signed": False,
                "want_assertions_or_response_signed": True,
                "only_use_keys_in_metadata": True,
                "required_attributes": REQUIRED_ATTRIBUTES,
                "optional_attributes": optional,
                "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
            },
        },
        "metadata": metadata,
        "key_file": key_file,
        "cert_file": cert_file,
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
        "organization": {
            "name": [("Politecnico di Torino", "it"), ("Politecnico di Torino", "en")],
            "display_name": [("PoliTO per il Sociale", "it"), ("PoliTO per il Sociale", "en")],
            "url": [(base_url, "it"), (base_url, "en")],
        },
    }
    if contact_email:
        config["contact_person"] = [{"contact_type": "technical", "email_address": contact_email}]
    return config


def saml_settings(env, *, site_url: str, staff_emails: list[str]) -> dict:
    """The SAML_* settings from the POPS_SAML_* variables, or {} when SAML
    is not configured (the embedded default)."""
    metadata_file = env.str("POPS_SAML_IDP_METADATA_FILE", "")
    metadata_url = env.str("POPS_SAML_IDP_METADATA_URL", "")
    if not (metadata_file or metadata_url):
        return {}
    base_url = env.str("POPS_SAML_BASE_URL", site_url).rstrip("/")
    department_attribute = env.str("POPS_SAML_DEPARTMENT_ATTRIBUTE", "ou")
    config = saml_config(
        entity_id=env.str("POPS_SAML_ENTITY_ID", f"{base_url}/{URL_PREFIX}metadata/"),
        base_url=base_url,
        key_file=env.str("POPS_SAML_KEY_FILE", ""),
        cert_file=env.str("POPS_SAML_CERT_FILE", ""),
        idp_metadata_file=metadata_file,
        idp_metadata_url=metadata_url,
        idp_metadata_cert=env.str("POPS_SAML_IDP_METADATA_CERT", ""),
        department_attribute=department_attribute,
        contact_email=env.str("POPS_SAML_CONTACT_EMAIL", staff_emails[0] if staff_emails else ""),
        xmlsec_binary=env.str("POPS_SAML_XMLSEC_BINARY", ""),
    )
    return django_settings(
        config, idp_entity_id=env.str("POPS_SAML_IDP_ENTITY_ID", ""), department_attribute=department_attribute
    )


def django_settings(config: dict, *, idp_entity_id: str = "", department_attribute: str = "ou") -> dict:
    """djangosaml2's settings around a pysaml2 `config` (the tests build
    theirs with this too)."""
    from saml2 import BINDING_HTTP_REDIRECT

    return {
        "POPS_SAML_ENABLED": True,
        "POPS_SAML_IDP_ENTITY_ID": idp_entity_id,
        "POPS_SAML_DEPARTMENT_ATTRIBUTE": department_attribute,
        "SAML_CONFIG": config,
        # Our requests go by redirect: a 302, not a page with a
        # self-submitting form (and its inline script).
        "SAML_DEFAULT_BINDING": BINDING_HTTP_REDIRECT,
        # The backend maps the attributes itself (backend.SamlBackend); this
        # mapping only names the lookup attribute for djangosaml2.
        "SAML_ATTRIBUTE_MAPPING": {"eduPersonPrincipalName": ("username",)},
        "SAML_DJANGO_USER_MAIN_ATTRIBUTE": "username",
        "SAML_CREATE_UNKNOWN_USER": True,
        "SAML_USE_NAME_ID_AS_USERNAME": False,
        # The pages djangosaml2 would render for a self-submitting form or a
        # list of IdPs are never reached (redirect binding, one IdP); its CSP
        # decorator is not needed for a 302.
        "SAML_CSP_HANDLER": "",
        "SAML_IGNORE_AUTHENTICATED_USERS_ON_LOGIN": True,
        "SAML_SESSION_COOKIE_NAME": "pops_saml",
    }


# Where djangosaml2's pieces go in the lists of settings.py.
SESSION_MIDDLEWARE = "djangosaml2.middleware.SamlSessionMiddleware"
BACKEND = "pops.saml.backend.SamlBackend"
