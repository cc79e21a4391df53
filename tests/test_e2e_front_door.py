"""A researcher finds the way in and out in a real browser: from the home
page they sign in from the header, reach "My initiatives" from the user
menu, read the thread with staff and sign out — in Italian and English, on a
desktop and on a phone, with axe-core checking the header and the dashboard.

Selectors name the structure, not the words: the Italian of new strings is
added by the translators after the English."""

import pytest
from django.contrib.auth.models import Permission

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, UserFactory
from initiatives.models import Initiative, Participation
from initiatives.services.conversation import message_post
from initiatives.services.workflow import initiative_transition
from tests.conftest import ARTIFACTS, axe_violations, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pops-demo-2026"
S = Initiative.State

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def no_violations(page) -> None:
    violations = axe_violations(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


@pytest.fixture
def researcher():
    user = UserFactory(username="ricercatrice", first_name="Giulia", last_name="Ferrero", email="giulia@polito.it")
    person = PersonFactory(user=user, first_name="Giulia", last_name="Ferrero", email="giulia@polito.it")
    staff = UserFactory(username="curatore", first_name="Carla", last_name="Curatrice", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["change_initiative", "view_initiative"]))
    asked = InitiativeFactory(created_by=user, lead=person, state=S.DRAFT, title_it="Orti condivisi a Mirafiori")
    initiative_transition(initiative=asked, to=S.SUBMITTED, by=user)
    initiative_transition(
        initiative=asked, to=S.CHANGES_REQUESTED, by=staff, message="Indicate il numero di famiglie coinvolte."
    )
    message_post(initiative=asked, by=user, body="Sono circa quaranta: lo aggiungo?", from_staff=False)
    message_post(initiative=asked, by=staff, body="Sì, nel campo dei partecipanti.", from_staff=True)
    published = InitiativeFactory(published=True, lead=False, title_it="Scuola aperta in Barriera")
    ParticipationFactory(initiative=published, person=person, role=Participation.Role.LEAD)
    InitiativeFactory(created_by=user, lead=person, state=S.DRAFT, title_it="Bozza: laboratorio di quartiere")
    return user, asked


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_researcher_signs_in_from_the_home_reaches_my_initiatives_and_signs_out(
    browser, live_server, live_reference_data, researcher, language, device
):
    _user, asked = researcher
    context = browser.new_context(viewport=VIEWPORTS[device], locale=f"{language}-IT")
    page = context.new_page()
    page.set_default_timeout(10_000)
    name = f"front-door-{language}-{device}"

    # Anonymous: the header offers to sign in, back to this page.
    page.goto(f"{live_server.url}/{language}/")
    sign_in = page.locator("header a[href*='/accounts/login/']")
    assert sign_in.is_visible()
    assert "next=" in sign_in.get_attribute("href")
    screenshot(page, f"{name}-home-anonymous")
    sign_in.click()
    page.fill("#id_username", "ricercatrice")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/{language}/")

    # Signed in: the name in the header, the menu closed until asked.
    menu = page.locator("[data-user-menu]")
    summary = menu.locator("summary")
    assert "Giulia Ferrero" in summary.inner_text()
    dashboard_link = menu.locator("a[href$='/census/']")
    assert not dashboard_link.is_visible()
    summary.click()
    assert dashboard_link.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-header-menu.png"))  # the viewport: the header, the menu open
    no_violations(page)
    # Escape closes it and gives the focus back to its button.
    page.keyboard.press("Escape")
    assert not dashboard_link.is_visible()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    # Keyboard: Enter opens it, Tab reaches "My initiatives".
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')").endswith("/census/")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{language}/census/")

    # My initiatives: public page, actions, the word from staff.
    rows = page.locator("main tbody tr")
    assert rows.count() == 3
    assert page.locator("main a[href*='/census/'][href$='/delete/']").count() == 1
    public = page.locator("main tbody a[href*='scuola-aperta']")
    assert public.count() == 1
    screenshot(page, f"{name}-dashboard")
    no_violations(page)

    # The thread, from the dashboard's "Read and reply".
    page.locator(f"main a[href$='/census/{asked.pk}/#conversation']").click()
    thread = page.locator("#conversation")
    thread.locator("li").first.wait_for()
    assert thread.locator("li").count() == 3
    assert "Indicate il numero di famiglie" in thread.locator("li").first.inner_text()
    thread.scroll_into_view_if_needed()
    thread.screenshot(path=str(ARTIFACTS / f"{name}-thread.png"))

    # Signing out: from the menu, a POST; then the home page with a word.
    summary.click()
    menu.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_url(f"{live_server.url}/{language}/")
    assert page.locator("main [role=status]").count() >= 1
    assert page.locator("header a[href*='/accounts/login/']").is_visible()
    assert page.locator("[data-user-menu]").count() == 0
    no_violations(page)
    # The old GET link asks rather than failing.
    page.goto(f"{live_server.url}/{language}/accounts/logout/")
    assert page.url == f"{live_server.url}/{language}/"
    context.close()


def test_staff_read_and_answer_the_thread_on_the_review_page(page, researcher):
    _user, asked = researcher
    page.goto(page.base_url + "/it/admin/login/")
    page.fill("#id_username", "curatore")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(page.base_url + f"/it/admin/initiatives/initiative/{asked.pk}/review/")
    thread = page.locator(".pops-admin-conversation ol")
    assert thread.locator("li").count() == 3
    page.fill("#conversation-body", "Grazie, aspettiamo la nuova versione.")
    page.click("#conversation-form input[type=submit]")
    page.wait_for_url("**/review/#conversation")
    assert thread.locator("li").count() == 4
    screenshot(page, "front-door-admin-thread")
    # The thread and its form (the rest of the admin page is Django's and another part's).
    page.add_script_tag(url=page.base_url + "/static/vendor/axe-core/axe.min.js")  # not inline: the CSP
    violations = page.evaluate(
        "async () => (await axe.run({include: ['.pops-admin-conversation']}, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
    )
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]

    # A sign-out link opened by GET (an old bookmark) asks, and the button signs out.
    page.goto(page.base_url + "/en/accounts/logout/")
    screenshot(page, "front-door-logout-confirm")
    no_violations(page)
    page.click("main form[action$='/accounts/logout/'] button")
    page.wait_for_url(page.base_url + "/en/")
    assert "You are signed out" in page.locator("main").inner_text()
