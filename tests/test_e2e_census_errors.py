"""The census form's errors and long lists, in a real browser: a researcher
finds each problem from the summary, loses nothing typed however quickly they
submit, ticks the Action Plan's areas by keyboard alone, and every step passes
axe-core in Italian and English, on a desktop and on a phone."""

import pytest
from django.urls import reverse
from django.utils import translation

from impact.factories import ImpactFactory, ProductFactory
from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, PlaceFactory, UserFactory
from initiatives.models import FormDraft, Initiative, Participation
from stakeholders.factories import PartnershipFactory
from tests.conftest import axe_violations, screenshot
from tests.test_e2e_census import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def draft():
    user = UserFactory(username="ricercatrice", email="ricercatrice@polito.it")
    initiative = InitiativeFactory(created_by=user, state=Initiative.State.DRAFT, lead=False)
    ParticipationFactory(initiative=initiative, person=PersonFactory(user=user), role=Participation.Role.LEAD)
    PartnershipFactory(initiative=initiative)
    PlaceFactory(initiative=initiative)
    ProductFactory(initiative=initiative)
    ImpactFactory(initiative=initiative)
    return initiative


def active_id(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.getAttribute('data-error-summary')")


def submit_with_a_wrong_date(page):
    page.fill("#id_main-start_date", "2025-03-01")
    page.fill("#id_main-end_date", "2025-01-01")
    page.click("button[name=save]")
    page.wait_for_selector("[data-error-summary]")


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_error_summary_is_read_first_and_leads_to_the_field(page, draft, language):
    sign_in(page, "ricercatrice")
    page.goto(page.base_url + f"/{language}/census/{draft.pk}/what/")
    submit_with_a_wrong_date(page)
    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.locator("#id_main-end_date").get_attribute("aria-invalid") == "true"
    screenshot(page, f"census-errors-summary-{language}")
    assert axe_violations(page) == []

    summary.locator("a[href='#id_main-end_date']").click()
    assert active_id(page) == "id_main-end_date"
    assert page.locator("#id_main-end_date_error").is_visible()


def test_what_is_typed_and_submitted_at_once_is_still_there(page, draft):
    sign_in(page, "ricercatrice")
    url = page.base_url + f"/it/census/{draft.pk}/what/"
    page.goto(url)
    page.fill("#id_main-keywords", "orti, quartiere")
    submit_with_a_wrong_date(page)  # well within the autosave's delay
    assert page.input_value("#id_main-keywords") == "orti, quartiere"
    page.goto(url)  # the researcher comes back to the step later
    assert page.input_value("#id_main-keywords") == "orti, quartiere"
    assert page.input_value("#id_main-end_date") == "2025-01-01"


def test_an_autosave_on_its_way_cannot_replace_what_a_failed_submit_kept(page, draft):
    sign_in(page, "ricercatrice")
    url = page.base_url + f"/it/census/{draft.pk}/what/"
    page.goto(url)
    held = []
    page.route("**/autosave/", lambda route: held.append(route))
    page.fill("#id_main-keywords", "orti")
    for _attempt in range(40):  # the autosave starts 1.5 s after typing stops
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the autosave did not start"
    page.fill("#id_main-keywords", "orti, quartiere, comunità")
    page.fill("#id_main-start_date", "2025-03-01")
    page.fill("#id_main-end_date", "2025-01-01")
    page.click("button[name=save]")
    page.wait_for_timeout(300)
    held[0].continue_()  # the older autosave lands now
    page.wait_for_selector("[data-error-summary]")
    page.unroute("**/autosave/")
    page.wait_for_load_state("networkidle")
    kept = FormDraft.objects.get(initiative=draft, step="what").data
    assert kept["main-keywords"] == ["orti, quartiere, comunità"]
    page.goto(url)
    assert page.input_value("#id_main-keywords") == "orti, quartiere, comunità"


def test_the_action_plan_areas_are_ticked_by_keyboard_alone(page, draft):
    sign_in(page, "ricercatrice")
    page.goto(page.base_url + f"/it/census/{draft.pk}/what/")
    first = page.locator("input[name='main-intervention_areas']").first
    second = page.locator("input[name='main-intervention_areas']").nth(1)
    # From the last box of the list before, Tab reaches the first area.
    page.locator("input[name='main-fields_of_action']").last.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "main-intervention_areas"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert first.is_checked() and second.is_checked()
    screenshot(page, "census-action-plan-areas")
    page.locator("button[name=save]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("[data-error-summary]").count() == 0
    assert draft.intervention_areas.count() == 2


def test_a_row_is_removed_with_a_button_and_can_be_brought_back(page, draft):
    sign_in(page, "ricercatrice")
    page.goto(page.base_url + f"/en/census/{draft.pk}/impact/")
    page.get_by_role("button", name="Remove Product 1").click()
    assert page.locator("#id_products-0-DELETE").is_checked()
    assert page.get_by_text("Product 1 will be removed when you save.").is_visible()
    screenshot(page, "census-row-removed")
    page.get_by_role("button", name="Undo").click()
    assert not page.locator("#id_products-0-DELETE").is_checked()
    assert page.evaluate("document.activeElement.textContent") == "Remove Product 1"
    page.get_by_role("button", name="Remove Product 1").click()
    with page.expect_navigation():
        page.click("button[name=save]")
    assert draft.products.count() == 0


def test_enter_on_a_facet_checkbox_ticks_it_instead_of_submitting(page):
    InitiativeFactory.create_batch(3, published=True)
    with translation.override("it"):
        list_url = page.base_url + reverse("initiative-list")
    page.goto(list_url)
    facet = page.locator(".pops-facet").first
    facet.locator("summary").click()
    box = facet.locator("input[type=checkbox]").first
    box.focus()
    page.keyboard.press("Enter")
    assert box.is_checked()
    assert page.url == list_url
    page.keyboard.press("Enter")
    assert not box.is_checked()


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_census_step_and_the_error_state_pass_axe(
    browser, live_server, live_reference_data, draft, language, viewport
):
    initiative = draft
    context = browser.new_context(viewport=PHONE if viewport == "phone" else {"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    try:
        sign_in(page, "ricercatrice")
        for step in ("who", "what", "impact", "future"):
            page.goto(page.base_url + f"/{language}/census/{initiative.pk}/{step}/")
            assert axe_violations(page) == [], (step, language, viewport)
            if viewport == "phone" and step in ("what", "impact"):
                screenshot(page, f"census-{step}-{language}-phone")
        page.goto(page.base_url + f"/{language}/census/{initiative.pk}/what/")
        submit_with_a_wrong_date(page)
        assert axe_violations(page) == [], ("errors", language, viewport)
        if viewport == "phone":
            screenshot(page, f"census-errors-{language}-phone")
        page.goto(page.base_url + f"/{language}/census/{initiative.pk}/")
        assert axe_violations(page) == [], ("review", language, viewport)
        screenshot(page, f"census-review-{language}-{viewport}")
    finally:
        page.wait_for_load_state("networkidle")
        context.close()
