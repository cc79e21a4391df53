"""The census, end to end in a real browser: a researcher fills every step,
staff ask for changes, the researcher fixes and resubmits, staff publish, the
public sees it; then an update waits for approval while the public keeps the
approved text."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from impact.models import SDG, ProductCategory
from initiatives.factories import PersonFactory, UserFactory
from initiatives.models import Department, Initiative, Sector
from stakeholders.models import OrganisationType
from tests.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pops-demo-2026"


def sign_in(page, username):
    page.goto(page.base_url + "/it/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def tick(page, name, value):
    """Tick a checkbox the way a person does: on its label (the input is styled away)."""
    input_id = page.locator(f"input[name='{name}'][value='{value}']").get_attribute("id")
    page.click(f"label[for='{input_id}']")


def fill_row(page, formset, index, values: dict):
    for name, value in values.items():
        selector = f"#id_{formset}-{index}-{name}"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def test_a_researcher_submits_staff_review_and_the_public_sees_the_approved_version(page, browser):
    researcher = UserFactory(username="ricercatrice", email="ricercatrice@polito.it")
    PersonFactory(user=researcher, first_name="Giulia", last_name="Ferrero", email="ricercatrice@polito.it")
    staff = UserFactory(username="curatore", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["change_initiative", "view_initiative"]))

    sign_in(page, "ricercatrice")
    page.goto(page.base_url + "/it/census/new/")
    screenshot(page, "census-step-who-empty")

    # Step 1: who we are, with two people and a new partner.
    page.fill("#id_main-title_it", "Orti condivisi a Mirafiori")
    page.fill("#id_main-title_en", "Shared gardens in Mirafiori")
    page.fill("#id_main-summary_it", "Un orto di comunità nato con gli abitanti.")
    tick(page, "main-departments", Department.objects.get(code="DIST").pk)
    page.click("[data-formset=people] [data-add-row]")
    fill_row(page, "people", 1, {"first_name": "Marco", "last_name": "Bianchi", "email": "marco.bianchi@polito.it"})
    page.click("[data-formset=partners] [data-add-row]")
    fill_row(
        page,
        "partners",
        0,
        {"name": "Associazione Orti Alti", "type": str(OrganisationType.objects.first().pk), "role": "partner"},
    )
    page.click("button[name=continue]")
    page.wait_for_url("**/what/")
    initiative = Initiative.objects.get(title_it="Orti condivisi a Mirafiori")
    assert initiative.participations.count() == 2

    # Step 2: what we do; a wrong date is explained, nothing is lost.
    tick(page, "main-sectors", Sector.objects.get(code="gestione-territorio").pk)
    page.fill("#id_main-start_date", "2025-03-01")
    page.fill("#id_main-end_date", "2025-01-01")
    page.select_option("#id_main-scale", "local")
    page.click("[data-formset=places] [data-add-row]")
    fill_row(page, "places", 0, {"municipality": "Torino", "province": "TO"})
    page.click("[data-census-map]")  # a click on the map sets the coordinates
    assert page.input_value("#id_places-0-latitude") and page.input_value("#id_places-0-longitude")
    page.click("button[name=continue]")
    assert page.locator("#id_main-end_date_error").is_visible()
    screenshot(page, "census-step-what-error")
    page.fill("#id_main-end_date", "")
    page.click("button[name=continue]")
    page.wait_for_url("**/impact/")

    # Step 3: impact, with a product and an impact.
    tick(page, "main-sdgs", SDG.objects.get(number=11).pk)
    page.click("[data-formset=products] [data-add-row]")
    fill_row(page, "products", 0, {"title": "Mappa degli orti", "category": str(ProductCategory.objects.first().pk)})
    page.click("[data-formset=impacts] [data-add-row]")
    fill_row(
        page,
        "impacts",
        0,
        {"kind": "expected", "description": "Più spazi verdi curati dagli abitanti", "indicator": "orti attivi"},
    )
    page.click("button[name=save]")
    page.wait_for_url("**/impact/")

    # The researcher leaves and comes back later: everything is there.
    page.goto(page.base_url + "/it/census/")
    page.get_by_role("link", name="Orti condivisi a Mirafiori").click()
    assert page.locator("[data-missing]").count() == 0
    screenshot(page, "census-review")
    page.click("form[action$='/submit/'] button")
    page.wait_for_url("**/census/")
    initiative.refresh_from_db()
    assert initiative.state == Initiative.State.SUBMITTED

    # Staff request changes.
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff_page = staff_context.new_page()
    staff_page.goto(page.base_url + "/it/admin/login/")
    staff_page.fill("#id_username", "curatore")
    staff_page.fill("#id_password", PASSWORD)
    staff_page.click("input[type=submit]")
    staff_page.goto(page.base_url + f"/it/admin/initiatives/initiative/{initiative.pk}/review/")
    staff_page.check("input[name=to][value=changes_requested]")
    staff_page.fill("textarea[name=message]", "Indicate anche il numero di famiglie coinvolte.")
    staff_page.click("input[type=submit]")
    staff_page.wait_for_url("**/review-queue/")
    initiative.refresh_from_db()
    assert initiative.state == Initiative.State.CHANGES_REQUESTED

    # The researcher reads the request, fixes, resubmits.
    page.goto(page.base_url + "/it/census/")
    assert "Indicate anche il numero di famiglie coinvolte." in page.content()
    page.goto(page.base_url + f"/it/census/{initiative.pk}/impact/")
    page.fill("#id_main-participants", "40")
    page.click("button[name=save]")
    page.goto(page.base_url + f"/it/census/{initiative.pk}/")
    page.click("form[action$='/submit/'] button")
    page.wait_for_url("**/census/")

    # Staff publish; the public sees it.
    staff_page.goto(page.base_url + f"/it/admin/initiatives/initiative/{initiative.pk}/review/")
    staff_page.check("input[name=to][value=published]")
    staff_page.click("input[type=submit]")
    staff_page.wait_for_url("**/review-queue/")
    initiative.refresh_from_db()
    assert initiative.state == Initiative.State.PUBLISHED
    public_context = browser.new_context()
    public = public_context.new_page()
    public.goto(page.base_url + initiative.get_absolute_url())
    assert public.get_by_role("heading", level=1).inner_text() == "Orti condivisi a Mirafiori"

    # The researcher proposes a change; the public keeps the approved text.
    page.goto(page.base_url + f"/it/census/{initiative.pk}/")
    page.click("form[action$='/update/'] button")
    page.wait_for_url("**/who/")
    page.fill("#id_main-title_it", "Orti condivisi a Mirafiori e Lingotto")
    page.click("button[name=save]")
    copy = Initiative.objects.get(revision_of=initiative)
    page.goto(page.base_url + f"/it/census/{copy.pk}/")
    page.click("form[action$='/submit/'] button")
    public.reload()
    assert public.get_by_role("heading", level=1).inner_text() == "Orti condivisi a Mirafiori"

    staff_page.goto(page.base_url + f"/it/admin/initiatives/initiative/{copy.pk}/review/")
    assert "Orti condivisi a Mirafiori e Lingotto" in staff_page.content()
    staff_page.check("input[name=to][value=published]")
    staff_page.click("input[type=submit]")
    staff_page.wait_for_url("**/review-queue/")
    public.reload()
    assert public.get_by_role("heading", level=1).inner_text() == "Orti condivisi a Mirafiori e Lingotto"
    staff_context.close()
    public_context.close()


def test_a_researcher_finds_a_colleague_by_name_or_full_email_without_seeing_addresses(page):
    researcher = UserFactory(username="ricercatrice", email="ricercatrice@polito.it")
    PersonFactory(user=researcher, first_name="Giulia", last_name="Ferrero", email="ricercatrice@polito.it")
    department = Department.objects.get(code="DIST")
    PersonFactory(first_name="Maria", last_name="Ferraris", email="maria.ferraris@polito.it", department=department)

    sign_in(page, "ricercatrice")
    page.goto(page.base_url + "/it/census/new/")
    page.click("[data-formset=people] [data-add-row]")

    # By name: the suggestion says who and where, not the address; picking it fills the row.
    page.fill("#id_people-1-first_name", "ferrar")
    option = page.locator("#person-suggestions option").first
    option.wait_for(state="attached")
    suggestion = option.get_attribute("value")
    assert suggestion == "Maria Ferraris" and department.name in option.get_attribute("label")
    assert "@" not in page.locator("#person-suggestions").inner_html()
    page.fill("#id_people-1-first_name", suggestion)
    assert page.input_value("#id_people-1-first_name") == "Maria"
    assert page.input_value("#id_people-1-last_name") == "Ferraris"
    assert page.input_value("#id_people-1-department") == str(department.pk)

    # By the full e-mail, typed: the register recognises her.
    page.click("[data-formset=people] [data-add-row]")
    page.fill("#id_people-2-email", "Maria.Ferraris@polito.it")
    expect(page.locator("#id_people-2-last_name")).to_have_value("Ferraris")
    assert page.input_value("#id_people-2-first_name") == "Maria"
    assert page.input_value("#id_people-2-department") == str(department.pk)
