"""Reads of the public showcase: facet counts and pages of results, headline
figures, entry points and map data, cached until the public initiatives change.

Everything here is read through the showcase's versioned cache
(`showcase.cache`), and every facet count and page of results is taken from
each process's bitmap index of the public initiatives (`facet_index`), kept
under the same version.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from impact.models import SDG, Impact
from initiatives.models import Initiative, Place
from initiatives.showcase import facet_index
from initiatives.showcase.cache import _version, cached
from initiatives.showcase.filters import InitiativeFilter, in_list
from stakeholders.models import Partnership

# --- Cards ------------------------------------------------------------------------


@dataclass
class Card:
    """What a card of an initiative shows (templates/initiatives/_card.html),
    read from one query of the initiatives' own columns and, for their
    departments, sectors and goals, from the bitmap index."""

    slug: str
    title: str
    summary: str
    start_date: object
    end_date: object
    card_departments: list
    card_sectors: list
    card_sdgs: list
    url: str
    # The language each text is shown in: the page's, or Italian where the
    # translation is missing and modeltranslation falls back.
    title_language: str = settings.LANGUAGE_CODE
    summary_language: str = settings.LANGUAGE_CODE

    def get_absolute_url(self) -> str:
        return self.url


def cards(ids: list[int]) -> list[Card]:
    """The cards of the public initiatives `ids`, in that order."""
    found = index()
    language = _index_language(found)
    # One URL resolution for all the cards: the slug is the only variable part.
    url = reverse("initiative-detail", kwargs={"slug": "SLUG"})
    columns = {"slug", "title_it", f"title_{language}", "summary_it", f"summary_{language}", "start_date", "end_date"}
    rows = {
        row["id"]: row
        for row in Initiative.objects.public().filter(in_list("id", ids)).order_by().values("id", *columns)
    }
    result = []
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            continue
        position = found.position.get(pk)

        def linked(name: str, position=position) -> list:
            return found.linked(name, position, language) if position is not None else []

        result.append(
            Card(
                slug=row["slug"],
                # As modeltranslation falls back: an empty translation shows the Italian.
                title=row[f"title_{language}"] or row["title_it"],
                summary=row[f"summary_{language}"] or row["summary_it"] or "",
                title_language=language if row[f"title_{language}"] else settings.LANGUAGE_CODE,
                summary_language=language if row[f"summary_{language}"] else settings.LANGUAGE_CODE,
                start_date=row["start_date"],
                end_date=row["end_date"],
                card_departments=linked("department"),
                card_sectors=linked("sector"),
                card_sdgs=linked("sdg"),
                url=url.replace("SLUG", row["slug"]),
            )
        )
    return result


def untranslated(initiative, language: str | None = None) -> list[str]:
    """The texts of `initiative` (title, summary, description, objectives)
    written in Italian but not in `language` (the current one), which the page
    then shows in Italian."""
    language = language or get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return []
    return [
        field
        for field in ("title", "summary", "description", "objectives")
        if getattr(initiative, f"{field}_{settings.LANGUAGE_CODE}") and not getattr(initiative, f"{field}_{language}")
    ]


CITATION_AUTHORS = 3


def citation(initiative, url: str) -> str:
    """How to cite `initiative` (its public page at the absolute `url`):
    "Ferrero G., Rossi M. (2024). Title. PoliTO per il Sociale, Politecnico di
    Torino. URL". The lead first, then the members in their order, the first
    three and "et al."; the year the initiative started, else the year it was
    published; the title in the page's language."""
    people = sorted(initiative.participations.all(), key=lambda p: (p.role != p.Role.LEAD, p.position, p.id))
    names = [f"{p.person.last_name} {p.person.first_name[:1]}." for p in people if p.person.last_name]
    authors = ", ".join(names[:CITATION_AUTHORS]) + (" et al." if len(names) > CITATION_AUTHORS else "")
    day = initiative.start_date or initiative.published_at
    year = f" ({day.year})" if day else ""
    title = initiative.title.rstrip(".")
    head = f"{authors}{year}. " if authors else (f"{year.strip()}. " if year else "")
    return f"{head}{title}. {_('PoliTO for Society')}, Politecnico di Torino. {url}"


# --- Facets and results of the list ----------------------------------------------
#
# A facet's counts are taken among the initiatives matching every filter but
# its own, so that choosing a value never hides its siblings. They come from
# the bitmap index of the public initiatives (`facet_index`): each active
# filter keeps a bitmap (the OR of its chosen values), a facet counts each of
# its values within the AND of the other filters' bitmaps, and the results are
# the AND of them all. Only the search asks the database (once per query,
# cached), for its matches.


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


