"""Project-level views: the container's health check, robots.txt and signing out."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
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
