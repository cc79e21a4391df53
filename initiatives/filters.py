"""The filters of the public list of initiatives (and of its map).

Values inside one facet are alternatives (OR); different facets combine (AND).
Every filter works through `id IN (subquery)`, so no join multiplies rows and
no DISTINCT is needed, whatever the number of values chosen.
"""

import django_filters
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from actionplan.models import InterventionArea
from impact.models import SDG, FieldOfAction
from stakeholders.models import OrganisationType, Partnership

from .models import Department, Initiative, Sector, Theme
from .search import search


def public_initiatives():
    """What the showcase may ever show: published originals."""
    return Initiative.objects.published().originals()


def _through_filter(field: str):
    """Filter on a many-to-many field through its join table."""

    def method(queryset, name, value):
        if not value:  # an unbound ModelMultipleChoiceField cleans to an empty QuerySet
            return queryset
        relation = Initiative._meta.get_field(field)
        target = relation.m2m_reverse_field_name()
        ids = relation.remote_field.through.objects.filter(**{f"{target}__in": value}).values("initiative_id")
        return queryset.filter(id__in=ids)

    return method


def _title_in_current_language():
    language = (get_language() or "it")[:2]
    return Coalesce(NullIf(F(f"title_{language}"), Value("")), F("title_it"))


class InitiativeFilter(django_filters.FilterSet):
    SORTS = {
        "relevance": _("Relevance"),
        "newest": _("Newest"),
        "title": _("Title (A–Z)"),
        "start": _("Start date (latest first)"),
    }
    STATUS_ONGOING, STATUS_COMPLETED = "ongoing", "completed"

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    sector = django_filters.ModelMultipleChoiceFilter(
        queryset=Sector.objects.all(), to_field_name="code", method=_through_filter("sectors"), label=_("Sector")
    )
    theme = django_filters.ModelMultipleChoiceFilter(
        queryset=Theme.objects.all(), to_field_name="code", method=_through_filter("themes"), label=_("Theme")
    )
    department = django_filters.ModelMultipleChoiceFilter(
        queryset=Department.objects.all(),
        to_field_name="code",
        method=_through_filter("departments"),
        label=_("Department"),
    )
    sdg = django_filters.ModelMultipleChoiceFilter(
        queryset=SDG.objects.all(), to_field_name="number", method=_through_filter("sdgs"), label=_("SDG")
    )
    field = django_filters.ModelMultipleChoiceFilter(
        queryset=FieldOfAction.objects.all(),
        method=_through_filter("fields_of_action"),
        label=_("ANVUR field of action"),
    )
    area = django_filters.ModelMultipleChoiceFilter(
        queryset=InterventionArea.objects.all(),
        method=_through_filter("intervention_areas"),
        label=_("Action Plan area"),
    )
    partner_type = django_filters.ModelMultipleChoiceFilter(
        queryset=OrganisationType.objects.all(),
        to_field_name="code",
        method="filter_partner_type",
        label=_("Partner type"),
    )
    scale = django_filters.MultipleChoiceFilter(choices=Initiative.Scale.choices, label=_("Scale"))
    year = django_filters.MultipleChoiceFilter(
        choices=[(str(y), str(y)) for y in range(1990, 2101)], method="filter_year", label=_("Start year")
    )
    status = django_filters.ChoiceFilter(
        choices=[(STATUS_ONGOING, _("Ongoing")), (STATUS_COMPLETED, _("Completed"))],
        method="filter_status",
        label=_("Status"),
    )
    sort = django_filters.ChoiceFilter(choices=list(SORTS.items()), method="filter_sort", label=_("Sort by"))

    class Meta:
        model = Initiative
        fields = []

    def filter_search(self, queryset, name, value):
        return search(queryset, value)

    def filter_partner_type(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(id__in=Partnership.objects.filter(organisation__type__in=value).values("initiative_id"))

    def filter_year(self, queryset, name, value):
        return queryset.filter(start_date__year__in=[int(v) for v in value])

    def filter_status(self, queryset, name, value):
        today = timezone.localdate()
        ongoing = Q(end_date__isnull=True) | Q(end_date__gte=today)
        return queryset.filter(ongoing) if value == self.STATUS_ONGOING else queryset.exclude(ongoing)

    def filter_sort(self, queryset, name, value):
        return self.order(queryset, value)

    @staticmethod
    def order(queryset, sort: str):
        if sort == "relevance" and "rank" in queryset.query.annotations:
            return queryset.order_by("-rank", "-published_at", "-id")
        if sort == "title":
            return queryset.order_by(_title_in_current_language().asc(), "id")
        if sort == "start":
            return queryset.order_by("-start_date", "-id")
        return queryset.order_by("-published_at", "-id")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("sort"):
            queryset = self.order(queryset, "relevance")
        return queryset

    def queryset_without(self, facet: str):
        """The public initiatives with every filter applied but `facet` (and
        the sort): what that facet's counts are computed on."""
        queryset = self.queryset
        for name, value in self.form.cleaned_data.items():
            if name not in (facet, "sort") and value not in (None, "", [], ()):
                queryset = self.filters[name].filter(queryset, value)
        return queryset.order_by()

    @property
    def active_sort(self) -> str:
        sort = self.form.cleaned_data.get("sort") if self.is_valid() else ""
        if sort:
            return sort
        return "relevance" if self.form.cleaned_data.get("q") else "newest"
