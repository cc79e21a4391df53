"""A test-only URLconf: the site's, plus a page that fails unexpectedly, to see
the friendly 500 page (no such page exists in production)."""

from django.urls import path

from pops.urls import urlpatterns as site_urlpatterns

FAILING_PATH = "/unexpected-error/"


def unexpected_error(request):
    raise RuntimeError("An unexpected error, raised on purpose by a test")


urlpatterns = [*site_urlpatterns, path(FAILING_PATH.strip("/") + "/", unexpected_error)]
