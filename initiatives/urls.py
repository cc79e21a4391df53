from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path(_("initiatives/<slug:slug>/"), views.initiative_detail, name="initiative-detail"),
    path(_("people/<slug:slug>/"), views.person_detail, name="person-detail"),
]
