"""A visitor writes to the lead of an initiative from its page, in a real
browser: in Italian on a desktop, in English on a phone; the message is read
from the outbox, the thank-you page shows, and axe-core finds nothing on the
form, on its errors or on the thank-you page."""

import pytest

from initiatives.factories import InitiativeFactory, PersonFactory
from initiatives.models import ContactMessage, OutboundEmail
from tests.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LEAD_ADDRESS = "referente.nascosta@polito.it"

TEXTS = {
    "it": {
        "path": "/it/iniziative/",
        "link": "Scrivi al referente",
        "name": "Il tuo nome",
        "email": "Il tuo indirizzo e-mail",
        "consent": "Ho letto l'informativa",
        "send": "Invia il messaggio",
        "sent": "Messaggio inviato",
        "subject": "[POPS] Un messaggio da Anna Verdi su “Orti di comunità a Mirafiori”",
    },
    "en": {
        "path": "/en/initiatives/",
        "link": "Write to the lead",
        "name": "Your name",
        "email": "Your e-mail address",
        "consent": "I have read the notice",
        "send": "Send the message",
        "sent": "Message sent",
        "subject": "[POPS] Un messaggio da Anna Verdi su “Orti di comunità a Mirafiori”",
    },
}


def no_violations(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], (where, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations])


@pytest.fixture
def initiative(live_reference_data):
    lead = PersonFactory(
        first_name="Chiara",
        last_name="Rossi",
        email=LEAD_ADDRESS,
        public_profile=True,
        accepts_messages=True,
        language="it",
    )
    return InitiativeFactory(
        published=True,
        title_it="Orti di comunità a Mirafiori",
        title_en="Community gardens in Mirafiori",
        lead=lead,
    )


@pytest.mark.parametrize(("language", "viewport"), [("it", "desktop"), ("en", "phone")])
def test_a_visitor_writes_to_the_lead_and_the_message_is_read_from_the_outbox(
    browser, live_server, initiative, language, viewport
):
    texts = TEXTS[language]
    context = browser.new_context(
        viewport=PHONE if viewport == "phone" else DESKTOP, locale="it-IT" if language == "it" else "en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}{texts['path']}{initiative.slug}/")
        assert LEAD_ADDRESS not in page.content()
        no_violations(page, "initiative")
        screenshot(page, f"contact-initiative-{language}-{viewport}")
        page.get_by_role("link", name=texts["link"]).click()
        page.wait_for_url("**/write/" if language == "en" else "**/scrivi/")
        assert page.get_by_role("heading", level=1).inner_text() == texts["link"]
        assert LEAD_ADDRESS not in page.content()
        no_violations(page, "form")
        screenshot(page, f"contact-form-{language}-{viewport}")

        # Sent without consent and with a bad address: the errors, and nothing sent.
        page.get_by_label(texts["name"]).fill("Anna Verdi")
        page.get_by_label(texts["email"]).fill("anna.verdi@")
        page.locator("#id_message").fill("Vorrei portare la mia classe a visitare gli orti.")
        page.get_by_role("button", name=texts["send"]).click()
        page.wait_for_selector(".pops-error-summary")
        assert page.locator("#id_email").get_attribute("aria-invalid") == "true"
        assert page.locator("#id_consent").get_attribute("aria-invalid") == "true"
        assert not OutboundEmail.objects.exists()
        no_violations(page, "errors")
        screenshot(page, f"contact-errors-{language}-{viewport}")

        # Corrected: relayed, and the thank-you page says so.
        page.get_by_label(texts["email"]).fill("anna.verdi@example.org")
        # Bootstrap Italia draws the box on the label: a person clicks that.
        page.locator("label[for=id_consent]").click()
        assert page.get_by_label(texts["consent"]).is_checked()
        page.get_by_role("button", name=texts["send"]).click()
        page.wait_for_url("**/sent/" if language == "en" else "**/inviato/")
        assert page.get_by_role("heading", level=1).inner_text() == texts["sent"]
        assert "Chiara Rossi" in page.get_by_role("status").inner_text()
        assert LEAD_ADDRESS not in page.content()
        no_violations(page, "sent")
        screenshot(page, f"contact-sent-{language}-{viewport}")
    finally:
        context.close()

    # The outbox: one e-mail to the lead, in her language, answering the visitor.
    [email] = OutboundEmail.objects.all()
    assert (email.to, email.reply_to) == (LEAD_ADDRESS, "anna.verdi@example.org")
    assert email.subject == texts["subject"]
    assert "Vorrei portare la mia classe a visitare gli orti." in email.body
    assert "Anna Verdi <anna.verdi@example.org>" in email.body
    assert ContactMessage.objects.get().sender_name == "Anna Verdi"
