"""A staff member enrols an authenticator in a real browser, keeps the
recovery codes, signs out, and signs in again with a code (computed here, as
the app would)."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from initiatives.factories import DEMO_PASSWORD, UserFactory
from tests.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.second_factor]


def code_for(secret: str, *, later: bool = False) -> str:
    totp = TOTP(b32decode(secret))
    # The next step's code: the one just used cannot be used again.
    totp.time = time.time() + (30 if later else 0)
    return f"{totp.token():06d}"


def sign_in_with_password(page):
    page.goto(f"{page.base_url}/en/admin/login/")
    page.fill("#id_username", "curatrice")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")


def test_staff_enrol_an_authenticator_then_sign_in_with_a_code(page):
    UserFactory(username="curatrice", is_staff=True, is_superuser=True)
    sign_in_with_password(page)
    page.wait_for_url("**/admin/second-factor/setup/**")
    assert page.locator(".pops-otp-qr svg").is_visible()
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    screenshot(page, "security-otp-setup")
    assert axe_violations(page) == []

    page.fill("#id_code", "000000" if code_for(secret) != "000000" else "111111")
    page.click("#otp-form input[type=submit]")
    assert page.locator("#otp-error").is_visible()
    page.wait_for_timeout(1100)  # the wait after a wrong code
    page.fill("#id_code", code_for(secret))
    page.click("#otp-form input[type=submit]")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.click("#otp-continue")
    page.wait_for_url("**/en/admin/")
    assert page.locator("#desk-tables").is_visible()

    # Signed out, the password alone no longer opens the admin.
    page.context.clear_cookies()
    page.goto(f"{page.base_url}/en/admin/")
    sign_in_with_password(page)
    page.wait_for_url("**/admin/second-factor/?**")
    assert axe_violations(page) == []
    page.goto(f"{page.base_url}/en/admin/initiatives/initiative/")
    page.wait_for_url("**/admin/second-factor/?**")
    page.fill("#id_code", code_for(secret, later=True))
    page.click("#otp-form input[type=submit]")
    page.wait_for_url("**/admin/initiatives/initiative/")

    # A recovery code opens a new session once.
    page.context.clear_cookies()
    sign_in_with_password(page)
    page.fill("#id_code", codes[0])
    page.click("#otp-form input[type=submit]")
    page.wait_for_url("**/en/admin/")
    assert "9" in page.locator(".messagelist").inner_text()
