"""The SAML endpoints (included by pops/urls.py only when SAML is on).
djangosaml2's own names, which its views reverse."""

from django.urls import path

from pops.saml import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="saml2_login"),
    path("acs/", views.AcsView.as_view(), name="saml2_acs"),
    path("metadata/", views.MetadataView.as_view(), name="saml2_metadata"),
]
