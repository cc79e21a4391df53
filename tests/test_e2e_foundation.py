"""A person opens the portal in a real browser and switches language."""

import pytest

from initiatives.factories import InitiativeFactory
from tests.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reads_the_home_in_italian_and_switches_to_english(page):
    InitiativeFactory(
        published=True, title_it="Orti di comunità a Mirafiori", title_en="Community gardens in Mirafiori"
    )

    page.goto(page.base_url + "/")
    assert page.url.endswith("/it/")
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("link", name="Orti di comunità a Mirafiori").is_visible()
    screenshot(page, "foundation-home-it")

    page.locator("header [lang=en]").first.click()
    page.wait_for_url("**/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Community gardens in Mirafiori").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Community gardens in Mirafiori"
