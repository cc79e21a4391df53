"""SAML single sign-on, end to end against a real identity provider the tests
start themselves (pysaml2's IdP with throwaway keys, tests/security/saml_idp.py):
the portal's login redirects to it with a signed AuthnRequest, the IdP
builds a Response, the browser posts it to the ACS."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from django.contrib.auth import get_user_model
from django.urls import clear_url_caches
from django.utils import translation

from initiatives.factories import PersonFactory, UserFactory
from initiatives.models import Department, Person
from pops.security import SESSION_STARTED
from tests.security import saml_idp

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(saml_idp.xmlsec1() is None, reason="xmlsec1 is not installed (Debian: apt-get install xmlsec1)"),
]

ROOT = Path(__file__).resolve().parents[2]
SP_ENTITY_ID = "http://testserver/saml2/metadata/"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def identity(**changes) -> dict:
    values = {
        "givenName": ["Maria"],
        "sn": ["Rossi"],
        "mail": ["Maria.Rossi@polito.it"],
        "eduPersonPrincipalName": ["mrossi@polito.it"],
        "eduPersonScopedAffiliation": ["student@polito.it", "member@polito.it"],
        "ou": [Department.objects.order_by("code").first().code],
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """The SP's and the IdP's keys, another key nobody trusts, and the IdP's
    metadata as the SP is given it."""
    folder = tmp_path_factory.mktemp("saml")
    sp_key, sp_cert = saml_idp.key_pair(folder, "sp")
    idp_key, idp_cert = saml_idp.key_pair(folder, "idp")
    other_key, other_cert = saml_idp.key_pair(folder, "other")
    idp_metadata = folder / "idp-metadata.xml"
    idp_metadata.write_text(
        saml_idp.idp_metadata(saml_idp.idp_config(key_file=idp_key, cert_file=idp_cert, sp_metadata=None))
    )
    return SimpleNamespace(
        folder=folder,
        sp=(sp_key, sp_cert),
        idp=(idp_key, idp_cert),
        other=(other_key, other_cert),
        idp_metadata=str(idp_metadata),
    )


def _reload_urls():
    import pops.urls

    importlib.reload(pops.urls)
    clear_url_caches()


@pytest.fixture
def saml_on(settings, keys):
    """The settings pops/settings.py makes from POPS_SAML_* (through the same
    builder), the SAML URLs routed."""
    from pops.saml import config

    sp_config = config.saml_config(
        entity_id=SP_ENTITY_ID,
        base_url="http://testserver",
        key_file=keys.sp[0],
        cert_file=keys.sp[1],
        idp_metadata_file=keys.idp_metadata,
    )
    for name, value in config.django_settings(sp_config).items():
        setattr(settings, name, value)
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, config.SESSION_MIDDLEWARE
    )
    settings.MIDDLEWARE = middleware
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, config.BACKEND]
    _reload_urls()
    yield
    settings.POPS_SAML_ENABLED = False
    _reload_urls()


@pytest.fixture
def sp_metadata(saml_on, client, keys):
    """The SP's metadata as the portal serves it, for the IdP."""
    path = keys.folder / "sp-metadata.xml"
    path.write_bytes(client.get("/saml2/metadata/").content)
    return str(path)


@pytest.fixture
def idp(sp_metadata, keys):
    return saml_idp.IdP(key_file=keys.idp[0], cert_file=keys.idp[1], sp_metadata=sp_metadata)


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="pops.security")
    logging.getLogger("pops.security").addHandler(caplog.handler)
    yield lambda: [(r.getMessage(), r.security) for r in caplog.records if r.name == "pops.security"]
    logging.getLogger("pops.security").removeHandler(caplog.handler)


def start(client, idp, next_path="/it/census/", **extra):
    answer = client.get("/saml2/login/", {"next": next_path}, **extra)
    assert answer.status_code == 302
    return idp.read_request(answer["Location"])


def post(client, saml_response, request, **extra):
    return client.post("/saml2/acs/", {"SAMLResponse": saml_response, "RelayState": request.relay_state}, **extra)


def sign_in(client, idp, attributes=None, **signing):
    request = start(client, idp)
    saml_response = idp.response(request, attributes or identity(), **signing)
    return post(client, saml_response, request), saml_response, request


def signed_in_user(client):
    return client.get("/it/census/").wsgi_request.user


# --- Off by default -----------------------------------------------------------------


def test_without_configuration_there_is_no_saml_and_the_login_page_is_unchanged(client):
    assert client.get("/saml2/metadata/").status_code == 404
    assert client.get("/saml2/login/").status_code == 404
    with translation.override("en"):
        page = client.get("/en/accounts/login/").content.decode()
    assert "Politecnico account" not in page and "saml2" not in page
    assert 'name="password"' in page


