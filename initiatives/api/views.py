"""The read-only open data API (Django REST framework)."""

from csp.decorators import csp_update
from django.db.models import Prefetch
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularRedocView
from rest_framework import viewsets

from actionplan.models import InterventionArea
from impact.models import SDG, FieldOfAction, PublicEngagementCategory
from initiatives.api import serializers
from initiatives.api.filters import InitiativeFilter, InitiativeFilterBackend
from initiatives.models import Department, Initiative, Sector, Theme
from stakeholders.models import Organisation, OrganisationType, Partnership


class InitiativeViewSet(viewsets.ReadOnlyModelViewSet):
    """Published initiatives (licence CC BY 4.0)."""

    serializer_class = serializers.InitiativeSerializer
    # The showcase's filters (they also order the list: newest first, or by
    # relevance when searching).
    filter_backends = [InitiativeFilterBackend]
    filterset_class = InitiativeFilter
    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    queryset = (
        Initiative.objects.public()
        .order_by("-published_at", "-id")
        .prefetch_related(
            *Initiative.EXCHANGED_CLASSIFICATIONS,
            "places",
            Prefetch("partnerships", queryset=Partnership.objects.select_related("organisation")),
        )
    )


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisations that work with published initiatives."""

    serializer_class = serializers.OrganisationSerializer
    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    queryset = Organisation.objects.with_published_initiatives().select_related("type").order_by("name", "pk")


class SDGViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.SDGSerializer
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    queryset = SDG.objects.order_by("number")
    pagination_class = None


# The vocabularies list every entry the initiative filters accept, inactive
# ones too (flagged `is_active: false`): old records keep them.


def _described(description):
    return extend_schema_view(
        list=extend_schema(description=description), retrieve=extend_schema(description=description)
    )


@_described(_("ANVUR fields of action, every edition; the filter `field` takes the id."))
class FieldOfActionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.FieldOfActionSerializer
    queryset = FieldOfAction.objects.order_by("code", "-valid_from", "id")
    lookup_value_regex = "[^/]+"
    pagination_class = None


@_described(_("ANVUR public-engagement categories, every edition (valid_from and valid_to are reporting years)."))
class PublicEngagementCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PublicEngagementCategorySerializer
    queryset = PublicEngagementCategory.objects.order_by("-valid_from", "position", "code", "id")
    lookup_value_regex = "[^/]+"
    pagination_class = None


@_described(_("Action Plan intervention areas; the filter `area` takes the id."))
class InterventionAreaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.InterventionAreaSerializer
    queryset = InterventionArea.objects.with_vision().order_by(
        "-vision__plan__start_year", "vision__plan__code", "vision__position", "position", "id"
    )
    lookup_value_regex = "[^/]+"
    pagination_class = None


def vocabulary_viewset(model, description):
    @_described(description)
    class VocabularyViewSet(viewsets.ReadOnlyModelViewSet):
        serializer_class = serializers.VocabularySerializer
        lookup_field = "code"
        lookup_value_regex = "[^/]+"
        queryset = model.objects.order_by("position", "code")
        pagination_class = None

    VocabularyViewSet.__name__ = f"{model.__name__}ViewSet"
    return VocabularyViewSet


DepartmentViewSet = vocabulary_viewset(Department, _("PoliTO departments (code: acronym)."))
SectorViewSet = vocabulary_viewset(Sector, _("Sectors of intervention."))
ThemeViewSet = vocabulary_viewset(Theme, _("Themes."))
OrganisationTypeViewSet = vocabulary_viewset(OrganisationType, _("Types of organisation (the filter `partner_type`)."))


# What Redoc (drf-spectacular-sidecar's bundle) needs beyond the portal's
# policy: the two states of the <style> element its scrollbar module writes as
# the bundle loads, before it can be given the nonce (empty, then filled:
# hashes of those exact texts), and its search, a worker made from a blob.
# Its other <style> elements carry the nonce (static/js/api-redoc.js).
REDOC_CSP = {
    "style-src": [
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    ],
    "worker-src": ["'self'", "blob:"],
}


@method_decorator(csp_update(REDOC_CSP), name="dispatch")
class RedocView(SpectacularRedocView):
    """The API's Redoc page (templates/drf_spectacular/redoc.html)."""
