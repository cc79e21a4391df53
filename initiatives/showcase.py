"""Reads of the public showcase: headline figures, facet counts, entry
points and map data, cached until staff publish or unpublish something.

The cache is versioned: `showcase_cache_invalidate()` bumps one integer and
every cached entry of the previous version stops being read (each expires on
its own), so nothing has to enumerate keys. Whole public pages are cached the
same way for anonymous visitors (`cache_public_page`), keyed by their full URL.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, Sum
from django.db.models.functions import ExtractYear
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from actionplan.models import InterventionArea
from impact.models import SDG, FieldOfAction, Impact
from stakeholders.models import Organisation, OrganisationType, Partnership

from .filters import InitiativeFilter, hidden_initiatives, in_list, in_list_sql, public_initiatives
from .models import Department, Initiative, Place, Sector, Theme

VERSION_KEY = "showcase:version"
TIMEOUT = 60 * 60 * 6
# Whole pages also show people, partners and vocabularies, whose edits do not
# bump the version: they expire sooner.
PAGE_TIMEOUT = 60 * 10
MAX_CACHED_URL = 1000
qn = connection.ops.quote_name


def showcase_cache_invalidate() -> None:
    """Forget every cached showcase figure (call it when the set of public
    initiatives, or a public initiative, changes)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, None)


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY, 1)
    return version


@receiver(post_save, sender=Initiative)
@receiver(post_delete, sender=Initiative)
def _public_initiative_changed(sender, instance, **kwargs) -> None:
    """Any save or deletion of a public initiative (admin, shell, import,
    workflow) refreshes the showcase; drafts and working copies do not."""
    if instance.state == Initiative.State.PUBLISHED and instance.revision_of_id is None:
        showcase_cache_invalidate()


def _key_prefix() -> str:
    return f"showcase:{_version()}:{get_language()}"


def _cache_key(name: str, *parts: str, prefix: str = "") -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16] if parts else "-"
    return f"{prefix or _key_prefix()}:{name}:{digest}"


def cached(name: str, compute, *parts: str):
    """`compute()`, cached per showcase version, language and `parts`."""
    key = _cache_key(name, *parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value


# --- Whole pages -----------------------------------------------------------------


def _page_cacheable(request) -> bool:
    return (
        getattr(settings, "POPS_SHOWCASE_PAGE_CACHE", True)
        and request.method == "GET"
        and len(request.get_full_path()) <= MAX_CACHED_URL
        and not request.user.is_authenticated
        # Pending messages are shown (and consumed) by the page: render it afresh.
        and not len(get_messages(request))
    )


def _response_cacheable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        # The page used a CSRF token: it differs per visitor.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
    )


