"""`make bench-relevance` (part of `make bench`): the search's recall@10 and
MRR on the relevance set (tests/search/relevance.yaml).

`python -m tests.bench.relevance [--misses]` builds the demo data (seed_demo)
in a scratch SQLite file and, when reachable, a scratch PostgreSQL database,
and prints the figures of each, per kind of query; `--misses` also lists the
queries that lose recall. Each backend runs in a child process (--worker),
because the database is chosen by DATABASE_URL when the settings load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.bench import setup_django
from tests.bench.showcase import _postgres_database

SQLITE_URL = "sqlite:////tmp/pops_bench_relevance.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/pops_bench_relevance"
PROJECT_DIR = Path(__file__).resolve().parent.parent.parent


def worker(misses: bool) -> None:
    setup_django()
    from django.core.management import call_command

    from tests.search import relevance

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_reference_data", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    dictionary = None
    outcomes = relevance.measure()
    print(
        json.dumps(
            {
                "summary": relevance.summary(outcomes),
                "table": relevance.format_summary(relevance.summary(outcomes)),
                "misses": relevance.format_misses(outcomes) if misses else "",
                "dictionary": dictionary,
            }
        )
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--misses", action="store_true", help="List the queries that lose recall.")
    parser.add_argument("--sqlite-url", default=SQLITE_URL)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL))
    options = parser.parse_args(argv)
    if options.worker:
        worker(options.misses)
        return
    for name, url in (("SQLite", options.sqlite_url), ("PostgreSQL", options.postgres_url)):
        if name == "SQLite":
            database = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        elif not _postgres_database(url, create=True):
            print(f"PostgreSQL not reachable at {url}: skipped.", file=sys.stderr)
            continue
        try:
            child = subprocess.run(
                [sys.executable, "-m", "tests.bench.relevance", "--worker", *(["--misses"] if options.misses else [])],
                cwd=PROJECT_DIR,
                env={**os.environ, "DATABASE_URL": url, "DEBUG": "false", "REDIS_URL": ""},
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            if name == "PostgreSQL":
                _postgres_database(url, create=False)
        if child.returncode:
            print(child.stderr[-3000:], file=sys.stderr)
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        dictionary = {None: "", True: " (Italian dictionary: hunspell)", False: " (no Italian dictionary: Snowball)"}
        print(f"\nSearch relevance, {name}{dictionary[result['dictionary']]}:")
        print(result["table"])
        if result["misses"]:
            print(result["misses"])


if __name__ == "__main__":
    main()
