"""ORCID sign-in, end to end against a local fake of ORCID's OAuth endpoints
that the tests start themselves (tests/security/orcid_server.py, on
127.0.0.1): the portal redirects to its /oauth/authorize, the fake sends the
browser back with a code and the state, the portal exchanges the code at its
/oauth/token for the ORCID iD."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import clear_url_caches
from django.utils import translation

from initiatives.factories import PersonFactory, UserFactory
from initiatives.models import Person
from pops.security import SESSION_STARTED
from tests.security import orcid_server

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ORCID = "0000-0002-1825-0097"
OTHER_ORCID = "0000-0001-5109-3700"
REDIRECT_URI = "http://testserver/accounts/orcid/callback/"


@pytest.fixture(scope="module")
def fake():
    with orcid_server.Server(REDIRECT_URI) as server:
        yield server


def _reload_urls():
    import pops.urls

    importlib.reload(pops.urls)
    clear_url_caches()


@pytest.fixture
def orcid_on(settings, fake, monkeypatch):
    """The settings pops/settings.py makes from POPS_ORCID_* (through the same
    builder), pointed at the fake; the ORCID URLs routed."""
    from environs import Env

    from pops.orcid import config

    fake.state.reset(REDIRECT_URI)
    monkeypatch.setenv("POPS_ORCID_CLIENT_ID", orcid_server.CLIENT_ID)
    monkeypatch.setenv("POPS_ORCID_CLIENT_SECRET", orcid_server.CLIENT_SECRET)
    monkeypatch.setenv("POPS_ORCID_BASE_URL", fake.base_url)
    for name, value in config.orcid_settings(Env(), site_url="http://testserver").items():
        setattr(settings, name, value)
    settings.POPS_ORCID_TIMEOUT = 0.5
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, config.BACKEND]
    _reload_urls()
    yield fake.state
    settings.POPS_ORCID_ENABLED = False
    _reload_urls()


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="pops.security")
    logging.getLogger("pops.security").addHandler(caplog.handler)
    yield lambda: [(r.getMessage(), r.security) for r in caplog.records if r.name == "pops.security"]
    logging.getLogger("pops.security").removeHandler(caplog.handler)


def start(client, next_path="/en/census/"):
    """The portal's redirect to ORCID: its authorize URL."""
    answer = client.get("/accounts/orcid/login/", {"next": next_path})
    assert answer.status_code == 302
    return answer["Location"]


def at_orcid(authorize_url):
    """The browser at ORCID: the fake's answer, the way back to the portal."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT_URI
    return back.path, {name: values[0] for name, values in parse_qs(back.query).items()}


def come_back(client, path, query, **extra):
    return client.get(path, query, **extra)


# Where the session lost the flow (another browser, a used answer), the
# language is the browser's.
IN_ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def orcid_round(client, next_path="/en/census/"):
    """The whole flow; the portal's last answer."""
    path, query = at_orcid(start(client, next_path))
    return come_back(client, path, query)


def said(answer) -> list[str]:
    return [str(message) for message in get_messages(answer.wsgi_request)]


def signed_in_user(client):
    return client.get("/en/census/").wsgi_request.user


def researcher(**person):
    user = UserFactory(email="maria.rossi@polito.it")
    values = {"user": user, "email": "maria.rossi@polito.it", "orcid": ""}
    values.update(person)
    return user, PersonFactory(**values)


# --- Off by default ------------------------------------------------------------------


def test_without_configuration_the_urls_404_and_no_page_offers_orcid(client):
    assert client.get("/accounts/orcid/login/").status_code == 404
    assert client.get("/accounts/orcid/callback/", {"code": "x", "state": "y"}).status_code == 404
    with translation.override("en"):
        page = client.get("/en/accounts/login/").content.decode()
    assert "ORCID" not in page and "orcid" not in page
    user, _person = researcher()
    client.force_login(user)
    with translation.override("en"):
        dashboard = client.get("/en/census/").content.decode()
    assert dashboard.count("My initiatives") and "data-orcid" not in dashboard and "Link your ORCID" not in dashboard