def cache_public_page(view):
    """Serve a public GET page from the cache to anonymous visitors, keyed by
    its absolute URL (query string included), language and showcase version:
    `showcase_cache_invalidate()` retires every cached page at once."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _page_cacheable(request):
            return view(request, *args, **kwargs)
        url = hashlib.sha1(request.build_absolute_uri().encode()).hexdigest()
        key = f"{_key_prefix()}:page:{url}"
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if _response_cacheable(request, response):
            cache.set(key, (response.content, response["Content-Type"]), PAGE_TIMEOUT)
        return response

    return wrapper


# --- Cards ------------------------------------------------------------------------


def card_prefetches(queryset):
    """What a card shows, prefetched into plain lists (`card_departments`,
    `card_sectors`, `card_sdgs`): no related manager is built per card."""
    return queryset.prefetch_related(
        Prefetch("departments", queryset=Department.objects.only("id", "code"), to_attr="card_departments"),
        Prefetch("sectors", to_attr="card_sectors"),
        Prefetch("sdgs", to_attr="card_sdgs"),
    )


# --- Facets of the list ------------------------------------------------------------
#
# A facet's counts are taken among the initiatives matching every filter but
# its own, so that choosing a value never hides its siblings. Each facet is
# cached on its own, keyed by the filters that affect it: a request that
# changes one facet recomputes the others only.
#
# A vocabulary facet is a count grouped by entry on its join table, restricted
# to the matching initiatives (by their ids, for a search); the facets missing
# from the cache are counted in a single statement. Scale, start year and
# status, columns of the initiative itself, come together from one query
# grouped on all three (a small "cube") over the initiatives matching the other
# filters, from which each of the three facets, and the number of results, is
# summed in Python.


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool = False
    color: str = ""


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption]

    @property
    def selected(self) -> list[FacetOption]:
        return [o for o in self.options if o.selected]


@dataclass(frozen=True)
class VocabularyFacet:
    """A facet over the entries of a vocabulary. `count_sql` counts the
    initiatives per entry: SQL whose placeholder names the facet and whose
    `{where}` is a condition on the initiative column `initiative`."""

    model: type
    count_sql: str
    initiative: str
    key: str = "code"
    label: object = str
    color: bool = False

    def options(self, counts: dict[int, int]) -> list[dict]:
        """The entries with initiatives, in vocabulary order."""
        return [
            {
                "value": str(getattr(row, self.key)),
                "label": self.label(row),
                "count": counts[row.pk],
                "color": row.color if self.color else "",
            }
            for row in self.model.objects.all()
            if counts.get(row.pk)
        ]


def _many_to_many_facet(model, field: str, **options) -> VocabularyFacet:
    """A facet over a many-to-many field, counted on its join table (one row
    per initiative and entry)."""
    relation = Initiative._meta.get_field(field)
    through = relation.remote_field.through._meta
    initiative = f"{qn(through.db_table)}.{qn(through.get_field(relation.m2m_field_name()).column)}"
    entry = qn(through.get_field(relation.m2m_reverse_field_name()).column)
    count_sql = f"SELECT %s, {entry}, COUNT(*) FROM {qn(through.db_table)} WHERE {{where}} GROUP BY {entry}"
    return VocabularyFacet(model, count_sql, initiative, **options)


def _partner_type_facet() -> VocabularyFacet:
    """The facet of the types of partner organisations (an initiative with two
    partners of one type counts once)."""
    partnership, organisation = Partnership._meta, Organisation._meta
    initiative = f"p.{qn(partnership.get_field('initiative').column)}"
    kind = f"o.{qn(organisation.get_field('type').column)}"
    count_sql = (
        f"SELECT %s, {kind}, COUNT(DISTINCT {initiative}) FROM {qn(partnership.db_table)} p"
        f" JOIN {qn(organisation.db_table)} o"
        f" ON o.{qn(organisation.pk.column)} = p.{qn(partnership.get_field('organisation').column)}"
        f" WHERE {{where}} GROUP BY {kind}"
    )
    return VocabularyFacet(OrganisationType, count_sql, initiative)


VOCABULARY_FACETS = {
    "sector": _many_to_many_facet(Sector, "sectors"),
    "theme": _many_to_many_facet(Theme, "themes"),
    "department": _many_to_many_facet(Department, "departments", label=lambda row: f"{row.code} · {row.name}"),
    "sdg": _many_to_many_facet(SDG, "sdgs", key="number", color=True),
    "field": _many_to_many_facet(FieldOfAction, "fields_of_action", key="pk"),
    "area": _many_to_many_facet(InterventionArea, "intervention_areas", key="pk"),
    "partner_type": _partner_type_facet(),
}
ATTRIBUTE_FACETS = ("scale", "year", "status")
FACET_NAMES = ("sector", "theme", "department", "sdg", "field", "area", "partner_type", "scale", "year", "status")
FACET_LABELS = {
    "sector": _("Sector"),
    "theme": _("Theme"),
    "department": _("Department"),
    "sdg": _("SDG"),
    "field": _("ANVUR field of action"),
    "area": _("Action Plan area"),
    "partner_type": _("Partner type"),
    "scale": _("Scale"),
    "year": _("Start year"),
    "status": _("Status"),
}
# Some labels are model names, lower case in Italian ("campo d'azione ANVUR").
FACET_LABELS = {name: capfirst(label) for name, label in FACET_LABELS.items()}


def filter_key(filterset: InitiativeFilter, without: tuple[str, ...] = ()) -> str:
    """The filter state, normalised (sorted, without page, sort and `without`)."""
    data = filterset.data
    skip = ("page", "sort", *without)
    items = sorted((k, v) for k in data for v in data.getlist(k) if k not in skip and v)
    return "&".join(f"{k}={v}" for k, v in items)


def _initiatives(filterset: InitiativeFilter, without: tuple[str, ...]):
    """The initiatives matching every filter but `without`, unordered and
    without the search rank."""
    queryset = filterset.queryset_without(*without, "q")
    query = filterset.active_filters(*without).get("q")
    return queryset.filter(in_list("id", filterset.search_ids(query))) if query else queryset


def _restriction(filterset: InitiativeFilter, without: tuple[str, ...]) -> list[tuple[str, list]]:
    """Conditions to follow an initiative id column, together keeping the
    initiatives that match every filter but `without`: (SQL, parameters)."""
    active = filterset.active_filters(*without)
    if not active:
        # Every public initiative: leaving out the rows of the few hidden ones
        # reads two small indexes, not the whole initiative table.
        return [_sql("NOT IN ({})", hidden.order_by().values("id")) for hidden in hidden_initiatives()]
    if set(active) == {"q"}:
        # The matches of a search are public initiatives: their ids suffice,
        # and a join table is read through its index on them alone.
        return [in_list_sql(filterset.search_ids(active["q"]), connection.vendor)]
    return [_sql("IN ({})", _initiatives(filterset, without).values("id"))]


def _sql(template: str, queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return template.format(sql), list(params)


def of_public(path: str = "initiative") -> Q:
    """The rows (impacts, partnerships...) whose initiative, at `path`, is
    public: those of no hidden initiative, the cheaper test (see
    `hidden_initiatives`)."""
    return Q(*(~Q(**{f"{path}__in": hidden.order_by().values("id")}) for hidden in hidden_initiatives()))


class Year(ExtractYear):
    """The year of a date. On SQLite, read from the ISO text the date is
    stored as: Django's ExtractYear calls a Python function for every row."""

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.lhs)
        return f"CAST(substr({sql}, 1, 4) AS integer)", params


