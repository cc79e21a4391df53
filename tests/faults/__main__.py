"""`python -m tests.faults` (make faults): build the private site, run every
fault, print the table; exit 1 if anything did not hold."""

import argparse
import shutil
import sys
import time

from tests.faults import scenarios
from tests.faults.services import scratch_folder
from tests.faults.site import build

DRAFTS = 8


def table(rows: list[scenarios.Row]) -> str:
    head = ("fault", "check", "measured", "held")
    cells = [head, *((r.scenario, r.check, r.measured, "yes" if r.ok else "NO") for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = [" | ".join(c[i].ljust(widths[i]) for i in range(4)) for c in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs) at the end")
    options = parser.parse_args()
    start = time.monotonic()
    folder = scratch_folder("run")
    print(f"Building the private site in {folder} …", flush=True)
    site = build(folder, drafts=DRAFTS)
    rows: list[scenarios.Row] = []
    try:
        print("Killing a Celery pool process mid-import …", flush=True)
        rows += scenarios.worker_child_killed(site)
        whole = scenarios.WholeWorkerKilled(site)
        print("Killing a whole Celery worker mid-import (checked a minute later) …", flush=True)
        whole.start()
        print("Stopping Redis while the researcher submits …", flush=True)
        rows += scenarios.redis_outage(site)
        print("Restarting PostgreSQL under traffic …", flush=True)
        rows += scenarios.postgres_restart(site)
        print("Closing the lost import job …", flush=True)
        rows += whole.finish()
    except Exception as exc:  # a scenario that could not run is a failure of the table, not a crash
        rows.append(scenarios.Row("(run)", "the scenarios ran", f"{type(exc).__name__}: {exc}", False))
        import traceback

        traceback.print_exc()
    finally:
        site.close()
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print(table(rows))
    held = all(r.ok for r in rows)
    print(f"\n{sum(r.ok for r in rows)} of {len(rows)} checks held in {time.monotonic() - start:.0f} s.")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
