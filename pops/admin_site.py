"""The portal's admin site: Django's, behind a second factor for staff
(pops/otp.py).

Every admin page asks `has_permission`, which here also asks that the
session passed the second factor; a staff member signed in with a password
only is sent from the admin's login page to the code step, or, without a
confirmed authenticator, to enrol one (the secret, its QR code and a code to
confirm it, then recovery codes shown once). `pops.apps.AdminConfig` makes
this the default site, so `django.contrib.admin.site` is this one.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from pops import otp
from pops.audit import security_event
from pops.security import lockout_response


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


class StaffOTPAdminSite(admin.AdminSite):
    """Django's admin site whose pages also need the second factor."""

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and otp.passed_second_factor(request)

    def login(self, request, extra_context=None):
        # Signed in with the password but not past the second factor: the
        # admin's pages send the staff member here; the code step is next.
        if request.method == "GET" and self._awaits_second_factor(request):
            return self._redirect("admin:otp_verify", request)
        return super().login(request, extra_context)

    def get_urls(self):
        staff = self._signed_in_staff
        return [
            path("second-factor/", staff(self.verify_view), name="otp_verify"),
            path("second-factor/setup/", staff(self.setup_view), name="otp_setup"),
            path(
                "second-factor/recovery-codes/",
                self.admin_view(require_http_methods(["GET", "HEAD", "POST"])(self.recovery_codes_view)),
                name="otp_recovery_codes",
            ),
            *super().get_urls(),
        ]

    # -- helpers --------------------------------------------------------------------

    def _awaits_second_factor(self, request) -> bool:
        return admin.AdminSite.has_permission(self, request) and not otp.passed_second_factor(request)

    def _signed_in_staff(self, view):
        """The second-factor pages: for a signed-in, active staff account
        (verified or not); anyone else goes to the admin's login."""

        @wraps(view)
        def inner(request, *args, **kwargs):
            if not admin.AdminSite.has_permission(self, request):
                return HttpResponseRedirect(
                    reverse("admin:login", current_app=self.name) + "?" + urlencode({"next": request.get_full_path()})
                )
            return view(request, *args, **kwargs)

        return never_cache(csrf_protect(require_http_methods(["GET", "HEAD", "POST"])(inner)))

    def _next_url(self, request) -> str:
        url = request.POST.get("next") or request.GET.get("next") or ""
        if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
            return url
        return reverse("admin:index", current_app=self.name)

    def _redirect(self, name: str, request) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse(name, current_app=self.name) + "?" + urlencode({"next": self._next_url(request)})
        )

    def _render(self, request, template: str, context: dict) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {**self.each_context(request), "next": self._next_url(request), **context},
        )

    # -- views ----------------------------------------------------------------------

    def verify_view(self, request):
        """The code step after the password: an authenticator's code, or a recovery code."""
        if otp.passed_second_factor(request):
            return HttpResponseRedirect(self._next_url(request))
        if otp.confirmed_authenticator(request.user) is None:
            return self._redirect("admin:otp_setup", request)
        if otp.locked_out(request):
            logout(request)
            return lockout_response(request)
        form = CodeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            outcome = otp.verify_second_factor(request, form.cleaned_data["code"])
            if outcome in ("totp", "recovery"):
                AxesProxyHandler.reset_attempts(username=request.user.get_username())
                if outcome == "recovery":
                    left = otp.recovery_codes_left(request.user)
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code: %(left)d is left. Generate new ones soon.",
                            "You signed in with a recovery code: %(left)d are left. Generate new ones soon.",
                            left,
                        )
                        % {"left": left},
                    )
                return HttpResponseRedirect(self._next_url(request))
            if outcome == "wait":
                form.add_error("code", _("Too many wrong codes: wait a few seconds, then try again."))
            elif otp.locked_out(request):
                logout(request)
                return lockout_response(request)
            else:
                form.add_error("code", _("This code is not valid. Enter the code your app shows now."))
        return self._render(request, "admin/otp/verify.html", {"form": form, "title": _("Second factor")})

    def setup_view(self, request):
        """Enrol an authenticator: its secret and QR code, and a code to
        confirm it. A verified staff member may replace theirs here."""
        if not otp.second_factor_required(request.user):
            return HttpResponseRedirect(self._next_url(request))
        if not otp.passed_second_factor(request) and otp.confirmed_authenticator(request.user) is not None:
            return self._redirect("admin:otp_verify", request)
        device = otp.pending_authenticator(request.user)
        form = CodeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            if otp.wait_seconds(device):
                form.add_error("code", _("Too many wrong codes: wait a few seconds, then try again."))
            else:
                codes = otp.confirm_authenticator(request, device, form.cleaned_data["code"])
                if codes is not None:
                    return self._render(
                        request,
                        "admin/otp/recovery_codes.html",
                        {"codes": codes, "enrolled": True, "title": _("Your recovery codes")},
                    )
                form.add_error("code", _("This code is not valid. Enter the code your app shows now."))
        uri = device.config_url
        qr = segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff", title=_("QR code"))
        secret = otp.base32_secret(device)
        return self._render(
            request,
            "admin/otp/setup.html",
            {
                "form": form,
                "title": _("Set up the second factor"),
                "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
                "otpauth_uri": uri,
                # segno writes the SVG from the URI alone: nothing in it comes from input.
                "qr_svg": mark_safe(qr),
            },
        )

    def recovery_codes_view(self, request):
        """How many recovery codes are left; new ones (the old ones stop working)."""
        if request.method == "POST":
            codes = otp.new_recovery_codes(request.user)
            security_event("otp_recovery_codes_renewed", request=request)
            return self._render(
                request, "admin/otp/recovery_codes.html", {"codes": codes, "title": _("Your recovery codes")}
            )
        return self._render(
            request,
            "admin/otp/recovery_codes.html",
            {
                "left": otp.recovery_codes_left(request.user),
                "required": settings.POPS_STAFF_OTP,
                "title": _("Second factor and recovery codes"),
            },
        )
