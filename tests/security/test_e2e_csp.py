"""The Content-Security-Policy in a real browser: a crawl of the pages people
use (the showcase, the census as a researcher, the admin as staff, the API's
pages) records every `securitypolicyviolation` the browser reports and fails
on any; on the way it checks that what needs JavaScript or a style sheet still
works under the policy (the header's menu, the census form's rows and map, the
map's markers, the charts, the fonts, the API's documentation)."""

import pytest
from django.urls import reverse
from django.utils import translation

from impact.models import SDG, ImportJob
from initiatives.factories import InitiativeFactory, PersonFactory, PlaceFactory, UserFactory
from initiatives.models import Sector, SitePage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pops-demo-2026"

# Registered before any script of a page runs, in every page and frame; the
# binding outlives navigations, so nothing reported between two is lost.
LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation({
    page: document.location.pathname,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""


def _tolerated(violation: dict) -> bool:
    """The one refusal the policy means: Redoc's "API docs by Redocly" logo,
    an image on Redocly's CDN that the portal does not let the page load (the
    logo then hides itself)."""
    return (
        violation["page"] == "/api/redoc/"
        and violation["directive"] == "img-src"
        and violation["blocked"].startswith("https://cdn.redoc.ly/")
    )


class Crawl:
    """A browser context whose pages report their CSP violations."""

    def __init__(self, browser, base_url):
        self.violations = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
        self.context.expose_binding("__cspViolation", lambda source, report: self.violations.append(report))
        self.context.add_init_script(LISTENER)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base_url = base_url
        self.visited = []

    def visit(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response.status < 400, (path, response.status)
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        self.page.wait_for_load_state("networkidle")
        self.visited.append(path)
        return response

    def sign_in(self, username: str, admin: bool = False):
        self.visit("/it/admin/login/" if admin else "/it/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("input[type=submit]" if admin else "main button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def close(self):
        self.context.close()


def url(name: str, *args, language: str = "it", **kwargs) -> str:
    with translation.override(language):
        return reverse(name, args=args, kwargs=kwargs or None)


def _world():
    sector = Sector.objects.get(code="gestione-territorio")
    published = InitiativeFactory(
        published=True,
        title_it="Orti condivisi a Mirafiori",
        title_en="Shared gardens in Mirafiori",
        sectors=[sector],
        sdgs=list(SDG.objects.filter(number__in=[2, 11])),
    )
    PlaceFactory(initiative=published, municipality="Torino", latitude=45.03, longitude=7.63)
    InitiativeFactory.create_batch(3, published=True)
    researcher = UserFactory(username="ricercatrice", email="ricercatrice@polito.it")
    person = PersonFactory(user=researcher, first_name="Giulia", last_name="Ferrero", email="ricercatrice@polito.it")
    draft = InitiativeFactory(title_it="Laboratori di quartiere", lead=person)
    submitted = InitiativeFactory(submitted=True, title_it="Sportello digitale")
    UserFactory(username="curatrice", is_staff=True, is_superuser=True)
    job = ImportJob.objects.create(kind="initiatives", original_name="initiatives.csv")
    return {"published": published, "sector": sector, "draft": draft, "submitted": submitted, "job": job}


def test_the_pages_people_use_break_no_rule_of_the_content_security_policy(browser, live_server, live_reference_data):
    world = _world()
    crawl = Crawl(browser, live_server.url)
    page = crawl.page
    try:
        # The showcase, as the public sees it.
        crawl.visit("/it/")
        assert page.evaluate("document.fonts.check('16px \"Titillium Web\"')"), "Bootstrap Italia's fonts"
        assert page.evaluate(
            "[...document.fonts].some((f) => f.family.includes('Titillium') && f.status === 'loaded')"
        ), "the fonts of fonts.css are loaded"
        crawl.visit("/en/")
        crawl.visit(url("initiative-list") + "?sdg=11&sector=gestione-territorio")
        assert page.locator(".pops-facets").count() == 1
        assert page.locator(".pops-dot.pops-sdg-11").count() >= 1
        crawl.visit(url("initiative-list") + "?q=orti")
        crawl.visit(url("initiative-detail", slug=world["published"].slug))
        assert page.locator("#initiative-map .leaflet-marker-icon").count() == 1
        sdg_tile = page.locator(".pops-sdg-tile.pops-sdg-11").first
        assert sdg_tile.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 157, 36)"
        crawl.visit(url("initiative-map"))
        page.wait_for_selector("#initiatives-map .leaflet-marker-icon, #initiatives-map .marker-cluster")
        crawl.visit(url("statistics"))
        assert page.locator("canvas").count() >= 1
        crawl.visit(url("people"))
        crawl.visit(url("sector-detail", code=world["sector"].code))
        crawl.visit(url("initiative-list", language="en") + "?page=1")
        for name in ("accessibility", "privacy", "legal-notes", "opendata-page"):
            crawl.visit(url(name, language="en"))

        # A researcher: the census form's steps, its rows and its map.
        crawl.sign_in("ricercatrice")
        page.click("[data-user-menu] summary")
        assert page.locator(".pops-user-menu-panel").is_visible(), "the header's menu opens"
        crawl.visit(url("census:dashboard"))
        crawl.visit(url("census:new"))
        rows = page.locator("[data-formset=people] .formset-rows > *").count()
        page.click("[data-formset=people] [data-add-row]")
        assert page.locator("[data-formset=people] .formset-rows > *").count() == rows + 1, "a row is added in place"
        for step in ("who", "what", "impact", "future"):
            crawl.visit(url("census:step", world["draft"].pk, step))
            if step == "what":
                page.click("[data-formset=places] [data-add-row]")
                page.click("[data-census-map]")
                assert page.input_value("#id_places-0-latitude"), "a click on the map sets the coordinates"
        crawl.visit(url("census:review", world["draft"].pk))
        crawl.visit(url("logout"))

        # Staff in the admin.
        crawl.sign_in("curatrice", admin=True)
        initiative = world["published"].pk
        for path in (
            "/it/admin/",
            "/it/admin/initiatives/initiative/",
            "/it/admin/initiatives/initiative/review-queue/",
            f"/it/admin/initiatives/initiative/{initiative}/change/",
            "/it/admin/initiatives/initiative/add/",
            f"/it/admin/initiatives/initiative/{world['submitted'].pk}/review/",
            f"/it/admin/initiatives/initiative/{initiative}/history/",
            "/it/admin/initiatives/initiative/import/",
            "/it/admin/initiatives/initiative/export/",
            "/it/admin/initiatives/initiative/census/",
            f"/it/admin/impact/importjob/{world['job'].pk}/status/",
            "/it/admin/impact/exportrecord/anvur/",
            "/it/admin/initiatives/person/",
            "/it/admin/stakeholders/organisation/",
            f"/it/admin/initiatives/sitepage/{SitePage.objects.get(kind='accessibility').pk}/change/",
        ):
            crawl.visit(path)

        # The API's pages.
        crawl.visit("/api/initiatives/")
        assert page.locator(".response-info").count() == 1, "the browsable API"
        crawl.visit("/api/docs/")
        page.wait_for_selector("#swagger-ui .info")
        crawl.visit("/api/redoc/")
        page.wait_for_selector("#redoc-container h1")
    finally:
        crawl.close()
    violations = [v for v in crawl.violations if not _tolerated(v)]
    assert violations == [], "\n".join(map(str, violations))
