from django.urls import path
from django.utils.translation import gettext_lazy as _

from initiatives.models import SitePage
from initiatives.showcase import views

urlpatterns = [
    path("", views.home, name="home"),
    path(_("initiatives/"), views.initiative_list, name="initiative-list"),
    path(_("initiatives/<slug:slug>/"), views.initiative_detail, name="initiative-detail"),
    path(_("initiatives/<slug:slug>/write/"), views.initiative_contact, name="initiative-contact"),
    path(_("initiatives/<slug:slug>/write/sent/"), views.initiative_contact_sent, name="initiative-contact-sent"),
    path(_("map/"), views.initiative_map, name="initiative-map"),
    path(_("map/initiatives.geojson"), views.initiative_map_data, name="initiative-map-data"),
    path(_("people/"), views.people, name="people"),
    path(_("people/<slug:slug>/"), views.person_detail, name="person-detail"),
    path(_("people/<slug:slug>/write/"), views.person_contact, name="person-contact"),
    path(_("people/<slug:slug>/write/sent/"), views.person_contact_sent, name="person-contact-sent"),
    path(_("departments/<str:code>/"), views.department_detail, name="department-detail"),
    path(_("sectors/<slug:code>/"), views.sector_detail, name="sector-detail"),
    path(_("statistics/"), views.statistics, name="statistics"),
    path(_("statistics/<slug:key>.csv"), views.statistics_csv, name="statistics-csv"),
    # The pages of the footer every Italian public-sector site has (SitePage.URL_NAMES).
    path(_("accessibility/"), views.site_page, {"kind": SitePage.Kind.ACCESSIBILITY}, name="accessibility"),
    path("privacy/", views.site_page, {"kind": SitePage.Kind.PRIVACY}, name="privacy"),
    path(_("legal-notes/"), views.site_page, {"kind": SitePage.Kind.LEGAL}, name="legal-notes"),
]
