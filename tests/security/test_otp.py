"""The second factor of staff accounts (pops/otp.py, pops/admin_site.py):
enrolment, the code step, recovery codes, and what keeps the code step from
being guessed."""

import logging
import re
import time
from base64 import b32decode
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from initiatives.factories import DEMO_OTP_SECRET, DEMO_PASSWORD, UserFactory
from pops import otp

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor]


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="pops.security")
    logging.getLogger("pops.security").addHandler(caplog.handler)
    yield lambda: [(r.getMessage(), r.security) for r in caplog.records if r.name == "pops.security"]
    logging.getLogger("pops.security").removeHandler(caplog.handler)


def code_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    return f"{(int(code_of(device)) + 1) % 1_000_000:06d}"


def enrolled_staff(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    device = TOTPDevice.objects.create(user=user, name=otp.DEVICE_NAME, confirmed=True)
    return user, device


def sign_in(client, user):
    """The password step, through the admin's login form."""
    return client.post(
        reverse("admin:login"), {"username": user.username, "password": DEMO_PASSWORD, "next": "/it/admin/"}
    )


def enter_code(client, code):
    return client.post(reverse("admin:otp_verify"), {"code": code, "next": "/it/admin/"})


def forget_wrong_codes(device):
    """As if the device's wait after a wrong code were over."""
    device.refresh_from_db()
    device.throttling_failure_timestamp = timezone.now() - timedelta(days=1)
    device.save()


def admin_pages() -> list[str]:
    """The index, every model's list and add pages, and the portal's own admin pages."""
    pages = [reverse("admin:index"), reverse("admin:password_change"), reverse("admin:otp_recovery_codes")]
    for model in admin.site._registry:
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    pages.append(reverse("admin:initiatives_initiative_review_queue"))
    return pages


def test_staff_signed_in_with_the_password_only_are_sent_to_the_code_step_from_every_admin_page(client):
    user, _device = enrolled_staff(is_superuser=True)
    assert sign_in(client, user).status_code == 302
    pages = admin_pages()
    assert len(pages) > 40
    for page in pages:
        response = client.get(page, follow=True)
        assert response.redirect_chain, page
        assert response.request["PATH_INFO"] == reverse("admin:otp_verify"), page
        # The page asked for is where the code step leads back to.
        assert response.context["next"] == page, page
    assert client.post(reverse("admin:initiatives_initiative_add"), {}).status_code == 302


def test_staff_without_an_authenticator_enrol_one_then_get_recovery_codes_shown_once(client, events):
    user = UserFactory(is_staff=True, is_superuser=True)
    response = sign_in(client, user)
    response = client.get(response["Location"], follow=True)
    assert response.request["PATH_INFO"] == reverse("admin:otp_setup")
    html = response.content.decode()
    # The QR code is an inline SVG: no inline script or style for the CSP to allow.
    assert "<svg" in html and not re.search(r"<script(?![^>]*\bsrc=)|style=|<style", html)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = otp.base32_secret(device)
    assert response.context["secret"].replace(" ", "") == secret
    assert f"secret={secret}" in response.context["otpauth_uri"]
    # Reloading shows the same secret (the one already scanned).
    assert client.get(reverse("admin:otp_setup")).context["secret"].replace(" ", "") == secret
    # Still not in.
    assert client.get(reverse("admin:index")).status_code == 302

    refused = client.post(reverse("admin:otp_setup"), {"code": wrong_code_for(device)})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    forget_wrong_codes(device)

    response = client.post(reverse("admin:otp_setup"), {"code": code_of(device), "next": "/it/admin/"})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(code in response.content.decode() for code in codes)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("admin:index")).status_code == 200
    # The codes are not shown again: only how many are left.
    again = client.get(reverse("admin:otp_recovery_codes"))
    assert "codes" not in again.context and again.context["left"] == 10
    assert not any(code in again.content.decode() for code in codes)
    names = [name for name, _ in events()]
    assert "otp_failed" in names and "otp_enrolled" in names
    assert all(data["user_id"] == user.pk for name, data in events() if name.startswith("otp_"))


def test_a_wrong_code_is_refused_and_the_right_one_lets_staff_in(client, events):
    user, device = enrolled_staff()
    sign_in(client, user)
    with translation.override("en"):
        refused = enter_code(client, wrong_code_for(device))
    assert refused.status_code == 200
    assert "This code is not valid" in refused.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    forget_wrong_codes(device)

    response = enter_code(client, code_of(device))
    assert response.status_code == 302 and response["Location"] == "/it/admin/"
    assert client.get(reverse("admin:index")).status_code == 200
    assert [(name, data["user_id"]) for name, data in events() if name.startswith("otp_")] == [
        ("otp_failed", user.pk),
        ("otp_verified", user.pk),
    ]


def test_right_after_a_wrong_code_even_the_right_one_waits(client):
    user, device = enrolled_staff()
    sign_in(client, user)
    enter_code(client, wrong_code_for(device))
    with translation.override("en"):
        response = enter_code(client, code_of(device))
    assert "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    # A new password login does not end the wait.
    client.logout()
    sign_in(client, user)
    enter_code(client, code_of(device))
    assert client.get(reverse("admin:index")).status_code == 302


