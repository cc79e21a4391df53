"""Brute-force protection of both login forms (django-axes) and of the
password reset, and nothing that tells whether an account exists."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.utils import translation

from initiatives.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_FORMS = {
    "site": ("/it/accounts/login/", {}),
    "admin": ("/it/admin/login/", {"staff": True}),
}


def attempt(client, url, username, password, address="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture(params=LOGIN_FORMS, ids=list(LOGIN_FORMS))
def login_form(request):
    url, traits = LOGIN_FORMS[request.param]
    return url, UserFactory(**traits)


def test_thirty_wrong_passwords_lock_the_account_until_staff_unlock_it(client, login_form, admin_client):
    url, user = login_form
    # From 30 addresses, as a botnet would (one address is also limited per minute).
    statuses = [attempt(client, url, user.email, f"wrong-{n}", f"10.0.0.{n}").status_code for n in range(30)]

    # Four failures are shown the form again; the fifth starts the lock, and
    # the sixth and later are refused without checking the password.
    assert statuses[:4] == [200] * 4
    assert statuses[4:] == [429] * 26
    refused = attempt(client, url, user.email, DEMO_PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == str(30 * 60)
    assert not signed_in(client)

    # Staff delete the lock in the admin ("Access attempts").
    attempt_ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    admin_client.post(
        "/it/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempt_ids, "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    assert attempt(client, url, user.email, DEMO_PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_lock_ends_by_itself_after_the_cool_off(client, login_form, settings):
    url, user = login_form
    for _n in range(5):
        attempt(client, url, user.email, "wrong")
    assert attempt(client, url, user.email, DEMO_PASSWORD).status_code == 429

    past = datetime.timedelta(minutes=31)
    for row in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=row.attempt_time - past)
    assert attempt(client, url, user.email, DEMO_PASSWORD).status_code == 302


def test_the_username_is_locked_from_any_address_and_in_any_case(client):
    user = UserFactory()
    for n in range(5):
        attempt(client, "/it/accounts/login/", user.email.upper(), "wrong", address=f"10.0.1.{n}")
    assert attempt(client, "/it/accounts/login/", user.email, DEMO_PASSWORD, address="10.0.2.1").status_code == 429


def test_an_address_trying_many_usernames_is_locked_for_every_username(client):
    user = UserFactory()
    for n in range(5):
        attempt(client, "/it/accounts/login/", f"nobody{n}@example.org", "wrong", address="10.0.3.1")
    assert attempt(client, "/it/accounts/login/", user.email, DEMO_PASSWORD, address="10.0.3.1").status_code == 429
    # Another address is not affected.
    assert attempt(client, "/it/accounts/login/", user.email, DEMO_PASSWORD, address="10.0.3.2").status_code == 302


def test_an_unknown_address_gets_the_same_answers_as_a_wrong_password(client):
    user = UserFactory()
    with translation.override("en"):
        known = [attempt(client, "/en/accounts/login/", user.email, "wrong", "10.0.4.1") for n in range(6)]
        unknown = [attempt(client, "/en/accounts/login/", "nobody@example.org", "wrong", "10.0.4.2") for n in range(6)]
    for mine, theirs in zip(known, unknown, strict=True):
        assert mine.status_code == theirs.status_code
        mine_text = mine.content.decode().replace(user.email, "X").replace("nobody@example.org", "X")
        theirs_text = theirs.content.decode().replace("nobody@example.org", "X")
        assert _without_csrf(mine_text) == _without_csrf(theirs_text)
    assert "The e-mail address or the password is not correct" in known[0].content.decode()


def _without_csrf(html: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize(
    "login",
    ["known-wrong-password", "unknown-address", "unknown-username", "no-usable-password", "inactive"],
)
def test_every_failed_login_runs_the_hasher_exactly_once(client, monkeypatch, login):
    user = UserFactory(is_active=login != "inactive")
    if login == "no-usable-password":
        user.set_unusable_password()
        user.save()
    username = {"unknown-address": "nobody@example.org", "unknown-username": "nobody"}.get(login, user.email)
    calls = []
    original = MD5PasswordHasher.encode

    def counting(self, password, salt):
        calls.append(password)
        return original(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    response = attempt(client, "/it/accounts/login/", username, "wrong" if login != "inactive" else DEMO_PASSWORD)
    assert response.status_code == 200 and not signed_in(client)
    assert len(calls) == 1


def test_staff_sign_in_to_the_admin_with_their_username(client):
    user = UserFactory(staff=True)
    assert attempt(client, "/it/admin/login/", user.username, DEMO_PASSWORD).status_code == 302
    assert signed_in(client)


def test_thirty_resets_to_one_address_send_three_e_mails(client):
    user = UserFactory()
    for n in range(30):
        response = client.post("/it/accounts/password_reset/", {"email": user.email}, REMOTE_ADDR=f"10.1.0.{n}")
        assert response.status_code == 302
    assert len(mail.outbox) == 3


def test_a_reset_for_an_unknown_address_answers_as_for_a_known_one(client):
    user = UserFactory()
    known = client.post("/it/accounts/password_reset/", {"email": user.email}, REMOTE_ADDR="10.1.1.1")
    unknown = client.post("/it/accounts/password_reset/", {"email": "nobody@example.org"}, REMOTE_ADDR="10.1.1.2")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1


def test_one_address_asking_too_many_resets_is_answered_429(client):
    statuses = [
        client.post("/it/accounts/password_reset/", {"email": f"x{n}@example.org"}, REMOTE_ADDR="10.1.2.1").status_code
        for n in range(11)
    ]
    assert statuses == [302] * 10 + [429]


def test_the_reset_e_mail_carries_its_link_and_never_enters_the_outbox(client):
    from initiatives.models import OutboundEmail

    user = UserFactory()
    client.post("/it/accounts/password_reset/", {"email": user.email}, REMOTE_ADDR="10.1.3.1")
    (message,) = mail.outbox
    assert message.to == [user.email] and "/accounts/reset/" in message.body
    assert not OutboundEmail.objects.exists()
