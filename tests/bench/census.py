"""`make bench-census`: the census workbook's dry run and import, at several
sizes, with the time, the peak Python memory (tracemalloc, in a separate
pass: it slows Python down several times) and the number of queries.

Each initiative carries what the issue's hold-out sheets did: 4 people (from
a register of researchers that the initiatives share, written as people
write them: "professore associato", "dottoranda"...), 3 organisations with
their roles (from a shared list; "no profit", "impresa profit"...), 1 place
with coordinates, 2 products and 2 impacts, and eight classifications. The
workbook is written with openpyxl's write-only mode, then:

- dry run: read and check every sheet into an empty census (all new);
- import: write it all;
- re-import dry run: the same file again, every initiative unchanged.

Everything runs in a transaction rolled back at the end: the database is
left as it was. `python -m tests.bench.census [--sizes 1000 5000]` measures
the database DATABASE_URL names, migrated and with the reference data (the
Makefile target makes a scratch PostgreSQL database for it)."""

import argparse
import gc
import io
import time
import tracemalloc

from tests.bench import setup_django

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from initiatives.exchange.census_format import SHEETS  # noqa: E402
from initiatives.exchange.census_import import census_apply, census_plan  # noqa: E402

POSITIONS = ["professore associato", "ricercatrice", "assegnista", "dottoranda", "professore ordinario", "PTA"]
TYPES = ["no profit", "impresa profit", "Pubblica amministrazione", "gruppo informale di cittadini"]
ROLES = ["partner", "finanziatore", "beneficiario"]
DEPARTMENTS = ["DIST", "DAD", "DIGEP", "DENERG", "DIATI"]


class Rollback(Exception):
    pass


def workbook(size: int) -> bytes:
    book = Workbook(write_only=True)
    sheets = {sheet.name: book.create_sheet(sheet.name) for sheet in SHEETS}
    headers = {sheet.name: sheet.headers for sheet in SHEETS}
    for name, sheet in sheets.items():
        sheet.append(headers[name])

    def put(name: str, values: dict) -> None:
        sheets[name].append([values.get(header) for header in headers[name]])

    people = max(size // 2, 8)
    organisations = max(size // 3, 6)
    for n in range(size):
        key = f"iniziativa-{n}"
        put(
            "initiatives",
            {
                "slug": key,
                "title_it": f"Laboratori di quartiere {n}",
                "title_en": f"Neighbourhood workshops {n}",
                "summary_it": "Laboratori nelle periferie con docenti, studenti e organizzazioni del territorio.",
                "summary_en": "Workshops in the suburbs with lecturers, students and local organisations.",
                "description_it": "Attività svolte con enti pubblici e del terzo settore. " * 4,
                "start_date": f"{1 + n % 28:02d}/{1 + n % 12:02d}/{2019 + n % 6}",
                "scale": "locale",
                "budget": "12.500,00",
                "external_funding": 5000,
                "participants": 100 + n % 300,
                "impact_evaluated": "sì",
                "departments": " | ".join(DEPARTMENTS[n % 5 : n % 5 + 2]),
                "sectors": "servizi-sociali | gestione-territorio",
                "themes": "innovazione-sociale",
                "support_kinds": "ricerca | co-progettazione",
                "target_groups": "anziani | scuole",
                "sdgs": "4 | 11",
                "pe_categories": "scuole",
                "intervention_areas": "",
            },
        )
        for j in range(4):
            p = (n * 4 + j) % people
            put(
                "people",
                {
                    "initiative": key,
                    "first_name": f"Nome{p}",
                    "last_name": f"Cognome{p}",
                    "email": f"persona{p}@polito.it",
                    "position": POSITIONS[p % len(POSITIONS)],
                    "department": DEPARTMENTS[p % 5],
                    "role": "responsabile" if j == 0 else "membro",
                    "co_author": "sì" if j < 2 else "no",
                },
            )
        for j in range(3):
            o = (n * 3 + j) % organisations
            put(
                "partnerships",
                {
                    "initiative": key,
                    "organisation": f"Organizzazione {o}",
                    "type": TYPES[o % len(TYPES)],
                    "municipality": "Torino",
                    "country": "IT",
                    "role": ROLES[j],
                    "funding_call": "Bando Comunità" if j == 1 else "",
                },
            )
        put(
            "places",
            {
                "initiative": key,
                "municipality": "Torino",
                "province": "TO",
                "latitude": 45.0 + (n % 1000) / 10000,
                "longitude": 7.6 + (n % 1000) / 10000,
            },
        )
        for j in range(2):
            put(
                "products",
                {"initiative": key, "category": "comunicazione-divulgazione", "title": f"Guida {j}", "year": 2024},
            )
            put(
                "impacts",
                {
                    "initiative": key,
                    "kind": "atteso" if j == 0 else "raggiunto",
                    "category": "sociale",
                    "description": "Più relazioni di vicinato",
                    "indicator": "famiglie",
                    "baseline": 0,
                    "target": 40,
                    "value": 45 if j else None,
                    "people_reached": 120,
                },
            )
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def measure(data: bytes, *, memory: bool) -> dict:
    """Dry run, import and re-import dry run, rolled back."""
    figures = {}
    if memory:
        tracemalloc.start()

    def step(name, work):
        if memory:
            # The garbage of the step before is not this step's memory; nor is
            # the SQL that CaptureQueriesContext keeps (the queries are counted
            # in the timed pass: a bulk insert's SQL holds every value written).
            gc.collect()
            tracemalloc.reset_peak()
            queries = []
            start = time.perf_counter()
            result = work()
            seconds = time.perf_counter() - start
        else:
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                result = work()
                seconds = time.perf_counter() - start
        figures[name] = {
            "seconds": seconds,
            "queries": len(queries),
            "peak": tracemalloc.get_traced_memory()[1] / 2**20 if memory else None,
        }
        return result

    try:
        with transaction.atomic():
            plan = step("dry run", lambda: census_plan(data=data, filename="bench.xlsx"))
            assert not plan.problems, [str(p) for p in plan.problems[:5]]
            outcome = step("import", lambda: census_apply(plan))
            assert outcome.created == len(plan.entries), outcome
            again = step("re-import dry run", lambda: census_plan(data=data, filename="bench.xlsx"))
            assert again.totals["unchanged"] == len(plan.entries), again.totals
            raise Rollback
    except Rollback:
        pass
    finally:
        if memory:
            tracemalloc.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    print(f"Census workbook on {connection.vendor}: dry run, import, re-import dry run (rolled back).")
    print("Targets at 5,000 initiatives (PostgreSQL): dry run <= 30 s, import <= 60 s, memory flat, queries batched.")
    print()
    print(f"{'initiatives':>11} {'rows':>7} {'file MB':>8} {'step':<18} {'seconds':>8} {'queries':>8} {'peak MiB':>9}")
    for size in args.sizes:
        data = workbook(size)
        rows = size * (1 + 4 + 3 + 1 + 2 + 2)
        timed = measure(data, memory=False)
        traced = measure(data, memory=True)
        for name, figures in timed.items():
            print(
                f"{size:>11,} {rows:>7,} {len(data) / 2**20:>8.1f} {name:<18} {figures['seconds']:>8.1f} "
                f"{figures['queries']:>8,} {traced[name]['peak']:>9.0f}"
            )


if __name__ == "__main__":
    main()
