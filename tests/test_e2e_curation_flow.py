"""The issue's "Done when" scenario, end to end in a real browser, in Italian
and English, on a desktop and on a phone, through the real UI only:

1. a researcher signs in from the home page's header, opens "My initiatives",
   submits a new initiative through the census steps, withdraws it and
   submits it again;
2. a curator starts from the admin home (the desk), opens the queue, reads the
   new submission in full and asks for changes;
3. the researcher reads the request, replies in the thread and submits again;
   the curator sees the reply and publishes;
4. the curator merges the published initiative with a look-alike, choosing a
   field from the other side; the old public address answers 301; the merge
   is undone and the old address answers again;
5. the researcher signs out from the user menu.

Once the browsers start, nothing is done through services: the accounts and
the look-alike are set up before. axe-core checks every census step, "My
initiatives", the desk, the queue, the review page, the merge comparison, its
confirmation and the undo.
Selectors name the structure, not the words (the Italian of new strings is
added after the English)."""

import contextlib
import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import translation

from impact.models import SDG
from initiatives.factories import InitiativeFactory, PersonFactory, PlaceFactory, UserFactory
from initiatives.models import Department, Initiative, InitiativeMerge, Sector
from stakeholders.models import OrganisationType
from tests.conftest import axe_violations, screenshot
from tests.test_e2e_census import fill_row, tick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pops-demo-2026"
S = Initiative.State
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
TITLE = "Orti condivisi sui tetti di Mirafiori"
LOOK_ALIKE = "Orti condivisi sui tetti a Mirafiori"
PARTNER = "Associazione Orti Alti"
COLLEAGUE = ("Marco", "Bianchi")
MUNICIPALITY = "Moncalieri"
REQUEST = "Indicate anche il numero di famiglie coinvolte."
REPLY = "Sono circa quaranta famiglie: le abbiamo aggiunte nella descrizione."


def no_violations(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], (where, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations])


@pytest.fixture
def world():
    """The accounts, and a published look-alike of what the researcher will submit."""
    researcher = UserFactory(
        username="ricercatrice", first_name="Giulia", last_name="Ferrero", email="giulia.ferrero@polito.it"
    )
    PersonFactory(user=researcher, first_name="Giulia", last_name="Ferrero", email="giulia.ferrero@polito.it")
    curator = UserFactory(
        username="curatore", first_name="Marco", last_name="Gastaldi", email="curatore.pops@polito.it", is_staff=True
    )
    # As seed_demo makes them: the POPS curators' group holds the permissions.
    group = Group.objects.create(name="POPS curators")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=("actionplan", "initiatives", "stakeholders", "impact"))
    )
    curator.groups.add(group)
    look_alike = InitiativeFactory(
        published=True,
        title_it=LOOK_ALIKE,
        title_en="",
        website="https://orti-alti.example.org",
        start_date=datetime.date(2024, 3, 1),
        end_date=None,
        budget=None,
        external_funding=None,
    )
    PlaceFactory(initiative=look_alike, municipality="Torino")
    return look_alike


