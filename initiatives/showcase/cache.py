"""The showcase's cache: one version token that every cached figure, page and
index of the public showcase is keyed by, and the helpers that read through it.

The cache is versioned: `showcase_cache_invalidate()` replaces the token and
every cached entry of the previous version stops being read (each expires on
its own), so nothing has to enumerate keys. The token is kept in the database
(`ShowcaseVersion`), so every process agrees on it. Whole public pages are cached the
same way for anonymous visitors (`cache_public_page`), keyed by their full URL.
"""

from __future__ import annotations

import functools
import hashlib
import uuid

from asgiref.local import Local
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from initiatives.models import ShowcaseVersion

VERSION_KEY = "showcase:version"
TIMEOUT = 60 * 60 * 6
# Whole pages also show people, partners and vocabularies, whose edits do not
# all replace the version: they expire sooner.
PAGE_TIMEOUT = 60 * 10
MAX_CACHED_URL = 1000


def _bump_local() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def _bump_shared() -> None:
    token = uuid.uuid4().hex
    if not ShowcaseVersion.objects.filter(pk=1).update(token=token, changed_at=timezone.now()):
        token = ShowcaseVersion.objects.get_or_create(pk=1, defaults={"token": token})[0].token
    _seen.token = token


def showcase_cache_invalidate() -> None:
    """Forget every cached showcase figure, page and index (call it when the
    set of public initiatives, or a public initiative, changes).

    The version is two tokens. The shared one, in the database, is what every
    process reads: it is replaced once the transaction commits (in its own
    short transaction, so a long import never holds a lock on it), and at once
    outside a transaction. The local one, in the cache, is replaced at once, so
    that what this transaction reads next is not served from before it (an
    entry cached in between is retired at commit by the shared token)."""
    _bump_local()
    if not connection.in_atomic_block:
        _bump_shared()
    elif not any(callback is _bump_shared for _savepoints, callback, _robust in connection.run_on_commit):
        # Once per transaction, however many rows it saves.
        transaction.on_commit(_bump_shared)


# The shared token as this thread last read it: read once per request or task
# (`forget_seen_version` runs as each starts), not once per cached figure.
_seen = Local()


def forget_seen_version(**kwargs) -> None:
    """Read the shared token afresh next time (connected to the start of every
    request and Celery task in `initiatives.signals`)."""
    _seen.token = None


def _shared_version() -> str:
    token = getattr(_seen, "token", None)
    if token is None:
        token = ShowcaseVersion.objects.filter(pk=1).values_list("token", flat=True).first()
        if token is None:
            token = ShowcaseVersion.objects.get_or_create(pk=1, defaults={"token": uuid.uuid4().hex})[0].token
        _seen.token = token
    return token


def _local_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY) or ""
    return version


def _version() -> str:
    """The current version: the shared token, then the local one. Random
    tokens, not counters: after the cache is emptied (a Redis restart) or the
    database restored, no process mistakes an index it built long ago for the
    current one. With the cache unreachable the local token is empty and the
    shared one still tells every process apart."""
    return f"{_shared_version()}.{_local_version()}"


def _key_prefix() -> str:
    return f"showcase:{_version()}:{get_language()}"


def _cache_key(name: str, *parts: str, prefix: str = "") -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16] if parts else "-"
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


def cache_public_page(view):
    """Serve a public GET page from the cache to anonymous visitors, keyed by
    its absolute URL (query string included), language and showcase version:
    `showcase_cache_invalidate()` retires every cached page at once."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _page_cacheable(request):
            return view(request, *args, **kwargs)
        url = hashlib.sha1(request.build_absolute_uri().encode()).hexdigest()
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
