"""`python -m tests.loadtest` (make loadtest): wrk on loopback against
gunicorn with production settings (as the Dockerfile runs it: 3 processes ×
4 threads), on a scratch PostgreSQL database with the demo data and Redis.

Four kinds of request run at once, the users split between them: anonymous
browsing of the showcase (home pages, list, initiative pages, statistics,
map: cached pages), searches (the list with a search term), researchers
saving drafts (the census autosave, each researcher their own draft) and staff
exporting (the ANVUR CSV). Prints one table: requests, errors, answers other
than the expected status, throughput and p50/p95/p99 per kind, with the
machine's load before and after. Rate limits are off (every request comes
from 127.0.0.1, one address).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.faults.services import Process, environment, manage, shell
from tests.processes import ROOT, free_port

LUA = Path(__file__).with_name("wrk.lua")
RESEARCHERS = 8
GOALS = {"showcase": ("throughput", 300.0), "draft saves": ("p95", 200.0)}

SETUP = """
import json, secrets
from urllib.parse import quote
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from initiatives.factories import UserFactory
from initiatives.models import Initiative

User = get_user_model()

def cookie(user):
    client = Client()
    client.force_login(user)
    if user.is_staff:
        # As a real staff sign-in does: the second factor passed (pops/otp.py).
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or TOTPDevice.objects.create(user=user, name="load test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return f"sessionid={client.cookies['sessionid'].value};csrftoken={secrets.token_hex(16)}"

researchers = []
for n in range(%(researchers)d):
    user = User.objects.filter(username=f"carico{n}").first() or UserFactory(username=f"carico{n}")
    researchers.append(cookie(user))
published = list(Initiative.objects.public().order_by("pk").values_list("slug", "title_it"))
with translation.override("it"):
    detail = [reverse("initiative-detail", args=[slug]) for slug, _title in published[:20]]
    showcase = [reverse("home"), reverse("initiative-list"), reverse("statistics"), reverse("initiative-map"),
                reverse("people"), "/en/", *detail]
    words = sorted({w.lower() for _slug, title in published for w in title.split() if len(w) > 4 and w.isalpha()})
    searches = [reverse("initiative-list") + "?q=" + quote(word) for word in words[:40]]
    export = reverse("admin:impact_anvur_export") + "?what=report&year=2025&states=published&format=csv"
print(json.dumps({"researchers": researchers, "staff": cookie(User.objects.get(username="curatore")),
                  "showcase": showcase, "searches": searches, "export": export}))
"""


def database_url(base: str, name: str) -> str:
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def psql(url: str, *sql: str) -> None:
    command = ["psql", database_url(url, "postgres"), "-q"]
    for statement in sql:
        command += ["-c", statement]
    subprocess.run(command, check=True, capture_output=True)


def build(env: dict[str, str], url: str, reuse: bool) -> None:
    name = urlsplit(url).path.strip("/")
    if reuse:
        check = subprocess.run(
            ["psql", url, "-Atc", "SELECT count(*) FROM initiatives_initiative"], capture_output=True
        )
        if check.returncode == 0 and int(check.stdout or 0) > 0:
            manage(env, "migrate", "--noinput", "-v0")
            return
    psql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_reference_data")
    manage(env, "seed_demo")


def gunicorn(env: dict[str, str], folder: Path) -> tuple[Process, str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "pops.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "3",
        "--threads",
        "4",
        "--keep-alive",
        "5",
        "--worker-tmp-dir",
        "/dev/shm",
        "--access-logfile",
        str(folder / "access.log"),
        "--error-logfile",
        str(folder / "error.log"),
    ]
    process = Process(command, env, folder / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        check = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/healthz"], capture_output=True
        )
        if check.stdout == b"200":
            return process, base
        time.sleep(0.2)
    process.stop()
    raise RuntimeError(f"gunicorn did not start:\n{(folder / 'error.log').read_text()}")


def cpu_seconds(process: Process) -> float:
    """CPU time (user + system) of gunicorn's master and workers so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in [process.pid, *process.children()]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wrk(base: str, *, connections: int, seconds: int, **variables: str) -> subprocess.Popen:
    threads = min(connections, 4)
    return subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA), base],
        env={**os.environ, **variables},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def split(users: int) -> dict[str, int]:
    """50 users: 30 browsing, 8 searching, 8 researchers, 4 staff."""
    staff = max(1, round(users * 0.08))
    researchers = max(1, round(users * 0.16))
    searching = max(1, round(users * 0.16))
    return {
        "showcase": users - staff - researchers - searching,
        "searches": searching,
        "draft saves": researchers,
        "exports": staff,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pops_loadtest"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument(
        "--only", choices=["showcase", "searches", "draft saves", "exports"], help="one kind, with every user"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the scratch database if it is already populated")
    parser.add_argument("--no-goals", action="store_true", help="report the goals without failing on them (smoke runs)")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        print("make loadtest needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2

    folder = Path("/tmp") / f"pops-loadtest-{os.getpid()}"
    folder.mkdir(parents=True)
    env = environment(
        POPS_ENV="production",
        SECRET_KEY="loadtest-not-a-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        DATABASE_URL=options.database_url,
        REDIS_URL=options.redis_url,
        CELERY_TASK_ALWAYS_EAGER="true",
        STATIC_ROOT=str(folder / "static"),
        MEDIA_ROOT=str(folder / "media"),
        PRIVATE_MEDIA_ROOT=str(folder / "private"),
        RATELIMIT_ENABLE="false",
        LOG_LEVEL="WARNING",
    )
    started = time.monotonic()
    print(f"Preparing {options.database_url} (demo data) and the static files …", flush=True)
    # seed_demo refuses production (known passwords): the data is built without it.
    build({**env, "POPS_ENV": "development"}, options.database_url, options.reuse)
    manage(env, "collectstatic", "--noinput", "-v0")
    subprocess.run(["redis-cli", "-u", options.redis_url, "flushdb"], check=True, capture_output=True)
    plan = json.loads(shell(env, SETUP % {"researchers": RESEARCHERS}).splitlines()[-1])
    server, base = gunicorn(env, folder)
    users = {options.only: options.users} if options.only else split(options.users)
    body = "main-title_it=Bozza+sotto+carico&main-summary_it=" + "Testo+salvato+automaticamente+" * 20
    kinds = {
        "showcase": {"WRK_PATHS": " ".join(plan["showcase"])},
        "searches": {"WRK_PATHS": " ".join(plan["searches"])},
        "draft saves": {
            "WRK_PATHS": "/it/census/new/autosave/",
            "WRK_METHOD": "POST",
            "WRK_BODY": body,
            "WRK_COOKIES": " ".join(plan["researchers"][: users.get("draft saves", 1)]),
        },
        "exports": {"WRK_PATHS": plan["export"], "WRK_COOKIES": plan["staff"]},
    }
    kinds = {kind: variables for kind, variables in kinds.items() if kind in users}
    try:
        # Warm up: every page once, as after a publication, then the real run.
        for path in plan["showcase"] + plan["searches"]:
            subprocess.run(["curl", "-s", "-o", "/dev/null", base + path], check=True)
        load_before = os.getloadavg()
        cpu_before = cpu_seconds(server)
        print(
            f"Running {options.seconds} s at {options.users} users {users} (load before {load_before[0]:.2f}) …",
            flush=True,
        )
        runs = {
            kind: wrk(base, connections=users[kind], seconds=options.seconds, **variables)
            for kind, variables in kinds.items()
        }
        results = {}
        for kind, run in runs.items():
            output, _ = run.communicate(timeout=options.seconds + 120)
            line = next((x for x in output.splitlines() if x.startswith("{")), None)
            if line is None:
                raise RuntimeError(f"wrk ({kind}) printed no result:\n{output}")
            results[kind] = json.loads(line)
        load_after = os.getloadavg()
        cpu = cpu_seconds(server) - cpu_before
    finally:
        server.stop()
    print()
    print(report(results, users, options, load_before, load_after))
    total = sum(r["requests"] for r in results.values())
    print(
        f"gunicorn used {cpu:.0f} CPU seconds in the run: {1000 * cpu / max(total, 1):.1f} ms per request on average "
        f"over all kinds (so at most {total / max(cpu, 0.001) * (os.cpu_count() or 1):.0f} req/s of this mix with "
        "every core to itself; PostgreSQL and Redis not counted)."
    )
    failures = [kind for kind, r in results.items() if r["unexpected"] or errors(r)]
    missed = [
        kind for kind, (measure, goal) in GOALS.items() if kind in results and not meets(results[kind], measure, goal)
    ]
    print(f"\nRun took {time.monotonic() - started:.0f} s; logs in {folder}.")
    if failures:
        print(f"ERRORS in: {', '.join(failures)}")
    if missed:
        print(f"Goals missed ({'reported only' if options.no_goals else 'failing'}): {', '.join(missed)}")
    return 1 if failures or (missed and not options.no_goals) else 0


def errors(result: dict) -> int:
    return sum(result[key] for key in ("connect", "read", "write", "status", "timeout"))


def meets(result: dict, measure: str, goal: float) -> bool:
    if measure == "throughput":
        return result["requests"] / result["seconds"] >= goal
    return result["p95_ms"] <= goal


def report(results: dict, users: dict, options, load_before, load_after) -> str:
    head = ("kind", "users", "requests", "errors", "not expected", "req/s", "p50 ms", "p95 ms", "p99 ms", "goal")
    rows = [head]
    for kind, r in results.items():
        goal = ""
        if kind in GOALS:
            measure, value = GOALS[kind]
            goal = (f"≥ {value:.0f} req/s" if measure == "throughput" else f"p95 ≤ {value:.0f} ms") + (
                " held" if meets(r, measure, value) else " MISSED"
            )
        rows.append(
            (
                kind,
                str(users[kind]),
                str(r["requests"]),
                str(errors(r)),
                str(r["unexpected"]),
                f"{r['requests'] / r['seconds']:.1f}",
                f"{r['p50_ms']:.0f}",
                f"{r['p95_ms']:.0f}",
                f"{r['p99_ms']:.0f}",
                goal,
            )
        )
    total = sum(r["requests"] for r in results.values())
    seconds = max(r["seconds"] for r in results.values())
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [" | ".join(row[i].ljust(widths[i]) for i in range(len(head))) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    lines.append(
        f"\n{total} requests in {seconds:.0f} s ({total / seconds:.0f} req/s) at {options.users} users; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        "(wrk and gunicorn share the machine with whatever else runs on it)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
