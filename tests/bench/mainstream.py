"""The three clever parts of the showcase and the ANVUR export against the
mainstream Django way of doing the same, at 10,000 initiatives on PostgreSQL.

    make bench-mainstream        # part of make bench
    .venv/bin/python -m tests.bench.mainstream [--iterations 20] [--rebuild]

The database named by DATABASE_URL (default pops_bench_mainstream; its name
must start with "pops_bench": the script creates, fills and may drop it) is built once with
the data of `make bench` and reused by later runs. Each row times the clever
and the mainstream variants in the same loop, alternating their order, and
prints medians (and 95th percentiles) of server time in-process
(django.test.Client), as `make bench` does:

(a) the public list: the bitmap index (`facet_index`, `reads.facets_and_count`,
    `reads.Results`) against one COUNT ... GROUP BY per facet through the
    InitiativeFilter queryset and a paginated queryset with prefetch_related;
(b) the search: the raw SQL of `search.matches_sql` against
    `django.contrib.postgres.search` (SearchQuery and SearchRank over the
    stored weighted vectors of migration 0008, given the GIN index a
    SearchVectorField would have, and TrigramWordSimilarity on the titles when
    nothing matches), on its own and inside the list page;
(c) the ANVUR CSV of every initiative: the COPY path (`Report.database_csv`)
    against an ORM queryset with one StringAgg subquery per multi-valued
    column written by csv.writer (`iter_csv`), both as a ratio to PostgreSQL's
    own COPY of the same initiative rows, with the mainstream path's peak
    Python memory at half and at all of the rows.

The mainstream variants are swapped in by replacing module attributes for the
duration of a request; the production code is not changed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass

SIZE = 10_000
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pops_bench_mainstream"
TRIVIAL_URL = "/bench-trivial/"
EXPORT_YEAR = 2025
QUERIES = ("orti", "spazio condiviso", "Mirafori")
PAGE_SIZE = 20

# The URLconf while measuring: the project's and the trivial view (filled in main()).
urlpatterns: list = []


# --- The database -----------------------------------------------------------------


def _prepare_database(url: str, size: int, rebuild: bool) -> None:
    """Create the database if it is missing (or `rebuild`), migrate, and fill
    it with `size` initiatives unless it already holds exactly those."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not name.startswith("pops_bench"):
        raise SystemExit(f"refusing to build into {name!r}: use a database named pops_bench*")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    count = None
    if exists and not rebuild:
        with psycopg.connect(url, autocommit=True) as connection:
            found = connection.execute("SELECT to_regclass('initiatives_initiative')").fetchone()[0]
            if found:
                count = connection.execute("SELECT count(*) FROM initiatives_initiative").fetchone()[0]
    if count not in (None, 0, size) or rebuild or not exists:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        count = None

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if count != size:
        from tests.bench.showcase import build

        started = time.perf_counter()
        build(size)
        print(f"built {size:,} initiatives in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        # What a SearchVectorField would come with (django.contrib.postgres
        # GinIndex): the mainstream search reads the stored vectors through it.
        for config in ("italian", "english"):
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS bench_mainstream_search_{config} "
                f"ON initiatives_initiative USING gin (search_rank_{config})"
            )
        # And GinIndex(OpClass(title, name="gin_trgm_ops")) for its typo fallback.
        for column in ("title_it", "title_en"):
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS bench_mainstream_trigram_{column} "
                f"ON initiatives_initiative USING gin ({column} gin_trgm_ops)"
            )
        cursor.execute("VACUUM ANALYZE")


# --- (a) Mainstream facets: the ORM ---------------------------------------------------


