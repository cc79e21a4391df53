"""A real SAML identity provider for the tests: pysaml2's own IdP
(saml2.server.Server) with throwaway keys, speaking to the portal's SP
through the test client (the redirect binding there, the POST binding back).
"""

from __future__ import annotations

import base64
import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

IDP_ENTITY_ID = "https://idp.test.polito.it/idp/shibboleth"
IDP_SSO_URL = "https://idp.test.polito.it/idp/profile/SAML2/Redirect/SSO"


def xmlsec1() -> str | None:
    return shutil.which("xmlsec1")


def key_pair(folder: Path, name: str) -> tuple[str, str]:
    """A new RSA key and its self-signed certificate, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


def idp_config(*, key_file: str, cert_file: str, sp_metadata: str | None):
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT

    config = IdPConfig()
    config.load(
        {
            "entityid": IDP_ENTITY_ID,
            "xmlsec_binary": xmlsec1(),
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {"single_sign_on_service": [(IDP_SSO_URL, BINDING_HTTP_REDIRECT)]},
                    "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                    "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                }
            },
            "key_file": key_file,
            "cert_file": cert_file,
            "metadata": {"local": [sp_metadata]} if sp_metadata else {},
        }
    )
    return config


def idp_metadata(config) -> str:
    from saml2.metadata import entity_descriptor

    return str(entity_descriptor(config))


@dataclass
class AuthnRequest:
    id: str
    acs_url: str
    sp_entity_id: str
    relay_state: str
    signed: bool


class IdP:
    """pysaml2's IdP, signing with `key_file` (the one in the SP's copy of
    the IdP metadata, or another)."""

    def __init__(self, *, key_file: str, cert_file: str, sp_metadata: str):
        from saml2.server import Server

        self.server = Server(config=idp_config(key_file=key_file, cert_file=cert_file, sp_metadata=sp_metadata))

    def read_request(self, location: str) -> AuthnRequest:
        """The AuthnRequest the SP redirected the browser to us with."""
        from saml2 import BINDING_HTTP_REDIRECT

        assert location.startswith(IDP_SSO_URL), location
        query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
        message = self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        return AuthnRequest(
            id=message.id,
            acs_url=message.assertion_consumer_service_url,
            sp_entity_id=message.issuer.text,
            relay_state=query.get("RelayState", ""),
            signed="Signature" in query and "SigAlg" in query,
        )

    def response(self, request: AuthnRequest, identity: dict, *, sign_response=True, sign_assertion=False) -> str:
        """A SAMLResponse (base64, as the POST binding carries it)."""
        from saml2.saml import AUTHN_PASSWORD_PROTECTED, NAMEID_FORMAT_TRANSIENT, NameID

        xml = self.server.create_authn_response(
            identity,
            in_response_to=request.id,
            destination=request.acs_url,
            sp_entity_id=request.sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text="_transient-" + request.id),
            authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": IDP_ENTITY_ID},
            sign_response=sign_response,
            sign_assertion=sign_assertion,
        )
        return base64.b64encode(str(xml).encode()).decode()
