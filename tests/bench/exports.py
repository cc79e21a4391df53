"""`make bench-exports`: the ANVUR export's time per format, as a ratio to
PostgreSQL's `COPY … TO STDOUT` of the same initiative rows, and its peak
Python memory (tracemalloc), at several sizes.

Each initiative is made with what a real one carries (its summary and
description as long as the demo data's, a lead contact, a place, a partner,
two departments, two SDGs, a field of action, a public-engagement category,
a sector), with bulk_create. On PostgreSQL the CSV formats are written by
COPY itself (see impact.anvur); XLSX is written by Python. Time and memory
are measured in separate passes: tracemalloc slows Python down several
times, so the timing passes run without it. Everything happens inside a
transaction that is rolled back: the database is left as it was.

`python -m tests.bench.exports [--sizes 10000 50000] [--repeat 2]` measures
the database DATABASE_URL names, migrated and with the reference data (the
Makefile target makes a scratch PostgreSQL database for it)."""

import argparse
import datetime
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal

from tests.bench import setup_django

setup_django()

from django.db import connection, transaction  # noqa: E402

from impact import anvur  # noqa: E402
from impact.models import SDG, FieldOfAction, PublicEngagementCategory  # noqa: E402
from initiatives.models import Department, Initiative, Participation, Person, Place, Sector  # noqa: E402
from pops.spreadsheets import CSV, CSV_EXCEL, XLSX, iter_csv, write_xlsx  # noqa: E402
from stakeholders.models import Organisation, OrganisationType, Partnership  # noqa: E402

YEAR = 2025
PREFIX = "bench-export-"
BATCH = 5000
PEOPLE = 500
ORGANISATIONS = 200
SUMMARY_IT = (
    "Laboratori di quartiere nelle periferie, con docenti, studenti e organizzazioni del territorio. "
    "Il progetto mette le competenze del Politecnico al servizio della comunità locale."
)
SUMMARY_EN = (
    "Neighbourhood workshops in the suburbs, with lecturers, students and local organisations. "
    "The project puts the Politecnico's expertise at the service of the local community."
)
DESCRIPTION_IT = (
    f"{SUMMARY_IT}\n\nLe attività sono svolte nelle periferie in collaborazione con enti "
    "pubblici e del terzo settore, con momenti di restituzione pubblica dei risultati."
)
OBJECTIVES_IT = "- Coinvolgere la comunità locale\n- Produrre dati aperti\n- Valutare l'impatto sociale"


class Rollback(Exception):
    pass


class Fixture:
    """The rows of the benchmark, made in batches; `grow(size)` adds the
    initiatives missing to reach `size` (each batch links only its own
    initiatives, by the primary keys bulk_create returned)."""

    def __init__(self):
        self.made = 0
        self.departments = list(Department.objects.order_by("pk")[:2])
        self.sdgs = list(SDG.objects.order_by("number")[:2])
        self.field = FieldOfAction.objects.order_by("-valid_from", "code").first()
        self.category = PublicEngagementCategory.objects.order_by("-valid_from", "code").first()
        self.sector = Sector.objects.order_by("pk").first()
        self.people = Person.objects.bulk_create(
            Person(first_name=f"Nome{n}", last_name=f"Cognome{n}", slug=f"{PREFIX}person-{n}") for n in range(PEOPLE)
        )
        kind = OrganisationType.objects.order_by("pk").first()
        self.organisations = Organisation.objects.bulk_create(
            Organisation(name=f"Organizzazione {n}", slug=f"{PREFIX}org-{n}", type=kind) for n in range(ORGANISATIONS)
        )

    def grow(self, size: int) -> None:
        while self.made < size:
            count = min(BATCH, size - self.made)
            self._batch(range(self.made, self.made + count))
            self.made += count

    def _batch(self, numbers: range) -> None:
        initiatives = Initiative.objects.bulk_create(
            Initiative(
                title_it=f"Iniziativa di prova {n}",
                title_en=f"Test initiative {n}",
                # The texts every submitted initiative has (a summary is
                # required), as long as the demo data's (initiatives.factories).
                summary_it=SUMMARY_IT,
                summary_en=SUMMARY_EN,
                description_it=DESCRIPTION_IT,
                objectives_it=OBJECTIVES_IT,
                slug=f"{PREFIX}{n}",
                state=Initiative.State.PUBLISHED,
                start_date=datetime.date(YEAR - n % 3, 1 + n % 12, 1),
                end_date=None if n % 4 else datetime.date(YEAR, 12, 31),
                scale=Initiative.Scale.choices[n % 4][0],
                website=f"https://example.org/{n}",
                keywords="periferie, scuole, =formula",
                budget=Decimal(1000 + n % 500),
                external_funding=Decimal("250.50"),
                participants=n % 300,
                impact_evaluated=bool(n % 2),
            )
            for n in numbers
        )
        pairs = list(zip(numbers, (i.pk for i in initiatives), strict=True))
        Participation.objects.bulk_create(
            Participation(initiative_id=pk, person=self.people[n % PEOPLE], role=Participation.Role.LEAD, can_edit=True)
            for n, pk in pairs
        )
        Place.objects.bulk_create(Place(initiative_id=pk, municipality="Torino", province="TO") for _n, pk in pairs)
        Partnership.objects.bulk_create(
            Partnership(initiative_id=pk, organisation=self.organisations[n % ORGANISATIONS]) for n, pk in pairs
        )
        links = {
            "departments": self.departments,
            "sdgs": self.sdgs,
            "fields_of_action": [self.field],
            "pe_categories": [self.category],
            "sectors": [self.sector],
        }
        for name, targets in links.items():
            field = Initiative._meta.get_field(name)
            through = field.remote_field.through
            target = field.m2m_reverse_field_name()
            through.objects.bulk_create(
                through(initiative_id=pk, **{target: item}) for _n, pk in pairs for item in targets if item
            )