def new_page(browser, live_server, language, device):
    context = browser.new_context(
        viewport=VIEWPORTS[device], locale="it-IT" if language == "it" else "en-GB", is_mobile=device == "phone"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    return page


def close(page):
    with contextlib.suppress(Exception):  # a page still busy after 5 s is closed anyway
        page.wait_for_load_state("networkidle", timeout=5_000)
    page.context.close()


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_curation_flow_from_sign_in_to_undone_merge(
    browser, live_server, live_reference_data, world, language, device
):
    look_alike = world
    base = live_server.url
    name = f"flow-{language}-{device}"
    researcher = new_page(browser, live_server, language, device)
    curator = new_page(browser, live_server, language, device)
    try:
        _researcher_signs_in_and_submits(researcher, base, language, name)
        initiative = Initiative.objects.get(title_it=TITLE)
        assert initiative.state == S.SUBMITTED
        assert initiative.transitions.filter(to_state=S.DRAFT).count() == 1  # the withdrawal, recorded

        _curator_reads_and_requests_changes(curator, base, language, name, initiative)
        initiative.refresh_from_db()
        assert initiative.state == S.CHANGES_REQUESTED

        _researcher_replies_and_resubmits(researcher, base, language, name, initiative)
        initiative.refresh_from_db()
        assert initiative.state == S.SUBMITTED

        _curator_sees_the_reply_and_publishes(curator, base, language, name, initiative)
        initiative.refresh_from_db()
        assert initiative.state == S.PUBLISHED

        _curator_merges_and_undoes(curator, base, language, name, initiative, look_alike)

        _researcher_signs_out(researcher, base, language, name)
    finally:
        close(researcher)
        close(curator)


def _researcher_signs_in_and_submits(page, base, language, name):
    # The home page: "Sign in" in the header, and back here after.
    page.goto(f"{base}/{language}/")
    sign_in = page.locator("header a[href*='/accounts/login/']")
    assert sign_in.is_visible()
    screenshot(page, f"{name}-01-home")
    sign_in.click()
    page.fill("#id_username", "ricercatrice")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/{language}/")

    # The user menu leads to "My initiatives".
    menu = page.locator("[data-user-menu]")
    menu.locator("summary").click()
    menu.locator("a[href$='/census/']").click()
    page.wait_for_url(f"**/{language}/census/")
    assert page.locator("main tbody tr").count() == 0
    screenshot(page, f"{name}-02-my-initiatives-empty")
    no_violations(page, "my initiatives, empty")

    # A new initiative, step by step.
    page.click(f"main a[href$='/{language}/census/new/']")
    page.wait_for_url("**/census/new/")
    no_violations(page, "step who")
    page.fill("#id_main-title_it", TITLE)
    page.fill("#id_main-title_en", "Shared rooftop gardens in Mirafiori")
    page.fill("#id_main-summary_it", "Un orto di comunità sui tetti, nato con gli abitanti del quartiere.")
    tick(page, "main-departments", Department.objects.get(code="DIST").pk)
    page.click("[data-formset=people] [data-add-row]")
    fill_row(page, "people", 1, {"first_name": COLLEAGUE[0], "last_name": COLLEAGUE[1], "email": "marco.b@polito.it"})
    page.click("[data-formset=partners] [data-add-row]")
    fill_row(
        page,
        "partners",
        0,
        {"name": PARTNER, "type": str(OrganisationType.objects.first().pk), "role": "partner"},
    )
    screenshot(page, f"{name}-03-step-who")
    page.click("button[name=continue]")
    page.wait_for_url("**/what/")

    no_violations(page, "step what")
    tick(page, "main-sectors", Sector.objects.get(code="gestione-territorio").pk)
    page.fill("#id_main-start_date", "2025-03-01")
    page.select_option("#id_main-scale", "local")
    page.click("[data-formset=places] [data-add-row]")
    fill_row(page, "places", 0, {"municipality": MUNICIPALITY, "province": "TO"})
    screenshot(page, f"{name}-04-step-what")
    page.click("button[name=continue]")
    page.wait_for_url("**/impact/")

    no_violations(page, "step impact")
    tick(page, "main-sdgs", SDG.objects.get(number=11).pk)
    page.click("[data-formset=impacts] [data-add-row]")
    fill_row(page, "impacts", 0, {"kind": "expected", "description": "Più spazi verdi curati", "indicator": "orti"})
    page.click("button[name=continue]")
    page.wait_for_url("**/future/")

    no_violations(page, "step future")
    screenshot(page, f"{name}-05-step-future")
    page.click("button[name=continue]")
    pk = Initiative.objects.get(title_it=TITLE).pk
    page.wait_for_url(f"**/census/{pk}/")

    # The review page: nothing missing; submit.
    assert page.locator("[data-missing]").count() == 0
    no_violations(page, "census review")
    screenshot(page, f"{name}-06-census-review")
    page.click("form[action$='/submit/'] button")
    page.wait_for_url(f"**/{language}/census/")

    # Withdraw it from "My initiatives": a draft again, then submit it again.
    row = page.locator("main tbody tr", has=page.locator(f"#initiative-{pk}"))
    assert row.locator("form[action$='/withdraw/'] button").count() == 1
    screenshot(page, f"{name}-07-my-initiatives-submitted")
    no_violations(page, "my initiatives, submitted")
    row.locator("form[action$='/withdraw/'] button").click()
    page.wait_for_url(f"**/{language}/census/")
    row = page.locator("main tbody tr", has=page.locator(f"#initiative-{pk}"))
    assert row.locator(".state-badge.state-draft").count() == 1
    assert row.locator("form[action$='/withdraw/']").count() == 0
    screenshot(page, f"{name}-08-my-initiatives-withdrawn")
    page.click(f"#initiative-{pk}")
    page.wait_for_url(f"**/census/{pk}/")
    page.click("form[action$='/submit/'] button")
    page.wait_for_url(f"**/{language}/census/")
    row = page.locator("main tbody tr", has=page.locator(f"#initiative-{pk}"))
    assert row.locator(".state-badge.state-submitted").count() == 1


def _curator_reads_and_requests_changes(page, base, language, name, initiative):
    # From the admin home: the sign-in form, then the desk.
    page.goto(f"{base}/{language}/admin/")
    page.fill("#id_username", "curatore")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#desk-queue")
    assert page.locator("#desk-waiting-on-staff strong").inner_text() == "1"
    screenshot(page, f"{name}-10-desk")
    no_violations(page, "desk")

    # The queue, then the new submission's review page.
    page.click("#desk-queue ~ p a[href$='/review-queue/']")
    page.wait_for_url("**/review-queue/")
    screenshot(page, f"{name}-11-queue")
    no_violations(page, "review queue")
    page.click(f"#content a[href$='/initiative/{initiative.pk}/review/']")
    page.wait_for_url(f"**/initiative/{initiative.pk}/review/")

    # The record in full: the people, the partner, the place.
    record = page.locator("dl.pops-record")
    assert record.is_visible()
    shown = record.inner_text()
    for expected in ("Giulia", "Ferrero", *COLLEAGUE, PARTNER, MUNICIPALITY):
        assert expected in shown, expected
    assert page.locator("a.merge-link").count() == 1  # the look-alike is suggested
    screenshot(page, f"{name}-12-review-new")
    no_violations(page, "review page")

    # Ask for changes, with a message.
    page.check("#review-decision input[name=to][value=changes_requested]")
    page.fill("#review-decision textarea[name=message]", REQUEST)
    page.click("#review-decision input[type=submit]")
    page.wait_for_url("**/review-queue/")


def _researcher_replies_and_resubmits(page, base, language, name, initiative):
    page.goto(f"{base}/{language}/census/")
    row = page.locator("main tbody tr", has=page.locator(f"#initiative-{initiative.pk}"))
    assert row.locator(".state-badge.state-changes_requested").count() == 1
    assert REQUEST in row.inner_text()
    screenshot(page, f"{name}-20-my-initiatives-changes-requested")
    no_violations(page, "my initiatives, changes requested")

    # "Read and reply": the thread on the initiative's page.
    row.locator(f"a[href$='/census/{initiative.pk}/#conversation']").click()
    page.wait_for_url(f"**/census/{initiative.pk}/#conversation")
    assert REQUEST in page.locator("[role=alert]").first.inner_text()
    thread = page.locator("#conversation")
    assert REQUEST in thread.locator("li").first.inner_text()
    page.fill("#conversation-body", REPLY)
    page.click("#conversation form button[type=submit]")
    page.wait_for_url(f"**/census/{initiative.pk}/#conversation")
    assert thread.locator("li").count() == 2
    assert REPLY in thread.locator("li").last.inner_text()
    screenshot(page, f"{name}-21-thread")
    no_violations(page, "census review with the thread")

    page.click("form[action$='/submit/'] button")
    page.wait_for_url(f"**/{language}/census/")


def _curator_sees_the_reply_and_publishes(page, base, language, name, initiative):
    page.goto(f"{base}/{language}/admin/")
    page.click("#desk-queue ~ p a[href$='/review-queue/']")
    page.click(f"#content a[href$='/initiative/{initiative.pk}/review/']")
    page.wait_for_url(f"**/initiative/{initiative.pk}/review/")
    thread = page.locator(".pops-admin-conversation ol")
    assert REPLY in thread.locator("li").last.inner_text()
    screenshot(page, f"{name}-30-review-reply")
    no_violations(page, "review page with the reply")
    page.check("#review-decision input[name=to][value=published]")
    page.click("#review-decision input[type=submit]")
    page.wait_for_url("**/review-queue/")


def _curator_merges_and_undoes(page, base, language, name, initiative, look_alike):
    with translation.override(language):
        addresses = {initiative.pk: initiative.get_absolute_url(), look_alike.pk: look_alike.get_absolute_url()}
    page.goto(f"{base}/{language}/admin/initiatives/initiative/{initiative.pk}/review/")
    page.click("a.merge-link")
    page.wait_for_url("**/merge/?with=*")
    # The survivor: the one the radio marks; the other's address will redirect.
    survivor_side = "a" if page.is_checked("#survivor-a") else "b"
    other_side = "b" if survivor_side == "a" else "a"
    # Side A is the page's initiative (the published submission), B the look-alike.
    survivor, merged = (initiative, look_alike) if survivor_side == "a" else (look_alike, initiative)
    # One field from the other side: its Italian summary.
    wanted, kept = merged.summary_it, survivor.summary_it
    assert wanted != kept
    page.click(f"label[for='field_summary_it-{other_side}']")
    screenshot(page, f"{name}-40-merge-compare")
    no_violations(page, "merge comparison")
    page.click("#merge-form input[type=submit]")
    assert page.locator("#merge-published-warning").is_visible()
    screenshot(page, f"{name}-41-merge-confirm")
    no_violations(page, "merge confirmation")
    page.click("#merge-confirm input[name=confirm]")
    page.wait_for_url("**/merges/**", timeout=30_000)
    screenshot(page, f"{name}-42-merges")
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into_id == survivor.pk
    assert survivor.summary_it == wanted

    # The merged one's old public address: 301 to the survivor.
    public = page.context.new_page()
    response = public.goto(base + addresses[merged.pk])
    assert response.request.redirected_from is not None
    assert response.request.redirected_from.response().status == 301
    assert public.url == base + addresses[survivor.pk]

    # Undo, from the list of merges.
    page.goto(f"{base}/{language}/admin/initiatives/initiative/merges/")
    page.click(f"#merge-{InitiativeMerge.objects.get().pk} a.button")
    screenshot(page, f"{name}-43-undo")
    no_violations(page, "undo confirmation")
    page.click("#undo-confirm input[type=submit]")
    page.wait_for_url("**/merges/")
    assert InitiativeMerge.objects.get().undone_at is not None
    response = public.goto(base + addresses[merged.pk])
    assert response.status == 200 and public.url == base + addresses[merged.pk]
    survivor.refresh_from_db()
    assert survivor.summary_it == kept
    public.close()


def _researcher_signs_out(page, base, language, name):
    page.goto(f"{base}/{language}/census/")
    menu = page.locator("[data-user-menu]")
    menu.locator("summary").click()
    screenshot(page, f"{name}-50-user-menu")
    menu.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_url(f"{base}/{language}/")
    assert page.locator("[data-user-menu]").count() == 0
    assert page.locator("header a[href*='/accounts/login/']").is_visible()
    screenshot(page, f"{name}-51-signed-out")
