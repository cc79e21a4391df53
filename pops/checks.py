"""Start-up requirements of production that not every command needs.

Build steps (`collectstatic`, `compilemessages`) run with production settings
and no services; the processes that serve or work do need a shared cache:
without REDIS_URL each gunicorn worker would cache on its own and Celery would
have no broker. `require_shared_cache()` stops the WSGI, ASGI and Celery
start-up; the system check stops `manage.py` commands that run checks
(`migrate`, `runserver`, `check`).
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MESSAGE = "POPS_ENV=production needs REDIS_URL (the shared cache and the Celery broker)."


def require_shared_cache() -> None:
    if settings.PRODUCTION and not settings.REDIS_URL:
        raise ImproperlyConfigured(MESSAGE)


@checks.register()
def shared_cache_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.PRODUCTION and not settings.REDIS_URL:
        return [checks.Error(MESSAGE, id="pops.E001")]
    return []
