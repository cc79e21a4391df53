"""Project-level views: the health checks, robots.txt, signing out and the
server-error page."""

import logging
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pops.cache import cache_status

logger = logging.getLogger(__name__)

# How long /health/ waits for the broker before calling it unavailable.
BROKER_TIMEOUT_SECONDS = 2
# What a 503 page asks clients to wait before trying again (a PostgreSQL
# restart or fail-over takes seconds).
UNAVAILABLE_RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database that does not answer (stopped, restarting, a
    connection cut under a request) is not a bug of the page: it answers 503
    with templates/503.html and Retry-After, so clients and the proxy know to
    try again; any other error keeps Django's 500 page. Both templates render
    without context: the context processors may need the database."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the container health check (a failing
    database answers 500). The cache is reported, not required: without it
    the site serves every page uncached, so the answer is still 200, with
    status "degraded" for monitoring to see."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    cache = cache_status()
    return JsonResponse({"status": "ok" if cache == "ok" else "degraded", "database": "ok", "cache": cache})


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.warning("health: the database does not answer", exc_info=True)
        return "unavailable"
    return "ok"


def _broker_status() -> str:
    """ "ok" when Celery's broker accepts a connection; "eager" on the
    embedded default, where tasks run in the web process and no broker is
    needed."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception:  # kombu raises the transport's own errors, of many kinds
        logger.warning("health: the broker does not answer", exc_info=True)
        return "unavailable"
    return "ok"


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Readiness for the compose health checks and monitoring: the database,
    the shared cache and Celery's broker, each "ok" (the broker "eager" on
    the embedded default) or "unavailable"; 200 when all answer, 503 naming
    what failed. /healthz stays the liveness probe (the process serves)."""
    checks = {"database": _database_status(), "cache": cache_status(), "broker": _broker_status()}
    failed = sorted(name for name, status in checks.items() if status == "unavailable")
    body = {"status": "unavailable" if failed else "ok", **checks, "failed": failed}
    return JsonResponse(body, status=503 if failed else 200)


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Keep crawlers out of the staff and researcher areas in every language."""
    lines = ["User-agent: *"]
    for code, _name in settings.LANGUAGES:
        lines += [f"Disallow: /{code}/admin/", f"Disallow: /{code}/census/"]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


class LogoutView(auth_views.LogoutView):
    """Signing out is a POST (Django's own view, with its CSRF check); a GET,
    from an old bookmark or a link, answers with a page holding the button
    instead of Django's 405. Then the home page, with a word saying so."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(settings.LOGOUT_REDIRECT_URL)
        return TemplateResponse(request, "registration/logout_confirm.html", {})

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, _("You are signed out. See you soon!"))
        return response
