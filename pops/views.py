"""Project-level views: the container's health check and robots.txt."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pops.cache import cache_status


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


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Keep crawlers out of the staff and researcher areas in every language."""
    lines = ["User-agent: *"]
    for code, _name in settings.LANGUAGES:
        lines += [f"Disallow: /{code}/admin/", f"Disallow: /{code}/census/"]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
