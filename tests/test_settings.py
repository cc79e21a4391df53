"""Settings come from the environment and fail loudly, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, "
    "s.CACHES['default']['BACKEND'], s.DEBUG, s.LANGUAGE_CODE, s.TIME_ZONE]))"
)


def environment(**variables) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "POPS_ENV", "DEBUG")}
    env.update(variables, DJANGO_SETTINGS_MODULE="pops.settings")
    return env


def start(script: str = SCRIPT, **variables) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment(**variables), capture_output=True, text=True
    )


def test_with_no_variables_it_runs_on_sqlite_with_eager_tasks_in_italian():
    result = start()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '["django.db.backends.sqlite3", true, "memory://", '
        '"django.core.cache.backends.locmem.LocMemCache", false, "it", "Europe/Rome"]'
    )


def test_database_and_redis_urls_switch_to_the_real_services():
    result = start(DATABASE_URL="postgres://postgres@127.0.0.1:5432/pops", REDIS_URL="redis://127.0.0.1:6379/1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '["django.db.backends.postgresql", false, "redis://127.0.0.1:6379/1", '
        '"pops.cache.ResilientRedisCache", false, "it", "Europe/Rome"]'
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "perhaps"),
        ("DATABASE_URL", "mysql://root@localhost/pops"),
        ("REDIS_URL", "http://localhost:6379"),
        ("POPS_MIN_GROUP_SIZE", "five"),
        ("POPS_ENV", "staging"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_message_naming_the_variable(variable, value):
    result = start(**{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr.strip().splitlines()[-1]


def test_production_refuses_to_start_without_a_secret_key_allowed_hosts_and_a_shared_cache():
    missing_both = start(POPS_ENV="production")
    assert missing_both.returncode != 0
    assert "SECRET_KEY" in missing_both.stderr.strip().splitlines()[-1]

    missing_hosts = start(POPS_ENV="production", SECRET_KEY="s3cret-for-tests")
    assert missing_hosts.returncode != 0
    assert "ALLOWED_HOSTS" in missing_hosts.stderr.strip().splitlines()[-1]

    # Each gunicorn worker would otherwise keep its own cache; build steps
    # (collectstatic) load the same settings without services.
    without_cache = {"POPS_ENV": "production", "SECRET_KEY": "s3cret-for-tests", "ALLOWED_HOSTS": "pops.polito.it"}
    assert start(**without_cache).returncode == 0
    for entry_point in ("import pops.wsgi", "import pops.asgi"):
        refused = start(script=entry_point, **without_cache)
        assert refused.returncode != 0
        assert "REDIS_URL" in refused.stderr.strip().splitlines()[-1]
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment(**without_cache),
        capture_output=True,
        text=True,
    )
    assert check.returncode != 0 and "REDIS_URL" in check.stderr

    complete = start(
        POPS_ENV="production",
        SECRET_KEY="s3cret-for-tests",
        ALLOWED_HOSTS="pops.polito.it",
        REDIS_URL="redis://127.0.0.1:6379/1",
    )
    assert complete.returncode == 0, complete.stderr


def test_postgresql_connections_compile_no_jit_unless_the_url_says_otherwise():
    from pops.settings import _database_from_url

    plain = _database_from_url("postgres://postgres@127.0.0.1:5432/pops")
    assert plain["OPTIONS"]["options"] == "-c jit=off"
    # Options of the URL come last: PostgreSQL applies the last -c of a setting.
    chosen = _database_from_url("postgres://postgres@127.0.0.1:5432/pops?options=-c%20jit%3Don")
    assert chosen["OPTIONS"]["options"] == "-c jit=off -c jit=on"
    assert "options" not in _database_from_url("sqlite:///pops.sqlite3").get("OPTIONS", {})


@pytest.mark.django_db
def test_the_database_session_runs_without_jit_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_private_files_cannot_be_configured_inside_the_public_media_folder(tmp_path):
    result = start(MEDIA_ROOT=str(tmp_path / "media"), PRIVATE_MEDIA_ROOT=str(tmp_path / "media" / "private"))
    assert result.returncode != 0
    assert "PRIVATE_MEDIA_ROOT" in result.stderr.strip().splitlines()[-1]