def test_check_deploy_reports_no_issue_with_saml_on(keys, tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "POPS_ENV": "production",
            "SECRET_KEY": "a-long-random-production-like-secret-" + "x7Rq2" * 10,
            "ALLOWED_HOSTS": "pops.polito.it",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "SECURE_HSTS_SECONDS": "31536000",
            "POPS_BEHIND_PROXY": "true",
            "STATIC_ROOT": str(tmp_path / "static"),
            "POPS_CACHE_DIR": str(tmp_path / "cache"),
            "SITE_URL": "https://pops.polito.it",
            "POPS_SAML_IDP_METADATA_FILE": keys.idp_metadata,
            "POPS_SAML_KEY_FILE": keys.sp[0],
            "POPS_SAML_CERT_FILE": keys.sp[1],
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_settings_come_from_the_environment_and_name_what_is_missing(monkeypatch, keys):
    from django.core.exceptions import ImproperlyConfigured
    from environs import Env

    from pops.saml.config import saml_settings

    for name in ("POPS_SAML_IDP_METADATA_FILE", "POPS_SAML_IDP_METADATA_URL", "POPS_SAML_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert saml_settings(Env(), site_url="https://pops.polito.it", staff_emails=[]) == {}
    monkeypatch.setenv("POPS_SAML_IDP_METADATA_FILE", keys.idp_metadata)
    with pytest.raises(ImproperlyConfigured, match="POPS_SAML_KEY_FILE"):
        saml_settings(Env(), site_url="https://pops.polito.it", staff_emails=[])
    monkeypatch.setenv("POPS_SAML_KEY_FILE", keys.sp[0])
    monkeypatch.setenv("POPS_SAML_CERT_FILE", keys.sp[1])
    found = saml_settings(Env(), site_url="https://pops.polito.it", staff_emails=["pops@polito.it"])
    sp = found["SAML_CONFIG"]["service"]["sp"]
    assert found["POPS_SAML_ENABLED"] and found["SAML_CONFIG"]["entityid"] == "https://pops.polito.it/saml2/metadata/"
    assert sp["endpoints"]["assertion_consumer_service"][0][0] == "https://pops.polito.it/saml2/acs/"
    assert sp["allow_unsolicited"] is False and sp["want_assertions_or_response_signed"] is True


# --- On ----------------------------------------------------------------------------


def test_the_login_page_offers_the_politecnico_account(saml_on, client):
    with translation.override("en"):
        page = client.get("/en/accounts/login/?next=/en/census/").content.decode()
    assert "Sign in with your Politecnico account" in page
    assert 'href="/saml2/login/?next=/en/census/"' in page
    assert 'name="password"' in page  # local accounts stay


def test_the_metadata_endpoint_serves_the_sp_metadata(saml_on, client, keys):
    answer = client.get("/saml2/metadata/")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(answer.content)
    assert root.tag == f"{{{MD}}}EntityDescriptor" and root.get("entityID") == SP_ENTITY_ID
    sp = root.find(f"{{{MD}}}SPSSODescriptor")
    acs = sp.find(f"{{{MD}}}AssertionConsumerService")
    assert acs.get("Location") == "http://testserver/saml2/acs/"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert sp.get("AuthnRequestsSigned") == "true"
    certificate = Path(keys.sp[1]).read_text().split("-----")[2].replace("\n", "")
    assert certificate in answer.content.decode().replace("\n", "")


def test_a_signed_response_signs_in_a_new_researcher_with_the_released_attributes(idp, client, events):
    request = start(client, idp)
    assert request.signed and request.sp_entity_id == SP_ENTITY_ID
    answer = post(client, idp.response(request, identity()), request)
    assert answer.status_code == 302 and answer["Location"] == "/it/census/"
    user = signed_in_user(client)
    assert user.is_authenticated and user.username == "mrossi@polito.it"
    assert (user.first_name, user.last_name, user.email) == ("Maria", "Rossi", "maria.rossi@polito.it")
    assert not user.is_staff and not user.is_superuser and not user.has_usable_password()
    person = Person.objects.get(user=user)
    assert (person.first_name, person.last_name, person.email) == ("Maria", "Rossi", "maria.rossi@polito.it")
    assert person.department == Department.objects.order_by("code").first()
    assert person.role == Person.Role.STUDENT
    assert SESSION_STARTED in client.session  # the session lifetime rules apply
    login = [data for name, data in events() if name == "login"]
    assert login == [{"user_id": user.pk, "method": "saml", "path": "/saml2/acs/"}]
    assert "Rossi" not in json.dumps([data for _name, data in events()])


def test_a_signed_assertion_in_an_unsigned_response_is_accepted(idp, client):
    answer, _response, _request = sign_in(client, idp, sign_response=False, sign_assertion=True)
    assert answer.status_code == 302
    assert signed_in_user(client).username == "mrossi@polito.it"


def test_the_way_back_never_leaves_the_site(idp, client):
    request = start(client, idp, next_path="https://evil.example/phish")
    answer = post(client, idp.response(request, identity()), request)
    assert answer.status_code == 302 and answer["Location"] == "/it/census/"


def test_a_first_sign_in_links_the_person_with_that_email_in_any_case(idp, client):
    person = PersonFactory(email="maria.rossi@POLITO.it", first_name="Maria Grazia", last_name="Rossi", user=None)
    people = Person.objects.count()
    answer, _response, _request = sign_in(client, idp)
    assert answer.status_code == 302
    user = signed_in_user(client)
    person.refresh_from_db()
    assert person.user == user and Person.objects.count() == people
    assert person.first_name == "Maria Grazia"  # what the register says is kept


def test_a_first_sign_in_uses_the_account_of_that_person(idp, client):
    account = UserFactory(email="maria.rossi@polito.it", username="ricercatrice")
    person = PersonFactory(email="Maria.Rossi@polito.it", user=account)
    users, people = get_user_model().objects.count(), Person.objects.count()
    answer, _response, _request = sign_in(client, idp)
    assert answer.status_code == 302
    assert signed_in_user(client) == account
    assert get_user_model().objects.count() == users and Person.objects.count() == people
    assert Person.objects.get(user=account) == person
    account.refresh_from_db()
    assert account.username == "ricercatrice" and account.has_usable_password()  # the local login stays


def test_a_second_sign_in_finds_the_same_account(idp, client):
    sign_in(client, idp)
    first = signed_in_user(client)
    client.post("/it/accounts/logout/")
    answer, _response, _request = sign_in(client, idp, identity(mail=["m.rossi@polito.it"]))
    assert answer.status_code == 302 and signed_in_user(client) == first
    assert Person.objects.filter(user=first).count() == 1


def test_saml_never_signs_in_a_staff_account(idp, client, events):
    UserFactory(email="maria.rossi@polito.it", is_staff=True)
    answer, _response, _request = sign_in(client, idp)
    assert answer.status_code == 403
    assert not signed_in_user(client).is_authenticated
    failed = [data for name, data in events() if name == "login_failed"]
    assert failed and failed[0]["reason"] == "staff_account" and failed[0]["method"] == "saml"


def test_a_replayed_response_is_refused(idp, client, events):
    answer, saml_response, request = sign_in(client, idp)
    assert answer.status_code == 302
    client.post("/it/accounts/logout/")
    again = post(client, saml_response, request)
    assert again.status_code == 403 and not signed_in_user(client).is_authenticated
    client.cookies.clear()  # another browser
    assert post(client, saml_response, request).status_code == 403
    assert not signed_in_user(client).is_authenticated
    reasons = [data.get("reason") for name, data in events() if name == "login_failed"]
    assert reasons == ["UnsolicitedResponse", "UnsolicitedResponse"]


def test_an_assertion_id_is_accepted_once():
    from pops.saml.backend import first_use_of_assertion

    info = {"assertion_id": "id-once", "not_on_or_after": "2099-01-01T00:00:00Z"}
    assert first_use_of_assertion(info) is True
    assert first_use_of_assertion(info) is False


def test_an_unsigned_response_is_refused(idp, client, events):
    answer, _response, _request = sign_in(client, idp, sign_response=False, sign_assertion=False)
    assert answer.status_code == 403 and not signed_in_user(client).is_authenticated
    assert not get_user_model().objects.filter(username="mrossi@polito.it").exists()
    assert [data["reason"] for name, data in events() if name == "login_failed"] == ["SigverError"]


def test_a_response_signed_with_another_key_is_refused(sp_metadata, keys, client, events):
    impostor = saml_idp.IdP(key_file=keys.other[0], cert_file=keys.other[1], sp_metadata=sp_metadata)
    for signing in ({"sign_response": True}, {"sign_response": False, "sign_assertion": True}):
        answer, _response, _request = sign_in(client, impostor, **signing)
        assert answer.status_code == 403 and not signed_in_user(client).is_authenticated
    assert not get_user_model().objects.filter(username="mrossi@polito.it").exists()
    assert [data["reason"] for name, data in events() if name == "login_failed"] == ["SignatureError"] * 2


def test_an_expired_response_is_refused(idp, client, events, monkeypatch):
    from saml2 import time_util

    request = start(client, idp)
    saml_response = idp.response(request, identity())
    # Posted ten minutes later: the assertion lived five, the SP allows one of clock skew.
    now = time_util.utc_now
    monkeypatch.setattr(time_util, "utc_now", lambda: now() + 600)
    answer = post(client, saml_response, request)
    assert answer.status_code == 403 and not signed_in_user(client).is_authenticated
    assert not get_user_model().objects.filter(username="mrossi@polito.it").exists()
    assert [data["reason"] for name, data in events() if name == "login_failed"] == ["ResponseLifetimeExceed"]


def test_refused_responses_count_towards_the_address_lockout(idp, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        request = start(client, idp, REMOTE_ADDR="10.7.7.7")
        post(client, idp.response(request, identity(), sign_response=False), request, REMOTE_ADDR="10.7.7.7")
    request = start(client, idp, REMOTE_ADDR="10.7.7.7")
    answer = post(client, idp.response(request, identity()), request, REMOTE_ADDR="10.7.7.7")
    assert answer.status_code == 429 and not signed_in_user(client).is_authenticated
    elsewhere = start(client, idp, REMOTE_ADDR="10.6.6.6")
    answer = post(client, idp.response(elsewhere, identity()), elsewhere, REMOTE_ADDR="10.6.6.6")
    assert answer.status_code == 302