def _attribute_rows(filterset: InitiativeFilter) -> list[tuple[str, int | None, bool, int]]:
    """(scale, start year, ongoing, number of initiatives) for the initiatives
    matching every filter but scale, year and status."""
    today = timezone.localdate()
    ongoing = ExpressionWrapper(Q(end_date__isnull=True) | Q(end_date__gte=today), output_field=BooleanField())
    rows = (
        _initiatives(filterset, ATTRIBUTE_FACETS)
        .values("scale", year=Year("start_date"), ongoing=ongoing)
        .annotate(n=Count("*"))
        .order_by()
    )
    return [(row["scale"], row["year"], row["ongoing"], row["n"]) for row in rows]


def _attribute_facets(filterset: InitiativeFilter, rows) -> tuple[dict[str, list[dict]], int]:
    """The scale, year and status facets and the number of results, from the
    rows of `_attribute_rows`: each facet sums the rows that pass the other
    two's selections, the number of results those that pass all three."""
    chosen = filterset.active_filters()
    tests = {
        "scale": lambda scale, year, ongoing: scale in chosen["scale"],
        "year": lambda scale, year, ongoing: str(year) in chosen["year"],
        "status": lambda scale, year, ongoing: ongoing == (chosen["status"] == InitiativeFilter.STATUS_ONGOING),
    }
    active = {name: test for name, test in tests.items() if name in chosen}

    def totals(facet: str, column: int) -> Counter:
        """Initiatives per value of `column`, among those passing the others."""
        counter = Counter()
        for row in rows:
            if all(test(*row[:3]) for name, test in active.items() if name != facet):
                counter[row[column]] += row[3]
        return counter

    by_scale, by_year, by_status = totals("scale", 0), totals("year", 1), totals("status", 2)
    options = {
        "scale": [
            {"value": value, "label": str(label), "count": by_scale[value]}
            for value, label in Initiative.Scale.choices
            if by_scale[value]
        ],
        "year": [
            {"value": str(year), "label": str(year), "count": by_year[year]}
            for year in sorted((year for year in by_year if year is not None), reverse=True)
        ],
        "status": [
            {"value": InitiativeFilter.STATUS_ONGOING, "label": str(_("Ongoing")), "count": by_status[True]},
            {"value": InitiativeFilter.STATUS_COMPLETED, "label": str(_("Completed")), "count": by_status[False]},
        ],
    }
    count = sum(row[3] for row in rows if all(test(*row[:3]) for test in active.values()))
    return options, count


