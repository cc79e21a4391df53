import contextlib
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from initiatives.showcase import facet_index
from pops.reference_data import load_reference_data


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database holds the reference data, as every real one does."""
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture(scope="session", autouse=True)
def _shared_cache_of_the_run(tmp_path_factory):
    """On the embedded default the cache shared by processes is a folder: the
    test run's own, not the developer's (a `make run` beside it)."""
    from django.test import override_settings

    shared = settings.CACHES["versions"]
    if shared["BACKEND"].endswith("FileBasedCache"):
        folder = tmp_path_factory.mktemp("cache")
        with override_settings(CACHES={**settings.CACHES, "versions": {**shared, "LOCATION": str(folder)}}):
            yield
    else:
        yield


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Rate limits count in a cache that outlives each test: the suite as a
    # whole would exceed them. tests/test_security.py turns them on.
    settings.RATELIMIT_ENABLE = False
    # A request under /en/ leaves English active in the thread: start each test
    # in the default language, as a fresh process would.
    translation.activate(settings.LANGUAGE_CODE)
    # Each test's rows are rolled back without a signal: no test may read the
    # showcase index another one built.
    facet_index.forget()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _staff_sessions_pass_the_second_factor(request, settings, monkeypatch):
    """Staff must pass a second factor to use the admin (pops/otp.py). A
    test client's `force_login` of a staff account (the `admin_client`'s too)
    passes it as well, as a real sign-in would, with a confirmed
    authenticator: the admin's tests keep the requirement on and exercise
    what a verified staff session sees. Browser tests that sign staff in
    through the login form run without the requirement. Tests of the second
    factor itself (marker `second_factor`) get neither."""
    if request.node.get_closest_marker("second_factor"):
        return
    if request.node.get_closest_marker("e2e"):
        settings.POPS_STAFF_OTP = False
        return
    from django.test.client import ClientMixin
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    force_login = ClientMixin.force_login

    def force_login_with_second_factor(self, user, backend=None):
        force_login(self, user, backend)
        if user.is_staff and user.is_active:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login_with_second_factor)


@pytest.fixture
def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


# --- End-to-end tests: Playwright driving Debian's chromium ---------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    """A headless chromium for the whole session (skipped where none is installed,
    except in CI, where a missing browser is a failure)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop; Django must allow ORM calls from
    # the test body while it runs.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_reference_data(transactional_db):
    """Transactional tests start from an empty database: load the reference data."""
    load_reference_data()


@pytest.fixture
def page(browser, live_server, live_reference_data):
    """A desktop-sized page; `page.base_url` is the live server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    # Let late requests (autosave, images) finish before the live server may stop.
    with contextlib.suppress(Exception):  # a page still busy after 5 s is closed anyway
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Run the vendored axe-core on the page (WCAG 2.1 A and AA rules). It is
    loaded from the live server, as a file: the pages' Content-Security-Policy
    refuses an inline script."""
    origin = page.evaluate("location.origin")
    page.add_script_tag(url=f"{origin}/static/vendor/axe-core/axe.min.js")
    return page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
    )


# --- Real processes: a demo database on disk, built once per test session -------


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """A SQLite file as `make run` leaves it, for tests that run the portal in
    processes of its own (tests/processes.py); copy it before changing it."""
    from tests.processes import build_demo_database

    return build_demo_database(tmp_path_factory.mktemp("demo"))
