"""The filters of the open data API."""

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from initiatives.models import Initiative


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class InitiativeFilter(django_filters.FilterSet):
    sector = django_filters.CharFilter(field_name="sectors__code", label="Sector code")
    department = django_filters.CharFilter(field_name="departments__code", label="Department acronym")
    sdg = IntegerFilter(method="filter_sdg", label="SDG number (1-17)")
    year = IntegerFilter(method="filter_year", label="Active in this calendar year")
    scale = django_filters.ChoiceFilter(choices=Initiative.Scale.choices)
    search = django_filters.CharFilter(method="filter_search", label="Words in the title, summary or keywords")

    class Meta:
        model = Initiative
        fields = ["sector", "department", "sdg", "year", "scale", "search"]

    def filter_queryset(self, queryset):
        # Filtering across many-to-many relations may repeat a row.
        return super().filter_queryset(queryset).distinct()

    def filter_sdg(self, queryset, name, value):
        # Out-of-range numbers match nothing (rather than overflowing a column).
        return queryset.filter(sdgs__number=value) if 1 <= value <= 17 else queryset.none()

    def filter_year(self, queryset, name, value):
        # Python dates stop at year 9999: a year beyond that matches nothing.
        return queryset.active_in_year(value) if 1 <= value <= 9998 else queryset.none()

    def filter_search(self, queryset, name, value):
        query = Q()
        for word in value.split()[:10]:
            query &= (
                Q(title_it__icontains=word)
                | Q(title_en__icontains=word)
                | Q(summary_it__icontains=word)
                | Q(summary_en__icontains=word)
                | Q(keywords__icontains=word)
            )
        return queryset.filter(query)
