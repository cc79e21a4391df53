"""Private services for the fault scripts: a PostgreSQL cluster and a Redis
in a scratch folder, on ports of their own, that a script may stop, kill and
restart without touching any server someone else uses; the portal's
processes on them (gunicorn, a Celery worker with beat); and a small HTTP
client that keeps its cookies and CSRF token."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.processes import CLEARED, ROOT, free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


class Postgres:
    """A PostgreSQL cluster of its own: initdb in `folder`, trust
    authentication on 127.0.0.1:`port`. PostgreSQL refuses to run as root:
    as root the cluster belongs to the `postgres` user."""

    def __init__(self, folder: Path):
        self.folder = folder / "pgdata"
        self.socket_dir = folder / "pgsocket"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/pops"
        self.owner = "postgres" if os.geteuid() == 0 else None
        self.socket_dir.mkdir(parents=True)
        if self.owner:
            user = pwd.getpwnam(self.owner)
            for path in (folder, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run([str(PG_BIN / "initdb"), "-D", str(self.folder), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        self.start()
        subprocess.run(["psql", self.url.rsplit("/", 1)[0] + "/postgres", "-qc", "CREATE DATABASE pops"], check=True)

    def _run(self, command: list[str]) -> None:
        subprocess.run(_as_owner(command, self.owner), check=True, capture_output=True, cwd="/")

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.folder), "-l", str(self.folder / "log"), "-o", options, *args]
        )

    def start(self) -> None:
        self._ctl("-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-w", "-m", mode, "stop")

    def ready(self) -> bool:
        return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0

    def query(self, sql: str) -> str:
        return subprocess.run(["psql", self.url, "-At", "-c", sql], check=True, capture_output=True, text=True).stdout

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")


class Redis:
    """A Redis of its own, without persistence, that can be stopped and
    started again on the same port."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    close = stop


def environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(DJANGO_SETTINGS_MODULE="pops.settings", **variables)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def shell(env: dict[str, str], code: str) -> str:
    return manage(env, "shell", "--no-imports", "-c", code).strip()


class Process:
    """A long-running process of the portal (gunicorn, celery), its output in a file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path):
        self.log = log
        self.file = log.open("ab")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.file, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait()
        self.file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def gunicorn(env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 1) -> tuple[Process, str]:
    port = free_port()
    process = Process(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pops.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        env,
        log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{process.output()}")
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(base + "/healthz", timeout=5).status == 200:
                return process, base
        time.sleep(0.2)
    process.stop()
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def celery_worker(env: dict[str, str], log: Path, *, beat: bool = False, name: str = "faults") -> Process:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "pops",
        "worker",
        "--concurrency=1",
        "--pool=prefork",
        f"--hostname={name}@%h",
        "--loglevel=INFO",
        "--without-mingle",
        "--without-gossip",
    ]
    if beat:
        command += ["--beat", f"--schedule={log.parent / 'celerybeat-schedule'}"]
    process = Process(command, env, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "ready." in process.output():
            return process
        if process.process.poll() is not None:
            raise RuntimeError(f"celery stopped:\n{process.output()}")
        time.sleep(0.2)
    raise RuntimeError("the Celery worker was not ready within 60 s")


class Client:
    """A browser's worth of HTTP: cookies, the CSRF token, no redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, str]:
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        headers = {"Referer": self.base + path}
        if method == "POST":
            headers["X-CSRFToken"] = self.csrf_token()
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def get(self, path: str, **kwargs) -> tuple[int, str]:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> tuple[int, str]:
        return self.request("POST", path, data, **kwargs)

    def csrf_token(self) -> str:
        return next((c.value for c in self.cookies if c.name == "csrftoken"), "")

    def login(self, username: str, password: str = "pops-demo-2026") -> None:
        status, page = self.get("/it/accounts/login/")
        assert status == 200, status
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.post(
            "/it/accounts/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        assert status == 302, f"login of {username} answered {status}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def scratch_folder(name: str) -> Path:
    folder = Path("/tmp") / f"pops-faults-{name}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
