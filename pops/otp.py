"""The second factor of staff accounts: a TOTP device (an authenticator
app) and single-use recovery codes, both django-otp's.

Every staff account must pass it to use the admin (POPS_STAFF_OTP, on unless
turned off): pops/admin_site.py asks `passed_second_factor` before any admin
page and sends a staff member without a confirmed device to enrol one.

Brute force: each device doubles its wait after every wrong code
(django-otp's throttling, kept on the device: a new password login does not
reset it), every wrong code also counts as a failed login for the account in
django-axes (POPS_LOGIN_FAILURE_LIMIT, then the session ends and the account
is locked out as after wrong passwords), and the code forms are rate-limited
per account (POPS_RATE_OTP, pops/security.py).
"""

from __future__ import annotations

from base64 import b32encode

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pops.audit import security_event

RECOVERY_CODES = 10
TOTP_DIGITS = 6
DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


def second_factor_required(user) -> bool:
    """Whether `user` must pass the second factor to use the admin."""
    return bool(
        settings.POPS_STAFF_OTP and getattr(user, "is_authenticated", False) and user.is_active and user.is_staff
    )


def passed_second_factor(request) -> bool:
    """Whether the signed-in user may use the admin as far as the second
    factor goes: verified in this session, or not asked for one."""
    user = request.user
    if not second_factor_required(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def confirmed_authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator `user` is enrolling: the unconfirmed device, made
    once so that reloading the page keeps the secret already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def base32_secret(device: TOTPDevice) -> str:
    """The device's secret as authenticator apps ask for it."""
    return b32encode(device.bin_key).decode("ascii")


def wait_seconds(device) -> int:
    """Seconds before `device` accepts another code (0: now)."""
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)


def confirm_authenticator(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device being enrolled with a code it shows: then the
    session passes the second factor, earlier authenticators of the account
    are removed and the new recovery codes are returned (shown once). None
    when the code is wrong."""
    if not device.verify_token(code.strip()):
        security_event("otp_failed", request=request, step="enrolment")
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(device.user)
    otp_login(request, device)
    security_event("otp_enrolled", request=request)
    return codes


def new_recovery_codes(user) -> list[str]:
    """Replace the account's recovery codes with RECOVERY_CODES new ones,
    each valid once, and return them (they are stored as given: show them
    to the user once)."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        device.throttle_reset(commit=False)
        device.confirmed = True
        device.save()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def locked_out(request) -> bool:
    """Whether django-axes locks the signed-in account (or the address) out."""
    return AxesProxyHandler.is_locked(request, _credentials(request.user))


def verify_second_factor(request, code: str) -> str:
    """Check `code` for the signed-in user and, when right, mark the session
    as verified: six digits are an authenticator's code, anything else a
    recovery code (each device counts only the codes meant for it, so that a
    recovery code does not make the authenticator wait).

    Returns "totp" or "recovery" when it passed, "wait" when the device
    accepts no code yet (after wrong ones), "wrong" otherwise; a wrong code
    counts as a failed login for django-axes."""
    user = request.user
    code = "".join(code.split()).lower()
    if code.isdigit() and len(code) == TOTP_DIGITS:
        device = confirmed_authenticator(user)
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None and wait_seconds(device):
        return "wait"
    if device is not None and device.verify_token(code):
        otp_login(request, device)
        if isinstance(device, StaticDevice):
            security_event("otp_recovery_code_used", request=request, left=recovery_codes_left(user))
            return "recovery"
        security_event("otp_verified", request=request)
        return "totp"
    security_event("otp_failed", request=request, step="verification")
    AxesProxyHandler.user_login_failed(sender=verify_second_factor, credentials=_credentials(user), request=request)
    return "wrong"
