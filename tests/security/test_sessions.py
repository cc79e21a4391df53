"""Sessions: a new key at login, an end when idle, when too old, when the
browser closes, at logout, at a password change and when the account is
disabled."""

import time

import pytest

from initiatives.factories import DEMO_PASSWORD, UserFactory
from pops.security import SESSION_SEEN, SESSION_STARTED

pytestmark = pytest.mark.django_db

DASHBOARD = "/it/census/"


@pytest.fixture
def user():
    return UserFactory()


def sign_in(client, user):
    response = client.post("/it/accounts/login/", {"username": user.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return response


def can_open_the_dashboard(client) -> bool:
    return client.get(DASHBOARD).status_code == 200


def shift_session(client, **ago):
    session = client.session
    for name, seconds in ago.items():
        session[name] = int(time.time()) - seconds
    session.save()


def test_signing_in_gives_a_new_session_key(client, user):
    client.get("/it/accounts/login/")
    session = client.session
    session["visited"] = True
    session.save()
    before = session.session_key
    sign_in(client, user)
    assert client.session.session_key != before
    assert client.session["visited"] is True


def test_the_session_cookie_ends_with_the_browser(client, user):
    cookie = sign_in(client, user).cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_an_idle_session_ends(client, user, settings):
    sign_in(client, user)
    assert can_open_the_dashboard(client)
    shift_session(client, **{SESSION_SEEN: settings.POPS_SESSION_IDLE_SECONDS - 30})
    assert can_open_the_dashboard(client)
    # That request counted as activity.
    assert time.time() - client.session[SESSION_SEEN] < 5
    shift_session(client, **{SESSION_SEEN: settings.POPS_SESSION_IDLE_SECONDS + 1})
    assert not can_open_the_dashboard(client)
    assert "_auth_user_id" not in client.session


def test_an_active_session_ends_after_its_maximum_age(client, user, settings):
    sign_in(client, user)
    assert can_open_the_dashboard(client)
    shift_session(client, **{SESSION_STARTED: settings.POPS_SESSION_MAX_SECONDS + 1})
    assert not can_open_the_dashboard(client)


def test_requests_within_a_minute_do_not_write_the_session_again(client, user, django_assert_max_num_queries):
    sign_in(client, user)
    client.get(DASHBOARD)
    key = client.session.session_key
    from django.contrib.sessions.models import Session

    saved = Session.objects.get(pk=key).expire_date
    client.get(DASHBOARD)
    assert Session.objects.get(pk=key).expire_date == saved


def test_signing_out_ends_the_session(client, user):
    sign_in(client, user)
    key = client.session.session_key
    client.post("/it/accounts/logout/")
    assert not can_open_the_dashboard(client)
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(pk=key).exists()


def test_a_password_change_ends_the_other_sessions(client, user):
    sign_in(client, user)
    assert can_open_the_dashboard(client)
    user.set_password("another-long-password-42")
    user.save()
    assert not can_open_the_dashboard(client)


def test_disabling_an_account_ends_its_sessions(client, user):
    sign_in(client, user)
    assert can_open_the_dashboard(client)
    user.is_active = False
    user.save()
    assert not can_open_the_dashboard(client)