def orm_facets_and_count(filterset):
    """`reads.facets_and_count` the way a django-filter faceted list does it:
    for each facet, one COUNT ... GROUP BY over the InitiativeFilter queryset
    of every other filter, the vocabulary's rows read in the same query."""
    from django.db.models import Count, Q
    from django.db.models.functions import ExtractYear
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from initiatives.models import Initiative
    from initiatives.showcase import facet_index
    from initiatives.showcase.filters import InitiativeFilter
    from initiatives.showcase.reads import FACET_LABELS, FACET_NAMES, Facet, FacetOption

    filterset.is_valid()
    data = filterset.data
    facets = []
    for name in FACET_NAMES:
        others = data.copy()
        others.pop(name, None)
        base = InitiativeFilter(others, queryset=Initiative.objects.public()).qs.order_by()
        chosen = set(data.getlist(name))
        options = []
        if name in facet_index.VOCABULARIES:
            vocabulary = facet_index.VOCABULARIES[name]
            model = vocabulary.model
            if vocabulary.field:
                path = Initiative._meta.get_field(vocabulary.field).related_query_name()
                counted = Count(path)
            else:
                path = "organisations__partnerships__initiative"
                counted = Count(path, distinct=True)
            rows = (
                model.objects.filter(**{f"{path}__in": base.values("id")})
                .annotate(n=counted)
                .order_by(*(model._meta.ordering or ["pk"]))
            )
            for row in rows:
                value = str(getattr(row, vocabulary.key))
                options.append(
                    FacetOption(
                        value,
                        str(vocabulary.label(row)),
                        row.n,
                        value in chosen,
                        row.color if vocabulary.color else "",
                    )
                )
        elif name == "scale":
            counts = dict(base.values_list("scale").annotate(n=Count("id")))
            for value, label in Initiative.Scale.choices:
                if counts.get(value):
                    options.append(FacetOption(value, str(label), counts[value], value in chosen))
        elif name == "year":
            counts = base.annotate(y=ExtractYear("start_date")).values_list("y").annotate(n=Count("id")).order_by("-y")
            options = [FacetOption(str(y), str(y), n, str(y) in chosen) for y, n in counts if y is not None]
        elif name == "status":
            today = timezone.localdate()
            ongoing = Q(end_date__isnull=True) | Q(end_date__gte=today)
            counts = base.aggregate(ongoing=Count("id", filter=ongoing), completed=Count("id", filter=~ongoing))
            options = [
                FacetOption(InitiativeFilter.STATUS_ONGOING, _("Ongoing"), counts["ongoing"]),
                FacetOption(InitiativeFilter.STATUS_COMPLETED, _("Completed"), counts["completed"]),
            ]
            for option in options:
                option.selected = option.value in chosen
        facets.append(Facet(name, FACET_LABELS[name], options))
    return facets, filterset.qs.count()


class OrmResults:
    """`reads.Results` as a paginated queryset: COUNT, then the page's rows
    with their departments, sectors and goals prefetched."""

    def __init__(self, filterset):
        self.queryset = filterset.qs

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice):
        from django.conf import settings
        from django.utils.translation import get_language

        from initiatives.showcase import facet_index
        from initiatives.showcase.reads import Card

        language = get_language() or settings.LANGUAGE_CODE
        page = self.queryset.prefetch_related("departments", "sectors", "sdgs")[window]

        def entries(name: str, rows) -> list:
            vocabulary = facet_index.VOCABULARIES[name]
            return [facet_index._entry(name, vocabulary, row, str(getattr(row, vocabulary.key))) for row in rows]

        return [
            Card(
                slug=i.slug,
                title=getattr(i, f"title_{language}", None) or i.title_it,
                summary=getattr(i, f"summary_{language}", None) or i.summary_it or "",
                start_date=i.start_date,
                end_date=i.end_date,
                card_departments=entries("department", i.departments.all()),
                card_sectors=entries("sector", i.sectors.all()),
                card_sdgs=entries("sdg", i.sdgs.all()),
                url=i.get_absolute_url(),
            )
            for i in page
        ]


# --- (b) Mainstream search: django.contrib.postgres.search -------------------------------


