"""The faults, each on the private services of `site.py`, each returning the
rows of the result table: what was checked, what was measured, whether it held."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass

from tests.faults.mailbox import delivered
from tests.faults.services import Client, celery_worker, gunicorn, shell
from tests.faults.site import PASSWORD, RESEARCHER, Site

UNAVAILABLE_TEXT = "The service is temporarily unavailable"


@dataclass
class Row:
    scenario: str
    check: str
    measured: str
    ok: bool


def wait_for(condition, timeout: float, step: float = 0.2) -> float | None:
    """Seconds until `condition()` held, None if it never did within `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(step)
    return None


def outbox(site: Site) -> Counter:
    rows = site.postgres.query("SELECT status, count(*) FROM initiatives_outboundemail GROUP BY status")
    return Counter({status: int(n) for status, n in (line.split("|") for line in rows.split())})


# --- Redis unreachable while researchers submit ---------------------------------


def redis_outage(site: Site) -> list[Row]:
    name = "Redis down while researchers submit"
    env = site.env(OUTBOX_FLUSH_SECONDS="2", OUTBOX_RESEND_AFTER_SECONDS="3")
    web, base = gunicorn(env, site.folder / "redis-web.log")
    worker = celery_worker(env, site.folder / "redis-worker.log", beat=True)
    rows = []
    try:
        client = Client(base)
        client.login(RESEARCHER, PASSWORD)
        first, *during = site.drafts
        # Redis up: the e-mail goes through its task.
        status, _ = client.post(f"/it/census/{first}/submit/", {})
        sent_by_task = wait_for(lambda: outbox(site)["sent"] == sum(outbox(site).values()) > 0, 30)
        rows.append(Row(name, "Redis up: submission e-mailed by its task", f"{sent_by_task:.1f} s", bool(sent_by_task)))

        site.redis.stop()
        statuses, times = [], []
        for pk in during:
            start = time.monotonic()
            status, _ = client.post(f"/it/census/{pk}/submit/", {})
            times.append(time.monotonic() - start)
            statuses.append(status)
        submitted = int(
            site.postgres.query(
                "SELECT count(*) FROM initiatives_initiative WHERE state = 'submitted' "
                f"AND id IN ({','.join(map(str, during))})"
            )
        )
        rows.append(
            Row(
                name,
                f"Redis down: {len(during)} submissions answered and saved",
                f"{statuses.count(302)}/{len(during)} answered 302, {submitted} saved, slowest {max(times):.2f} s",
                statuses.count(302) == submitted == len(during),
            )
        )
        pending = outbox(site)["pending"]
        rows.append(Row(name, "Redis down: their e-mails wait in the outbox", f"{pending} pending", pending > 0))

        time.sleep(2)
        site.redis.start()
        everything_sent = wait_for(lambda: not outbox(site)["pending"], 60)
        time.sleep(6)  # three more flushes: none may send anything again
        box = outbox(site)
        mails = delivered(site.mailbox)
        repeated = sum(n - 1 for n in Counter(json.dumps(m, sort_keys=True) for m in mails).values() if n > 1)
        rows.append(
            Row(
                name,
                "Redis back: every e-mail delivered",
                f"{box['sent']} of {sum(box.values())} sent, "
                + (f"{everything_sent:.1f} s after Redis restarted" if everything_sent is not None else "not all"),
                everything_sent is not None and box["sent"] == sum(box.values()),
            )
        )
        rows.append(
            Row(
                name,
                "none delivered twice",
                f"{len(mails)} deliveries for {sum(box.values())} e-mails, {repeated} repeated",
                len(mails) == sum(box.values()) and not repeated,
            )
        )
    finally:
        worker.stop()
        web.stop()
    return rows


# --- PostgreSQL restarted under traffic ------------------------------------------


def who_data(title: str, department: str, organisation_type: str) -> dict:
    return {
        "main-title_it": title,
        "main-summary_it": "Una bozza salvata durante il riavvio del database.",
        "main-departments": [department],
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "1",
        "people-MAX_NUM_FORMS": "1000",
        "people-0-first_name": "Giulia",
        "people-0-last_name": "Ferrero",
        "people-0-email": "giulia.ferrero@polito.it",
        "people-0-role": "lead",
        "people-1-first_name": "Marco",
        "people-1-last_name": "Bianchi",
        "people-1-email": "marco.bianchi@polito.it",
        "people-1-role": "member",
        "partners-TOTAL_FORMS": "1",
        "partners-INITIAL_FORMS": "0",
        "partners-MIN_NUM_FORMS": "0",
        "partners-MAX_NUM_FORMS": "1000",
        "partners-0-name": "Associazione Orti Alti",
        "partners-0-type": organisation_type,
        "partners-0-role": "partner",
    }


def postgres_restart(site: Site) -> list[Row]:
    name = "PostgreSQL restarted under traffic"
    env = site.env()
    web, base = gunicorn(env, site.folder / "pg-web.log", workers=2, threads=2)
    department = site.postgres.query("SELECT id FROM initiatives_department ORDER BY id LIMIT 1").strip()
    organisation_type = site.postgres.query("SELECT id FROM stakeholders_organisationtype ORDER BY id LIMIT 1").strip()
    results: list[tuple[float, str, int, bool]] = []  # at, kind, status, the 503 page
    saves: dict[str, int] = {}
    stop = threading.Event()
    lock = threading.Lock()

    def record(kind: str, status: int, body: str) -> None:
        with lock:
            results.append((time.monotonic(), kind, status, status != 503 or UNAVAILABLE_TEXT in body))

    def reader(paths: list[str]) -> None:
        client = Client(base)
        n = 0
        while not stop.is_set():
            path = paths[n % len(paths)]
            n += 1
            try:
                status, body = client.get(path, timeout=10)
            except OSError:
                status, body = 0, ""
            record("page", status, body)
            time.sleep(0.05)

    signed_in = Client(base)
    signed_in.login(RESEARCHER, PASSWORD)

    def researcher() -> None:
        client = signed_in
        n = 0
        while not stop.is_set():
            title = f"Bozza durante il riavvio {n}"
            n += 1
            try:
                status, body = client.post("/it/census/new/", who_data(title, department, organisation_type))
            except OSError:
                status, body = 0, ""
            saves[title] = status
            record("draft save", status, body)
            time.sleep(0.05)

    pages = ["/it/", "/it/iniziative/", "/it/iniziative/?q=orti", "/api/initiatives/", "/it/census/"]
    threads = [threading.Thread(target=reader, args=(pages,)) for _ in range(3)]
    threads.append(threading.Thread(target=researcher))
    rows = []
    try:
        for thread in threads:
            thread.start()
        time.sleep(2)
        wait_for(lambda: len(saves) >= 3, 30)
        stopped_at = time.monotonic()
        site.postgres.stop("fast")  # in-flight transactions are cut
        time.sleep(3)
        site.postgres.start()
        restarted_at = time.monotonic()
        time.sleep(6)
        stop.set()
        for thread in threads:
            thread.join(30)
    finally:
        stop.set()
        web.stop()

    statuses = Counter(status for _at, _kind, status, _page in results)
    during = [r for r in results if stopped_at <= r[0] <= restarted_at + 0.5]
    bad = [r for r in results if r[2] >= 500 and r[2] != 503 or r[2] == 0]
    rows.append(
        Row(
            name,
            "no 500 and no broken connection, only 503 while it was down",
            "; ".join(
                kind + " " + ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
                for kind, counts in (
                    (kind, Counter(r[2] for r in results if r[1] == kind)) for kind in ("page", "draft save")
                )
            ),
            not bad and statuses[503] > 0,
        )
    )
    rows.append(
        Row(
            name,
            "the 503 page is the friendly one (both languages)",
            f"{sum(1 for r in results if r[2] == 503 and r[3])} of {statuses[503]}",
            all(r[3] for r in results),
        )
    )
    later_failures = [r for r in results if r[0] > restarted_at and r[2] >= 500]
    recovered_after = max((r[0] - restarted_at for r in later_failures), default=0.0)
    after = [r for r in results if r[0] > restarted_at + recovered_after]
    rows.append(
        Row(
            name,
            "recovers after the restart",
            f"last error {recovered_after:.1f} s after restart, then {len(after)} requests all answered",
            recovered_after < 3 and after and all(r[2] < 500 for r in after) and len(during) > 0,
        )
    )

    # Nothing half-written: each draft save is whole (2 people, 1 partner) or absent.
    found = site.postgres.query(
        "SELECT i.title_it, (SELECT count(*) FROM initiatives_participation p WHERE p.initiative_id = i.id), "
        "(SELECT count(*) FROM stakeholders_partnership s WHERE s.initiative_id = i.id) "
        "FROM initiatives_initiative i WHERE i.title_it LIKE 'Bozza durante il riavvio %'"
    )
    stored = {
        title: (int(people), int(partners))
        for title, people, partners in (x.split("|") for x in found.split("\n") if x)
    }
    partial = [title for title, counts in stored.items() if counts != (2, 1)]
    lost = [title for title, status in saves.items() if status == 302 and title not in stored]
    unsure = [title for title, status in saves.items() if status != 302]
    rows.append(
        Row(
            name,
            "nothing half-written: each draft save whole or absent",
            f"{len(saves)} saves, {len(stored)} stored, {len(partial)} partial, {len(lost)} answered 302 but lost; "
            f"{len(unsure)} not confirmed: {sum(t in stored for t in unsure)} stored whole, "
            f"{sum(t not in stored for t in unsure)} absent",
            not partial and not lost and len(saves) > 0,
        )
    )
    return rows


# --- A Celery worker killed mid-import -------------------------------------------

IMPORT_ROWS = 3000


def _start_import(site: Site, env: dict[str, str], label: str) -> int:
    rows = "".join(f"{label} {n};2025-01-01\n" for n in range(IMPORT_ROWS))
    code = (
        "from initiatives.exchange.imports import import_job_create\n"
        "from initiatives.tasks import run_import_job\n"
        f"job = import_job_create(kind='initiatives', data={('title_it;start_date' + chr(10) + rows)!r}.encode(), "
        f"filename='fault.csv', total_rows={IMPORT_ROWS}, language='en')\n"
        "run_import_job.delay(job.pk)\n"
        "print(job.pk)"
    )
    return int(shell(env, code).splitlines()[-1])


def _job(site: Site, pk: int) -> tuple[str, str]:
    state, errors = (
        site.postgres.query(f"SELECT state, errors FROM impact_importjob WHERE id = {pk}").strip().split("|")
    )
    return state, errors


def _imported(site: Site, label: str) -> int:
    return int(site.postgres.query(f"SELECT count(*) FROM initiatives_initiative WHERE title_it LIKE '{label} %'"))


def worker_child_killed(site: Site) -> list[Row]:
    name = "Celery pool process SIGKILLed mid-import"
    env = site.env()
    worker = celery_worker(env, site.folder / "kill-worker.log")
    rows = []
    try:
        pk = _start_import(site, env, "Killed import")
        running = wait_for(lambda: _job(site, pk)[0] == "running", 60, 0.05)
        time.sleep(1.0)  # well inside the rows
        state_when_killed = _job(site, pk)[0]
        children = worker.children()
        for child in children:
            os.kill(child, signal.SIGKILL)
        closed = wait_for(lambda: _job(site, pk)[0] == "failed", 30)
        state, errors = _job(site, pk)
        rows.append(
            Row(
                name,
                "the job is reported failed, with the reason",
                f"{state_when_killed} when killed (after {running:.1f} s + 1 s); {state} "
                + (f"{closed:.1f} s later: {json.loads(errors)[0]['message']}" if closed is not None else "after 30 s"),
                state_when_killed == "running" and closed is not None,
            )
        )
        rows.append(
            Row(
                name,
                "nothing of it imported",
                f"{_imported(site, 'Killed import')} rows",
                _imported(site, "Killed import") == 0,
            )
        )
        # The worker goes on: its next job is done.
        small = _start_import_small(site, env)
        done = wait_for(lambda: _job(site, small)[0] in ("done", "failed"), 120)
        rows.append(
            Row(
                name,
                "the same worker runs the next job",
                f"{_job(site, small)[0]}",
                done is not None and _job(site, small)[0] == "done",
            )
        )
    finally:
        worker.stop()
    return rows


def _start_import_small(site: Site, env: dict[str, str]) -> int:
    code = (
        "from initiatives.exchange.imports import import_job_create\n"
        "from initiatives.tasks import run_import_job\n"
        "job = import_job_create(kind='initiatives', data=b'title_it;start_date\\nDopo il guasto;2025-01-01\\n', "
        "filename='small.csv', total_rows=1, language='en')\n"
        "run_import_job.delay(job.pk)\n"
        "print(job.pk)"
    )
    return int(shell(env, code).splitlines()[-1])


class WholeWorkerKilled:
    """The whole worker (main process and pool) SIGKILLed mid-import, as when
    its container or machine dies: nothing is left to report the task, so the
    job stays running until beat's close_overdue_import_jobs closes it, past
    POPS_IMPORT_JOB_TIME_LIMIT and the 60 s grace. `start` kills it; `finish`,
    a minute later, has a new worker run the beat task."""

    name = "whole Celery worker SIGKILLed mid-import"

    def __init__(self, site: Site):
        self.site = site
        self.rows: list[Row] = []

    def start(self) -> None:
        env = self.site.env()
        worker = celery_worker(env, self.site.folder / "whole-worker.log", name="doomed")
        self.pk = _start_import(self.site, env, "Lost import")
        wait_for(lambda: _job(self.site, self.pk)[0] == "running", 60, 0.05)
        time.sleep(1.0)
        worker.stop(signal.SIGKILL)
        self.killed_at = time.monotonic()
        time.sleep(3)
        state = _job(self.site, self.pk)[0]
        self.rows.append(Row(self.name, "left running while nothing can report it", state, state == "running"))

    def finish(self) -> list[Row]:
        # The limit the closing worker applies: 1 s (+ 60 s grace) instead of
        # 15 min (+ 60 s), so that the run takes one minute, not sixteen.
        env = self.site.env(POPS_IMPORT_JOB_TIME_LIMIT="1")
        remaining = 62 - (time.monotonic() - self.killed_at)
        if remaining > 0:
            time.sleep(remaining)
        worker = celery_worker(env, self.site.folder / "closing-worker.log", name="closer")
        try:
            shell(env, "from initiatives.tasks import close_overdue_import_jobs; close_overdue_import_jobs.delay()")
            closed = wait_for(lambda: _job(self.site, self.pk)[0] == "failed", 30)
        finally:
            worker.stop()
        state, errors = _job(self.site, self.pk)
        message = json.loads(errors)[0]["message"] if errors.startswith("[{") else ""
        self.rows.append(
            Row(
                self.name,
                "beat's close_overdue_import_jobs reports it failed",
                f"{state}: {message}" if closed is not None else state,
                closed is not None,
            )
        )
        imported = _imported(self.site, "Lost import")
        self.rows.append(Row(self.name, "nothing of it imported", f"{imported} rows", imported == 0))
        return self.rows