def test_wrong_codes_lock_the_account_out_as_wrong_passwords_do(client, settings, events):
    settings.AXES_FAILURE_LIMIT = 3
    user, device = enrolled_staff()
    sign_in(client, user)
    for _ in range(2):
        assert enter_code(client, wrong_code_for(device)).status_code == 200
        forget_wrong_codes(device)
    locked = enter_code(client, wrong_code_for(device))
    assert locked.status_code == 429
    # The session is over, and the password no longer opens it.
    assert "_auth_user_id" not in client.session
    forget_wrong_codes(device)
    assert sign_in(client, user).status_code == 429
    assert "lockout" in [name for name, _ in events()]


def test_the_code_step_is_rate_limited_per_account(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.POPS_RATE_OTP = "3/m"
    settings.AXES_FAILURE_LIMIT = 100
    user, device = enrolled_staff()
    sign_in(client, user)
    answers = [enter_code(client, "abcdefgh").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_a_recovery_code_works_once_in_place_of_a_code(client, events):
    user, device = enrolled_staff()
    codes = otp.new_recovery_codes(user)
    sign_in(client, user)
    response = enter_code(client, codes[0].upper())
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert otp.recovery_codes_left(user) == 9
    assert ("otp_recovery_code_used", 9) in [(n, d.get("left")) for n, d in events()]
    # Using a recovery code does not make the authenticator wait.
    device.refresh_from_db()
    assert device.throttling_failure_count == 0

    client.logout()
    sign_in(client, user)
    assert enter_code(client, codes[0]).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302
    forget_wrong_codes(StaticDevice.objects.get(user=user))
    assert enter_code(client, codes[1]).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client):
    user, device = enrolled_staff()
    old = otp.new_recovery_codes(user)
    sign_in(client, user)
    enter_code(client, code_of(device))
    response = client.post(reverse("admin:otp_recovery_codes"))
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == set(new)


def test_the_recovery_codes_page_needs_a_verified_session(client):
    user, device = enrolled_staff()
    otp.new_recovery_codes(user)
    sign_in(client, user)
    assert client.post(reverse("admin:otp_recovery_codes")).status_code == 302
    assert otp.recovery_codes_left(user) == 10


def test_an_enrolled_account_cannot_enrol_another_authenticator_without_its_code(client):
    user, _device = enrolled_staff()
    sign_in(client, user)
    response = client.get(reverse("admin:otp_setup"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:otp_verify"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_a_verified_staff_member_may_replace_the_authenticator(client):
    user, old = enrolled_staff()
    sign_in(client, user)
    enter_code(client, code_of(old))
    client.get(reverse("admin:otp_setup"))
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(reverse("admin:otp_setup"), {"code": code_of(new)}).status_code == 200
    assert list(TOTPDevice.objects.filter(user=user)) == [new]


def test_researchers_are_not_asked_for_a_second_factor(client):
    researcher = UserFactory()
    response = client.post(reverse("login"), {"username": researcher.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("census:dashboard")).status_code == 200
    # The admin stays closed to them, as before: its login page, not the code step.
    response = client.get(reverse("admin:index"), follow=True)
    assert response.request["PATH_INFO"] == reverse("admin:login")
    assert client.get(reverse("admin:otp_verify")).status_code == 302
    assert not TOTPDevice.objects.exists()


def test_without_the_requirement_staff_go_straight_in(client, settings):
    settings.POPS_STAFF_OTP = False
    user = UserFactory(is_staff=True)
    sign_in(client, user)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_code_step_only_leads_back_into_the_portal(client):
    user, device = enrolled_staff()
    sign_in(client, user)
    response = client.post(reverse("admin:otp_verify"), {"code": code_of(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("admin:index")


def test_the_demo_code_command_prints_the_code_of_the_demo_secret():
    user = UserFactory(is_staff=True)
    device = TOTPDevice.objects.create(user=user, key=b32decode(DEMO_OTP_SECRET).hex(), confirmed=True)
    out = StringIO()
    call_command("demo_otp_code", stdout=out)
    printed = re.match(r"(\d{6}) ", out.getvalue()).group(1)
    # The code of this step, or (at a step's edge) of the one before.
    assert device.verify_token(printed)


def _request_user(rf, user, *, verified: bool):
    """The user as a request sees it once django-otp's middleware ran."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.middleware import OTPMiddleware

    request = rf.get("/")
    request.user = user
    request.session = {}
    if verified:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    OTPMiddleware(lambda r: None)(request)
    return request.user


@pytest.mark.parametrize("verified", [False, True])
def test_staff_powers_outside_the_admin_need_the_second_factor_too(rf, verified):
    """The census, the review thread and the workflow ask permissions.py, not
    the admin site: a staff session with the password only has no staff power."""
    from initiatives.factories import InitiativeFactory
    from initiatives.services import permissions

    staff = UserFactory(is_staff=True, is_superuser=True)
    user = _request_user(rf, staff, verified=verified)
    initiative = InitiativeFactory(state="submitted")
    assert permissions.is_staff_reviewer(user) is verified
    assert permissions.may_publish(user) is verified
    assert permissions.can_converse(user, initiative) is verified
    assert permissions.may_export_census(user) is verified
    # Without a session (a task, a command) the rights alone decide.
    assert permissions.is_staff_reviewer(type(staff).objects.get(pk=staff.pk))
