"""The filters of the open data API: the showcase's own.

The initiative list of the API filters with `initiatives.filters.InitiativeFilter`,
the class behind the public list of initiatives, so the two can never offer
different filters or read a value differently: every facet takes several
values (repeat the parameter), values inside a facet are alternatives (OR) and
different facets combine (AND). The API adds only `search`, the name the first
version of the API gave to the full-text search: an alias of `q`.

The OpenAPI description of the parameters is generated from the same filter
set (see `filter_parameters` and `impact.api.schema`).
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend

from initiatives.showcase import filters as showcase

# Where the values of each vocabulary filter are listed (a route name of
# impact.api.urls), for the parameter's description.
VOCABULARY_ROUTES = {
    "sector": "api-sector-list",
    "theme": "api-theme-list",
    "department": "api-department-list",
    "sdg": "api-sdg-list",
    "field": "api-field-of-action-list",
    "area": "api-intervention-area-list",
    "partner_type": "api-organisation-type-list",
}

# What each parameter means, for the API's documentation (the showcase's labels
# name the filters in a form; these say which values they take).
DESCRIPTIONS = {
    "q": _("Full-text search in titles, summaries, descriptions and keywords, and in partners' and people's names."),
    "search": _("The same as q (the name of the search in the first version of the API)."),
    "sector": _("Sector code."),
    "theme": _("Theme code."),
    "department": _("Department acronym."),
    "sdg": _("SDG number (1-17)."),
    "field": _("ANVUR field of action: its id."),
    "area": _("Action Plan intervention area: its id."),
    "partner_type": _("Type of a partner organisation: its code."),
    "scale": _("Scale of the initiative."),
    "year": _("Year the initiative started."),
    "status": _("Ongoing (no end date, or one not yet past) or completed."),
    "sort": _("Order of the results (newest first by default; by relevance when searching)."),
}
MULTIPLE = _("Repeat the parameter for several values: any of them matches.")
LISTED_AT = _("The values are listed at %(path)s.")


class InitiativeFilter(showcase.InitiativeFilter):
    """The showcase's filters, and `search` as an alias of `q`."""

    search = django_filters.CharFilter(method="filter_search", label=_("Search (the same as q)"))


class InitiativeFilterBackend(DjangoFilterBackend):
    """django-filter's backend; its own class so that the schema extension in
    impact.api.schema describes exactly the parameters of these filters."""


def _value_schema(auto_schema, filter_field) -> dict:
    """The schema of one value of a filter: a vocabulary's key is typed as its
    model field (an integer id, a number between bounds, a code's pattern)."""
    if isinstance(filter_field, django_filters.ModelMultipleChoiceFilter | django_filters.ModelChoiceFilter):
        model = filter_field.queryset.model
        field = model._meta.get_field(filter_field.extra.get("to_field_name") or model._meta.pk.name)
        schema = auto_schema._map_model_field(field, direction=None)
        return {key: value for key, value in schema.items() if key not in ("readOnly", "description", "title")}
    if isinstance(filter_field, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter):
        choices = filter_field.extra["choices"]
        choices = choices() if callable(choices) else choices
        return {"type": "string", "enum": [str(value) for value, _label in choices]}
    if isinstance(filter_field, django_filters.CharFilter):
        return {"type": "string"}
    raise TypeError(f"No schema for the filter {filter_field!r}: describe it in impact.api.filters.")


def filter_parameters(auto_schema, filterset_class) -> list[dict]:
    """The OpenAPI query parameters of `filterset_class`, one per filter:
    multi-valued filters as arrays exploded into repeated parameters, choices
    as enums, related vocabularies typed as their key (integer or string)."""
    from django.urls import reverse
    from drf_spectacular.plumbing import build_parameter_type

    parameters = []
    for name, filter_field in filterset_class.base_filters.items():
        schema = _value_schema(auto_schema, filter_field)
        parts = [DESCRIPTIONS.get(name) or filter_field.label or name]
        multiple = isinstance(filter_field, django_filters.MultipleChoiceFilter)
        if multiple:
            schema = {"type": "array", "items": schema}
            parts.append(MULTIPLE)
        if name in VOCABULARY_ROUTES:
            parts.append(str(LISTED_AT) % {"path": reverse(VOCABULARY_ROUTES[name])})
        parameters.append(
            build_parameter_type(
                name=name,
                schema=schema,
                location="query",
                required=filter_field.extra.get("required", False),
                description=" ".join(str(part) for part in parts),
                explode=True if multiple else None,
                style="form" if multiple else None,
            )
        )
    return parameters