def orm_ranked_matches(queryset, query: str) -> dict[int, float]:
    """`search.ranked_matches` with django.contrib.postgres.search: the stored
    weighted vectors (as SearchVectorFields) matched by a websearch
    SearchQuery per configuration and ranked by SearchRank; when no text
    matches, TrigramWordSimilarity on the titles; partners and people by name."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField, TrigramWordSimilarity
    from django.db.models import F, Q
    from django.db.models.expressions import RawSQL
    from django.db.models.functions import Greatest

    from initiatives.models import Initiative
    from initiatives.showcase.search import CONFIGS, _related_matches, normalise

    query = normalise(query)
    if not query:
        return {}
    table = Initiative._meta.db_table
    vectors = {f"v_{c}": RawSQL(f'"{table}"."search_rank_{c}"', [], output_field=SearchVectorField()) for c in CONFIGS}
    queries = {c: SearchQuery(query, config=c, search_type="websearch") for c in CONFIGS}
    matched = Q()
    for config in CONFIGS:
        matched |= Q(**{f"v_{config}": queries[config]})
    rank = Greatest(*(SearchRank(F(f"v_{c}"), queries[c], normalization=1) for c in CONFIGS))
    ranks = dict(queryset.annotate(**vectors).filter(matched).annotate(rank=rank).values_list("id", "rank"))
    if not ranks:
        # The trigram_word_similar lookup (pg_trgm's `%>`, at the threshold
        # the project sets) is what the titles' trigram indexes serve.
        similar = Q(title_it__trigram_word_similar=query) | Q(title_en__trigram_word_similar=query)
        similarity = Greatest(TrigramWordSimilarity(query, "title_it"), TrigramWordSimilarity(query, "title_en"))
        ranks = dict(queryset.filter(similar).annotate(similarity=similarity).values_list("id", "similarity"))
    partners, people = _related_matches(query)
    for pk in queryset.filter(Q(id__in=partners) | Q(id__in=people)).values_list("id", flat=True):
        ranks.setdefault(pk, 0.0)
    return {pk: float(r) for pk, r in ranks.items()}


# --- (c) Mainstream ANVUR export: StringAgg + csv.writer --------------------------------


def orm_anvur_rows(queryset, year: int, chunk_size: int = 2000):
    """The rows of `anvur.Report`, from one ORM queryset: a StringAgg
    subquery per multi-valued column, the rest spelled in Python."""
    from django.contrib.postgres.aggregates import StringAgg
    from django.db.models import Case, CharField, F, OuterRef, Q, Subquery, Value, When
    from django.db.models.functions import Cast, Collate, Concat
    from django.utils import translation

    from impact import anvur
    from initiatives.models import Initiative, Participation, Place
    from stakeholders.models import Partnership

    join = anvur.JOIN

    def listed(rows, value, *order):
        grouped = rows.filter(initiative_id=OuterRef("pk")).order_by().values("initiative_id")
        return Subquery(grouped.annotate(v=StringAgg(value, join, order_by=order)).values("v")[:1])

    def m2m(field: str, attribute: str, *order, where=None):
        through = Initiative._meta.get_field(field).remote_field.through
        target = Initiative._meta.get_field(field).m2m_reverse_field_name()
        keys = [Collate(F(f"{target}__{key}"), "C") if key == "code" else F(f"{target}__{key}") for key in order]
        return listed(through.objects.filter(where or Q()), F(f"{target}__{attribute}"), *keys, F(f"{target}_id"))

    def sdg_number():
        through = Initiative.sdgs.through
        return listed(through.objects.all(), Cast("sdg__number", CharField()), F("sdg__number"), F("sdg_id"))

    in_force = Q(publicengagementcategory__valid_from__lte=year) & (
        Q(publicengagementcategory__valid_to__isnull=True) | Q(publicengagementcategory__valid_to__gte=year)
    )
    annotations = {
        "x_lead": listed(
            Participation.objects.filter(role=Participation.Role.LEAD),
            Concat("person__first_name", Value(" "), "person__last_name", output_field=CharField()),
            F("position"),
            F("id"),
        ),
        "x_places": listed(
            Place.objects.all(),
            Concat(
                "municipality",
                Case(
                    When(~Q(province=""), then=Concat(Value(" ("), "province", Value(")"))),
                    default=Value(""),
                    output_field=CharField(),
                ),
                output_field=CharField(),
            ),
            F("id"),
        ),
        "x_partners": listed(
            Partnership.objects.filter(role__in=Partnership.ANVUR_PARTNER_ROLES),
            F("organisation__name"),
            F("position"),
            F("id"),
        ),
        "x_pe_code": m2m("pe_categories", "code", "code", where=in_force),
        "x_pe_name": m2m("pe_categories", "name_it", "code", where=in_force),
        "x_fa_code": m2m("fields_of_action", "code", "code"),
        "x_fa_name": m2m("fields_of_action", "name_it", "code"),
        "x_dep_code": m2m("departments", "code", "code"),
        "x_sdg_code": sdg_number(),
        "x_sdg_name": m2m("sdgs", "name_it", "number"),
        "x_sec_code": m2m("sectors", "code", "code"),
        "x_sec_name": m2m("sectors", "name_it", "code"),
        "x_areas": m2m("intervention_areas", "name_it"),
        "x_objectives": m2m("performance_objectives", "code"),
    }
    with translation.override("it"):
        scale_labels = {code: str(label) for code, label in Initiative.Scale.choices}
    names = [
        "slug",
        "title_it",
        "x_lead",
        "start_date",
        "end_date",
        "x_places",
        "x_partners",
        "x_pe_code",
        "x_pe_name",
        "x_fa_code",
        "x_fa_name",
        "budget",
        "external_funding",
        "participants",
        "web_accesses",
        "publication_copies",
        "media_audience",
        "impact_evaluated",
        "website",
        "x_dep_code",
        "scale",
        "x_sdg_code",
        "x_sdg_name",
        "keywords",
        "x_sec_code",
        "x_sec_name",
        "x_areas",
        "x_objectives",
        "state",
    ]
    rows = queryset.annotate(**annotations).values_list(*names).iterator(chunk_size=chunk_size)
    # How a value is written where the cell is not the value itself.
    written = {"impact_evaluated": lambda evaluated: "sì" if evaluated else "no", "keywords": anvur.keywords_cell}
    for row in rows:
        cells = [year]
        for name, value in zip(names, row, strict=True):
            cells.append(written[name](value) if name in written else value)
            if name == "scale":
                cells.append(scale_labels.get(value, value))
        yield cells


def raw_copy(queryset) -> int:
    """PostgreSQL's own COPY of the initiative rows of `queryset` (bytes)."""
    import psycopg
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    size = 0
    with raw.cursor() as cursor:
        literal = psycopg.ClientCursor(raw).mogrify(sql, params)
        with cursor.copy(f"COPY ({literal}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                size += len(block)
    return size


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    median: float
    p95: float
    queries: int | None = None
    note: str = ""


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[max(0, round(len(values) * 0.95) - 1)]


@contextmanager
def patched(**replacements):
    """Replace module attributes ("module:attribute" spelled module__attribute)."""
    import importlib

    saved = []
    for key, value in replacements.items():
        module_name, attribute = key.rsplit("__", 1)
        module = importlib.import_module(module_name.replace("__", "."))
        saved.append((module, attribute, getattr(module, attribute)))
        setattr(module, attribute, value)
    try:
        yield
    finally:
        for module, attribute, value in saved:
            setattr(module, attribute, value)


def _variants():
    from initiatives.showcase import reads

    orm_facets = {
        "initiatives__showcase__reads__facets_and_count": orm_facets_and_count,
        "initiatives__showcase__reads__Results": OrmResults,
    }
    orm_search = {"initiatives__showcase__filters__ranked_matches": orm_ranked_matches}
    assert reads.facets_and_count is not orm_facets_and_count
    return {
        "current": {},
        "ORM counts": orm_facets,
        "contrib.postgres search": orm_search,
        "ORM counts + contrib.postgres search": {**orm_facets, **orm_search},
    }


def _prepare(mode: str) -> None:
    """As `make bench`: "new" empties the cache and keeps the showcase version
    (the process keeps its bitmap index), "published" replaces the version
    (every cache retired, the index rebuilt on the next read)."""
    from django.core.cache import cache

    from initiatives.showcase.cache import VERSION_KEY, showcase_cache_invalidate
    from pops.cache import versions

    if mode == "new":
        version = versions().get(VERSION_KEY)
        cache.clear()
        versions().set(VERSION_KEY, version, None)
    else:
        showcase_cache_invalidate()


def measure_pages(client, iterations: int) -> list[Row]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from initiatives.models import Sector

    variants = _variants()
    list_url = reverse("initiative-list")
    sector = Sector.objects.order_by("code").values_list("code", flat=True)[0]
    pages = [
        ("list, no filter", list_url, ("current", "ORM counts")),
        ("list, 3 facets", f"{list_url}?sector={sector}&scale=local&status=ongoing", ("current", "ORM counts")),
    ]
    for query in QUERIES:
        every = ("current", "contrib.postgres search", "ORM counts + contrib.postgres search")
        pages.append((f"list, search {query!r}", f"{list_url}?q={query.replace(' ', '+')}", every))

    def timed(url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    rows, trivial = [], []
    for mode, label in (("new", "new request"), ("published", "after publishing")):
        for page, url, names in pages:
            for name in names:  # warm-up
                with patched(**variants[name]):
                    _prepare(mode)
                    client.get(url)
            timings = {name: [] for name in names}
            for n in range(iterations):
                trivial.append(timed(TRIVIAL_URL))
                order = names[n % len(names) :] + names[: n % len(names)]
                for name in order:
                    with patched(**variants[name]):
                        _prepare(mode)
                        timings[name].append(timed(url))
            for name in names:
                with patched(**variants[name]):
                    _prepare(mode)
                    with CaptureQueriesContext(connection) as captured:
                        client.get(url)
                kind = "clever" if name == "current" else "mainstream"
                rows.append(
                    Row(
                        f"{kind}: {page}, {name} ({label})",
                        statistics.median(timings[name]),
                        _p95(timings[name]),
                        len(captured.captured_queries),
                    )
                )
    rows.insert(0, Row("trivial view (between the rows)", statistics.median(trivial), _p95(trivial)))
    return rows


def measure_search(iterations: int) -> list[Row]:
    from initiatives.models import Initiative
    from initiatives.showcase.search import ranked_matches

    queryset = Initiative.objects.public()
    rows = []
    for query in QUERIES:
        clever, mainstream = ranked_matches(queryset, query), orm_ranked_matches(queryset, query)
        common = clever.keys() & mainstream.keys()
        same_ranks = all(abs(clever[k] - mainstream[k]) < 1e-6 for k in common)
        note = (
            f"matches {len(clever)} vs {len(mainstream)}, common {len(common)}; "
            f"same ranks: {'yes' if same_ranks else 'no'}"
        )
        timings: dict[str, list[float]] = {"clever": [], "mainstream": []}
        functions = {"clever": ranked_matches, "mainstream": orm_ranked_matches}
        for n in range(iterations):
            for name in ("clever", "mainstream") if n % 2 else ("mainstream", "clever"):
                started = time.perf_counter()
                functions[name](queryset, query)
                timings[name].append((time.perf_counter() - started) * 1000)
        rows.append(
            Row(
                f"clever: search {query!r}, matches_sql (alone)",
                statistics.median(timings["clever"]),
                _p95(timings["clever"]),
            )
        )
        rows.append(
            Row(
                f"mainstream: search {query!r}, SearchQuery/SearchRank/Trigram (alone)",
                statistics.median(timings["mainstream"]),
                _p95(timings["mainstream"]),
                note=note,
            )
        )
    return rows


def measure_export(rounds: int) -> tuple[list[str], dict]:
    from impact import anvur
    from initiatives.models import Initiative
    from pops.spreadsheets import CSV, iter_csv

    queryset = Initiative.objects.filter(state=Initiative.State.PUBLISHED).order_by("start_date", "pk")
    total = queryset.count()

    def clever(qs=queryset):
        return b"".join(iter_csv(anvur.HEADER, anvur.Report(qs, year=EXPORT_YEAR), fmt=CSV))

    def mainstream(qs=queryset):
        return b"".join(iter_csv(anvur.HEADER, orm_anvur_rows(qs, EXPORT_YEAR), fmt=CSV))

    def streamed(function, qs):
        """The export consumed chunk by chunk, as a response streams it."""
        if function is clever:
            chunks = iter_csv(anvur.HEADER, anvur.Report(qs, year=EXPORT_YEAR), fmt=CSV)
        else:
            chunks = iter_csv(anvur.HEADER, orm_anvur_rows(qs, EXPORT_YEAR), fmt=CSV)
        return sum(len(chunk) for chunk in chunks)

    same = clever() == mainstream()
    functions = {
        "COPY": lambda: raw_copy(queryset),
        "clever": lambda: streamed(clever, queryset),
        "mainstream": lambda: streamed(mainstream, queryset),
    }
    timings = {name: [] for name in functions}
    names = list(functions)
    for n in range(rounds):
        for name in names[n % 3 :] + names[: n % 3]:
            started = time.perf_counter()
            functions[name]()
            timings[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in timings.items()}

    def peak(function, qs) -> float:
        tracemalloc.start()
        try:
            streamed(function, qs)
            return tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()

    half = queryset.filter(pk__in=queryset.order_by("pk").values("pk")[: total // 2])
    peaks = {
        (name, size): peak(function, qs)
        for name, function in (("clever", clever), ("mainstream", mainstream))
        for size, qs in ((total // 2, half), (total, queryset))
    }
    lines = [
        f"ANVUR CSV of all {total:,} initiatives; median of {rounds} interleaved runs;"
        " peak = tracemalloc, in a separate pass",
        f"{'export':<58}{'s':>8}{'× COPY':>9}{'peak MiB @' + format(total // 2, ','):>18}"
        f"{'peak MiB @' + format(total, ','):>18}",
    ]
    labels = {
        "COPY": "PostgreSQL COPY of the initiative rows",
        "clever": "clever: ANVUR CSV, COPY of the spelled report",
        "mainstream": "mainstream: ANVUR CSV, StringAgg + csv.writer",
    }
    for name in names:
        row = f"{labels[name]:<58}{medians[name]:>8.3f}{medians[name] / medians['COPY']:>8.1f}×"
        if name != "COPY":
            row += f"{peaks[name, total // 2]:>18.1f}{peaks[name, total]:>18.1f}"
        lines.append(row)
    lines.append(f"mainstream CSV byte for byte the clever one: {'yes' if same else 'NO'}")
    return lines, medians


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20, help="timed requests per variant and row")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each export")
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pops.settings")
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    # As `make bench`: no debug, the in-process cache.
    os.environ["DEBUG"] = "false"
    os.environ["REDIS_URL"] = ""
    import django

    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import path
    from django.utils import translation

    from pops import urls as project_urls

    if connection.vendor != "postgresql":
        raise SystemExit("this bench compares PostgreSQL paths: set DATABASE_URL to a pops_bench* database")
    started = time.perf_counter()
    _prepare_database(os.environ["DATABASE_URL"], options.size, options.rebuild)
    urlpatterns[:] = [*project_urls.urlpatterns, path(TRIVIAL_URL.strip("/") + "/", lambda r: HttpResponse("ok"))]
    translation.activate("it")
    client = Client()
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False, ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
        pages = measure_pages(client, options.iterations)
        search = measure_search(options.iterations * 2)
    export_lines, _medians = measure_export(options.rounds)

    print(
        f"Clever vs mainstream at {options.size:,} published initiatives, PostgreSQL "
        f"{connection.pg_version // 10000}.{connection.pg_version % 10000}; {options.iterations} timed requests per "
        "variant and row, variants interleaved"
    )
    print("server time in-process (django.test.Client), ms; q = queries per request")
    print("new request = cache emptied, showcase version (and bitmap index) kept; after publishing = version replaced")
    print("target: a page nobody asked for before <= 50 ms")
    print()
    width = max(len(row.name) for row in pages + search) + 2
    print(f"{'page':<{width}}{'median':>8}{'p95':>8}{'q':>5}")
    print("-" * (width + 21))
    for row in pages:
        queries = "" if row.queries is None else row.queries
        print(f"{row.name:<{width}}{row.median:>8.1f}{row.p95:>8.1f}{queries:>5}")
    print()
    print(f"{'search alone (ranked matches)':<{width}}{'median':>8}{'p95':>8}")
    print("-" * (width + 16))
    for row in search:
        print(f"{row.name:<{width}}{row.median:>8.1f}{row.p95:>8.1f}  {row.note}")
    print()
    print("target: the ANVUR export <= 3× PostgreSQL COPY, with flat memory")
    for line in export_lines:
        print(line)
    print(f"\ndone in {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
