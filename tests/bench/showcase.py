"""`make bench`: server time of the public showcase at 10,000 initiatives.

`python -m tests.bench.showcase [--size N] [--iterations N] [--warmup N]`
builds (once) a separate database of 10,000 published initiatives with
realistic relations, in a SQLite file and, when reachable, in PostgreSQL,
then runs each page in-process with django.test.Client and prints, for each
backend, the median and 95th percentile server time, the ratio to a trivial
Django view measured in the same run, and the queries per page.

Each backend runs in a child process (this script with --worker), because
the database is chosen by DATABASE_URL when the settings load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from tests.bench import setup_django

SQLITE_URL = "sqlite:////tmp/pops_bench.sqlite3"
# How each page is measured (see _prepare).
MODES = (("cached", "cached page"), ("new", "new request"), ("published", "after publishing"))
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/pops_bench"
SIZE = 10_000
TRIVIAL_URL = "/bench-trivial/"
PROJECT_DIR = Path(__file__).resolve().parent.parent.parent


def trivial(request):
    return HttpResponse("ok")


# The URLconf used while measuring: the project's, plus the trivial view.
urlpatterns: list = []


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.showcase",
        description="Measure the public showcase pages on 10,000 initiatives (SQLite and PostgreSQL).",
    )
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--worker", action="store_true", help="Internal: measure the current database.")
    parser.add_argument("--sqlite-url", default=SQLITE_URL)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL))
    parser.add_argument("--keep", action="store_true", help="Keep the PostgreSQL database afterwards.")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    options = parse_args(argv)
    if options.worker:
        setup_django()
        print(json.dumps(measure(options.size, options.iterations, options.warmup)))
        return
    results = {}
    for name, url in (("SQLite", options.sqlite_url), ("PostgreSQL", options.postgres_url)):
        if name == "SQLite":
            database = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):  # a WAL left beside a new file would be replayed into it
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        elif not _postgres_database(url, create=True):
            print(f"PostgreSQL not reachable at {url}: skipped.", file=sys.stderr)
            continue
        print(f"{name}: building {options.size:,} initiatives and measuring ({url}) …", file=sys.stderr)
        started = time.perf_counter()
        try:
            child = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.bench.showcase",
                    "--worker",
                    f"--size={options.size}",
                    f"--iterations={options.iterations}",
                    f"--warmup={options.warmup}",
                ],
                cwd=PROJECT_DIR,
                env={**os.environ, "DATABASE_URL": url, "DEBUG": "false", "REDIS_URL": ""},
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            if name == "PostgreSQL" and not options.keep:
                _postgres_database(url, create=False)
        if child.returncode:
            print(child.stderr[-3000:], file=sys.stderr)
            continue
        results[name] = json.loads(child.stdout.strip().splitlines()[-1])
        elapsed = time.perf_counter() - started
        print(f"{name}: built in {results[name]['build_seconds']:.0f} s, done in {elapsed:.0f} s", file=sys.stderr)
    print(format_table(results, options.size, options.iterations, options.warmup))


def _postgres_database(url: str, create: bool) -> bool:
    """(Re)create the benchmark database empty, or drop it."""
    try:
        import psycopg
    except ImportError:
        return False
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return False
    return True


def format_table(results: dict, size: int, iterations: int, warmup: int) -> str:
    backends = list(results)
    lines = [
        f"POPS showcase, {size:,} published initiatives; {iterations} timed requests per row after {warmup} warm-up",
        "Server time in-process (django.test.Client), median / p95 in ms, (× the median of a trivial view timed",
        "in alternation with the row's requests). Cached pages: at least 200 requests.",
        "cached page = served from the response cache; new request = the cache emptied before each request, the",
        "showcase version kept (a request nobody made before, between two publications); after publishing = the",
        "showcase version replaced before each request (every cache and the bitmap index rebuilt).",
        f"q = queries per request at {size:,} rows; q@10 = the same request with only 10 published initiatives.",
        "",
    ]
    width = 36
    header = f"{'page':<44}" + "".join(f"| {b:<{width}}" for b in backends)
    sub = f"{'':<44}" + "".join(f"| {'median / p95 (×trivial)   q q@10':<{width}}" for _b in backends)
    lines += [header, sub, "-" * len(header)]
    pages = next(iter(results.values()))["pages"] if results else []
    for index, page in enumerate(pages):
        row = f"{page['name']:<44}"
        for backend in backends:
            p = results[backend]["pages"][index]
            cell = (
                f"{p['median']:6.2f} / {p['p95']:6.2f} ({p['ratio']:5.1f}×) {p['queries']:>3} {p['queries_small']:>3}"
            )
            row += f"| {cell:<{width}}"
        lines.append(row)
    lines.append("")
    for backend in backends:
        lines.append(f"{backend}: {results[backend]['version']}; build {results[backend]['build_seconds']:.0f} s")
        for line in results[backend].get("explain", []):
            lines.append(f"  {line}")
    return "\n".join(lines)


# --- The worker: build the data, then measure -----------------------------------


def _prepare(mode: str) -> None:
    """Set the caches up for one timed request of `mode`: "cached" leaves
    them (the page comes from the response cache), "new" empties the cache
    but keeps the showcase version (a request nobody made before, between two
    publications: the process keeps its bitmap index), "published" replaces
    the version (the first request after staff publish: the index is rebuilt)."""
    from django.core.cache import cache

    from initiatives.showcase.cache import VERSION_KEY, showcase_cache_invalidate
    from pops.cache import versions

    if mode == "new":
        version = versions().get(VERSION_KEY)
        cache.clear()
        versions().set(VERSION_KEY, version, None)
    elif mode == "published":
        showcase_cache_invalidate()


def _time(client, url: str, iterations: int, warmup: int, mode: str) -> tuple[list[float], list[float]]:
    """Timings of `url` and, alternating with them, of the trivial view: the
    ratio of their medians holds whatever the machine does meanwhile (a
    sub-millisecond page drifts with the processor's state between rows)."""

    def timed(path: str) -> float:
        started = time.perf_counter()
        client.get(path)
        return (time.perf_counter() - started) * 1000

    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    if mode == "cached":
        iterations = max(iterations, 200)  # sub-millisecond: many more samples
    timings, trivial_timings = [], []
    for _ in range(iterations):
        trivial_timings.append(timed(TRIVIAL_URL))
        _prepare(mode)
        timings.append(timed(url))
    return sorted(timings), sorted(trivial_timings)


def _queries(client, url: str, mode: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    _prepare(mode)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def measure(size: int, iterations: int, warmup: int) -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse
    from django.utils import translation

    from initiatives.models import Initiative, Sector
    from initiatives.showcase.filters import InitiativeFilter
    from pops import urls as project_urls

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(size)
    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM as well, as autovacuum soon does after a bulk
        # load, so that index-only scans see the pages as all-visible.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    build_seconds = time.perf_counter() - started
    urlpatterns[:] = [*project_urls.urlpatterns, path("bench-trivial/", trivial)]

    translation.activate("it")
    detail = Initiative.objects.published().order_by("id")[size // 2]
    sector = Sector.objects.get(code=Sector.objects.order_by("code").values_list("code", flat=True)[0])
    list_url = reverse("initiative-list")
    facets_url = f"{list_url}?sector={sector.code}&scale=local&status=ongoing"
    search_url = f"{list_url}?q=orti"
    typo_url = f"{list_url}?q=Mirafori"
    pages = [("trivial view", TRIVIAL_URL, "cached")]
    for name, url in (
        ("list, no filter", list_url),
        ("list, 3 facets", facets_url),
        ("list, search", search_url),
        ("list, search with a typo", typo_url),
        ("initiative page", detail.get_absolute_url()),
        ("statistics", reverse("statistics")),
        ("home", reverse("home")),
    ):
        pages += [(f"{name} ({label})", url, mode) for mode, label in MODES]

    client = Client()
    out = []
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False, ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
        cache.clear()
        for name, url, mode in pages:
            timings, trivial_timings = _time(client, url, iterations, warmup, mode)
            out.append(
                {
                    "name": name,
                    "median": statistics.median(timings),
                    "trivial_median": statistics.median(trivial_timings),
                    "p95": timings[max(0, round(len(timings) * 0.95) - 1)],
                    "queries": _queries(client, url, mode),
                }
            )
        # The same requests with only 10 published initiatives (the others
        # unpublished inside a transaction that is rolled back), chosen so that
        # each list still has results.
        keep = {detail.id}
        for url in (facets_url, search_url, typo_url, list_url):
            data = QueryDict(url.partition("?")[2])
            keep |= set(
                InitiativeFilter(data, queryset=Initiative.objects.public()).qs.values_list("id", flat=True)[:2]
            )
        keep |= set(
            Initiative.objects.public()
            .exclude(id__in=keep)
            .order_by("id")
            .values_list("id", flat=True)[: 10 - len(keep)]
        )
        with transaction.atomic():
            Initiative.objects.exclude(id__in=keep).update(state=Initiative.State.ARCHIVED)
            assert Initiative.objects.public().count() == 10, keep
            for row, (_name, url, mode) in zip(out, pages, strict=True):
                row["queries_small"] = _queries(client, url, mode)
            transaction.set_rollback(True)
        cache.clear()
    for row in out:
        row["ratio"] = row["median"] / row.pop("trivial_median")
    return {
        "pages": out,
        "build_seconds": build_seconds,
        "version": _version(connection),
        "explain": _explain_search() if connection.vendor == "postgresql" else [],
    }


def _version(connection) -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    return f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"


def _explain_search() -> list[str]:
    """The plans of the searches: the stemmed one must use the GIN indexes of
    0004, the one with a typo the lexicon of 0005 (by its trigram index, or a
    sequential scan when the lexicon is a few pages)."""
    from django.db import connection

    from initiatives.showcase.search import matches_sql

    lines = []
    for query in ("orti", "Mirafori"):
        sql, params = matches_sql(query)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        executed = [line for line in plan if "never executed" not in line]
        used = sorted(
            {
                name
                for name in ("initiative_search_italian", "initiative_search_english", "initiative_search_word_trigram")
                if any(name in line for line in executed)
            }
        )
        lexicon = any("Seq Scan on initiative_search_word" in line for line in executed)
        lines += [
            f"search {query!r} plan uses: {', '.join(used) or 'NO GIN INDEX'}"
            + (" (lexicon read sequentially: it is small)" if lexicon else ""),
            *[line for line in plan if "Execution" in line],
        ]
    return lines


WORDS_IT = [
    ("Orti condivisi", "Shared gardens", "orti, verde urbano"),
    ("Mobilità accessibile", "Accessible mobility", "mobilità, accessibilità"),
    ("Sportello digitale", "Digital help desk", "inclusione digitale, anziani"),
    ("Energia di comunità", "Community energy", "energia, fotovoltaico"),
    ("Laboratorio di quartiere", "Neighbourhood lab", "partecipazione, rigenerazione"),
    ("Scuola aperta", "Open school", "scuola, educazione"),
    ("Mappa dei bisogni", "Map of needs", "dati aperti, mappatura"),
    ("Casa accessibile", "Accessible housing", "abitare, disabilità"),
    ("Cibo solidale", "Food solidarity", "eccedenze alimentari, povertà"),
    ("Patrimonio per tutti", "Heritage for all", "cultura, musei"),
]
PLACES = [
    ("Torino", "TO", 45.0703, 7.6869),
    ("Moncalieri", "TO", 44.9997, 7.6822),
    ("Collegno", "TO", 45.0778, 7.5725),
    ("Ivrea", "TO", 45.4667, 7.8764),
    ("Cuneo", "CN", 44.3845, 7.5427),
    ("Asti", "AT", 44.9006, 8.2065),
    ("Alessandria", "AL", 44.9126, 8.6151),
    ("Novara", "NO", 45.4469, 8.6220),
    ("Biella", "BI", 45.5663, 8.0530),
    ("Vercelli", "VC", 45.3250, 8.4234),
]
DISTRICTS = ["Mirafiori", "Aurora", "Barriera di Milano", "Vallette", "San Salvario", "Falchera", "Lingotto", "centro"]


def build(size: int) -> None:
    """Bulk-create `size` published initiatives with people, partners, places,
    impacts, products and classifications (deterministic)."""
    from django.db import transaction

    from actionplan.models import InterventionArea
    from impact.models import SDG, FieldOfAction, Impact, Product, ProductCategory
    from initiatives.models import Competence, Department, Initiative, Participation, Person, Place, Sector, Theme
    from pops.reference_data import load_reference_data
    from stakeholders.models import Organisation, OrganisationType, Partnership

    load_reference_data()
    rng = random.Random(2026)
    with transaction.atomic():
        # The command always starts from an empty database (see handle()).
        if Initiative.objects.exists():
            raise RuntimeError("the benchmark database is not empty")
        departments = list(Department.objects.all())
        sectors, themes = list(Sector.objects.all()), list(Theme.objects.all())
        sdgs, fields = list(SDG.objects.all()), list(FieldOfAction.objects.all())
        areas, competences = list(InterventionArea.objects.all()), list(Competence.objects.all())
        org_types, categories = list(OrganisationType.objects.all()), list(ProductCategory.objects.all())
        roles, genders = [r for r, _ in Person.Role.choices], [g for g, _ in Person.Gender.choices]

        people = Person.objects.bulk_create(
            (
                Person(
                    first_name=rng.choice(["Giulia", "Marco", "Sara", "Luca", "Elena", "Paolo", "Chiara", "Andrea"]),
                    last_name=rng.choice(["Rossi", "Ferrero", "Bianco", "Gallo", "Costa", "Bruno", "Negro", "Conti"]),
                    slug=f"persona-{n}",
                    department=rng.choice(departments),
                    role=rng.choice(roles),
                    gender=rng.choice(genders),
                    public_profile=rng.random() < 0.4,
                )
                for n in range(size // 5)
            ),
            batch_size=2000,
        )
        if competences:
            through = Person.competences.through
            through.objects.bulk_create(
                through(person_id=p.id, competence_id=c.id)
                for p in people
                for c in rng.sample(competences, rng.randint(1, min(3, len(competences))))
            )
        organisations = Organisation.objects.bulk_create(
            Organisation(name=f"Associazione {rng.choice(DISTRICTS)} {n}", slug=f"org-{n}", type=rng.choice(org_types))
            for n in range(size // 20)
        )
        today = date(2026, 6, 1)
        rows = []
        for n in range(size):
            head_it, head_en, keywords = rng.choice(WORDS_IT)
            where = rng.choice(DISTRICTS)
            start = today - timedelta(days=rng.randint(30, 2500))
            end = None if rng.random() < 0.4 else start + timedelta(days=rng.randint(60, 900))
            rows.append(
                Initiative(
                    title_it=f"{head_it} a {where} {n}",
                    title_en=f"{head_en} in {where} {n}" if rng.random() < 0.6 else None,
                    slug=f"iniziativa-{n}",
                    summary_it=f"{head_it} a {where}, con docenti, studenti e organizzazioni del territorio.",
                    summary_en=f"{head_en} in {where}, with lecturers, students and local organisations.",
                    description_it=(
                        f"{head_it} a {where}. Le attività sono svolte in collaborazione con enti pubblici e del "
                        "terzo settore, con momenti di restituzione pubblica dei risultati. " * 3
                    ),
                    keywords=keywords,
                    scale=rng.choice(["local", "local", "regional", "national", "international"]),
                    start_date=start,
                    end_date=end,
                    state=Initiative.State.PUBLISHED,
                    featured=n % 500 == 0,
                    published_at=timezone_at(start),
                    participants=rng.randint(10, 3000),
                    budget=Decimal(rng.randint(1, 200) * 1000),
                )
            )
        initiatives = Initiative.objects.bulk_create(rows, batch_size=500)

        def link(field, choices, low, high):
            relation = Initiative._meta.get_field(field)
            through = relation.remote_field.through
            target = relation.m2m_reverse_field_name()
            through.objects.bulk_create(
                (
                    through(initiative_id=i.id, **{f"{target}_id": c.id})
                    for i in initiatives
                    for c in rng.sample(choices, rng.randint(low, min(high, len(choices))))
                ),
                batch_size=2000,
            )

        link("departments", departments, 1, 2)
        link("sectors", sectors, 1, 2)
        link("themes", themes, 1, 2)
        link("sdgs", sdgs, 1, 3)
        link("fields_of_action", fields, 0, 1)
        link("intervention_areas", areas, 0, 2)

        participations, partnerships, places, impacts, products = [], [], [], [], []
        for i in initiatives:
            for position, person in enumerate(rng.sample(people, rng.randint(1, 4))):
                participations.append(
                    Participation(
                        initiative_id=i.id,
                        person_id=person.id,
                        role="lead" if position == 0 else "member",
                        position=position,
                    )
                )
            for position, org in enumerate(rng.sample(organisations, rng.randint(0, 3))):
                partnerships.append(Partnership(initiative_id=i.id, organisation_id=org.id, position=position))
            for municipality, province, lat, lon in rng.sample(PLACES, rng.randint(1, 2)):
                places.append(
                    Place(
                        initiative_id=i.id,
                        municipality=municipality,
                        province=province,
                        region="Piemonte",
                        latitude=Decimal(f"{lat + rng.uniform(-0.03, 0.03):.6f}"),
                        longitude=Decimal(f"{lon + rng.uniform(-0.03, 0.03):.6f}"),
                    )
                )
            impacts.append(
                Impact(
                    initiative_id=i.id,
                    kind=rng.choice(["expected", "achieved"]),
                    description="Persone coinvolte",
                    indicator="Partecipanti",
                    baseline=0,
                    target=100,
                    value=rng.randint(20, 140),
                    people_reached=rng.randint(20, 400),
                )
            )
            products.append(Product(initiative_id=i.id, category=rng.choice(categories), title="Rapporto finale"))
        for model, objects in (
            (Participation, participations),
            (Partnership, partnerships),
            (Place, places),
            (Impact, impacts),
            (Product, products),
        ):
            model.objects.bulk_create(objects, batch_size=2000)


def timezone_at(day: date):
    from datetime import datetime
    from datetime import time as clock
    from zoneinfo import ZoneInfo

    return datetime.combine(day + timedelta(days=20), clock(10, 0), tzinfo=ZoneInfo("Europe/Rome"))


if __name__ == "__main__":
    main()