def seconds(function: Callable[[], object], repeat: int) -> float:
    """The best of `repeat` runs (no tracemalloc)."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - began)
    return best


def peak_mib(function: Callable[[], object]) -> float:
    """The peak of Python allocations during one run, in MiB (a separate pass)."""
    tracemalloc.start()
    try:
        function()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def copy_rows(queryset) -> int | None:
    """PostgreSQL's own COPY of the same initiative rows (None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        import psycopg

        literal = psycopg.ClientCursor(raw.connection).mogrify(sql, params)
        size = 0
        with raw.copy(f"COPY ({literal}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                size += len(block)
        return size


def export(queryset, fmt: str) -> Callable[[], object]:
    """One export of `queryset` in `fmt`, its output thrown away (CSV) or
    written to a temporary file (XLSX, as the admin does)."""

    def run():
        rows = anvur.Report(queryset, year=YEAR)
        if fmt == XLSX:
            with tempfile.TemporaryFile() as handle:
                write_xlsx(anvur.HEADER, rows, handle)
            return
        for _chunk in iter_csv(anvur.HEADER, rows, fmt=fmt):
            pass

    return run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.exports",
        description="Benchmark the ANVUR export (time vs COPY, peak memory) at several sizes; writes nothing.",
    )
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=2, help="Timing runs per measure; the best is kept.")
    options = parser.parse_args(argv)
    sizes, repeat = options.sizes, options.repeat
    header = (
        f"{'rows':>7} {'csv s':>7} {'csv-excel s':>11} {'xlsx s':>7} {'COPY s':>7} {'csv/COPY':>8} "
        f"{'peak MiB csv':>12} {'peak MiB xlsx':>13}"
    )
    print(header)
    try:
        with transaction.atomic():
            fixture = Fixture()
            for size in sorted(sizes):
                fixture.grow(size)
                queryset = anvur.anvur_queryset(year=YEAR).filter(slug__startswith=PREFIX)
                assert queryset.count() == size, (queryset.count(), size)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE")  # statistics, as a live database has them
                export(queryset, CSV)()  # warm-up: caches, lazy imports, first reads
                timings = {fmt: seconds(export(queryset, fmt), repeat) for fmt in (CSV, CSV_EXCEL, XLSX)}
                copy = (
                    seconds(lambda queryset=queryset: copy_rows(queryset), repeat)
                    if connection.vendor == "postgresql"
                    else None
                )
                peaks = {fmt: peak_mib(export(queryset, fmt)) for fmt in (CSV, XLSX)}
                copy_text = f"{copy:7.3f}" if copy else "    n/a"
                ratio = f"{timings[CSV] / copy:7.1f}x" if copy else "     n/a"
                print(
                    f"{size:>7} {timings[CSV]:>7.3f} {timings[CSV_EXCEL]:>11.3f} {timings[XLSX]:>7.3f} "
                    f"{copy_text} {ratio:>8} {peaks[CSV]:>12.1f} {peaks[XLSX]:>13.1f}",
                    flush=True,
                )
            raise Rollback
    except Rollback:
        pass
    print(f"best of {repeat} timing runs, tracemalloc in a separate pass; target: csv/COPY <= 3x, flat peak memory")


if __name__ == "__main__":
    main()
