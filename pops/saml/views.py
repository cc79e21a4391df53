"""djangosaml2's views within the portal's rails: one IdP, signed responses
only, every refusal a security event (by reason, never by who) that
django-axes counts, and a page of our own that says what to do."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from djangosaml2 import views as saml_views
from saml2.response import SignatureError


class LoginView(saml_views.LoginView):
    """Sends the visitor to the Politecnico's IdP (POPS_SAML_IDP_ENTITY_ID
    when the metadata lists several, as the federation's does)."""

    def get(self, request, *args, **kwargs):
        if settings.POPS_SAML_IDP_ENTITY_ID:
            query = request.GET.copy()
            query["idp"] = settings.POPS_SAML_IDP_ENTITY_ID
            request.GET = query
        return super().get(request, *args, **kwargs)


class AcsView(saml_views.AssertionConsumerServiceView):
    """Where the IdP posts its response."""

    def custom_validation(self, response):
        # pysaml2 verifies every signature present and, with
        # want_assertions_or_response_signed, refuses a response with none;
        # checked again here, where a change of its options cannot undo it.
        if not (response.response.signature or getattr(response.assertion, "signature", None)):
            raise SignatureError("Neither the response nor the assertion is signed.")

    def handle_acs_failure(self, request, exception=None, status=403, **kwargs):
        if not isinstance(exception, PermissionDenied):
            # The back-end was not reached (a signature, a lifetime, a request
            # we no longer wait for): tell axes and the security log, as
            # django.contrib.auth does for a refused password.
            reason = "invalid_response" if status == 400 else type(exception).__name__
            user_login_failed.send(sender=__name__, credentials={"saml_error": reason}, request=request)
        return render(request, "registration/saml_error.html", {}, status=403)


class MetadataView(saml_views.MetadataView):
    """The SP's metadata, for the IdP and the federation's registry."""