def test_check_deploy_reports_no_issue_with_orcid_on(tmp_path):
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
            "POPS_ORCID_CLIENT_ID": "APP-1",
            "POPS_ORCID_CLIENT_SECRET": "secret",
            "POPS_ORCID_BASE_URL": "https://sandbox.orcid.org",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_settings_come_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured
    from environs import Env

    from pops.orcid.config import orcid_settings

    for name in ("POPS_ORCID_CLIENT_ID", "POPS_ORCID_CLIENT_SECRET", "POPS_ORCID_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert orcid_settings(Env(), site_url="https://pops.polito.it") == {}
    monkeypatch.setenv("POPS_ORCID_CLIENT_ID", "APP-1")
    with pytest.raises(ImproperlyConfigured, match="POPS_ORCID_CLIENT_SECRET"):
        orcid_settings(Env(), site_url="https://pops.polito.it")
    monkeypatch.setenv("POPS_ORCID_CLIENT_SECRET", "secret")
    found = orcid_settings(Env(), site_url="https://pops.polito.it/")
    assert found["POPS_ORCID_ENABLED"] and found["POPS_ORCID_BASE_URL"] == "https://orcid.org"
    assert found["POPS_ORCID_REDIRECT_URI"] == "https://pops.polito.it/accounts/orcid/callback/"
    monkeypatch.setenv("POPS_ORCID_BASE_URL", "https://sandbox.orcid.org/")
    assert (
        orcid_settings(Env(), site_url="https://pops.polito.it")["POPS_ORCID_BASE_URL"] == "https://sandbox.orcid.org"
    )
    monkeypatch.setenv("POPS_ORCID_BASE_URL", "sandbox.orcid.org")
    with pytest.raises(ImproperlyConfigured, match="POPS_ORCID_BASE_URL"):
        orcid_settings(Env(), site_url="https://pops.polito.it")


# --- On ------------------------------------------------------------------------------


def test_the_login_page_offers_orcid(orcid_on, client):
    with translation.override("en"):
        page = client.get("/en/accounts/login/?next=/en/census/new/").content.decode()
    assert "Sign in with ORCID" in page
    assert 'href="/accounts/orcid/login/?next=/en/census/new/"' in page
    assert 'name="password"' in page  # local accounts stay
    with translation.override("it"):
        page = client.get("/it/accounts/login/").content.decode()
    assert "Accedi con ORCID" in page and 'href="/accounts/orcid/login/?next=/it/census/"' in page


def test_the_redirect_to_orcid_asks_for_the_iD_with_a_state(orcid_on, client, fake):
    location = urlsplit(start(client))
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{fake.base_url}/oauth/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [orcid_server.CLIENT_ID] and query["response_type"] == ["code"]
    assert query["scope"] == ["/authenticate"] and query["redirect_uri"] == [REDIRECT_URI]
    assert len(query["state"][0]) >= 20
    assert "client_secret" not in location.query


def test_the_dashboard_offers_to_link_the_iD(orcid_on, client):
    user, _person = researcher(orcid=ORCID)  # typed, not confirmed by ORCID
    client.force_login(user)
    with translation.override("en"):
        page = client.get("/en/census/").content.decode()
    assert "Link your ORCID iD" in page and 'href="/accounts/orcid/login/?next=/en/census/"' in page
    assert f"Your profile lists {ORCID}, which ORCID has not confirmed." in page


def test_linking_while_signed_in_puts_the_confirmed_iD_on_the_profile(orcid_on, client, events):
    user, person = researcher()
    client.force_login(user)
    with translation.override("en"):
        answer = orcid_round(client)
    assert answer.status_code == 302 and answer["Location"] == "/en/census/"
    assert said(answer) == [f"Your ORCID iD {ORCID} is linked to your profile: you can now sign in with ORCID."]
    person.refresh_from_db()
    assert (person.orcid, person.orcid_confirmed, person.orcid_linked) == (ORCID, ORCID, True)
    token_request = orcid_on.token_requests[0]
    assert token_request["client_secret"] == orcid_server.CLIENT_SECRET
    assert token_request["redirect_uri"] == REDIRECT_URI
    with translation.override("en"):
        page = client.get("/en/census/").content.decode()
    assert f"Your ORCID iD {ORCID} is linked to your profile" in page and "Link your ORCID iD" not in page
    linked = [data for name, data in events() if name == "orcid_linked"]
    assert linked == [
        {
            "user_id": user.pk,
            "method": "orcid",
            "path": "/accounts/orcid/callback/",
            "person_id": person.pk,
            "outcome": "linked",
        }
    ]
    assert ORCID not in json.dumps([data for _name, data in events()])


def test_linking_replaces_an_iD_that_was_only_typed(orcid_on, client):
    user, person = researcher(orcid=OTHER_ORCID)
    client.force_login(user)
    orcid_round(client)
    person.refresh_from_db()
    assert (person.orcid, person.orcid_confirmed) == (ORCID, ORCID)


def test_linking_an_account_without_a_profile_gives_it_one(orcid_on, client):
    user = UserFactory(email="nuovo@polito.it")
    client.force_login(user)
    orcid_round(client)
    assert Person.objects.get(user=user).orcid_linked


def test_a_linked_iD_signs_its_researcher_in(orcid_on, client, events):
    user, _person = researcher(orcid=ORCID, orcid_confirmed=ORCID)
    answer = orcid_round(client, next_path="/en/census/new/")
    assert answer.status_code == 302 and answer["Location"] == "/en/census/new/"
    assert signed_in_user(client) == user
    assert SESSION_STARTED in client.session  # the session lifetime rules apply
    login = [data for name, data in events() if name == "login"]
    assert login == [{"user_id": user.pk, "method": "orcid", "path": "/accounts/orcid/callback/"}]
    assert ORCID not in json.dumps([data for _name, data in events()])


def test_the_way_back_never_leaves_the_site(orcid_on, client):
    researcher(orcid=ORCID, orcid_confirmed=ORCID)
    answer = orcid_round(client, next_path="https://evil.example/phish")
    assert answer.status_code == 302 and answer["Location"] == "/it/census/"


def test_an_iD_nobody_linked_is_refused_and_no_account_is_made(orcid_on, client, events):
    users, people = get_user_model().objects.count(), Person.objects.count()
    with translation.override("en"):
        answer = orcid_round(client)
    assert answer.status_code == 302 and answer["Location"] == "/en/accounts/login/?next=%2Fen%2Fcensus%2F"
    assert said(answer) == [
        "No profile on the portal is linked to this ORCID iD. Sign in first with your Politecnico account "
        "or with your e-mail address and password, then link your ORCID iD from “My initiatives”."
    ]
    assert not signed_in_user(client).is_authenticated
    assert (get_user_model().objects.count(), Person.objects.count()) == (users, people)
    failed = [data for name, data in events() if name == "login_failed"]
    assert failed == [{"user_id": None, "method": "orcid", "path": "/accounts/orcid/callback/", "reason": "not_linked"}]


def test_the_refusal_speaks_the_language_the_researcher_started_in(orcid_on, client):
    answer = orcid_round(client, next_path="/it/census/")
    assert answer["Location"].startswith("/it/accounts/login/")
    assert said(answer) == [
        "Nessun profilo del portale è collegato a questo ORCID iD. Accedi prima con il tuo account del "
        "Politecnico o con indirizzo e-mail e password, poi collega il tuo ORCID iD da “Le mie iniziative”."
    ]
    page = client.get(answer["Location"]).content.decode()
    assert "Nessun profilo del portale è collegato a questo ORCID iD." in page


def test_an_iD_only_typed_on_a_profile_signs_nobody_in(orcid_on, client):
    """An iD staff typed or an import wrote is no proof (a typo is someone
    else's iD): only one ORCID confirmed opens the account."""
    researcher(orcid=ORCID)
    answer = orcid_round(client)
    assert answer.status_code == 302 and not signed_in_user(client).is_authenticated


def test_changing_a_linked_iD_elsewhere_undoes_the_link(orcid_on, client):
    _user, person = researcher(orcid=OTHER_ORCID, orcid_confirmed=ORCID)  # edited in the admin after linking
    assert not person.orcid_linked
    orcid_round(client)
    assert not signed_in_user(client).is_authenticated


def test_an_iD_another_person_holds_is_not_linked(orcid_on, client, events):
    other = PersonFactory(orcid=ORCID, email="altra@polito.it")
    user, person = researcher(orcid=OTHER_ORCID)
    client.force_login(user)
    with translation.override("en"):
        answer = orcid_round(client)
    assert answer.status_code == 302 and answer["Location"] == "/en/census/"
    assert said(answer) == [
        "This ORCID iD is on another person's profile in the register: nothing was changed. "
        "If it is yours, please write to POPS staff, who can merge or correct the profiles."
    ]
    person.refresh_from_db()
    other.refresh_from_db()
    assert (person.orcid, person.orcid_confirmed) == (OTHER_ORCID, "")
    assert (other.orcid, other.orcid_confirmed, other.user) == (ORCID, "", None)
    failed = [data for name, data in events() if name == "orcid_link_failed"]
    assert [data["reason"] for data in failed] == ["held_by_another"] and failed[0]["user_id"] == user.pk


def test_a_staff_account_is_never_signed_in_by_orcid(orcid_on, client, events):
    researcher(orcid=ORCID, orcid_confirmed=ORCID)
    get_user_model().objects.filter(email="maria.rossi@polito.it").update(is_staff=True)
    with translation.override("en"):
        answer = orcid_round(client)
    assert said(answer) == [
        "POPS staff accounts do not sign in with ORCID: sign in with your password and second factor."
    ]
    assert not signed_in_user(client).is_authenticated
    assert [data["reason"] for name, data in events() if name == "login_failed"] == ["staff_account"]


def test_a_disabled_account_is_not_signed_in(orcid_on, client):
    user, _person = researcher(orcid=ORCID, orcid_confirmed=ORCID)
    user.is_active = False
    user.save()
    with translation.override("en"):
        answer = orcid_round(client)
    assert said(answer) == ["The account linked to this ORCID iD is disabled: please write to POPS staff."]
    assert not signed_in_user(client).is_authenticated


# --- What ORCID's answer must be -------------------------------------------------------


STATE_MISMATCH = (
    "This answer from ORCID does not belong to a request started here, or it came too late: "
    "nothing was changed. Please try again."
)


def test_a_state_that_does_not_match_is_refused_before_the_code_is_exchanged(orcid_on, client, events):
    researcher(orcid=ORCID, orcid_confirmed=ORCID)
    path, query = at_orcid(start(client))
    with translation.override("en"):
        answer = come_back(client, path, {**query, "state": "another-state"})
    assert said(answer) == [STATE_MISMATCH]
    assert not signed_in_user(client).is_authenticated and orcid_on.token_requests == []
    assert [data["reason"] for name, data in events() if name == "login_failed"] == ["state_mismatch"]


def test_an_answer_to_another_browser_is_refused(orcid_on, client):
    """A code and state obtained elsewhere (login CSRF: someone's own ORCID
    answer slipped to another person's browser) sign nobody in."""
    researcher(orcid=ORCID, orcid_confirmed=ORCID)
    path, query = at_orcid(start(client))
    client.cookies.clear()
    answer = come_back(client, path, query, **IN_ENGLISH)
    assert said(answer) == [STATE_MISMATCH]
    assert not signed_in_user(client).is_authenticated and orcid_on.token_requests == []


def test_an_answer_is_used_once(orcid_on, client):
    user, _person = researcher(orcid=ORCID, orcid_confirmed=ORCID)
    path, query = at_orcid(start(client))
    assert come_back(client, path, query).status_code == 302 and signed_in_user(client) == user
    client.post("/en/accounts/logout/")
    again = come_back(client, path, query, **IN_ENGLISH)
    assert STATE_MISMATCH in said(again) and not signed_in_user(client).is_authenticated


def test_a_link_answer_arriving_in_another_account_is_refused(orcid_on, client):
    """Started by one account, come back in another: nothing is linked."""
    first, _first_person = researcher()
    second = UserFactory(email="secondo@polito.it")
    second_person = PersonFactory(user=second, email="secondo@polito.it", orcid="")
    client.force_login(first)
    path, query = at_orcid(start(client))
    client.force_login(second)
    answer = come_back(client, path, query, **IN_ENGLISH)
    assert said(answer) == [STATE_MISMATCH]
    second_person.refresh_from_db()
    assert second_person.orcid == "" and not Person.objects.filter(orcid=ORCID).exists()


def test_an_answer_to_a_sign_in_is_not_linked_to_whoever_signed_in_meanwhile(orcid_on, client):
    """Started signed out (to sign in), come back signed in: the answer does
    not link the iD to that account."""
    user, person = researcher()
    path, query = at_orcid(start(client))
    client.force_login(user)  # the session, and the state in it, are kept
    with translation.override("en"):
        answer = come_back(client, path, query)
    assert said(answer) == [STATE_MISMATCH] and orcid_on.token_requests == []
    person.refresh_from_db()
    assert person.orcid == ""
    assert not [key for key, _value in client.session.items() if key.startswith("_state_orcid_")]  # none left


def test_a_researcher_who_says_no_at_orcid_changes_nothing(orcid_on, client, events):
    user, person = researcher()
    client.force_login(user)
    orcid_on.deny = True
    path, query = at_orcid(start(client))
    assert query["error"] == "access_denied"
    with translation.override("en"):
        answer = come_back(client, path, query)
    assert answer["Location"] == "/en/census/"
    assert said(answer) == ["You did not allow the portal to read your ORCID iD at ORCID: nothing was changed."]
    person.refresh_from_db()
    assert person.orcid == "" and orcid_on.token_requests == []
    assert [data["reason"] for name, data in events() if name == "orcid_link_failed"] == ["access_denied"]


def test_a_wrong_client_secret_is_refused(orcid_on, client, settings, events):
    researcher(orcid=ORCID, orcid_confirmed=ORCID)
    settings.POPS_ORCID_CLIENT_SECRET = "not-the-secret"
    with translation.override("en"):
        answer = orcid_round(client)
    assert said(answer) == ["ORCID did not confirm your ORCID iD: nothing was changed. Please try again."]
    assert not signed_in_user(client).is_authenticated
    assert [data["reason"] for name, data in events() if name == "login_failed"] == ["orcid_refused"]


def test_a_code_orcid_does_not_know_is_refused(orcid_on, client):
    user, person = researcher()
    client.force_login(user)
    path, query = at_orcid(start(client))
    with translation.override("en"):
        answer = come_back(client, path, {**query, "code": "forged"})
    assert said(answer) == ["ORCID did not confirm your ORCID iD: nothing was changed. Please try again."]
    person.refresh_from_db()
    assert person.orcid == ""


@pytest.mark.parametrize("failure", ["500", "slow"])
def test_a_token_endpoint_that_fails_or_times_out_changes_nothing(orcid_on, client, failure, events):
    user, person = researcher()
    client.force_login(user)
    orcid_on.token_failure = failure
    with translation.override("en"):
        answer = orcid_round(client)
    assert answer.status_code == 302 and answer["Location"] == "/en/census/"
    assert said(answer) == ["ORCID could not be reached: nothing was changed. Please try again later."]
    person.refresh_from_db()
    assert person.orcid == "" and len(orcid_on.token_requests) == 1
    assert [data["reason"] for name, data in events() if name == "orcid_link_failed"] == ["orcid_unavailable"]


def test_a_locked_out_address_is_not_signed_in_by_orcid(orcid_on, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    user, _person = researcher(orcid=ORCID, orcid_confirmed=ORCID)
    for _ in range(2):
        client.post(
            "/en/accounts/login/", {"username": "nobody@polito.it", "password": "wrong"}, REMOTE_ADDR="10.7.7.7"
        )
    path, query = at_orcid(start(client))
    answer = client.get(path, query, REMOTE_ADDR="10.7.7.7")
    assert answer.status_code == 429 and not signed_in_user(client).is_authenticated
    path, query = at_orcid(start(client))
    assert client.get(path, query, REMOTE_ADDR="10.6.6.6").status_code == 302
    assert signed_in_user(client) == user


def test_the_way_back_is_rate_limited_with_the_logins(orcid_on, client, settings):
    settings.POPS_RATE_LOGIN = "2/m"
    for _ in range(2):
        assert client.get("/accounts/orcid/callback/", {"code": "x", "state": "y"}).status_code == 302
    assert client.get("/accounts/orcid/callback/", {"code": "x", "state": "y"}).status_code == 429
    assert orcid_on.token_requests == []
