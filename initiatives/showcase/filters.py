"""The filters of the public list of initiatives (and of its map).

Values inside one facet are alternatives (OR); different facets combine (AND).
Every filter works through `id IN (subquery)`, so no join multiplies rows and
no DISTINCT is needed, whatever the number of values chosen. The search is run
once per filter set and query (and cached with the showcase): the other
queries of a page read its matches as a list of ids.
"""

import json

import django_filters
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import F, Lookup, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelMultipleChoiceField

from initiatives.models import Initiative
from initiatives.showcase.cache import cached
from initiatives.showcase.facet_index import VOCABULARIES
from initiatives.showcase.search import normalise, ranked_matches, search_rank
from stakeholders.models import OrganisationType, Partnership


def in_list_sql(values, vendor: str) -> tuple[str, list]:
    """SQL following a column, true when the column is one of `values`
    (integers), with the values sent as a single parameter however many there
    are: an array on PostgreSQL, a JSON list on SQLite (which limits the number
    of parameters of a statement)."""
    values = [int(value) for value in values]
    if vendor == "postgresql":
        # An array literal as one text parameter (psycopg would otherwise quote
        # a list element by element, slowly for thousands of ids), unnested in
        # a subquery: `= ANY(array)` would have the planner estimate each
        # element, in milliseconds for thousands of them.
        return "IN (SELECT unnest(%s::bigint[]))", ["{" + ",".join(map(str, values)) + "}"]
    return "IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


class InList(Lookup):
    """`in_list_sql` as an expression: `queryset.filter(in_list("id", ids))`."""

    lookup_name = "in_list"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = in_list_sql(self.rhs, connection.vendor)
        return f"{lhs} {sql}", (*lhs_params, *params)


def in_list(column: str, values) -> InList:
    return InList(F(column), list(values))


def _has_value(value) -> bool:
    """Whether a cleaned filter value chooses something. An empty choice of a
    vocabulary cleans to an empty QuerySet (`none()`), told without building
    its SQL; a chosen one is already evaluated by the form."""
    if isinstance(value, QuerySet):
        return bool(value._result_cache) if value._result_cache is not None else not value.query.is_empty()
    return bool(value)


class KeyedModelMultipleChoiceField(ModelMultipleChoiceField):
    """A vocabulary chosen by an integer key (an id, an SDG number): a number
    beyond the range of the key's column names no entry and is refused as an
    unknown one, before the database is asked (SQLite cannot even compare it:
    OverflowError)."""

    def _check_values(self, value):
        model = self.queryset.model
        field = model._meta.get_field(self.to_field_name or model._meta.pk.name)
        if isinstance(field, models.IntegerField | models.AutoField):
            low, high = connections[self.queryset.db].ops.integer_field_range(field.get_internal_type())
            for item in value:
                try:
                    number = int(str(item).strip())
                except ValueError:
                    continue  # not a number: Django refuses it as it does
                if (low is not None and number < low) or (high is not None and number > high):
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                    )
        return super()._check_values(value)


class VocabularyFilter(django_filters.ModelMultipleChoiceFilter):
    """Entries of a vocabulary, several allowed, by their key."""

    field_class = KeyedModelMultipleChoiceField


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


def _vocabulary_filter(name: str, label) -> VocabularyFilter:
    """The filter of the facet `name`, as `facet_index.VOCABULARIES` declares it."""
    vocabulary = VOCABULARIES[name]
    return VocabularyFilter(
        queryset=vocabulary.model.objects.all(),
        to_field_name=None if vocabulary.key == "pk" else vocabulary.key,
        method=_through_filter(vocabulary.field),
        label=label,
    )


def _year_choices() -> list[tuple[str, str]]:
    return [(str(year), str(year)) for year in range(1990, 2101)]


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
    sector = _vocabulary_filter("sector", _("Sector"))
    theme = _vocabulary_filter("theme", _("Theme"))
    department = _vocabulary_filter("department", _("Department"))
    sdg = _vocabulary_filter("sdg", _("SDG"))
    field = _vocabulary_filter("field", _("ANVUR field of action"))
    area = _vocabulary_filter("area", _("Action Plan area"))
    partner_type = VocabularyFilter(
        queryset=OrganisationType.objects.all(),
        to_field_name="code",
        method="filter_partner_type",
        label=_("Partner type"),
    )
    # A column of the initiative itself: no join, so no DISTINCT either.
    scale = django_filters.MultipleChoiceFilter(choices=Initiative.Scale.choices, distinct=False, label=_("Scale"))
    # Choices as a function: every filter set deep-copies its filters, and a
    # list of a hundred years took most of that time.
    year = django_filters.MultipleChoiceFilter(choices=_year_choices, method="filter_year", label=_("Start year"))
    status = django_filters.ChoiceFilter(
        choices=[(STATUS_ONGOING, _("Ongoing")), (STATUS_COMPLETED, _("Completed"))],
        method="filter_status",
        label=_("Status"),
    )
    sort = django_filters.ChoiceFilter(choices=list(SORTS.items()), method="filter_sort", label=_("Sort by"))

    class Meta:
        model = Initiative
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._search_ids: dict[str, dict[int, float]] = {}

    def filter_search(self, queryset, name, value):
        queryset = queryset.filter(in_list("id", self.search_ids(value)))
        rank = search_rank(value)
        return queryset if rank is None else queryset.annotate(rank=rank)

    def search_ids(self, query: str) -> list[int]:
        """The ids of the initiatives matching `query` (see `search_ranks`)."""
        return list(self.search_ranks(query))

    def search_ranks(self, query: str) -> dict[int, float]:
        """The initiatives matching `query` with their rank: searched once per
        filter set (every facet count and the page read the same matches) and
        cached per showcase version, query and base. The ids may include some
        outside the base queryset: whoever reads them keeps the base's own."""
        query = normalise(query)
        if query not in self._search_ids:
            base = self.queryset.order_by().values("id")
            self._search_ids[query] = cached(
                "search", lambda: ranked_matches(self.queryset, query), str(base.query), query
            )
        return self._search_ids[query]

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

    def active_filters(self) -> dict:
        """The filters with a value (the sort aside)."""
        if not hasattr(self, "_active"):
            self.is_valid()
            self._active = {
                name: value for name, value in self.form.cleaned_data.items() if name != "sort" and _has_value(value)
            }
        return self._active

    @property
    def default_sort(self) -> str:
        """The order when the visitor picks none: by relevance when searching.
        The list's form sends this one as an empty value, so that a search
        typed after browsing by the newest is sorted by relevance, while an
        order the visitor picked stays."""
        return "relevance" if self.is_valid() and self.form.cleaned_data.get("q") else "newest"

    @property
    def active_sort(self) -> str:
        sort = self.form.cleaned_data.get("sort") if self.is_valid() else ""
        return sort or self.default_sort
