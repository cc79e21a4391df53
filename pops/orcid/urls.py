"""The ORCID endpoints (included by pops/urls.py only when ORCID is on)."""

from django.urls import path

from pops.orcid import views

urlpatterns = [
    path("login/", views.orcid_login, name="orcid_login"),
    path("callback/", views.orcid_callback, name="orcid_callback"),
]
