"""The embedded default's SQLite: in WAL mode with a busy timeout, a write
(a login) made while an import holds the write lock waits for it instead of
failing with "database is locked", and reads do not wait at all."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import pytest

from tests.processes import ROOT, copy_of, environment

SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps(s.DATABASES['default']['OPTIONS']))"
)


def options(**variables) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "POPS_ENV")}
    env.update(variables, DJANGO_SETTINGS_MODULE="pops.settings")
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_immediate_transactions():
    for embedded in (options(), options(DATABASE_URL="sqlite:////tmp/other.sqlite3")):
        assert embedded["timeout"] == 20 and embedded["transaction_mode"] == "IMMEDIATE"
        pragmas = [command.strip() for command in embedded["init_command"].split(";") if command.strip()]
        assert pragmas == ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"]
    assert "init_command" not in options(DATABASE_URL="postgres://postgres@127.0.0.1:5432/pops")


# A real import whose rows take half a second each: its transaction holds
# SQLite's write lock for 8 s, longer than sqlite3's own default timeout (5 s).
IMPORT = """
import json, sys, time
from pathlib import Path
import django
django.setup()
import tablib
from initiatives.exchange.resources import InitiativeResource

dataset = tablib.Dataset(headers=["title_it", "start_date"])
for number in range(16):
    dataset.append([f"Iniziativa lenta {number}", "2025-01-01"])
resource = InitiativeResource()

def slowly(done):
    Path(sys.argv[1]).touch()  # a row is written: the lock is held
    time.sleep(0.5)

resource.progress = slowly
started = time.monotonic()
result = resource.import_data(dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True)
print(json.dumps({"new": result.totals["new"], "failed": result.has_errors() or result.has_validation_errors(),
                  "seconds": time.monotonic() - started}))
"""

# What a login writes, from another process, once the import holds the lock.
LOGIN = """
import json, sqlite3, sys, time
from pathlib import Path
import django
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from initiatives.models import Initiative

Path(sys.argv[1]).touch()  # set up: the import may start
locked = Path(sys.argv[2])
deadline = time.monotonic() + 60
while not locked.exists() and time.monotonic() < deadline:
    time.sleep(0.02)
out = {}
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    out["journal"] = cursor.fetchone()[0]
try:  # without waiting, the lock is there
    raw = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=0)
    raw.execute("UPDATE auth_user SET last_login = NULL WHERE id = -1")
    raw.commit()
    out["without_timeout"] = "written"
except sqlite3.OperationalError as exc:
    out["without_timeout"] = str(exc)
started = time.monotonic()
out["initiatives_while_importing"] = Initiative.objects.count()
out["read_seconds"] = time.monotonic() - started
started = time.monotonic()
user = get_user_model().objects.order_by("pk").first()
get_user_model().objects.filter(pk=user.pk).update(last_login=timezone.now())
out["write_seconds"] = time.monotonic() - started
out["initiatives_after"] = Initiative.objects.count()
print(json.dumps(out))
"""


def test_a_login_waits_for_a_long_import_instead_of_failing_and_reads_do_not_wait(demo_database, tmp_path):
    database = copy_of(demo_database, tmp_path)
    env = environment(database)
    set_up, locked = tmp_path / "login-ready", tmp_path / "import-locked"
    before = subprocess.run(
        [sys.executable, "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("
         "'SELECT COUNT(*) FROM initiatives_initiative').fetchone()[0])", str(database)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    initiatives = int(before.stdout)

    login = subprocess.Popen(
        [sys.executable, "-c", LOGIN, str(set_up), str(locked)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not set_up.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    importing = subprocess.run(
        [sys.executable, "-c", IMPORT, str(locked)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    logged_in, _ = login.communicate(timeout=60)

    assert importing.returncode == 0, importing.stderr
    assert login.returncode == 0  # no "database is locked"
    imported, seen = json.loads(importing.stdout), json.loads(logged_in)
    assert (imported["new"], imported["failed"]) == (16, False) and imported["seconds"] >= 7.5
    assert seen["journal"] == "wal"
    assert "database is locked" in seen["without_timeout"]  # the import held the lock
    # A read does not wait for the writer, and sees what was committed before it.
    assert seen["read_seconds"] < 2 and seen["initiatives_while_importing"] == initiatives
    # The write waited (longer than sqlite3's own 5 s) until the import committed.
    assert 5 < seen["write_seconds"] < 20
    assert seen["initiatives_after"] == initiatives + 16


@pytest.mark.django_db
def test_the_command_line_holds_the_lock_for_one_pass_over_the_rows(tmp_path, monkeypatch):
    """All or nothing needs one transaction, not a dry run before it."""
    from django.core.management import CommandError, call_command

    from initiatives.exchange.resources import InitiativeResource
    from initiatives.models import Initiative

    passes = []
    import_data = InitiativeResource.import_data

    def spy(self, dataset, **kwargs):
        passes.append(kwargs["dry_run"])
        return import_data(self, dataset, **kwargs)

    monkeypatch.setattr(InitiativeResource, "import_data", spy)
    path = tmp_path / "iniziative.csv"
    path.write_text("title_it,start_date,departments\nOrti,2025-01-01,DIST\nMostra,2025-01-01,XYZ\n")

    with pytest.raises(CommandError):
        call_command("import_initiatives", str(path), stdout=io.StringIO())
    assert passes == [False] and not Initiative.objects.exists()  # rolled back whole

    path.write_text("title_it,start_date,departments\nOrti,2025-01-01,DIST\n")
    call_command("import_initiatives", str(path), stdout=io.StringIO())
    assert passes == [False, False] and Initiative.objects.count() == 1