VOCABULARY_FACETS = tuple(facet_index.VOCABULARIES)
FACET_NAMES = (*VOCABULARY_FACETS, "scale", "year", "status")
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


def filter_key(filterset: InitiativeFilter) -> str:
    """The filter state, normalised (sorted, without page and sort), of the
    filters that apply: an unknown parameter or an invalid value, which the
    results ignore, does not make another key (nor fill the cache)."""
    data = filterset.data
    filterset.is_valid()
    applied = set(filterset.filters) - set(filterset.form.errors) - {"sort"}
    items = sorted({(k, v) for k in data if k in applied for v in data.getlist(k) if v})
    return "&".join(f"{k}={v}" for k, v in items)


def of_public(path: str = "initiative") -> Q:
    """The rows (impacts, partnerships...) whose initiative, at `path`, is
    public: those of no hidden initiative, the cheaper test (see
    `Initiative.objects.hidden()`)."""
    return Q(*(~Q(**{f"{path}__in": hidden.order_by().values("id")}) for hidden in Initiative.objects.hidden()))


def index() -> facet_index.FacetIndex:
    """The bitmap index of the current showcase version."""
    return facet_index.current(_version())


def _selections(filterset: InitiativeFilter, found: facet_index.FacetIndex) -> dict[str, int]:
    """The bitmap of the initiatives each active filter keeps, by filter
    (worked out once per filter set and index: the facets, the count and the
    page of a request all read it)."""
    memo = getattr(filterset, "_selections", None)
    if memo is None or memo[0] is not found:
        filterset._selections = (found, _selections_of(filterset, found))
    return filterset._selections[1]


def _selections_of(filterset: InitiativeFilter, found: facet_index.FacetIndex) -> dict[str, int]:
    selections = {}
    for name, value in filterset.active_filters().items():
        if name == "q":
            matches = found.positions_of_ids(filterset.search_ids(value))
            selections[name] = facet_index.bitmap(matches, found.size)
        elif name == "status":
            ongoing = found.ongoing()
            selections[name] = ongoing if value == InitiativeFilter.STATUS_ONGOING else found.everything & ~ongoing
        else:
            if name in facet_index.VOCABULARIES:
                key = facet_index.VOCABULARIES[name].key
                chosen = {str(getattr(entry, key)) for entry in value}
            else:
                chosen = {str(v) for v in value}
            bits = 0
            for key in chosen:
                bits |= found.values[name].get(key, 0)
            selections[name] = bits
    return selections


def _within(found: facet_index.FacetIndex, selections: dict[str, int], without: str = "") -> int:
    """The initiatives passing every selection but `without`'s."""
    bits = found.everything
    for name, selection in selections.items():
        if name != without:
            bits &= selection
    return bits


def _index_language(found: facet_index.FacetIndex) -> str:
    language = get_language() or settings.LANGUAGE_CODE
    return language if (VOCABULARY_FACETS[0], language) in found.entries else settings.LANGUAGE_CODE


def _options(
    found: facet_index.FacetIndex, selections: dict[str, int], names, chosen: dict[str, set[str]] | None = None
) -> dict[str, list[dict]]:
    """The options (as dicts) of the facets `names`: the values with
    initiatives among those passing the other facets' selections, and the
    values `chosen` even at zero, so that a search finding nothing still shows
    what was chosen (the status shows both values, even at zero)."""
    language = _index_language(found)
    options = {}
    for name in names:
        base = _within(found, selections, name)
        values = found.values.get(name, {})
        kept = (chosen or {}).get(name, set())

        def count(value: str, base: int = base, values: dict = values) -> int:
            return (base & values.get(value, 0)).bit_count()

        if name in facet_index.VOCABULARIES:
            rows = [(entry, count(entry.value)) for entry in found.entries[name, language]]
            options[name] = [
                {"value": entry.value, "label": entry.label, "count": n, "color": entry.color}
                for entry, n in rows
                if n or entry.value in kept
            ]
        elif name == "scale":
            rows = [(value, str(label), count(value)) for value, label in Initiative.Scale.choices]
            options[name] = [
                {"value": value, "label": label, "count": n} for value, label, n in rows if n or value in kept
            ]
        elif name == "year":
            rows = [(year, count(year)) for year in sorted(values, key=int, reverse=True)]
            options[name] = [{"value": year, "label": year, "count": n} for year, n in rows if n or year in kept]
        elif name == "status":
            ongoing = found.ongoing()
            options[name] = [
                {
                    "value": InitiativeFilter.STATUS_ONGOING,
                    "label": str(_("Ongoing")),
                    "count": (base & ongoing).bit_count(),
                },
                {
                    "value": InitiativeFilter.STATUS_COMPLETED,
                    "label": str(_("Completed")),
                    "count": (base & ~ongoing).bit_count(),
                },
            ]
    return options


