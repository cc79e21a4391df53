"""A visitor explores the public showcase in a real browser: home, two facets,
a search, an initiative, English, the map and the statistics, with axe-core
checking every page type."""

import pytest

from impact.models import SDG
from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, PlaceFactory
from initiatives.models import Department, Sector
from stakeholders.factories import PartnershipFactory
from tests.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_violations(page) -> None:
    violations = axe_violations(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


@pytest.fixture
def showcase(live_reference_data):
    sector = (
        Sector.objects.get(code="gestione-territorio")
        if Sector.objects.filter(code="gestione-territorio").exists()
        else Sector.objects.first()
    )
    department = Department.objects.first()
    target = InitiativeFactory(
        published=True,
        title_it="Orti di comunità a Mirafiori",
        title_en="Community gardens in Mirafiori",
        sectors=[sector],
        departments=[department],
        sdgs=[SDG.objects.get(number=11)],
        scale="local",
    )
    ParticipationFactory(initiative=target, person=PersonFactory(public_profile=True, department=department))
    PartnershipFactory(initiative=target)
    PlaceFactory(initiative=target)
    InitiativeFactory(published=True, title_it="Sportello digitale a Ivrea", sectors=[sector], scale="regional")
    for _ in range(6):
        other = InitiativeFactory(published=True)
        PlaceFactory(initiative=other)
        ParticipationFactory(initiative=other, person=PersonFactory(public_profile=True))
    return {"sector": sector, "department": department, "target": target}


def test_a_visitor_filters_searches_reads_switches_language_and_opens_map_and_statistics(page, showcase):
    page.goto(page.base_url + "/it/")
    assert page.get_by_role("heading", level=1).inner_text() == "PoliTO per il Sociale"
    no_violations(page)
    screenshot(page, "showcase-home-it")

    page.get_by_role("link", name="Explore the initiatives").or_(
        page.get_by_role("link", name="Esplora le iniziative")
    ).first.click()
    page.wait_for_url("**/it/**")
    no_violations(page)

    # Two facets: sector and scale.
    page.locator("details.pops-facet", has=page.locator("input[name=sector]")).locator("summary").click()
    page.locator(f"input[name=sector][value='{showcase['sector'].code}']").check(force=True)
    page.locator("details.pops-facet", has=page.locator("input[name=scale]")).locator("summary").click()
    page.locator("input[name=scale][value=local]").check(force=True)
    page.locator("#filters button[type=submit]").last.click()
    page.wait_for_url(f"**sector={showcase['sector'].code}**")
    assert "scale=local" in page.url
    assert page.get_by_role("link", name="Orti di comunità a Mirafiori").is_visible()
    assert page.get_by_role("link", name="Sportello digitale a Ivrea").count() == 0

    # An inflected form: "orto" finds "Orti di comunità", sorted by relevance.
    page.fill("#q", "orto")
    page.locator("#filters .btn-primary.w-100").click()
    page.wait_for_url("**q=orto**")
    assert page.get_by_role("link", name="Orti di comunità a Mirafiori").is_visible()
    assert page.locator("#sort option:checked").inner_text() == "Pertinenza"

    # A search, keeping the filters.
    page.fill("#q", "Mirafiori")
    page.locator("#filters .btn-primary.w-100").click()
    page.wait_for_url("**q=Mirafiori**")
    assert "scale=local" in page.url
    screenshot(page, "showcase-list-it")
    no_violations(page)

    page.get_by_role("link", name="Orti di comunità a Mirafiori").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Orti di comunità a Mirafiori"
    assert page.locator("script[type='application/ld+json']").count() == 1
    page.wait_for_selector("#initiative-map .leaflet-marker-icon")
    no_violations(page)
    screenshot(page, "showcase-detail-it")

    page.locator(".pops-language").get_by_role("link", name="EN").click()
    page.wait_for_url("**/en/**")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Community gardens in Mirafiori"
    screenshot(page, "showcase-detail-en")

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Map").click()
    page.wait_for_url("**/en/map/**")
    page.wait_for_selector("#initiatives-map[data-markers]", state="attached")
    assert page.locator("#initiatives-map").get_attribute("data-markers") == "7"  # every place with coordinates
    no_violations(page)
    screenshot(page, "showcase-map-en")

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Statistics").click()
    page.wait_for_url("**/en/statistics/**")
    page.wait_for_selector("#canvas-departments")
    assert page.locator("table").count() >= 5
    no_violations(page)
    screenshot(page, "showcase-statistics-en")


def test_the_people_pages_and_the_404_have_no_accessibility_violations(page, showcase):
    for path in ("/en/people/", f"/en/departments/{showcase['department'].code}/", "/en/nowhere/"):
        page.goto(page.base_url + path)
        no_violations(page)
    person = showcase["target"].participations.filter(person__public_profile=True).first().person
    page.goto(page.base_url + person.get_absolute_url())
    no_violations(page)


def test_the_english_home_the_sector_page_and_the_500_have_no_accessibility_violations(page, showcase, settings):
    from django.urls import reverse
    from django.utils import translation

    from tests.initiatives.urls_with_an_error import FAILING_PATH

    page.goto(page.base_url + "/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "PoliTO for Society"
    page.locator("details.pops-aims summary").click()  # the aims, open
    assert page.locator("details.pops-aims li").count() == 9
    no_violations(page)
    screenshot(page, "showcase-home-en")

    for language in ("it", "en"):
        with translation.override(language):
            url = reverse("sector-detail", kwargs={"code": showcase["sector"].code})
        page.goto(page.base_url + url)
        assert (
            page.get_by_role("link", name="Orti di comunità a Mirafiori")
            .or_(page.get_by_role("link", name="Community gardens in Mirafiori"))
            .first.is_visible()
        )
        no_violations(page)
    screenshot(page, "showcase-sector-en")

    # The friendly 500, as the live server answers an unexpected error (a
    # test-only URLconf has a failing page).
    settings.ROOT_URLCONF = "tests.initiatives.urls_with_an_error"
    response = page.goto(page.base_url + FAILING_PATH)
    assert response.status == 500
    assert page.get_by_role("heading", level=1).inner_text() == "Si è verificato un errore"
    no_violations(page)
    screenshot(page, "showcase-500")


def test_a_keyboard_user_can_skip_to_the_content_and_reach_the_filters(page, showcase):
    page.goto(page.base_url + "/en/initiatives/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"


def test_on_a_phone_the_navigation_opens_from_the_menu_button(browser, live_server, live_reference_data):
    InitiativeFactory(published=True, title_it="Orti condivisi", title_en="Shared gardens")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server.url + "/en/")
    menu_link = page.locator("#main-nav").get_by_role("link", name="Statistics")
    assert not menu_link.is_visible()
    page.get_by_role("button", name="Show or hide the navigation").click()
    menu_link.click()
    page.wait_for_url("**/en/statistics/**")
    no_violations(page)
    # The search is one tap away from any page: the header's button leads to
    # the list's search box, ready to type.
    page.get_by_role("link", name="Search the initiatives").click()
    page.wait_for_url("**/en/initiatives/#q")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("orto")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=orto**")
    # An inflected form: "orto" finds "Orti condivisi", shown by its English title.
    assert page.get_by_role("link", name="Shared gardens").is_visible()
    screenshot(page, "showcase-phone-search-en")
    no_violations(page)
    context.close()


def test_a_visitor_filters_the_map_and_reads_what_it_shows_beside_it(page, showcase):
    # Three places of one initiative at one address (three courtyards of a block): always one
    # group (a marker cluster's grid may split places a few streets apart), counting one initiative.
    spread = InitiativeFactory(
        published=True, title_it="Cortili aperti", title_en="Open courtyards", sectors=[showcase["sector"]]
    )
    for _ in range(3):
        PlaceFactory(initiative=spread, municipality="Torino", latitude=45.07, longitude=7.68)
    page.goto(page.base_url + "/en/map/")
    page.wait_for_selector("#initiatives-map[data-markers]", state="attached")
    assert page.locator("#initiatives-map").get_attribute("data-markers") == "10"
    assert page.locator("#initiatives-map").get_attribute("data-initiatives") == "8"
    assert int(page.locator("#map-list").get_attribute("data-shown")) >= 1
    groups = page.locator(".marker-cluster span").all_inner_texts()
    # A group counts initiatives: none can count more than the 8 on the map (10 places).
    assert groups and all(1 <= int(n) <= 8 for n in groups)
    no_violations(page)
    screenshot(page, "showcase-map-list-en")

    # The list's filters, on the map: one sector.
    page.locator("details.pops-facet", has=page.locator("input[name=sector]")).locator("summary").click()
    page.locator(f"input[name=sector][value='{showcase['sector'].code}']").check(force=True)
    page.locator("#filters .pops-facets button[type=submit]").click()
    page.wait_for_url(f"**/en/map/?*sector={showcase['sector'].code}*")
    page.wait_for_selector("#initiatives-map[data-markers]", state="attached")
    # The sector's initiatives with a place, listed by title beside the map.
    titles = page.locator("#map-list a").all_inner_texts()
    assert {"Community gardens in Mirafiori", "Open courtyards"} <= set(titles)
    assert "Sportello digitale a Ivrea" not in titles  # in the sector, but with no place
    assert titles == sorted(titles)
    assert page.locator("#initiatives-map").get_attribute("data-initiatives") == str(len(titles))
    assert page.get_by_role("status").first.inner_text().startswith(f"{len(titles) + 1} initiatives match")
    assert page.locator(".pops-chips").get_by_role("link", name="Clear all filters").is_visible()
    no_violations(page)
    screenshot(page, "showcase-map-filtered-en")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + f"/it/mappa/?sector={showcase['sector'].code}")
    page.wait_for_selector("#initiatives-map[data-markers]", state="attached")
    # A phone's map may hold fewer of them at once: the count says how many are in view.
    shown = int(page.locator("#map-list").get_attribute("data-shown"))
    assert 1 <= shown <= len(titles)
    assert page.locator("#map-list-count").inner_text() == (
        "1 iniziativa in questa vista" if shown == 1 else f"{shown} iniziative in questa vista"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    no_violations(page)
    screenshot(page, "showcase-map-filtered-it-390")


def test_a_visitor_copies_the_link_and_prints_the_initiative_page(browser, live_server, showcase):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    target = showcase["target"]
    page.goto(live_server.url + f"/en/initiatives/{target.slug}/")
    page.get_by_role("button", name="Copy link").click()
    page.locator(".pops-share-status").filter(has_text="Link copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()").endswith(f"/en/initiatives/{target.slug}/")
    assert page.locator(".pops-citation").inner_text().endswith(f"/en/initiatives/{target.slug}/")
    no_violations(page)

    # Printed: the content alone, with the page's address and where its links lead.
    page.emulate_media(media="print")
    assert not page.locator(".it-header-wrapper").is_visible()
    assert not page.locator(".it-footer").is_visible()
    assert not page.get_by_role("button", name="Copy link").is_visible()
    assert page.locator(".pops-print-only").is_visible()
    assert "Community gardens in Mirafiori" in page.locator("h1").inner_text()
    screenshot(page, "showcase-detail-print-en")

    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + f"/it/iniziative/{target.slug}/")
    assert page.get_by_role("button", name="Copia il link").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    no_violations(page)
    page.emulate_media(media="print")
    assert not page.locator(".it-header-wrapper").is_visible()
    screenshot(page, "showcase-detail-print-it-390")
    context.close()


def test_on_a_phone_the_impact_table_and_the_statistics_fit_the_screen(browser, live_server, showcase):
    from impact.factories import ImpactFactory

    target = showcase["target"]
    for kind in ("expected", "achieved"):
        ImpactFactory(
            initiative=target,
            kind=kind,
            description="Riduzione della povertà energetica delle famiglie coinvolte nel quartiere",
            indicator="Famiglie con bolletta ridotta di almeno il 20%",
            unit="famiglie",
            baseline=0,
            target=1200,
            value=1266,
            people_reached=1642,
        )
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for language, path in (("it", f"/it/iniziative/{target.slug}/"), ("en", f"/en/initiatives/{target.slug}/")):
        page.goto(live_server.url + path)
        table = page.locator(".table-responsive").first
        table.scroll_into_view_if_needed()
        # The page itself never scrolls sideways; the table scrolls inside its frame, every column reachable.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        box = table.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        last = page.locator(".table-responsive th").last
        last.scroll_into_view_if_needed()
        assert last.is_visible()
        assert "1.266" in table.inner_text() if language == "it" else "1,266" in table.inner_text()
        screenshot(page, f"showcase-impacts-{language}-390")
    for language, path in (("it", "/it/statistiche/"), ("en", "/en/statistics/")):
        page.goto(live_server.url + path)
        page.wait_for_selector("#canvas-departments")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        for caption in page.locator("table caption").all():
            assert caption.bounding_box()["width"] <= 390
        no_violations(page)
        screenshot(page, f"showcase-statistics-{language}-390")
    context.close()
