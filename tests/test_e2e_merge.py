"""Merging two duplicates end to end in a real browser, as a curator does it:
from the review page's suggestion to the side-by-side comparison, choosing
fields, the warning about a published initiative, the merge, the old address
redirecting, and the undo; in Italian and English, on a desktop and a phone."""

import contextlib
import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from initiatives.factories import InitiativeFactory, UserFactory
from initiatives.models import Initiative, InitiativeMerge, Theme
from tests.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pops-demo-2026"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=[("it", "desktop"), ("en", "desktop"), ("it", "phone"), ("en", "phone")], ids="-".join)
def curator_page(request, browser, live_server, live_reference_data):
    language, device = request.param
    context = browser.new_context(
        viewport=VIEWPORTS[device], locale="it-IT" if language == "it" else "en-GB", is_mobile=device == "phone"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    page.language, page.device = language, device
    yield page
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


def url(page, name: str, *args, query: str = "") -> str:
    with translation.override(page.language):
        return page.base_url + reverse(name, args=args) + query


def test_a_curator_compares_merges_follows_the_old_address_and_undoes(curator_page):
    page = curator_page
    curator = UserFactory(username="curatore", is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_initiative", "change_initiative", "delete_initiative"])
    )
    dates = {"start_date": datetime.date(2024, 3, 1), "end_date": None, "budget": None, "external_funding": None}
    kept = InitiativeFactory(
        published=True,
        title_it="Orti alti a Torino",
        title_en="High gardens in Turin",
        website="https://a.example.org",
        **dates,
    )
    duplicate = InitiativeFactory(
        published=True, title_it="Orti Alti Torino", title_en="", website="https://b.example.org", **dates
    )
    kept.themes.set(Theme.objects.all()[:1])
    duplicate.themes.set(Theme.objects.all()[1:2])
    Initiative.objects.filter(pk=duplicate.pk).update(created_at=kept.created_at.replace(year=kept.created_at.year + 1))
    with translation.override(page.language):
        old_address, kept_address = duplicate.get_absolute_url(), kept.get_absolute_url()
    name = f"merge-{page.language}-{page.device}"

    page.goto(url(page, "admin:login"))
    page.fill("#id_username", "curatore")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    # The review page suggests the look-alike, with a link to compare them.
    page.goto(url(page, "admin:initiatives_initiative_review", duplicate.pk))
    page.click("a.merge-link")
    page.wait_for_url("**/merge/?with=*")
    assert page.is_checked("#survivor-b")  # the older published one is kept by default
    page.click("label[for='field_website-a']")  # the duplicate's website
    page.click("label[for='set_themes-both']")
    screenshot(page, f"{name}-compare")
    assert axe_violations(page) == []

    page.click("#merge-form input[type=submit]")
    assert page.locator("#merge-published-warning").is_visible()
    assert old_address in page.locator("#merge-published-warning").inner_text()
    screenshot(page, f"{name}-confirm")
    assert axe_violations(page) == []
    page.click("#merge-confirm input[name=confirm]")
    page.wait_for_url("**/merges/**", timeout=30_000)
    screenshot(page, f"{name}-list")
    assert axe_violations(page) == []
    kept.refresh_from_db()
    assert kept.website == "https://b.example.org"
    assert set(kept.themes.all()) == set(Theme.objects.all()[:2])

    # The old address leads to the initiative kept, with a permanent redirect.
    response = page.goto(page.base_url + old_address)
    assert response.request.redirected_from is not None
    assert response.request.redirected_from.response().status == 301
    assert page.url == page.base_url + kept_address

    # Undo, after a confirmation.
    page.goto(url(page, "admin:initiatives_initiative_merges"))
    page.click(f"#merge-{InitiativeMerge.objects.get().pk} a.button")
    screenshot(page, f"{name}-undo")
    assert axe_violations(page) == []
    page.click("#undo-confirm input[type=submit]")
    page.wait_for_url("**/merges/")
    assert InitiativeMerge.objects.get().undone_at is not None
    response = page.goto(page.base_url + old_address)
    assert response.status == 200 and page.url == page.base_url + old_address
    kept.refresh_from_db()
    assert kept.website == "https://a.example.org"
