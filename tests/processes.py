"""Real processes for the tests that need more than one: a demo database on
disk, `manage.py` commands run in a subprocess, and a web server (gunicorn,
as the Dockerfile runs it) to request pages from."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a test process may have set that these processes must not inherit.
CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "POPS_ENV",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "PRIVATE_MEDIA_ROOT",
    "POPS_CACHE_DIR",
)


def environment(database: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    # Processes on one database share one cache folder, as on one machine.
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        POPS_CACHE_DIR=str(database.parent / "cache"),
        DJANGO_SETTINGS_MODULE="pops.settings",
    )
    env.update(variables)
    return env


def manage(database: Path, *args: str, check: bool = True, **variables: str) -> subprocess.CompletedProcess:
    """`python manage.py *args` in its own process, on `database`."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(database, **variables),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def build_demo_database(folder: Path) -> Path:
    """A SQLite file with the reference data and the demo initiatives, as
    `make run` leaves it."""
    database = folder / "demo.sqlite3"
    manage(database, "migrate", "--noinput", "-v0")
    manage(database, "load_reference_data")
    manage(database, "seed_demo")
    return database


def copy_of(database: Path, folder: Path) -> Path:
    copy = folder / "site.sqlite3"
    shutil.copyfile(database, copy)
    return copy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn serving the portal on `database` in processes of its own."""

    def __init__(self, database: Path, *, workers: int = 1, **variables: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "pops.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=environment(database, **variables),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn stopped:\n{self.process.stdout.read()}")
            with contextlib.suppress(OSError):
                if self.get("/healthz")[0] == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise AssertionError("gunicorn did not answer /healthz within 60 s")

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
        """Status, body and headers of GET `path` (redirects not followed)."""
        request = urllib.request.Request(self.base + path, headers={"Host": "localhost", **(headers or {})})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)

    def stop(self) -> str:
        """Stop the server; what it logged."""
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output or ""

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
