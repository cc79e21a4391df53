"""The staff desk in a real browser, in Italian and English, on a desktop and
on a phone: the admin home, the review of a new submission, the diff of a
proposed update, the history and the campaign figures. axe-core finds no
violation on the desk."""

import datetime

import pytest
from django.utils import timezone

from impact.factories import ImpactFactory, ProductFactory
from initiatives.factories import (
    CampaignInvitationFactory,
    CensusCampaignFactory,
    InitiativeFactory,
    PersonFactory,
    PlaceFactory,
    UserFactory,
)
from initiatives.models import Initiative
from initiatives.services.initiatives import initiative_start_update
from stakeholders.factories import PartnershipFactory
from tests.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pops-demo-2026"
PHONE = {"width": 390, "height": 844}


def _world():
    UserFactory(username="curatrice", is_staff=True, is_superuser=True)
    new = InitiativeFactory(
        submitted=True,
        title_it="Orti condivisi sui tetti di Mirafiori",
        description_it="Un orto di comunità\r\nnato con gli abitanti del quartiere.",
        members=PersonFactory.create_batch(2),
    )
    PartnershipFactory(initiative=new)
    PlaceFactory(initiative=new, municipality="Torino")
    ProductFactory(initiative=new)
    ImpactFactory(initiative=new)
    original = InitiativeFactory(
        published=True, title_it="Laboratori di robotica", summary_it="Laboratori per le scuole medie di Torino."
    )
    copy = initiative_start_update(initiative=original, by=None)
    Initiative.objects.filter(pk=copy.pk).update(
        summary_it="Laboratori gratuiti per le scuole medie di Torino e Moncalieri.", state=Initiative.State.SUBMITTED
    )
    original.summary_it = "Laboratori per le scuole medie di Torino e cintura."
    original.save()
    sent_back = InitiativeFactory(submitted=True)
    Initiative.objects.filter(pk=sent_back.pk).update(state=Initiative.State.CHANGES_REQUESTED)
    today = timezone.localdate()
    campaign = CensusCampaignFactory(
        opens_on=today - datetime.timedelta(days=5), closes_on=today + datetime.timedelta(days=40)
    )
    CampaignInvitationFactory.create_batch(5, campaign=campaign)
    return {"new": new, "copy": copy, "original": original, "campaign": campaign}


def test_the_desk_and_the_review_pages(page, browser, live_server):
    world = _world()
    page.goto(page.base_url + "/it/admin/login/")
    page.fill("#id_username", "curatrice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    cookies = page.context.cookies()
    phone = browser.new_context(viewport=PHONE, locale="it-IT", is_mobile=True)
    phone.add_cookies(cookies)
    phone_page = phone.new_page()
    try:
        pages = {
            "desk": "/admin/",
            "review-new": f"/admin/initiatives/initiative/{world['new'].pk}/review/",
            "review-diff": f"/admin/initiatives/initiative/{world['copy'].pk}/review/",
            "history": f"/admin/initiatives/initiative/{world['original'].pk}/history/",
            "campaign-figures": f"/admin/initiatives/censuscampaign/{world['campaign'].pk}/figures/",
        }
        found = {}
        for language in ("it", "en"):
            for device, tab in (("desktop", page), ("phone", phone_page)):
                for name, path in pages.items():
                    tab.goto(f"{live_server.url}/{language}{path}")
                    assert tab.locator("#content").count() == 1, (name, language)
                    screenshot(tab, f"desk-{name}-{language}-{device}")
                    found[(name, language, device)] = [v["id"] for v in axe_violations(tab)]
        # The desk: the queue in two parts, the campaign, the links.
        page.goto(f"{live_server.url}/en/admin/")
        assert page.locator("#desk-waiting-on-staff strong").inner_text() == "2"
        assert page.locator("#desk-waiting-on-researchers strong").inner_text() == "1"
        page.click("text=Internal records (read only)")
        assert page.locator("#internal-records table").is_visible()
        for language in ("it", "en"):
            for device in ("desktop", "phone"):
                assert found[("desk", language, device)] == [], (language, device)
        # The diff marks words, not whole texts.
        page.goto(f"{live_server.url}/en{pages['review-diff']}")
        assert "Moncalieri" in page.locator(".pops-diff ins").all_inner_texts()[-1]
    finally:
        phone.close()