def _vocabulary_options(filterset: InitiativeFilter, names: list[str]) -> dict[str, list[dict]]:
    """The options of the vocabulary facets `names`: their counts in a single
    statement (each facet's grouped count, joined by UNION ALL), then each
    vocabulary's entries."""
    branches, params, restrictions = [], [], {}
    for name in names:
        facet = VOCABULARY_FACETS[name]
        # Facets not chosen share their restriction (every filter): build it once.
        key = filter_key(filterset, (name,))
        if key not in restrictions:
            restrictions[key] = _restriction(filterset, (name,))
        where = " AND ".join(f"{facet.initiative} {condition}" for condition, _params in restrictions[key])
        branches.append(facet.count_sql.format(where=where))
        params += [name, *(param for _condition, condition_params in restrictions[key] for param in condition_params)]
    counts = {name: {} for name in names}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        for name, entry, n in cursor.fetchall():
            counts[name][entry] = n
    return {name: VOCABULARY_FACETS[name].options(counts[name]) for name in names}


def _cached_facets(filterset: InitiativeFilter, names) -> dict:
    """The vocabulary facets `names` (their options) and, if asked, the
    "attributes" (the rows of `_attribute_rows`), each read from the cache or
    computed, the missing vocabulary facets together."""
    filterset.is_valid()
    prefix = _key_prefix()
    keys = {}
    for name in names:
        without = ATTRIBUTE_FACETS if name == "attributes" else (name,)
        keys[name] = _cache_key(f"facet-{name}", filter_key(filterset, without), prefix=prefix)
    found = cache.get_many(keys.values())
    values = {name: found[key] for name, key in keys.items() if key in found}
    computed = {}
    missing = [name for name in names if name in VOCABULARY_FACETS and name not in values]
    if missing:
        computed.update(_vocabulary_options(filterset, missing))
    if "attributes" in names and "attributes" not in values:
        computed["attributes"] = _attribute_rows(filterset)
    if computed:
        cache.set_many({keys[name]: value for name, value in computed.items()}, TIMEOUT)
    return {**values, **computed}


def _facet_options(filterset: InitiativeFilter, names=tuple(VOCABULARY_FACETS)) -> tuple[dict[str, list[dict]], int]:
    """The options (as dicts) of the vocabulary facets `names` and of scale,
    year and status, and the number of results."""
    values = _cached_facets(filterset, [*names, "attributes"])
    attributes, count = _attribute_facets(filterset, values.pop("attributes"))
    return {**values, **attributes}, count


def facets_and_count(filterset: InitiativeFilter) -> tuple[list[Facet], int]:
    """Every facet with the count of each value among the initiatives matching
    all the *other* filters (values without any are left out, but for the
    status), and the number of initiatives matching all the filters."""
    options, count = _facet_options(filterset)
    result = []
    for name in FACET_NAMES:
        chosen = set(filterset.data.getlist(name))
        choices = [FacetOption(**option, selected=option["value"] in chosen) for option in options[name]]
        result.append(Facet(name, FACET_LABELS[name], choices))
    return result, count


