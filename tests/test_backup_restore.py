"""A backup is only as good as its restore: `pg_dump` a populated database
(reference data, demo initiatives), restore it with `pg_restore` into a fresh
database, and the portal, started on the copy alone, serves its pages and its
API with the same data. These are the README's commands ("Backup and restore").

Needs PostgreSQL and its client programs (the DATABASE_URL of the run names the
server); the two scratch databases are named after the test database and
dropped at the end.
"""

import json
import os
import re
import shutil
import subprocess
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.processes import Server, manage

pytestmark = pytest.mark.postgres

SERVER_URL = os.environ.get("DATABASE_URL", "")
if not SERVER_URL.startswith(("postgres://", "postgresql://")):
    pytest.skip("needs PostgreSQL (DATABASE_URL)", allow_module_level=True)
if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
    pytest.skip("needs pg_dump and pg_restore", allow_module_level=True)


def database_url(name: str) -> str:
    parts = urlsplit(SERVER_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def psql(sql: str) -> None:
    subprocess.run(["psql", database_url("postgres"), "-q", "-c", sql], check=True, capture_output=True)


def rows(name: str, sql: str) -> str:
    return subprocess.run(
        ["psql", database_url(name), "-At", "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def scratch_databases():
    base = urlsplit(SERVER_URL).path.strip("/") or "pops"
    names = (f"{base}_backup_source", f"{base}_backup_restored")
    for name in names:
        psql(f'DROP DATABASE IF EXISTS "{name}"')
    psql(f'CREATE DATABASE "{names[0]}"')
    yield names
    for name in names:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_pg_dump_restored_into_a_fresh_database_is_served_with_its_data(scratch_databases, tmp_path):
    source, restored = scratch_databases
    on_source = {"DATABASE_URL": database_url(source)}
    manage(tmp_path / "unused.sqlite3", "migrate", "--noinput", "-v0", **on_source)
    manage(tmp_path / "unused.sqlite3", "load_reference_data", **on_source)
    manage(tmp_path / "unused.sqlite3", "seed_demo", **on_source)
    published = rows(source, "SELECT count(*) FROM initiatives_initiative WHERE state = 'published'")
    title, slug = rows(
        source, "SELECT title_it, slug FROM initiatives_initiative WHERE state = 'published' ORDER BY id LIMIT 1"
    ).split("|")
    assert int(published) >= 5

    # The README's commands: a custom-format dump, restored into an empty database.
    dump = tmp_path / "pops.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", database_url(source)],
        check=True,
        capture_output=True,
    )
    psql(f'CREATE DATABASE "{restored}"')
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={database_url(restored)}", str(dump)],
        check=True,
        capture_output=True,
    )
    psql(f'DROP DATABASE "{source}" WITH (FORCE)')  # the copy must stand alone
    assert rows(restored, "SELECT count(*) FROM initiatives_initiative WHERE state = 'published'") == published
    # Nothing left to migrate: the restored schema is the code's.
    on_restored = {"DATABASE_URL": database_url(restored)}
    migrations = manage(tmp_path / "unused.sqlite3", "migrate", "--check", "--plan", check=False, **on_restored)
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr

    with Server(tmp_path / "unused.sqlite3", **on_restored) as server:
        for path in ("/it/", "/en/", "/it/iniziative/"):
            status, body, _headers = server.get(path)
            assert status == 200, path
        status, body, _headers = server.get("/it/iniziative/")
        assert re.search(rf'role="status"><strong>{published} ', body), "the list counts every published initiative"
        status, body, _headers = server.get(f"/it/iniziative/{slug}/")
        assert status == 200
        assert title.split()[0] in body
        status, body, _headers = server.get("/api/initiatives/", headers={"Accept": "application/json"})
        assert status == 200
        answer = json.loads(body)
        assert answer["count"] == int(published)
        status, body, _headers = server.get(f"/api/initiatives/{slug}/", headers={"Accept": "application/json"})
        assert status == 200
        assert json.loads(body)["title_it"] == title
        status, body, _headers = server.get("/health/")
        assert status == 200, body
