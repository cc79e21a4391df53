"""A visitor reaches the accessibility statement, the privacy notice, the
legal notes and the open data page from the footer, in a real browser, with
axe-core checking each; and comes back to the portal from the API's
documentation."""

import pytest

from tests.conftest import screenshot
from tests.test_e2e_showcase import no_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_footer_leads_to_each_site_page_in_italian_on_a_desktop(page):
    pages = [
        ("Dichiarazione di accessibilità", "**/it/accessibilita/", "Dichiarazione di accessibilità", "accessibility"),
        ("Informativa sulla privacy", "**/it/privacy/", "Informativa sul trattamento dei dati personali", "privacy"),
        ("Note legali", "**/it/note-legali/", "Note legali", "legal-notes"),
        ("Open data", "**/it/dati-aperti/", "Open data", "opendata"),
    ]
    for link, url, title, name in pages:
        page.goto(page.base_url + "/it/")
        page.locator("#site-footer").get_by_role("link", name=link, exact=True).click()
        page.wait_for_url(url)
        assert page.locator("html").get_attribute("lang") == "it"
        assert page.get_by_role("heading", level=1).inner_text() == title
        no_violations(page)
        screenshot(page, f"site-{name}-it")

    # The open data page switches language to its English address.
    page.locator(".pops-language").get_by_role("link", name="EN").click()
    page.wait_for_url("**/en/open-data/")
    assert page.get_by_role("heading", level=1).inner_text() == "Open data"


def test_the_site_pages_read_well_on_a_phone_in_english(browser, live_server, live_reference_data):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    for path, title, name in (
        ("/en/accessibility/", "Accessibility statement", "accessibility"),
        ("/en/privacy/", "Privacy notice", "privacy"),
        ("/en/legal-notes/", "Legal notes", "legal-notes"),
    ):
        page.goto(live_server.url + path)
        assert page.get_by_role("heading", level=1).inner_text() == title
        # Nothing is wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        no_violations(page)
        screenshot(page, f"site-{name}-en-phone")
    context.close()


def test_the_api_documentation_leads_back_to_the_portal(page):
    page.goto(page.base_url + "/api/docs/")
    page.wait_for_selector("#swagger-ui .info")
    screenshot(page, "api-docs-it")
    page.get_by_role("link", name="PoliTO per il Sociale — torna al portale").click()
    page.wait_for_url("**/it/")
    assert page.get_by_role("heading", level=1).inner_text() == "PoliTO per il Sociale"
    page.goto(page.base_url + "/api/redoc/")
    page.wait_for_selector("#redoc-container .api-content")
    screenshot(page, "api-redoc-it")
    assert page.get_by_role("link", name="PoliTO per il Sociale — torna al portale").get_attribute("href") == "/it/"


def test_staff_edit_the_statement_in_the_admin_and_the_public_page_shows_it(page):
    from initiatives.factories import UserFactory
    from initiatives.models import SitePage

    UserFactory(username="curatrice", is_staff=True, is_superuser=True)
    statement = SitePage.objects.get(kind=SitePage.Kind.ACCESSIBILITY)
    page.goto(page.base_url + "/it/admin/login/")
    page.fill("#id_username", "curatrice")
    page.fill("#id_password", "pops-demo-2026")
    page.click("input[type=submit]")
    page.goto(page.base_url + f"/it/admin/initiatives/sitepage/{statement.pk}/change/")
    no_violations(page)
    screenshot(page, "admin-sitepage-accessibility-it")
    page.select_option("#id_compliance_status", "compliant")
    page.fill("#id_non_accessible_content_it", "")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/initiatives/sitepage/")
    page.goto(page.base_url + "/it/accessibilita/")
    assert "Questo sito web è conforme ai requisiti" in page.locator("[data-compliance]").inner_text()
    assert page.get_by_text("Non sono noti contenuti del sito non accessibili.").is_visible()
