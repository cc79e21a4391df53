"""The lead contact confirms first, in a real browser: a researcher names a
colleague as lead, the colleague opens the link the outbox holds, accepts,
and only then finds the initiative on "My initiatives"."""

import re

import pytest

from initiatives.factories import PersonFactory, UserFactory
from initiatives.models import Department, Initiative, OutboundEmail
from tests.conftest import axe_violations, screenshot
from tests.test_e2e_census import fill_row, sign_in, tick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_colleague_named_lead_accepts_from_the_e_mailed_link(page, browser):
    researcher = UserFactory(username="ricercatrice", email="ricercatrice@polito.it")
    PersonFactory(user=researcher, first_name="Giulia", last_name="Ferrero", email="ricercatrice@polito.it")
    colleague = UserFactory(username="collega", email="marco.bianchi@polito.it")
    PersonFactory(user=colleague, first_name="Marco", last_name="Bianchi", email="marco.bianchi@polito.it")

    sign_in(page, "ricercatrice")
    page.goto(page.base_url + "/it/census/new/")
    page.fill("#id_main-title_it", "Orti condivisi a Mirafiori")
    page.fill("#id_main-summary_it", "Un orto di comunità nato con gli abitanti.")
    tick(page, "main-departments", Department.objects.get(code="DIST").pk)
    page.select_option("#id_people-0-role", "member")
    page.click("[data-formset=people] [data-add-row]")
    fill_row(
        page,
        "people",
        1,
        {"first_name": "Marco", "last_name": "Bianchi", "email": "marco.bianchi@polito.it", "role": "lead"},
    )
    page.click("button[name=save]")
    page.wait_for_selector("[data-lead-nomination]")
    initiative = Initiative.objects.get(title_it="Orti condivisi a Mirafiori")
    assert initiative.lead().user == researcher

    # The colleague has nothing on "My initiatives" but the question.
    colleague_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    colleague_page = colleague_context.new_page()
    colleague_page.base_url = page.base_url
    sign_in(colleague_page, "collega")
    colleague_page.goto(page.base_url + "/it/census/")
    assert colleague_page.locator("[data-nominations]").is_visible()
    assert colleague_page.locator(f"a[href='/it/census/{initiative.pk}/']").count() == 0

    # The link the outbox holds (its host is SITE_URL's, the path is the live server's).
    email = OutboundEmail.objects.get(to="marco.bianchi@polito.it")
    path = re.search(r"/\w\w/census/leads/[\w-]+/", email.body).group(0)
    colleague_page.goto(page.base_url + path)
    assert "Orti condivisi a Mirafiori" in colleague_page.inner_text("main")
    assert axe_violations(colleague_page) == []
    screenshot(colleague_page, "census-lead-nomination")
    colleague_page.click("button[value=accept]")
    colleague_page.wait_for_url(f"**/census/{initiative.pk}/")

    colleague_page.goto(page.base_url + "/it/census/")
    assert colleague_page.locator(f"a[href='/it/census/{initiative.pk}/']").is_visible()
    assert colleague_page.locator("[data-nominations]").count() == 0
    assert initiative.lead().user == colleague
    colleague_context.close()
