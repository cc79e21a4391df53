"""The cache backend of production: Django's Redis cache, made optional.

The cache only ever holds what can be computed again (showcase pages and
figures, the version token they are keyed by), so an unreachable Redis must
cost speed, never a page: every operation that cannot reach it answers as a
miss (`get` gives the default, `add` and `set` store nothing) and logs a
warning. After a failure the cache is skipped for `RETRY_AFTER` seconds, so
an outage does not add a connection timeout to every call of every request;
when it answers again, the callbacks registered with `after_outage()` run
once (what was invalidated meanwhile was not).

`versions()` is the cache that every process shares, for version tokens: the
same Redis in production, a file-based cache on the embedded default (whose
"default" cache is each process's memory). `cache_status()` tells `/healthz`
whether the cache answers.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_after_outage: list = []


def after_outage(callback) -> None:
    """Run `callback()` each time this process reaches Redis again after
    failing to."""
    _after_outage.append(callback)


def versions():
    """The cache all processes share (CACHES["versions"])."""
    return caches["versions"]


UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER = 5.0


def _degrades_to(fallback):
    """Run the operation, or give `fallback(*args, **kwargs)` when Redis cannot
    be reached (or could not be a moment ago)."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except UNREACHABLE as error:
                self._down_until = time.monotonic() + RETRY_AFTER
                self._missed = True
                logger.warning("Cache unreachable, serving without it for %.0f s: %s", RETRY_AFTER, error)
                return fallback(*args, **kwargs)
            if self._missed:
                self._missed = False
                logger.warning("Cache reachable again.")
                for callback in _after_outage:
                    callback()
            return result

        return wrapper

    return decorator


def _default(key, default=None, *args, **kwargs):
    return default


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _empty(*args, **kwargs):
    return {}


def _all_failed(data, *args, **kwargs):
    return list(data)


def _no_value(key, delta=1, version=None):
    raise ValueError(f"Key {key!r} not found (the cache is unreachable).")


class ResilientRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` that degrades to no cache."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0
        self._missed = False

    get = _degrades_to(_default)(RedisCache.get)
    get_many = _degrades_to(_empty)(RedisCache.get_many)
    has_key = _degrades_to(_false)(RedisCache.has_key)
    add = _degrades_to(_false)(RedisCache.add)
    set = _degrades_to(_nothing)(RedisCache.set)
    set_many = _degrades_to(_all_failed)(RedisCache.set_many)
    touch = _degrades_to(_false)(RedisCache.touch)
    delete = _degrades_to(_false)(RedisCache.delete)
    delete_many = _degrades_to(_nothing)(RedisCache.delete_many)
    incr = _degrades_to(_no_value)(RedisCache.incr)
    clear = _degrades_to(_false)(RedisCache.clear)

    def ping(self) -> bool:
        """Whether Redis answers now (ignores the pause after a failure)."""
        try:
            return bool(self._cache.get_client(write=False).ping())
        except UNREACHABLE:
            return False


def cache_status(alias: str = "default") -> str:
    """ "ok", or "unavailable" when the shared cache does not answer (the site
    then serves every page uncached). A per-process cache is always "ok"."""
    backend = caches[alias]
    if isinstance(backend, ResilientRedisCache):
        return "ok" if backend.ping() else "unavailable"
    return "ok"
