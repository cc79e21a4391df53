"""The showcase's cache: one version token that every cached figure, page and
index of the public showcase is keyed by, and the helpers that read through it.

The cache is versioned: `showcase_cache_invalidate()` replaces the token and
every cached entry of the previous version stops being read (each expires on
its own), so nothing has to enumerate keys. The token is kept in the cache
every process shares (`pops.cache.versions()`: Redis in production, a file on
the embedded default), so a page cached by one process is retired by a
publication in another. Whole public pages are cached the
same way for anonymous visitors (`cache_public_page`), keyed by their URL with
its query string in canonical form: only a query string made of known
parameters with valid values is cached (`canonical_query`), so that arbitrary
ones cannot fill the cache.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils.translation import get_language

from pops.cache import after_outage, versions

VERSION_KEY = "showcase:version"
TIMEOUT = 60 * 60 * 6
# Whole pages also show people, partners and vocabularies, whose edits do not
# all replace the version: they expire sooner.
PAGE_TIMEOUT = 60 * 10
MAX_CACHED_URL = 1000


def _new_version() -> None:
    versions().set(VERSION_KEY, uuid.uuid4().hex, None)


def showcase_cache_invalidate() -> None:
    """Forget every cached showcase figure, page and index (call it when the
    set of public initiatives, or a public initiative, changes). Inside a
    transaction the version is replaced again when it commits (once, however
    many rows it saved): a request served in between may have cached what it
    read before the commit."""
    _new_version()
    if connection.in_atomic_block and not any(
        callback is _new_version for _savepoints, callback, _robust in connection.run_on_commit
    ):
        transaction.on_commit(_new_version)


def _version() -> str:
    """The current version token. A random one, not a counter: after the cache
    is emptied (a Redis restart), no process mistakes an index it built long
    ago for the current one. While the cache cannot be reached, a new token
    each time: nothing built before can be trusted."""
    store = versions()
    version = store.get(VERSION_KEY)
    if version is None:
        store.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = store.get(VERSION_KEY)
    return version or uuid.uuid4().hex


# Invalidations sent while the cache was unreachable were lost: start afresh.
after_outage(_new_version)


def _key_prefix() -> str:
    return f"showcase:{_version()}:{get_language()}"


def _cache_key(name: str, *parts: str, prefix: str = "") -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()[:16] if parts else "-"
    return f"{prefix or _key_prefix()}:{name}:{digest}"


def cached(name: str, compute, *parts: str):
    """`compute()`, cached per showcase version, language and `parts`."""
    key = _cache_key(name, *parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value


# --- Whole pages -----------------------------------------------------------------

# Pages of a list beyond this one are rendered afresh (and not kept).
MAX_CACHED_PAGE = 50


def _free_text(filter_) -> bool:
    field = filter_.field
    return getattr(field, "queryset", None) is None and getattr(field, "choices", None) is None


def _valid_values(filterset_class, name: str) -> frozenset[str] | None:
    """The valid values of one filter (codes of a vocabulary, choices), or
    None for free text or an unknown name; per showcase version, so that
    checking a query string costs a query once per filter and version."""
    filter_ = filterset_class.base_filters.get(name)
    if filter_ is None:
        return None

    def compute():
        field = filter_.field
        queryset = getattr(field, "queryset", None)
        if queryset is not None:
            return frozenset(str(v) for v in queryset.values_list(field.to_field_name or "pk", flat=True))
        if getattr(field, "choices", None) is not None:
            return frozenset(str(value) for value, _label in field.choices)
        return None

    return cached(f"valid-values:{filterset_class.__name__}:{name}", compute)


def canonical_query(request, filterset_class=None) -> str | None:
    """The query string of `request` sorted, without empty values, when every
    parameter is one of `filterset_class` (or "page", a page number up to
    MAX_CACHED_PAGE) with a valid value; None when the page must not be cached
    (an unknown parameter or value, a free-text search)."""
    if not request.GET:
        return ""
    if filterset_class is None:
        return None
    items = set()
    for name, values in request.GET.lists():
        if name != "page" and name not in filterset_class.base_filters:
            return None
        for value in values:
            if value:
                items.add((name, value))
    # Refusals that cost no query first: pages, free text; then the values.
    for name, value in items:
        if name == "page":
            if not (value.isascii() and value.isdigit() and value[0] != "0" and int(value) <= MAX_CACHED_PAGE):
                return None
        elif _free_text(filterset_class.base_filters[name]):
            return None
    for name, value in items:
        if name != "page":
            valid = _valid_values(filterset_class, name)
            if valid is None or value not in valid:
                return None
    return urlencode(sorted(items))


def _page_cacheable(request) -> bool:
    return (
        getattr(settings, "POPS_SHOWCASE_PAGE_CACHE", True)
        and request.method == "GET"
        and len(request.get_full_path()) <= MAX_CACHED_URL
        and not request.user.is_authenticated
        # Pending messages are shown (and consumed) by the page: render it afresh.
        and not len(get_messages(request))
    )


def _response_cacheable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        # The page used a CSRF token: it differs per visitor.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
    )


def cache_public_page(view=None, *, filterset=None):
    """Serve a public GET page from the cache to anonymous visitors, keyed by
    its URL (query string in canonical form, see `canonical_query`; a page
    with any other query string is rendered afresh and not kept), language
    and showcase version: `showcase_cache_invalidate()` retires every cached
    page at once. `filterset` names the FilterSet whose parameters the page
    takes; without it, only the page without a query string is cached."""
    if view is None:
        return functools.partial(cache_public_page, filterset=filterset)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _page_cacheable(request):
            return view(request, *args, **kwargs)
        query = canonical_query(request, filterset)
        if query is None:
            return view(request, *args, **kwargs)
        url = hashlib.sha1(
            f"{request.build_absolute_uri(request.path)}?{query}".encode(), usedforsecurity=False
        ).hexdigest()
        key = f"{_key_prefix()}:page:{url}"
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if _response_cacheable(request, response):
            cache.set(key, (response.content, response["Content-Type"]), PAGE_TIMEOUT)
        return response

    return wrapper