def facets(filterset: InitiativeFilter) -> list[Facet]:
    return facets_and_count(filterset)[0]


def result_count(filterset: InitiativeFilter) -> int:
    """The number of initiatives matching the filters (cached with the facets)."""
    return _attribute_facets(filterset, _cached_facets(filterset, ["attributes"])["attributes"])[1]


def _all_public() -> InitiativeFilter:
    """The filter set of the unfiltered list: its cached facets are the counts
    of the home page and of the statistics as well."""
    return InitiativeFilter(QueryDict(), queryset=public_initiatives())


def public_counts(*names: str) -> tuple[dict[str, list[dict]], int]:
    """The options of the vocabulary facets `names` and of scale, year and
    status over all public initiatives, and their number."""
    return _facet_options(_all_public(), names)


# --- Home ------------------------------------------------------------------------


# What the home page counts (in one statement, whichever part asks first).
HOME_FACETS = ("department", "sector", "sdg")


def headline_figures() -> dict:
    def compute():
        options, count = public_counts(*HOME_FACETS)
        return {
            "initiatives": count,
            "departments": len(options["department"]),
            "partners": Partnership.objects.filter(of_public()).values("organisation").distinct().count(),
            "people_reached": Impact.objects.filter(of_public(), kind=Impact.Kind.ACHIEVED).aggregate(
                total=Sum("people_reached")
            )["total"]
            or 0,
        }

    return cached("figures", compute)


def featured_initiatives(limit: int = 6) -> list[Initiative]:
    """The featured initiatives, completed with the latest ones up to `limit`."""

    def compute() -> list[int]:
        # Two short reads instead of sorting every public initiative on
        # `featured`: the latest featured ones (from the covering index of the
        # public initiatives) and the latest others (from the index on
        # publication), enough of each to fill the list alone.
        latest = public_initiatives().order_by("-published_at", "-id").values_list("id", flat=True)
        return [*latest.filter(featured=True)[:limit], *latest.filter(featured=False)[:limit]][:limit]

    # The ids are cached (per showcase version); the few rows are then fetched
    # by primary key.
    ids = cached("featured", compute, str(limit))
    rows = {row.id: row for row in card_prefetches(public_initiatives().filter(id__in=ids))}
    return [rows[pk] for pk in ids if pk in rows]


def entry_points() -> dict:
    """Sectors (those with public initiatives) and every SDG, with the number
    of public initiatives in each."""

    def compute():
        options, _count = public_counts(*HOME_FACETS)
        sdgs = {option["value"]: option["count"] for option in options["sdg"]}
        return {
            "sectors": [
                {"code": option["value"], "name": option["label"], "count": option["count"]}
                for option in options["sector"]
            ],
            "sdgs": [
                {"number": g.number, "name": g.name, "color": g.color, "count": sdgs.get(str(g.number), 0)}
                for g in SDG.objects.all()
            ],
        }

    return cached("entry-points", compute)


# --- Map --------------------------------------------------------------------------


def map_features(filterset: InitiativeFilter) -> dict:
    """GeoJSON of the places (with coordinates) of the filtered initiatives."""
    language = (get_language() or "it")[:2]

    def compute():
        url_pattern = reverse("initiative-detail", kwargs={"slug": "SLUG"})
        rows = (
            Place.objects.filter(initiative_id__in=filterset.qs.order_by().values("id"), latitude__isnull=False)
            .values_list(
                "latitude",
                "longitude",
                "municipality",
                "initiative__slug",
                "initiative__title_it",
                f"initiative__title_{language}",
            )
            .order_by("id")
        )
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                    "properties": {
                        "title": title or title_it,
                        "place": municipality,
                        "url": url_pattern.replace("SLUG", slug),
                    },
                }
                for lat, lon, municipality, slug, title_it, title in rows
            ],
        }

    return cached("map", compute, filter_key(filterset))
