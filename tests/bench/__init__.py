"""Benchmarks, run by `make bench` and `make bench-exports` as scripts
(`python -m tests.bench.showcase`, `python -m tests.bench.exports`), not by
pytest: their names do not match `test_*.py`."""

import os


def setup_django() -> None:
    """Load the project's settings (DATABASE_URL chooses the database)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pops.settings")
    django.setup()
