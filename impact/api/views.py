"""The read-only open data API (Django REST framework)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from impact.models import SDG, FieldOfAction
from initiatives.models import Department, Initiative, Sector, Theme
from stakeholders.models import Organisation, Partnership

from . import serializers
from .filters import InitiativeFilter


class InitiativeViewSet(viewsets.ReadOnlyModelViewSet):
    """Published initiatives (licence CC BY 4.0)."""

    serializer_class = serializers.InitiativeSerializer
    filterset_class = InitiativeFilter
    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    queryset = (
        Initiative.objects.published()
        .originals()
        .order_by("-published_at", "pk")
        .prefetch_related(
            "departments",
            "sectors",
            "themes",
            "sdgs",
            "fields_of_action",
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


class FieldOfActionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.FieldOfActionSerializer
    queryset = FieldOfAction.objects.active().order_by("code", "-valid_from")
    lookup_value_regex = "[^/]+"
    pagination_class = None


def vocabulary_viewset(model, description: str):
    @extend_schema_view(list=extend_schema(description=description), retrieve=extend_schema(description=description))
    class VocabularyViewSet(viewsets.ReadOnlyModelViewSet):
        serializer_class = serializers.VocabularySerializer
        lookup_field = "code"
        lookup_value_regex = "[^/]+"
        queryset = model.objects.active().order_by("position", "code")
        pagination_class = None

    VocabularyViewSet.__name__ = f"{model.__name__}ViewSet"
    return VocabularyViewSet


DepartmentViewSet = vocabulary_viewset(Department, "PoliTO departments (code: acronym).")
SectorViewSet = vocabulary_viewset(Sector, "Sectors of intervention.")
ThemeViewSet = vocabulary_viewset(Theme, "Themes.")
