import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _limits_on_and_counted_afresh(settings):
    """Rate limits as in production, counted from zero in each test; a fast
    hasher, since these tests log in dozens of times."""
    settings.RATELIMIT_ENABLE = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()
