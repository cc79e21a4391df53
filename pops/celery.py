"""Celery application: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pops.settings")

app = Celery("pops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _require_shared_cache(sender, **kwargs) -> None:
    from pops.checks import require_shared_cache

    require_shared_cache()