def facets_and_count(filterset: InitiativeFilter) -> tuple[list[Facet], int]:
    """Every facet with the count of each value among the initiatives matching
    all the *other* filters (values without any are left out, but for the
    status and the values chosen), and the number of initiatives matching all
    the filters."""
    filterset.is_valid()
    found = index()
    selections = _selections(filterset, found)
    chosen = {name: set(filterset.data.getlist(name)) for name in FACET_NAMES}
    options = _options(found, selections, FACET_NAMES, chosen)
    result = []
    for name in FACET_NAMES:
        choices = [FacetOption(**option, selected=option["value"] in chosen[name]) for option in options[name]]
        result.append(Facet(name, FACET_LABELS[name], choices))
    return result, _within(found, selections).bit_count()


def result_count(filterset: InitiativeFilter) -> int:
    """The number of initiatives matching the filters."""
    filterset.is_valid()
    found = index()
    return _within(found, _selections(filterset, found)).bit_count()


def public_counts(*names: str) -> tuple[dict[str, list[dict]], int]:
    """The options of the facets `names` over all public initiatives, and
    their number."""
    found = index()
    return _options(found, {}, names), found.size


class Results:
    """The initiatives matching a filter set, in its sort order, as the
    paginator reads them: `count()`, then a slice, whose rows (with what a
    card shows) are fetched by primary key."""

    def __init__(self, filterset: InitiativeFilter):
        filterset.is_valid()
        self.index = index()
        selections = _selections(filterset, self.index)
        self.bits = _within(self.index, selections)
        self.sort = filterset.active_sort
        self.filterset = filterset

    def count(self) -> int:
        return self.bits.bit_count()

    def __len__(self) -> int:
        return self.count()

    def _positions(self):
        """The matching positions in the sort order."""
        found = self.index
        if self.sort == "newest" or (self.sort == "relevance" and "q" not in self.filterset.active_filters()):
            return facet_index.positions_of(self.bits)
        if self.sort == "relevance":
            # The most relevant first, then the newest.
            ranks = self.filterset.search_ranks(self.filterset.active_filters()["q"])
            position = found.position
            order = sorted((position[pk] for pk in ranks if pk in position), key=lambda n: (-ranks[found.ids[n]], n))
        elif self.sort == "title":
            order = found.order(f"title-{_index_language(found)}")
        else:
            order = found.order("start")
        flags = format(self.bits, "b")[::-1]
        return (n for n in order if n < len(flags) and flags[n] == "1")

    def __getitem__(self, window: slice) -> list[Card]:
        if not isinstance(window, slice):
            raise TypeError("Results are read by slices")
        ids = [self.index.ids[n] for n in islice(self._positions(), window.start or 0, window.stop)]
        return cards(ids)


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


def latest_cards(facet: str, value: str, limit: int) -> list[Card]:
    """The cards of the `limit` newest public initiatives with `value` in the
    vocabulary facet `facet` (a department's, a sector's page)."""
    found = index()
    positions = islice(facet_index.positions_of(found.values[facet].get(value, 0)), limit)
    return cards([found.ids[n] for n in positions])


def facet_count(facet: str, value: str) -> int:
    """The number of public initiatives with `value` in the vocabulary facet `facet`."""
    return index().values[facet].get(value, 0).bit_count()


def featured_initiatives(limit: int = 6) -> list[Card]:
    """The featured initiatives, completed with the latest ones up to `limit`."""

    def compute() -> list[int]:
        # Two short reads instead of sorting every public initiative on
        # `featured`: the latest featured ones (from the covering index of the
        # public initiatives) and the latest others (from the index on
        # publication), enough of each to fill the list alone.
        latest = Initiative.objects.public().order_by("-published_at", "-id").values_list("id", flat=True)
        groups = [latest.filter(featured=True), latest.filter(featured=False)]
        if language != settings.LANGUAGE_CODE:
            # A visitor reading another language first sees what is translated.
            translated = latest.exclude(**{f"title_{language}": ""}).exclude(**{f"title_{language}__isnull": True})
            groups = [translated.filter(featured=True), translated.filter(featured=False), *groups]
        ids = []
        for group in groups:
            ids.extend(pk for pk in group[:limit] if pk not in ids)
        return ids[:limit]

    # The ids are cached (per showcase version and language); the few rows are
    # then fetched by primary key.
    language = get_language() or settings.LANGUAGE_CODE
    return cards(cached("featured", compute, str(limit)))


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
