"""Fault scripts (`make faults`): the portal in real processes (gunicorn,
Celery) on a PostgreSQL and a Redis of their own, which the scripts stop,
kill and restart. Not collected by pytest; `python -m tests.faults` runs
them all and prints one table."""
