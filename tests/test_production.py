"""With production settings, as the Dockerfile builds them (collectstatic into
hashed, compressed files, DEBUG off, gunicorn), no public URL answers 500.

The server is started from a demo database and crawled from the home pages in
both languages, following every link of the site, plus the pages no link
leads to (a 404, the password reset, the API's schema). A template that names
a static file the manifest lacks, or any other error of this class, fails here.
"""

import os
import re
from collections import Counter
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest

from tests.processes import Server, copy_of, manage

PRODUCTION = {
    "POPS_ENV": "production",
    "SECRET_KEY": "production-test-not-a-secret",
    "ALLOWED_HOSTS": "localhost",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    # The shared cache of the run, or none at all (the site then serves every
    # page uncached, which this test also proves).
    "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:1/0",
}
NOT_LINKED = [
    "/it/pagina-che-non-esiste/",
    "/en/no-such-page/",
    "/it/iniziative/nessuna-iniziativa-con-questo-nome/",
    "/accounts/login/",
    "/it/accounts/password_reset/",
    "/en/accounts/password_reset/",
    "/it/accounts/reset/Mg/set-password/",
    "/it/census/",
    "/it/admin/",
    "/sitemap.xml",
    "/robots.txt",
    "/healthz",
    "/api/",
    "/api/initiatives/",
    "/api/schema/",
    "/api/docs/",
    "/it/iniziative/?page=999",
    "/it/iniziative/?year=abc&sort=nonsense",
]
# Pages of one kind (the same path once its last segment is dropped) beyond
# these many are not visited: 45 initiative pages prove no more than three.
PER_KIND = 3
MAX_PAGES = 400
LINK = re.compile(r"""(?:href|src)=["']([^"'#]+)""")


def kind_of(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return "/".join(parts[:-1]) if len(parts) > 2 else path


@pytest.fixture(scope="module")
def production_site(demo_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    database = copy_of(demo_database, folder)
    static_root = folder / "staticfiles"
    environment = {
        **PRODUCTION,
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(folder / "media"),
        "PRIVATE_MEDIA_ROOT": str(folder / "private"),
    }
    manage(database, "collectstatic", "--noinput", "-v0", **environment)
    assert (static_root / "staticfiles.json").exists()
    with Server(database, workers=2, **environment) as server:
        yield server


def test_no_public_url_answers_500_with_production_settings(production_site):
    server = production_site
    queue = ["/it/", "/en/", *NOT_LINKED]
    seen, statuses, per_kind = set(queue), {}, Counter()
    while queue and len(statuses) < MAX_PAGES:
        path = queue.pop(0)
        status, body, headers = server.get(path)
        statuses[path] = status
        if status != 200 or "html" not in headers.get("Content-Type", ""):
            continue
        for link in LINK.findall(body):
            url = urlsplit(urljoin(server.base + path, unescape(link)))
            # Another site, or an address of another kind (the site pages' mailto: links).
            if url.scheme not in ("http", "https") or (url.netloc and url.netloc != urlsplit(server.base).netloc):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target in seen or "/admin/" in url.path or url.path.startswith("/media/"):
                continue
            seen.add(target)
            if not url.path.startswith("/static/"):
                per_kind[kind_of(url.path)] += 1
                if per_kind[kind_of(url.path)] > PER_KIND:
                    continue
            queue.append(target)

    errors = {path: status for path, status in statuses.items() if status >= 500}
    assert not errors, errors
    # Every asset the pages name exists under its hashed name.
    missing = {path: s for path, s in statuses.items() if path.startswith("/static/") and s != 200}
    assert not missing, missing
    assert any(path.startswith("/static/") and re.search(r"\.[0-9a-f]{12}\.", path) for path in statuses)
    # The crawl reached every kind of public page, in both languages.
    for expected in ("/it/iniziative/", "/en/initiatives/", "/it/persone/", "/it/statistiche/", "/it/mappa/"):
        assert any(path.startswith(expected) for path, s in statuses.items() if s == 200), expected
    assert statuses["/it/pagina-che-non-esiste/"] == 404
    assert statuses["/it/accounts/password_reset/"] == 200
    assert len(statuses) > 80
